using System.Text.Json.Nodes;
using FlowFunctions.Storage;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// Start messages that can never succeed (not JSON, unknown workflow, invalid spec or inputs) go to the
/// <c>flow-deadletters</c> queue of our store with the reason, the original body and the delivery metadata. A custom
/// handler cannot dead-letter a Service Bus message itself (it only answers the host), and retrying a permanent
/// problem five times would only delay the same verdict.
/// </summary>
internal sealed class DeadLetterStore(IFlowStore store, TimeProvider time)
{
    /// <summary>The queue (without the store's name prefix).</summary>
    public const string Queue = "flow-deadletters";

    public Task WriteAsync(string function, string reason, string? body, JsonObject metadata, CancellationToken cancellationToken)
    {
        var letter = new JsonObject
        {
            ["function"] = function,
            ["reason"] = reason,
            ["body"] = body,
            ["metadata"] = metadata.DeepClone(),
            ["at"] = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        return store.Queues.EnqueueAsync(Queue, letter.ToJsonString(), TimeSpan.Zero, cancellationToken);
    }
}
