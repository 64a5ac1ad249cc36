using System.ComponentModel.DataAnnotations;

namespace FlowFunctions.Host.Mcp;

/// <summary>Limits of the MCP server (configuration section <c>FlowFunctions:Mcp</c>), the same over stdio and HTTP.</summary>
public sealed class McpOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "FlowFunctions:Mcp";

    /// <summary>Tool calls one caller (API key, principal or local user) may make per minute; the bucket holds a minute's worth.</summary>
    [Range(1, 1_000_000, ErrorMessage = "FlowFunctions:Mcp:CallsPerMinute must be between 1 and 1000000")]
    public int CallsPerMinute { get; set; } = 600;

    /// <summary>The largest tool call's arguments (and, over HTTP, request body) accepted.</summary>
    [Range(1024, 64 * 1024 * 1024, ErrorMessage = "FlowFunctions:Mcp:MaxRequestBytes must be between 1024 and 67108864")]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest tool result returned; a larger one is refused with a hint to ask for less (get_node, a lower limit).</summary>
    [Range(1024, 64 * 1024 * 1024, ErrorMessage = "FlowFunctions:Mcp:MaxResultBytes must be between 1024 and 67108864")]
    public int MaxResultBytes { get; set; } = 512 * 1024;

    /// <summary>How long apply_patch waits for the run to apply an accepted patch before it answers "pending".</summary>
    [Range(0, 300, ErrorMessage = "FlowFunctions:Mcp:ApplyWaitSeconds must be between 0 and 300")]
    public int ApplyWaitSeconds { get; set; } = 10;
}
