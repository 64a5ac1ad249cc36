using System.Diagnostics;
using System.Text.Json.Nodes;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Engine.Tests.Activities;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>
/// A run's telemetry on a real store: its trace context is stored in the header (both stores) and every span of the run
/// is in the trace of the caller that started it; the run, commit, queue-wait and storage-request metrics are recorded.
/// </summary>
public sealed class RunTelemetryTests
{
    [Theory]
    [MemberData(nameof(EngineFixture.Stores), MemberType = typeof(EngineFixture))]
    public async Task Run_IsOneTraceUnderItsCaller_AndCountsItsStartFinishCommitsAndQueueWait(string store)
    {
        var workflow = "traced-" + Guid.NewGuid().ToString("N");
        using var telemetry = new EngineTelemetryRecorder(tags => (string?)tags.GetValueOrDefault(ActivityTelemetry.WorkflowTag) == workflow || tags.Count == 0 || tags.ContainsKey(ActivityTelemetry.QueueTag), nameof(RunTelemetryTests));
        await using var fixture = new EngineFixture(store: store);

        using var source = new ActivitySource(nameof(RunTelemetryTests));
        string runId;
        ActivityContext caller;
        using (var request = source.StartActivity("caller")!)
        {
            caller = request.Context;
            runId = await fixture.StartAsync($$"""
                name: {{workflow}}
                nodes:
                  - { id: a, type: echo, with: { x: 1 } }
                  - { id: b, type: echo, with: { x: 2 } }
                  - { id: c, type: echo, needs: [a, b], with: { x: 3 } }
                """);
        }

        (await fixture.RunToEndAsync(runId)).Status.ShouldBe(Core.Runs.RunStatus.Succeeded);

        var header = JsonNode.Parse((await fixture.Engine.Store.Partitions.GetAsync(runId, RunRows.Header, default))!.Value)!;
        header["traceparent"]!.GetValue<string>().ShouldStartWith($"00-{caller.TraceId.ToHexString()}-");
        var ofRun = telemetry.SpansOf(runId);

        var start = ofRun.Where(s => s.DisplayName == "start run").ShouldHaveSingleItem();
        start.ParentSpanId.ShouldBe(caller.SpanId);
        ofRun.Where(s => s.DisplayName == "activity echo").Select(s => s.GetTagItem(ActivityTelemetry.NodeIdTag)).Order().ShouldBe(["a", "b", "c"]);
        var episodes = ofRun.Where(s => s.DisplayName == "episode").ToList();
        episodes.ShouldNotBeEmpty();
        ofRun.ShouldAllBe(s => s.TraceId == caller.TraceId);
        episodes.ShouldAllBe(e => e.ParentSpanId == start.SpanId, "an episode's parent is the run's stored context");
        var requests = episodes.Select(e => (long)e.GetTagItem(ActivityTelemetry.StorageRequestsTag)!).ToList();
        if (store == "sqlite")
        {
            requests.ShouldAllBe(r => r == 0, "SQLite sends no requests");
        }
        else
        {
            requests.ShouldAllBe(r => r > 0, "every episode reads the run's inbox at least");
        }

        var measurements = telemetry.Measurements;
        measurements.Where(m => m.Instrument == "flowfunctions.runs.started").Sum(m => m.Value).ShouldBe(1);
        measurements.Where(m => m.Instrument == "flowfunctions.runs.finished").ShouldHaveSingleItem().Tags[ActivityTelemetry.RunStatusTag].ShouldBe("Succeeded");
        measurements.ShouldContain(m => m.Instrument == "flowfunctions.episode.commit.duration" && m.Value > 0);
        measurements.ShouldContain(m => m.Instrument == "flowfunctions.work.queue_wait" && m.Value >= 0
            && (string?)m.Tags[ActivityTelemetry.QueueTag] == fixture.Options.WorkQueue);
    }
}
