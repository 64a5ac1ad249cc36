using FlowFunctions.Host.Api;
using ModelContextProtocol;

namespace FlowFunctions.Host.Mcp;

/// <summary>Who calls the MCP tools: the API caller of the HTTP request at <c>/mcp</c>, or the local user of <c>flow mcp</c>.</summary>
internal interface IMcpCaller
{
    ApiCaller Current { get; }
}

/// <summary>
/// Over stdio the caller is whoever started <c>flow mcp</c>: they already hold the store's credentials, so they are
/// admin, recorded like the CLI's own commands as <c>cli:&lt;user name&gt;</c> (with " (mcp)" on what they change).
/// </summary>
internal sealed class LocalMcpCaller : IMcpCaller
{
    public ApiCaller Current { get; } = new("cli:" + Environment.UserName, ApiRole.Admin);
}

/// <summary>Over HTTP the caller is the one <see cref="ApiAuthentication"/> found for the request (keys, EasyAuth, roles).</summary>
internal sealed class HttpMcpCaller(IHttpContextAccessor accessor) : IMcpCaller
{
    public ApiCaller Current => accessor.HttpContext?.Caller() ?? throw new McpException("no HTTP request: the MCP HTTP transport runs stateless, one request per call");
}

internal static class McpCallers
{
    /// <summary>
    /// Requires the caller's role to be at least <paramref name="role"/> (otherwise a tool error naming the missing role)
    /// and answers the actor to record with what the call changes: <c>&lt;actor&gt; (mcp)</c>.
    /// </summary>
    public static string Require(this IMcpCaller caller, ApiRole role, string tool)
    {
        var current = caller.Current;
        return current.Has(role) ? ApiCallers.CleanActor(current.Actor + " (mcp)") : throw new McpException($"{tool} needs the {role.Name()} role; {current.Describe()}");
    }
}
