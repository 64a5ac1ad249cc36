using System.Diagnostics;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Runs;

/// <summary>
/// The durable engine's side of the processor. A durable run's orchestration collects events (activity results, timers,
/// external events) and hands them over as numbered steps; each step is applied here with the same decision function
/// and committed to the same run partition as a native episode (node rows, header, history, revisions, run index), so
/// the API, CLI and dashboard read a durable run exactly like a native one. Instead of outbox rows, a step keeps its
/// effects in one <see cref="RunRows.DurableStep"/> row: a step delivered twice (activities run at least once) answers
/// the effects it committed the first time instead of applying its events again.
/// </summary>
public sealed partial class RunProcessor
{
    /// <summary>
    /// Applies <paramref name="events"/> as step <paramref name="step"/> of a durable run, at the orchestration's
    /// <paramref name="now"/> and <paramref name="jitter"/> (replay-safe values of its context), commits the result and
    /// returns the effects for the orchestration to carry out (their JSON forms, as outbox rows hold them), whether the
    /// run is finished, and the trace context its work carries. A step already committed returns its effects again
    /// without applying anything. Traced and measured like a native episode: its <c>episode</c> span is a child of the
    /// run's trace, so the work it schedules is too.
    /// </summary>
    internal async Task<(IReadOnlyList<JsonObject> Effects, bool Finished, ActivityContext Trace)> ApplyDurableStepAsync(string runId, long step, IReadOnlyList<RunEvent> events, DateTimeOffset now, double jitter, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var startedAt = _time.GetUtcNow();
        var requests = StorageRequests.StartCounting();
        Activity? span = null;
        try
        {
            while (true)
            {
                var run = await _states.LoadAsync(runId, ct) ?? throw new InvalidOperationException($"durable run {runId} has no state");
                if (span is null)
                {
                    span = ActivityTelemetry.Source.StartActivity("episode", ActivityKind.Internal, run.Trace, startTime: startedAt);
                    span?.SetTag(ActivityTelemetry.RunIdTag, runId);
                    span?.SetTag(ActivityTelemetry.DurableStepTag, step);
                }

                var trace = span?.Context ?? run.Trace;
                if (run.PendingCommit is { } pending)
                {
                    await _committer.FinishPendingAsync(runId, run.Sequence, pending, ct);
                    _states.Forget(runId);
                    continue;
                }

                if (run.DurableStep is not { } committed)
                {
                    throw new InvalidOperationException($"run {runId} is not driven by the durable engine");
                }

                if (committed >= step)
                {
                    span?.SetTag(ActivityTelemetry.EpisodeEventsTag, 0);
                    return (await CommittedStepEffectsAsync(runId, ct), run.State.IsTerminal, trace);
                }

                var decisions = EpisodeDecisions.From(run.State);
                var budget = Math.Max(_options.MaxDispatchesPerEpisode, 1);
                foreach (var evt in events)
                {
                    budget -= decisions.Apply(evt, new DecisionContext(now, jitter, Math.Max(budget, 0)));
                }

                var (header, rows, specHash) = await ChangeRowsAsync(run, decisions, ct);
                var effects = AddDurableStep(header, rows, step, decisions.Effects);
                AddHistory(rows, decisions, run.Sequence + 1);
                long sequence;
                try
                {
                    sequence = await CommitAsync(runId, run.Sequence, header, rows, ct);
                }
                catch (BatchConflictException)
                {
                    // The same step delivered twice at once: the winner committed it; read what it decided.
                    _states.Forget(runId);
                    continue;
                }

                Interlocked.Increment(ref _episodes);
                _states.Remember(new StoredRun(decisions.State, sequence, specHash, run.Trace, DurableStep: step));
                CountFinished(run.State, decisions.State);
                await UpdateIndexAsync(decisions.State, ct, committedFrom: run.Sequence, committed: sequence);
                span?.SetTag(ActivityTelemetry.EpisodeEventsTag, events.Count);
                RecordEpisode(events.Count, started, requests);

                return (effects, decisions.State.IsTerminal, trace);
            }
        }
        finally
        {
            span?.SetTag(ActivityTelemetry.StorageRequestsTag, requests.Value);
            span?.Dispose();
        }
    }

    /// <summary>Marks the header as a durable run at <paramref name="step"/> and adds the step's effects row; returns the effects' JSON forms.</summary>
    private static List<JsonObject> AddDurableStep(JsonObject header, List<RowOperation> rows, long step, IReadOnlyList<Effect> effects)
    {
        header["durableStep"] = step;
        var forms = effects.GroupBy(e => e.EffectId).Select(g => RunJson.WriteEffect(g.Last())).ToList();
        var row = new JsonObject { ["step"] = step, ["effects"] = new JsonArray([.. forms.Select(f => (JsonNode)f.DeepClone())]) };
        rows.Add(new RowOperation.Upsert(RunRows.DurableStep, row.ToJsonString()));
        return forms;
    }

    private async Task<IReadOnlyList<JsonObject>> CommittedStepEffectsAsync(string runId, CancellationToken ct)
    {
        var row = await _store.Partitions.GetAsync(runId, RunRows.DurableStep, ct) ?? throw new InvalidDataException($"durable run {runId} has no step row");
        return [.. JsonNode.Parse(row.Value)!["effects"]!.AsArray().Select(e => e!.AsObject())];
    }
}
