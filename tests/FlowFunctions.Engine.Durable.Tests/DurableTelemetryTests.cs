using System.Diagnostics;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;

namespace FlowFunctions.Engine.Durable.Tests;

/// <summary>A durable run's spans: one trace under the caller that started it, an episode per step, its activities under the steps that scheduled them.</summary>
public sealed class DurableTelemetryTests
{
    [AzureFact]
    public async Task ADurableRun_IsOneTrace_EachStepAnEpisode_EachActivityUnderTheStepThatScheduledIt()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is ActivityTelemetry.Name or nameof(DurableTelemetryTests),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                lock (spans)
                {
                    spans.Add(span);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var both = await BothEngines.StartAsync("durable");
        using var source = new ActivitySource(nameof(DurableTelemetryTests));

        string runId;
        ActivityContext caller;
        using (var request = source.StartActivity("caller", ActivityKind.Server)!)
        {
            caller = request.Context;
            runId = await both.StartRunAsync("""
                name: traced
                nodes:
                  - { id: a, type: echo, with: { x: 1 } }
                  - { id: b, type: echo, with: { x: 2 } }
                  - { id: c, type: echo, needs: [a, b], with: { x: 3 } }
                """);
        }

        (await both.RunToEndAsync(runId)).Status.ShouldBe(RunStatus.Succeeded);

        List<Activity> ofRun;
        lock (spans)
        {
            ofRun = [.. spans.Where(s => (string?)s.GetTagItem(ActivityTelemetry.RunIdTag) == runId)];
        }

        ofRun.ShouldAllBe(s => s.TraceId == caller.TraceId);
        var start = ofRun.Where(s => s.DisplayName == "start run").ShouldHaveSingleItem();
        start.ParentSpanId.ShouldBe(caller.SpanId);
        var episodes = ofRun.Where(s => s.DisplayName == "episode").ToList();
        episodes.ShouldNotBeEmpty();
        episodes.ShouldAllBe(e => e.ParentSpanId == start.SpanId && e.GetTagItem(ActivityTelemetry.DurableStepTag) != null);
        var activities = ofRun.Where(s => s.DisplayName == "activity echo").ToList();
        activities.Select(s => s.GetTagItem(ActivityTelemetry.NodeIdTag)).Order().ShouldBe(["a", "b", "c"]);
        var episodeIds = episodes.Select(e => e.SpanId).ToHashSet();
        activities.ShouldAllBe(a => episodeIds.Contains(a.ParentSpanId), "each activity runs under the step that scheduled it");
    }
}
