using System.Globalization;
using System.Text;
using System.Xml.Linq;
using global::Azure;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>A message as the Queue service returns it; <see cref="MessageText"/> is still base64.</summary>
internal sealed record RawQueueMessage(string MessageId, string PopReceipt, string MessageText, int DequeueCount, DateTimeOffset InsertionTime);

/// <summary>A message as Peek Messages returns it: visible, not taken, so without a pop receipt.</summary>
internal sealed record PeekedQueueMessage(string MessageId, string MessageText, int DequeueCount, DateTimeOffset InsertionTime);

/// <summary>The Queue service REST operations the store uses (https://learn.microsoft.com/rest/api/storageservices/queue-service-rest-api).</summary>
internal sealed class AzureQueueClient(HttpPipeline pipeline, Uri endpoint) : StorageServiceClient(pipeline, endpoint, ServiceVersion)
{
    /// <summary>The Queue/Blob REST version.</summary>
    internal const string ServiceVersion = "2021-12-02";

    public async Task CreateIfNotExistsAsync(string queue, CancellationToken cancellationToken)
    {
        // 201 created, 204 already there with the same metadata, 409 there with other metadata: all mean "exists".
        await SendExpectingAsync(RequestMethod.Put, $"{Endpoint}/{queue}", $"create queue '{queue}'", cancellationToken, 201, 204, 409);
    }

    public async Task DeleteIfExistsAsync(string queue, CancellationToken cancellationToken)
    {
        await SendExpectingAsync(RequestMethod.Delete, $"{Endpoint}/{queue}", $"delete queue '{queue}'", cancellationToken, 204, 404);
    }

    /// <summary>Puts a message that never expires (messagettl=-1), invisible for <paramref name="visibilitySeconds"/>.</summary>
    public async Task PutAsync(string queue, string base64Text, int visibilitySeconds, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, string.Create(CultureInfo.InvariantCulture, $"{Endpoint}/{queue}/messages?visibilitytimeout={visibilitySeconds}&messagettl=-1"));
        var body = new XElement("QueueMessage", new XElement("MessageText", base64Text)).ToString(SaveOptions.DisableFormatting);
        message.Request.Headers.SetValue("Content-Type", "application/xml");
        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(body));
        var response = await SendAsync(message, cancellationToken);
        if (response.Status != 201)
        {
            throw StorageErrors.From(response, $"put message on '{queue}'");
        }
    }

    public async Task<IReadOnlyList<RawQueueMessage>> GetAsync(string queue, int count, int visibilitySeconds, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Get, string.Create(CultureInfo.InvariantCulture, $"{Endpoint}/{queue}/messages?numofmessages={count}&visibilitytimeout={visibilitySeconds}"));
        var response = await SendAsync(message, cancellationToken);
        if (response.Status != 200)
        {
            throw StorageErrors.From(response, $"get messages from '{queue}'");
        }

        return ParseMessages(response.Content.ToString());
    }

    /// <summary>Up to <paramref name="count"/> (1 to 32) visible messages from the front, without taking them or changing their visibility.</summary>
    public async Task<IReadOnlyList<PeekedQueueMessage>> PeekAsync(string queue, int count, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Get, string.Create(CultureInfo.InvariantCulture, $"{Endpoint}/{queue}/messages?peekonly=true&numofmessages={count}"));
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 404)
        {
            return [];
        }

        if (response.Status != 200)
        {
            throw StorageErrors.From(response, $"peek messages on '{queue}'");
        }

        return [.. XDocument.Parse(response.Content.ToString()).Root?.Elements("QueueMessage").Select(element => new PeekedQueueMessage(
            element.Element("MessageId")?.Value ?? throw new FormatException("a queue message has no MessageId"),
            element.Element("MessageText")?.Value ?? string.Empty,
            int.Parse(element.Element("DequeueCount")?.Value ?? "0", NumberStyles.None, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(element.Element("InsertionTime")?.Value ?? throw new FormatException("a queue message has no InsertionTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))) ?? []];
    }

    /// <summary>Deletes a message; false when the pop receipt no longer matches or the message is gone.</summary>
    public async Task<bool> DeleteAsync(string queue, string messageId, string popReceipt, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Delete, $"{Endpoint}/{queue}/messages/{Uri.EscapeDataString(messageId)}?popreceipt={Uri.EscapeDataString(popReceipt)}");
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 204)
        {
            return true;
        }

        if (IsStaleReceipt(response))
        {
            return false;
        }

        throw StorageErrors.From(response, $"delete message from '{queue}'");
    }

    /// <summary>Changes a taken message's visibility; returns the new pop receipt, or null when the receipt is stale.</summary>
    public async Task<string?> UpdateVisibilityAsync(string queue, string messageId, string popReceipt, int visibilitySeconds, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(
            RequestMethod.Put,
            string.Create(CultureInfo.InvariantCulture, $"{Endpoint}/{queue}/messages/{Uri.EscapeDataString(messageId)}?popreceipt={Uri.EscapeDataString(popReceipt)}&visibilitytimeout={visibilitySeconds}"));
        message.Request.Content = RequestContent.Create(Array.Empty<byte>());
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 204)
        {
            return response.Headers.TryGetValue("x-ms-popreceipt", out var receipt)
                ? receipt
                : throw new StorageRequestException(204, null, "update message returned no x-ms-popreceipt");
        }

        if (IsStaleReceipt(response))
        {
            return null;
        }

        throw StorageErrors.From(response, $"update message on '{queue}'");
    }

    /// <summary>The approximate number of messages, or null when the queue does not exist.</summary>
    public async Task<int?> ApproximateCountAsync(string queue, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Get, $"{Endpoint}/{queue}?comp=metadata");
        var response = await SendAsync(message, cancellationToken);
        if (response.Status == 404)
        {
            return null;
        }

        if (response.Status != 200 || !response.Headers.TryGetValue("x-ms-approximate-messages-count", out var count))
        {
            throw StorageErrors.From(response, $"read metadata of '{queue}'");
        }

        return int.Parse(count, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    internal static IReadOnlyList<RawQueueMessage> ParseMessages(string xml)
    {
        var root = XDocument.Parse(xml).Root;
        if (root is null)
        {
            return [];
        }

        return root.Elements("QueueMessage").Select(element => new RawQueueMessage(
            element.Element("MessageId")?.Value ?? throw new FormatException("a queue message has no MessageId"),
            element.Element("PopReceipt")?.Value ?? throw new FormatException("a queue message has no PopReceipt"),
            element.Element("MessageText")?.Value ?? string.Empty,
            int.Parse(element.Element("DequeueCount")?.Value ?? "0", NumberStyles.None, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(element.Element("InsertionTime")?.Value ?? throw new FormatException("a queue message has no InsertionTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)))
            .ToList();
    }

    // A stale pop receipt is 404 MessageNotFound on Azure and 400 PopReceiptMismatch on some service versions/emulators.
    private static bool IsStaleReceipt(Response response) =>
        response.Status == 404
        || (response.Status == 400 && StorageErrors.Parse(response.Headers.TryGetValue("x-ms-error-code", out var code) ? code : null, response.Content.ToString()).Code == "PopReceiptMismatch");

}
