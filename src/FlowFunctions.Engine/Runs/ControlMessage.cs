using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FlowFunctions.Engine.Runs;

/// <summary>Messages of the control queue: run wake-ups and timers.</summary>
internal static class ControlMessage
{
    public static string Wake(string runId) => new JsonObject { ["kind"] = "wake", ["runId"] = runId }.ToJsonString();

    /// <summary>A timer, with the trace context of the episode that armed it (its <c>timer</c> span's parent when it fires).</summary>
    public static string Timer(string runId, JsonObject timerEffect, ActivityContext trace)
    {
        var message = (JsonObject)timerEffect.DeepClone();
        message["runId"] = runId;
        return RunTrace.Write(message, trace).ToJsonString();
    }
}
