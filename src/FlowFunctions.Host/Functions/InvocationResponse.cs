using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// The response payload a custom handler returns: <c>Outputs</c> (output bindings by name; ours have none),
/// <c>Logs</c> (lines the host writes to the invocation's log) and <c>ReturnValue</c>
/// (https://learn.microsoft.com/azure/azure-functions/functions-custom-handlers#response-payload). A non-2xx status
/// makes the invocation fail, so the host retries the message and finally moves it to its poison queue.
/// </summary>
internal static class InvocationResponse
{
    public static IResult Success(params string[] logs) => Results.Json(Payload(logs, "ok"), statusCode: StatusCodes.Status200OK);

    public static IResult Failure(int status, params string[] logs) => Results.Json(Payload(logs, null), statusCode: status);

    private static JsonObject Payload(IEnumerable<string> logs, string? returnValue) => new()
    {
        ["Outputs"] = new JsonObject(),
        ["Logs"] = new JsonArray([.. logs.Select(l => (JsonNode?)JsonValue.Create(l))]),
        ["ReturnValue"] = returnValue,
    };
}
