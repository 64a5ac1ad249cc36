namespace FlowFunctions.Storage;

/// <summary>A message taken from a queue: hidden from other consumers until its visibility timeout ends.</summary>
/// <param name="Id">The message id.</param>
/// <param name="PopReceipt">Proves the current lease on the message; needed to delete it or extend its visibility.</param>
/// <param name="Body">The message text.</param>
/// <param name="DequeueCount">How many times it has been taken, this time included.</param>
/// <param name="InsertedAt">When it was first enqueued.</param>
public sealed record QueueMessage(string Id, string PopReceipt, string Body, int DequeueCount, DateTimeOffset InsertedAt);

/// <summary>
/// Named queues with at-least-once delivery: a taken message reappears after its visibility timeout unless it is
/// deleted with its current pop receipt (the semantics of Azure Storage queues).
/// </summary>
public interface IWorkQueue
{
    /// <summary>Adds a message, invisible for <paramref name="initialVisibilityDelay"/> (how timers are armed).</summary>
    Task EnqueueAsync(string queue, string body, TimeSpan initialVisibilityDelay, CancellationToken cancellationToken);

    /// <summary>
    /// Adds several messages with the same delay, in order. Stores that can do it in one round trip override this;
    /// the default adds them one by one.
    /// </summary>
    async Task EnqueueManyAsync(string queue, IReadOnlyList<string> bodies, TimeSpan initialVisibilityDelay, CancellationToken cancellationToken)
    {
        foreach (var body in bodies)
        {
            await EnqueueAsync(queue, body, initialVisibilityDelay, cancellationToken);
        }
    }

    /// <summary>Takes up to <paramref name="maxMessages"/> visible messages (oldest first), hiding each for <paramref name="visibilityTimeout"/>.</summary>
    Task<IReadOnlyList<QueueMessage>> DequeueAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    /// <summary>Deletes a taken message; false when the pop receipt is stale (the message was taken again or is gone).</summary>
    Task<bool> DeleteAsync(string queue, QueueMessage message, CancellationToken cancellationToken);

    /// <summary>Extends (or shortens) a taken message's invisibility; returns the message with its new pop receipt, or null when the receipt is stale.</summary>
    Task<QueueMessage?> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    /// <summary>The number of messages in the queue, visible or not (approximate on distributed stores).</summary>
    Task<int> CountAsync(string queue, CancellationToken cancellationToken);
}
