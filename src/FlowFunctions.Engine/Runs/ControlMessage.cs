using System.Text.Json.Nodes;

namespace FlowFunctions.Engine.Runs;

/// <summary>Messages of the control queue: run wake-ups and timers.</summary>
internal static class ControlMessage
{
    public static string Wake(string runId) => new JsonObject { ["kind"] = "wake", ["runId"] = runId }.ToJsonString();

    public static string Timer(string runId, JsonObject timerEffect)
    {
        var message = (JsonObject)timerEffect.DeepClone();
        message["runId"] = runId;
        return message.ToJsonString();
    }
}
