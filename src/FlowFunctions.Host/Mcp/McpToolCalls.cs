using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace FlowFunctions.Host.Mcp;

/// <summary>
/// The filter around every tool call: arguments checked against the tool's input schema before the tool runs (an
/// unknown, missing or mistyped argument is a tool error naming it, where the SDK's binder would answer a bare
/// "An error occurred"), the request and result size limits, and one log line per call with its actor and outcome.
/// </summary>
internal static partial class McpToolCalls
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (context, ct) =>
        {
            var services = context.Services ?? throw new McpException("no services for the call");
            var options = services.GetRequiredService<IOptions<McpOptions>>().Value;
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("FlowFunctions.Mcp");
            var tool = context.Params?.Name ?? string.Empty;
            var actor = Actor(services);
            var started = Stopwatch.GetTimestamp();
            var problem = services.GetRequiredService<McpCallGate>().Admit(actor, tool)
                ?? (context.MatchedPrimitive is McpServerTool matched ? Check(tool, matched.ProtocolTool.InputSchema, context.Params?.Arguments, options) : null);
            var result = problem is null ? await InvokeAsync(next, context, ct) : Error(problem);
            var size = result.Content.OfType<TextContentBlock>().Sum(t => (long)Encoding.UTF8.GetByteCount(t.Text));
            if (size > options.MaxResultBytes)
            {
                result = Error($"{tool}: the result is {size} bytes, over the limit of {options.MaxResultBytes} (FlowFunctions:Mcp:MaxResultBytes); ask for less: get_node for one node's values (large ones come as artifact links), a lower 'limit'");
            }

            if (logger.IsEnabled(LogLevel.Information))
            {
                var runId = context.Params?.Arguments is { } arguments && arguments.TryGetValue("runId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                var outcome = result.IsError == true ? "error: " + string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text)) : "ok";
                var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Called(logger, tool, actor, runId ?? "-", outcome, elapsedMs);
            }

            return result;
        };

    /// <summary>The first problem of the call's arguments against the tool's schema, or null.</summary>
    public static string? Check(string tool, JsonElement schema, IDictionary<string, JsonElement>? arguments, McpOptions options)
    {
        arguments ??= new Dictionary<string, JsonElement>();
        var bytes = arguments.Sum(a => (long)Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value.GetRawText()));
        if (bytes > options.MaxRequestBytes)
        {
            return $"{tool}: the arguments are {bytes} bytes, over the limit of {options.MaxRequestBytes} (FlowFunctions:Mcp:MaxRequestBytes)";
        }

        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var names = properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(x => x.Name).ToList() : [];
        foreach (var (name, value) in arguments)
        {
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                return $"{tool}: unknown argument '{name}'; it takes {(names.Count == 0 ? "no arguments" : string.Join(", ", names.Select(n => $"'{n}'")))}";
            }

            if (Types(properties.GetProperty(name)) is { } types && !types.Any(t => Is(value, t)))
            {
                return $"{tool}: '{name}' must be {string.Join(" or ", types.Where(t => t != "null").Select(Article))}, not {Describe(value)}";
            }
        }

        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                if (!arguments.ContainsKey(name))
                {
                    return $"{tool}: '{name}' is required";
                }
            }
        }

        return null;
    }

    private static IReadOnlyList<string>? Types(JsonElement property) =>
        !property.TryGetProperty("type", out var type) ? null
        : type.ValueKind == JsonValueKind.String ? [type.GetString()!]
        : type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()!)]
        : null;

    private static bool Is(JsonElement value, string type) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };

    private static string Article(string type) => type switch
    {
        "integer" => "an integer (32-bit)",
        "object" => "an object",
        "array" => "an array",
        _ => "a " + type,
    };

    /// <summary>A JSON value's kind as an error message names it: "a string", "the number 42", "an array".</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => "the number " + value.GetRawText(),
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };

    private static string Actor(IServiceProvider services)
    {
        try
        {
            return services.GetRequiredService<IMcpCaller>().Current.Actor;
        }
        catch (McpException)
        {
            return "unknown";
        }
    }

    /// <summary>The tool's result; its <see cref="McpException"/> as a tool error with our message alone (the SDK would prefix "An error occurred invoking 'x': ", and our messages name the tool already).</summary>
    private static async ValueTask<CallToolResult> InvokeAsync(McpRequestHandler<CallToolRequestParams, CallToolResult> next, RequestContext<CallToolRequestParams> context, CancellationToken ct)
    {
        try
        {
            return await next(context, ct);
        }
        catch (McpException ex) when (ex is not McpProtocolException)
        {
            return Error(ex.Message);
        }
    }

    private static CallToolResult Error(string message) => new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "mcp {Tool} by {Actor} on run {RunId}: {Outcome} ({ElapsedMs} ms)")]
    private static partial void Called(ILogger logger, string tool, string actor, string runId, string outcome, long elapsedMs);
}
