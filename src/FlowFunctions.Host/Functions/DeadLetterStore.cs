using System.Text.Json.Nodes;
using FlowFunctions.Storage;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// Start messages that can never succeed (not JSON, unknown workflow, invalid spec or inputs) go to the
/// <c>flow-deadletters</c> queue of our store with the reason, the original body and the delivery metadata. A custom
/// handler cannot dead-letter a Service Bus message itself (it only answers the host), and retrying a permanent
/// problem five times would only delay the same verdict.
/// </summary>
/// <remarks>
/// A message the host delivers again (it did not see our answer) is dead-lettered once: after the letter is enqueued,
/// a row in partition <c>$deadletters</c> marks its message id, and a redelivery that finds the mark writes nothing.
/// The mark follows the letter, so a crash between the two can duplicate a letter but never lose one.
/// </remarks>
internal sealed class DeadLetterStore(IFlowStore store, TimeProvider time)
{
    /// <summary>The queue (without the store's name prefix).</summary>
    public const string Queue = "flow-deadletters";

    /// <summary>The partition of the marks of dead-lettered message ids.</summary>
    public const string Partition = "$deadletters";

    /// <summary>Writes the letter, unless the message with <paramref name="messageId"/> was dead-lettered already; true when written.</summary>
    public async Task<bool> WriteAsync(string function, string reason, string? body, string? messageId, JsonObject metadata, CancellationToken cancellationToken)
    {
        var mark = messageId is { Length: > 0 } ? function + "|" + messageId : null;
        if (mark is not null && await store.Partitions.GetAsync(Partition, mark, cancellationToken) is not null)
        {
            return false;
        }

        var at = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var letter = new JsonObject
        {
            ["function"] = function,
            ["reason"] = reason,
            ["body"] = body,
            ["metadata"] = metadata.DeepClone(),
            ["at"] = at,
        };
        await store.Queues.EnqueueAsync(Queue, letter.ToJsonString(), TimeSpan.Zero, cancellationToken);
        if (mark is not null)
        {
            try
            {
                await store.Partitions.ExecuteAsync(Partition, [new RowOperation.Insert(mark, new JsonObject { ["at"] = at }.ToJsonString())], cancellationToken);
            }
            catch (BatchConflictException ex) when (ex.Kind == ConflictKind.AlreadyExists)
            {
                // A concurrent delivery of the same message marked it first: both letters stand.
            }
        }

        return true;
    }
}
