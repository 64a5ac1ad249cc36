using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Tests.Functions;

/// <summary>
/// Request payloads shaped exactly as the Functions documentation shows them: a JSON object with <c>Data</c> (the trigger
/// value under the binding name of function.json) and <c>Metadata</c> (the trigger metadata plus <c>sys</c>).
/// Custom-handler request payload: https://learn.microsoft.com/azure/azure-functions/functions-custom-handlers#request-payload
/// </summary>
internal static class Payloads
{
    /// <summary>
    /// A Storage queue trigger: the example payload of the custom-handler doc (request-payload section), whose
    /// <c>Metadata</c> lists the queue trigger metadata (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#message-metadata).
    /// </summary>
    public static JsonObject Queue(string body, string id = "800ae4b3-bdd2-4c08-badd-f08e5a34b865", int dequeueCount = 1) => new()
    {
        ["Data"] = new JsonObject { ["message"] = body },
        ["Metadata"] = new JsonObject
        {
            ["DequeueCount"] = dequeueCount,
            ["ExpirationTime"] = "2019-10-16T17:58:31+00:00",
            ["Id"] = id,
            ["InsertionTime"] = "2019-10-09T17:58:31+00:00",
            ["NextVisibleTime"] = "2019-10-09T18:08:32+00:00",
            ["PopReceipt"] = "AgAAAAMAAAAAAAAAAgtnj8x+1QE=",
            ["sys"] = new JsonObject
            {
                ["MethodName"] = "QueueTrigger",
                ["UtcNow"] = "2019-10-09T17:58:32.2205399Z",
                ["RandGuid"] = "24ad4c06-24ad-4e5b-8294-3da9714877e9",
            },
        },
    };

    /// <summary>
    /// A Service Bus queue trigger: the message text under the binding name, and the message metadata the trigger doc
    /// lists (https://learn.microsoft.com/azure/azure-functions/functions-bindings-service-bus-trigger#message-metadata).
    /// </summary>
    public static JsonObject ServiceBus(string body, string messageId = "4f2d7bd0cd6e4d2c9bd3a0f0a1b6c6c1", int deliveryCount = 1) => new()
    {
        ["Data"] = new JsonObject { ["message"] = body },
        ["Metadata"] = new JsonObject
        {
            ["MessageId"] = messageId,
            ["DeliveryCount"] = deliveryCount,
            ["EnqueuedTimeUtc"] = "2024-05-01T10:00:00Z",
            ["ExpiresAtUtc"] = "2024-05-15T10:00:00Z",
            ["SequenceNumber"] = 42,
            ["ContentType"] = "application/json",
            ["CorrelationId"] = null,
            ["Label"] = null,
            ["ReplyTo"] = null,
            ["To"] = null,
            ["LockToken"] = "e3b3c3f2-7b1a-4d0e-9b7e-2e1e7b9a8c55",
            ["UserProperties"] = new JsonObject(),
            ["ApplicationProperties"] = new JsonObject(),
            ["sys"] = new JsonObject
            {
                ["MethodName"] = "start-run-servicebus",
                ["UtcNow"] = "2024-05-01T10:00:01.1234567Z",
                ["RandGuid"] = "0b1c5bb5-5c43-4a1b-9e24-4b27d0f1e9f4",
            },
        },
    };

    /// <summary>
    /// A timer trigger: the TimerInfo object (<c>Schedule</c>, <c>ScheduleStatus</c>, <c>IsPastDue</c>) as the timer
    /// trigger doc shows it for non-C# languages (https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#usage).
    /// </summary>
    public static JsonObject Timer(bool isPastDue = false) => new()
    {
        ["Data"] = new JsonObject
        {
            ["timer"] = new JsonObject
            {
                ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
                ["ScheduleStatus"] = new JsonObject
                {
                    ["Last"] = "2024-05-01T09:59:00+00:00",
                    ["Next"] = "2024-05-01T10:01:00+00:00",
                    ["LastUpdated"] = "2024-05-01T09:59:00+00:00",
                },
                ["IsPastDue"] = isPastDue,
            },
        },
        ["Metadata"] = new JsonObject
        {
            ["sys"] = new JsonObject
            {
                ["MethodName"] = "housekeeping",
                ["UtcNow"] = "2024-05-01T10:00:00.0012345Z",
                ["RandGuid"] = "7a6f2d4e-1c3b-4e5f-8a9b-0c1d2e3f4a5b",
            },
        },
    };

    /// <summary>A valid one-node spec (an echo activity) with one optional input.</summary>
    public static JsonObject HelloSpec() => new()
    {
        ["name"] = "hello",
        ["inputs"] = new JsonObject { ["who"] = new JsonObject { ["type"] = "string", ["default"] = "world" } },
        ["nodes"] = new JsonArray(new JsonObject { ["id"] = "greet", ["type"] = "echo", ["with"] = new JsonObject { ["to"] = "${{ inputs.who }}" } }),
    };
}
