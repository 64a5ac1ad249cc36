using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Runs;

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
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is ActivityTelemetry.Name or nameof(RunTelemetryTests),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var measurements = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ActivityTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (measurements)
            {
                measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value)));
            }
        }

        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.Start();
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
        List<Activity> ofRun;
        lock (spans)
        {
            ofRun = [.. spans.Where(s => (string?)s.GetTagItem(ActivityTelemetry.RunIdTag) == runId)];
        }

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

        lock (measurements)
        {
            bool OfWorkflow((string, double, Dictionary<string, object?> Tags) m) => (string?)m.Tags.GetValueOrDefault(ActivityTelemetry.WorkflowTag) == workflow;
            measurements.Where(m => m.Instrument == "flowfunctions.runs.started" && OfWorkflow(m)).Sum(m => m.Value).ShouldBe(1);
            measurements.Where(m => m.Instrument == "flowfunctions.runs.finished" && OfWorkflow(m))
                .ShouldHaveSingleItem().Tags[ActivityTelemetry.RunStatusTag].ShouldBe("Succeeded");
            measurements.ShouldContain(m => m.Instrument == "flowfunctions.episode.commit.duration" && m.Value > 0);
            measurements.ShouldContain(m => m.Instrument == "flowfunctions.work.queue_wait" && m.Value >= 0
                && (string?)m.Tags[ActivityTelemetry.QueueTag] == fixture.Options.WorkQueue);
        }
    }
}
