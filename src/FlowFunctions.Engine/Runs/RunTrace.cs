using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FlowFunctions.Engine.Runs;

/// <summary>
/// A run's W3C trace context (<c>traceparent</c>, <c>tracestate</c>): stored in the run's header when it starts and carried
/// in its work messages and timers, so that its episodes and activities, in whatever process, are spans of one trace.
/// Data of the engine only: <c>Decide()</c> never sees it. Headers and messages written before it existed have none;
/// their spans then take the ambient parent, as before.
/// </summary>
internal static class RunTrace
{
    private const string ParentField = "traceparent";
    private const string StateField = "tracestate";

    /// <summary>The context a new run is stored with: that of <paramref name="current"/> (the span that starts it), else a new root.</summary>
    public static ActivityContext ForNewRun(Activity? current) =>
        current?.Context ?? new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

    /// <summary>Adds the context's fields to a header or message (nothing for no context).</summary>
    public static JsonObject Write(JsonObject json, ActivityContext context)
    {
        if (context != default)
        {
            var flags = (context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00";
            json[ParentField] = $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{flags}";
            if (!string.IsNullOrEmpty(context.TraceState))
            {
                json[StateField] = context.TraceState;
            }
        }

        return json;
    }

    /// <summary>The context of a header or message; none when it has none or it does not parse (a message is never poisoned for it).</summary>
    public static ActivityContext Read(JsonObject json) =>
        json[ParentField] is JsonValue parent && parent.TryGetValue<string>(out var text)
            && ActivityContext.TryParse(text, json[StateField] is JsonValue state && state.TryGetValue<string>(out var s) ? s : null, isRemote: true, out var context)
            ? context
            : default;
}
