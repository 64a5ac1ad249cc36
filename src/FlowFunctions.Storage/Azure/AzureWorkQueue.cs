using System.Text;
using global::Azure;
using global::Azure.Storage.Queues;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Work queues as Azure Storage queues (Azure.Storage.Queues), one per name (prefixed with the store's name prefix). Bodies travel base64
/// encoded, always, which is what an Azure Functions queue trigger decodes (host.json <c>messageEncoding: base64</c>);
/// a body too large for a message (64 KiB) is stored as an artifact and the message carries <c>@sha256:..</c>, base64
/// encoded as well (see <see cref="QueueBody"/>), so a Functions host delivers it instead of poisoning it as undecodable.
/// </summary>
internal sealed class AzureWorkQueue : IWorkQueue
{
    /// <summary>The most messages one take returns (the service's limit).</summary>
    internal const int MaxMessagesPerDequeue = 32;

    /// <summary>Message text length kept inline: under the 64 KiB message limit.</summary>
    internal const int MaxInlineText = 60 * 1024;

    /// <summary>The longest visibility timeout or initial delay (the service's limit); timers re-arm in steps.</summary>
    internal static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);

    /// <summary>The time-to-live the service reads as "never expires" (messagettl=-1).</summary>
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    private const char LegacyArtifactMarker = '@';

    private readonly QueueServiceClient queues;
    private readonly AzureArtifactStore artifacts;
    private readonly string prefix;
    private readonly CreateOnce created = new();

    public AzureWorkQueue(QueueServiceClient queues, AzureArtifactStore artifacts, string prefix)
    {
        this.queues = queues;
        this.artifacts = artifacts;
        this.prefix = prefix;
    }

    /// <summary>The service queues this instance created, for test clean-up.</summary>
    internal IReadOnlyCollection<string> CreatedQueues => created.Names;

    public async Task EnqueueAsync(string queue, string body, TimeSpan initialVisibilityDelay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ValidateVisibility(initialVisibilityDelay, nameof(initialVisibilityDelay));
        var name = await EnsureQueueAsync(queue, cancellationToken);
        var text = Convert.ToBase64String(Encoding.UTF8.GetBytes(body));
        if (text.Length > MaxInlineText)
        {
            var reference = QueueBody.ArtifactMarker + await artifacts.PutAsync(Encoding.UTF8.GetBytes(body), cancellationToken);
            text = Convert.ToBase64String(Encoding.UTF8.GetBytes(reference));
        }

        // messagettl=-1: timers wait up to 7 days invisible and must not expire meanwhile.
        await queues.GetQueueClient(name).SendMessageAsync(text, TimeSpan.FromSeconds(Seconds(initialVisibilityDelay)), NeverExpires, cancellationToken);
    }

    public async Task<IReadOnlyList<QueueMessage>> DequeueAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, MaxMessagesPerDequeue);
        ValidateVisibility(visibilityTimeout, nameof(visibilityTimeout));
        var name = await EnsureQueueAsync(queue, cancellationToken);

        // Get Messages takes at least one second of invisibility.
        var raw = (await queues.GetQueueClient(name).ReceiveMessagesAsync(maxMessages, TimeSpan.FromSeconds(Math.Max(1, Seconds(visibilityTimeout))), cancellationToken)).Value;
        var messages = new List<QueueMessage>(raw.Length);
        foreach (var message in raw)
        {
            messages.Add(new QueueMessage(
                message.MessageId,
                message.PopReceipt,
                await DecodeAsync(message.Body.ToString(), cancellationToken),
                checked((int)message.DequeueCount),
                message.InsertedOn ?? throw new InvalidDataException($"queue message {message.MessageId} has no insertion time")));
        }

        return messages;
    }

    public async Task<bool> DeleteAsync(string queue, QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await queues.GetQueueClient(QueueName(queue)).DeleteMessageAsync(message.Id, message.PopReceipt, cancellationToken);
            return true;
        }
        catch (RequestFailedException error) when (StorageFailures.IsStalePopReceipt(error))
        {
            return false;
        }
    }

    public async Task<QueueMessage?> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ValidateVisibility(visibilityTimeout, nameof(visibilityTimeout));
        try
        {
            // No message text: only the visibility changes, the body stays as it is.
            var receipt = await queues.GetQueueClient(QueueName(queue))
                .UpdateMessageAsync(message.Id, message.PopReceipt, visibilityTimeout: TimeSpan.FromSeconds(Seconds(visibilityTimeout)), cancellationToken: cancellationToken);
            return message with { PopReceipt = receipt.Value.PopReceipt };
        }
        catch (RequestFailedException error) when (StorageFailures.IsStalePopReceipt(error))
        {
            return null;
        }
    }

    public async Task<int> CountAsync(string queue, CancellationToken cancellationToken)
    {
        try
        {
            return (await queues.GetQueueClient(QueueName(queue)).GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException error) when (StorageFailures.IsNotFound(error))
        {
            // A queue never used has no messages.
            return 0;
        }
    }

    /// <summary>
    /// Our queue name with the prefix, checked against the service's rules (3-63 lowercase letters, digits and single
    /// dashes, starting and ending with a letter or digit) so a bad name fails here with a clear message.
    /// </summary>
    internal string QueueName(string queue)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        var name = prefix + queue;
        var valid = name.Length is >= 3 and <= 63
            && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
            && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && !name.Contains("--", StringComparison.Ordinal);
        if (!valid)
        {
            throw new ArgumentException(
                $"'{queue}' cannot name an Azure storage queue ('{name}' with the prefix): use 3-63 lowercase letters, digits and single dashes", nameof(queue));
        }

        return name;
    }

    private static int Seconds(TimeSpan value) => (int)Math.Ceiling(value.TotalSeconds);

    private static void ValidateVisibility(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero || value > MaxVisibility)
        {
            throw new ArgumentOutOfRangeException(name, value, $"must be between 0 and {MaxVisibility.TotalDays} days");
        }
    }

    private async Task<string> EnsureQueueAsync(string queue, CancellationToken cancellationToken)
    {
        var name = QueueName(queue);
        await created.EnsureAsync(name, async (queueName, token) => await queues.GetQueueClient(queueName).CreateIfNotExistsAsync(cancellationToken: token), cancellationToken);
        return name;
    }

    /// <summary>Creates the queues now instead of on first use (a Functions host polls queues it does not create).</summary>
    internal async Task EnsureQueuesAsync(IEnumerable<string> names, CancellationToken cancellationToken)
    {
        foreach (var queue in names)
        {
            await EnsureQueueAsync(queue, cancellationToken);
        }
    }

    /// <summary>Deletes a queue if it exists (test clean-up).</summary>
    internal async Task DeleteQueueIfExistsAsync(string name, CancellationToken cancellationToken) =>
        await queues.GetQueueClient(name).DeleteIfExistsAsync(cancellationToken);

    private async Task<string> DecodeAsync(string text, CancellationToken cancellationToken)
    {
        if (text.Length > 0 && text[0] == LegacyArtifactMarker)
        {
            // Written before references were base64 encoded too.
            return await QueueBody.ResolveAsync(artifacts, text, cancellationToken);
        }

        return await QueueBody.ResolveAsync(artifacts, Encoding.UTF8.GetString(Convert.FromBase64String(text)), cancellationToken);
    }
}
