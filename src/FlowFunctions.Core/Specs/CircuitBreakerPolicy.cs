using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Specs;

/// <summary>
/// A node's <c>circuitBreaker</c>: executions through the same <see cref="Key"/> share one breaker, whose state all
/// workers share through the store. While it is open the node is parked (status Waiting) instead of spending attempts.
/// </summary>
/// <param name="Key">
/// The breaker's name; null means the default, decided when the node is dispatched: the host of <c>with.url</c> for
/// <c>http</c> nodes, otherwise the node type.
/// </param>
/// <param name="FailureRatio">The share of transient failures in a sampling window that opens the breaker, in (0, 1].</param>
/// <param name="MinimumThroughput">The executions a window needs before the ratio counts.</param>
/// <param name="SamplingDuration">The length of a counting window.</param>
/// <param name="BreakDuration">How long the breaker stays open before it lets one probe through (half-open).</param>
public sealed record CircuitBreakerPolicy(string? Key, double FailureRatio, int MinimumThroughput, TimeSpan SamplingDuration, TimeSpan BreakDuration)
{
    /// <summary>The longest key a spec may give.</summary>
    public const int MaxKeyLength = 200;

    /// <summary>The settings a bare <c>circuitBreaker: {}</c> gets: half the executions of a 30 s window of at least 5, open for 30 s.</summary>
    public static CircuitBreakerPolicy Default { get; } = new(null, 0.5, 5, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));

    /// <summary>
    /// The default key of an execution: the host of an <c>http</c> node's <c>with.url</c> (lowercase), else the node type.
    /// Chaos rules select executions by the same key.
    /// </summary>
    /// <param name="nodeType">The node type.</param>
    /// <param name="input">The resolved <c>with</c>.</param>
    public static string DefaultKey(string nodeType, JsonNode? input)
    {
        var host = nodeType == "http" && (input as JsonObject)?["url"] is JsonValue url && url.TryGetValue<string>(out var text)
            && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            ? uri.Host.ToLowerInvariant()
            : null;
        return host ?? nodeType;
    }
}
