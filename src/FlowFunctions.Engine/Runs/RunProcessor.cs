using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Worker;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Runs;

/// <summary>
/// The only writer of a run's state. One episode: take the run's lease, load its state, apply its pending inbox
/// events through <see cref="RunDecider.Decide"/>, commit state + outbox + consumed inbox + the next fencing row
/// in one atomic batch, then dispatch the outbox and delete what was dispatched. A crash at any point leaves
/// either the old state with the inbox intact, or the new state with its outbox, which the next episode dispatches.
/// </summary>
public sealed partial class RunProcessor
{
    private readonly IFlowStore _store;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<double> _jitter;
    private readonly RunStateStore _states;
    private readonly RunLease _lease;
    private readonly RunCommitter _committer;

    /// <summary>Creates a processor over a store.</summary>
    public RunProcessor(IFlowStore store, EngineOptions options, TimeProvider time, Func<double>? jitter = null)
    {
        _store = store;
        _options = options;
        _time = time;
        _jitter = jitter ?? (() => RandomNumberGenerator.GetInt32(int.MaxValue) / (double)int.MaxValue);
        _states = new RunStateStore(store, options);
        _lease = new RunLease(store.Partitions, time, options.LeaseDuration);
        _committer = new RunCommitter(store);
    }

    /// <summary>The current time, from the engine's clock.</summary>
    public DateTimeOffset Now => _time.GetUtcNow();

    internal RunStateStore States => _states;

    /// <summary>Signalled after this processor enqueues work items; in-process workers poll at once.</summary>
    public WakeSignal WorkSignal { get; } = new();

    /// <summary>Signalled after this processor enqueues wake-ups and timers.</summary>
    public WakeSignal ControlSignal { get; } = new();

    /// <summary>Signalled after a command was stored for a run (see <see cref="TakeCommandedRuns"/>).</summary>
    public WakeSignal CommandSignal { get; } = new();

    /// <summary>At most this many command-woken runs wait here for a worker of this process; beyond, the durable wake-up alone serves.</summary>
    private const int MaxCommandedRuns = 1024;

    /// <summary>How many workers of this process take command-woken runs.</summary>
    private int _commandListeners;

    /// <summary>Runs that were sent a command through this process and not yet taken by a worker here.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _commanded = new(StringComparer.Ordinal);

    /// <summary>A worker of this process that runs an episode's work items itself (<see cref="RunActivitiesLocally"/>), or null.</summary>
    private ILocalActivityRunner? _localRunner;

    /// <summary>
    /// The outbox rows (run id + row key) of work items a worker of this process is running locally: episodes here do not
    /// dispatch them as crash leftovers while they run.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string RunId, string Key), byte> _runningLocally = new();

    /// <summary>1 after this processor enqueued to the priority lane, until a worker here takes the note (<see cref="TakePriorityNote"/>).</summary>
    private int _priorityNote;

    /// <summary>Counts episodes and commits, for benchmarks and operations.</summary>
    public long Episodes => Interlocked.Read(ref _episodes);

    private long _episodes;

    /// <summary>The last index write of each run by this process: its status, the sequence it described, and when.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IndexedSummary> _indexed = new(StringComparer.Ordinal);

    private sealed record IndexedSummary(string Status, long Sequence, DateTimeOffset At);

    /// <summary>Transitions per history row: small enough for a 64 KiB Table property, large enough to be few rows.</summary>
    private const int HistoryRowSize = 100;

    /// <summary>
    /// Creates a run: the first decision is taken and committed here, so the run exists with its first work
    /// dispatched by the time this returns. Throws <see cref="RunAlreadyExistsException"/> for a taken id, and
    /// <see cref="ArgumentException"/> for an id starting with <c>$</c> (reserved for the breaker and step cache partitions).
    /// </summary>
    public Task<string> StartRunAsync(FlowSpec spec, string specText, JsonObject? inputs, string? runId, string? actor, CancellationToken cancellationToken) =>
        StartRunAsync(spec, specText, inputs, runId, actor, RunEngine.Native, cancellationToken);

    /// <summary>
    /// <see cref="StartRunAsync(FlowSpec, string, JsonObject?, string?, string?, CancellationToken)"/> for the given engine: a
    /// durable run's first effects are kept for its orchestration (<see cref="ApplyDurableStepAsync"/>), not dispatched.
    /// </summary>
    public async Task<string> StartRunAsync(FlowSpec spec, string specText, JsonObject? inputs, string? runId, string? actor, RunEngine engine, CancellationToken cancellationToken)
    {
        if (runId is not null && runId.StartsWith('$'))
        {
            throw new ArgumentException($"run id '{runId}' is reserved: ids starting with '$' name the store's own partitions", nameof(runId));
        }

        runId ??= NewRunId();
        var specHash = await _states.PutSpecAsync(specText, spec, cancellationToken);
        await StartAsync(runId, specHash, new RunEvent.RunStarted(runId, spec, inputs, RunStateStore.SpecSource(specText)) { Actor = actor }, engine, cancellationToken);
        return runId;
    }

    /// <summary>
    /// Creates a rerun of <paramref name="source"/> from <paramref name="fromNode"/> (checked with <see cref="RunRerun.Refusal"/>
    /// first) on the source's current graph, committed like <see cref="StartRunAsync(FlowSpec, string, JsonObject?, string?, string?, RunEngine, CancellationToken)"/>; returns the new run's id.
    /// </summary>
    public async Task<string> StartRerunAsync(RunState source, string fromNode, string? runId, string? actor, RunEngine engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        runId ??= NewRunId();
        var specHash = await _states.PutSpecAsync((source.SpecSource ?? throw new ArgumentException($"run {source.RunId} has no spec document", nameof(source))).ToJsonString(), source.Spec, cancellationToken);
        await StartAsync(runId, specHash, new RunEvent.RunRerunStarted(runId, source, fromNode) { Actor = actor }, engine, cancellationToken);
        return runId;
    }

    private async Task StartAsync(string runId, string specHash, RunEvent start, RunEngine engine, CancellationToken cancellationToken)
    {
        // The run's trace: this span, a child of the caller's (the API request that starts the run), else a new root.
        using var span = ActivityTelemetry.Source.StartActivity("start run");
        span?.SetTag(ActivityTelemetry.RunIdTag, runId);
        var trace = RunTrace.ForNewRun(span ?? Activity.Current);
        var decision = RunDecider.Decide(null, start, Context(Math.Max(_options.MaxDispatchesPerEpisode, 1)));
        var workflow = new TagList { { ActivityTelemetry.WorkflowTag, decision.State.Spec.Name } };
        span?.SetTag(ActivityTelemetry.WorkflowTag, decision.State.Spec.Name);
        var (header, rows) = await _states.DiffAsync(null, decision.State, null, specHash, trace, cancellationToken);
        var durableStep = engine == RunEngine.Durable ? 0L : (long?)null;
        if (durableStep is { } step)
        {
            AddDurableStep(header, rows, step, decision.Effects);
        }
        else
        {
            AddOutbox(rows, decision.Effects);
        }

        AddHistory(rows, EpisodeDecisions.Started(decision, start.Actor), 1);
        if (await _store.Partitions.GetAsync(runId, RunRows.Header, cancellationToken) is not null)
        {
            throw new RunAlreadyExistsException(runId);
        }

        // Listed before it is committed: housekeeping finds runs through the index, so a crash right after the
        // commit (outbox written, nothing dispatched) is repaired by its sweep instead of leaving a run nobody wakes.
        await UpdateIndexAsync(decision.State, cancellationToken);
        long sequence;
        try
        {
            sequence = await CommitAsync(runId, 0, header, rows, cancellationToken);
        }
        catch (BatchConflictException ex) when (ex.Kind == ConflictKind.AlreadyExists)
        {
            // Lost a race for the same id: put the winner's summary back. A start only inserts rows that a competing start
            // of the same id inserts too, and a store reports the first that fails: the history row comes before seq|1.
            if ((await _states.LoadAsync(runId, cancellationToken))?.State is { } winner)
            {
                await UpdateIndexAsync(winner, cancellationToken);
            }

            throw new RunAlreadyExistsException(runId);
        }

        _states.Remember(new StoredRun(decision.State, sequence, specHash, trace, DurableStep: durableStep));
        ActivityTelemetry.RunsStarted.Add(1, workflow);
        CountFinished(null, decision.State);
        if (durableStep is not null)
        {
            // Its orchestration takes the first effects as its step 0.
            return;
        }

        // No lease is held here, so the first work goes through the queue; the episodes that follow take the fast path.
        await DispatchAsync(runId, sequence, decision.Effects, urgent: false, local: null, trace, cancellationToken);
    }

    /// <summary>Stores an event in a run's inbox (idempotent by <paramref name="eventId"/>) and wakes the run. False if it was already there.</summary>
    public async Task<bool> AppendEventAsync(string runId, string eventId, RunEvent evt, CancellationToken cancellationToken, bool wake = true)
    {
        var row = new JsonObject { ["arrival"] = _time.GetUtcNow().UtcTicks, ["event"] = RunJson.WriteEvent(evt) };
        var stored = true;
        try
        {
            await _store.Partitions.ExecuteAsync(runId, [new RowOperation.Insert(RunRows.Inbox(eventId), row.ToJsonString())], cancellationToken);
        }
        catch (BatchConflictException ex) when (ex.Kind == ConflictKind.AlreadyExists)
        {
            stored = false;
        }

        // Woken even for a duplicate: the first delivery may have stored the event and died before its wake-up.
        if (wake)
        {
            // With a worker of this process listening, it takes the run at once (TakeCommandedRuns) and the durable
            // wake-up is only the safety net for this process dying first: it becomes visible a control visibility period
            // later (finding nothing left to do), instead of a second pass racing the first for the run's lease. A run
            // already waiting there is taken after this event was stored; one taken meanwhile gets an immediate wake-up.
            var local = Volatile.Read(ref _commandListeners) > 0
                && ((_commanded.Count < MaxCommandedRuns && _commanded.TryAdd(runId, 0)) || _commanded.ContainsKey(runId));
            await _store.Queues.EnqueueAsync(_options.ControlQueue, ControlMessage.Wake(runId), local ? _options.ControlVisibility : TimeSpan.Zero, cancellationToken);
            (local ? CommandSignal : ControlSignal).Notify();
        }

        return stored;
    }

    /// <summary>
    /// Stores several events of one run in its inbox in one batch (no wake-up: the caller processes the run). When any
    /// of them is already stored (a redelivery), falls back to one insert each so the others are not lost.
    /// </summary>
    public async Task AppendEventsAsync(string runId, IReadOnlyList<(string EventId, RunEvent Event)> events, CancellationToken cancellationToken)
    {
        var arrival = _time.GetUtcNow().UtcTicks;
        var rows = events.DistinctBy(e => e.EventId)
            .Select(e => new RowOperation.Insert(RunRows.Inbox(e.EventId), new JsonObject { ["arrival"] = arrival, ["event"] = RunJson.WriteEvent(e.Event) }.ToJsonString()));
        foreach (var chunk in rows.Chunk(_store.Partitions.Limits.Operations))
        {
            try
            {
                await _store.Partitions.ExecuteAsync(runId, chunk, cancellationToken);
            }
            catch (BatchConflictException ex) when (ex.Kind == ConflictKind.AlreadyExists)
            {
                foreach (var row in chunk)
                {
                    try
                    {
                        await _store.Partitions.ExecuteAsync(runId, [row], cancellationToken);
                    }
                    catch (BatchConflictException duplicate) when (duplicate.Kind == ConflictKind.AlreadyExists)
                    {
                        // Stored by an earlier delivery.
                    }
                }
            }
        }
    }

    /// <summary>
    /// Registers a worker of this process that takes command-woken runs (<see cref="TakeCommandedRuns"/>) until the
    /// returned handle is disposed; without one, a command's wake-up goes only through the control queue.
    /// </summary>
    public IDisposable ListenForCommands()
    {
        Interlocked.Increment(ref _commandListeners);
        return new DisposeOnce(() => Interlocked.Decrement(ref _commandListeners));
    }

    /// <summary>
    /// Registers a worker of this process that runs the work items of sequential steps right after their commit (the
    /// local fast path, <see cref="LocalActivities"/>) until the returned handle is disposed.
    /// </summary>
    internal IDisposable RunActivitiesLocally(ILocalActivityRunner runner)
    {
        Volatile.Write(ref _localRunner, runner);
        return new DisposeOnce(() => Interlocked.CompareExchange(ref _localRunner, null, runner));
    }

    /// <summary>
    /// Takes the runs sent a command through this process since the last call: a worker here processes them at once,
    /// ahead of the control queue (their durable wake-ups are still queued and find nothing left to do).
    /// </summary>
    public IReadOnlyList<string> TakeCommandedRuns()
    {
        var runs = new List<string>();
        foreach (var runId in _commanded.Keys)
        {
            if (_commanded.TryRemove(runId, out _))
            {
                runs.Add(runId);
            }
        }

        return runs;
    }

    /// <summary>
    /// Whether this processor enqueued work to the priority lane since the last call: a worker here then reads the lane on
    /// its next poll (otherwise it reads it only now and then, to save an empty read per poll).
    /// </summary>
    public bool TakePriorityNote() => Interlocked.Exchange(ref _priorityNote, 0) == 1;

    /// <summary>Asks a worker to run an episode for the run.</summary>
    public async Task WakeAsync(string runId, CancellationToken cancellationToken)
    {
        await _store.Queues.EnqueueAsync(_options.ControlQueue, ControlMessage.Wake(runId), TimeSpan.Zero, cancellationToken);
        ControlSignal.Notify();
    }

    /// <summary>
    /// Runs episodes until the run's inbox is empty. Returns false without doing anything when another worker
    /// holds the run's lease (that holder re-checks the inbox after releasing, so no wake-up is lost).
    /// </summary>
    public async Task<bool> ProcessAsync(string runId, CancellationToken cancellationToken)
    {
        var processed = false;
        var localWait = TimeSpan.FromTicks(Math.Min(_options.LocalActivityWait.Ticks, _options.LeaseDuration.Ticks / 4));
        var passStarted = _time.GetTimestamp();
        while (await _lease.TryAcquireAsync(runId, cancellationToken) is { } lease)
        {
            processed = true;

            // The lease is kept across episodes (renewed when half used, not re-acquired). After an episode that handed
            // its work to a local worker, the results are awaited here and applied by the next episode, which starts from
            // this process's own last commit (no header, state or outbox read; the fencing row still guards the commit).
            LocalStep? carried = null;
            try
            {
                while (true)
                {
                    // A pass starts local steps for at most LocalActivityWait in all, so that a long chain does not hold the
                    // caller (a worker's control loop polls again only when its batch of runs is done): then the next step
                    // goes through the work queue, and its completion starts a new pass.
                    var mayRunLocally = _time.GetElapsedTime(passStarted) < localWait;
                    var outcome = await RunEpisodeAsync(runId, carried, mayRunLocally, cancellationToken);
                    carried = null;
                    if (outcome.Local is { } local)
                    {
                        if (await local.WaitAsync(localWait, _time) is not { } results)
                        {
                            // Slower than the wait: the worker stores the results in the inbox and wakes the run itself.
                            break;
                        }

                        carried = new LocalStep(local, results);
                    }
                    else if (outcome.Applied == 0)
                    {
                        break;
                    }

                    if (await _lease.RenewIfDueAsync(lease, cancellationToken) is not { } renewed)
                    {
                        if (carried is not null)
                        {
                            await StoreLocalResultsAsync(carried.Work, carried.Results, cancellationToken);
                        }

                        break;
                    }

                    lease = renewed;
                }
            }
            finally
            {
                if (carried is not null)
                {
                    // Not applied (a failure or cancellation on the way): their outbox rows are leftovers for the next episode.
                    ForgetLocal(carried.Work);
                }

                await _lease.ReleaseAsync(lease, CancellationToken.None);
            }

            // Close the lost-wake-up window: an event appended while we held the lease found the lease taken.
            if ((await _store.Partitions.QueryAsync(runId, RunRows.InboxPrefix, cancellationToken)).Count == 0)
            {
                break;
            }
        }

        return processed;
    }

    /// <summary>
    /// One episode, traced and measured: its span is a child of the run's trace (from the header), started before the
    /// load, and the work it dispatches carries the span's context.
    /// </summary>
    private async Task<EpisodeOutcome> RunEpisodeAsync(string runId, LocalStep? carried, bool mayRunLocally, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var startedAt = _time.GetUtcNow();
        var requests = StorageRequests.StartCounting();
        Activity? span = null;
        EpisodeOutcome outcome;
        try
        {
            // Carried results mean this runner held the lease since its own last commit: that commit is the run's state.
            var continuing = carried is not null ? _states.Cached(runId) : null;
            var run = continuing ?? await _states.LoadAsync(runId, ct);
            if (run is null || run.Engine == RunEngine.Durable)
            {
                // A durable run's orchestration is its only writer (RunProcessor.Durable.cs).
                return EpisodeOutcome.Nothing;
            }

            span = ActivityTelemetry.Source.StartActivity("episode", ActivityKind.Internal, run.Trace, startTime: startedAt);
            span?.SetTag(ActivityTelemetry.RunIdTag, runId);
            outcome = await RunEpisodeCoreAsync(runId, run, continuing is not null, carried, mayRunLocally, span?.Context ?? run.Trace, ct);
            span?.SetTag(ActivityTelemetry.EpisodeEventsTag, outcome.Applied);
        }
        finally
        {
            if (carried is not null)
            {
                // Committed, stored in the inbox, or (on a failure) left as outbox rows that the next episode dispatches.
                ForgetLocal(carried.Work);
            }

            span?.SetTag(ActivityTelemetry.StorageRequestsTag, requests.Value);
            span?.Dispose();
        }

        RecordEpisode(outcome.Applied, started, requests);

        return outcome;
    }

    /// <summary>
    /// One episode of <paramref name="run"/> (loaded, or this runner's own last commit when <paramref name="continuing"/>).
    /// Applied: the number of events applied, -1 when it did work without applying any (repairs, conflicts),
    /// 0 when there was nothing to do. Local: the work items it handed to a worker of this process, if any.
    /// <paramref name="carried"/>: results of the previous episode's local work, applied here with the inbox events.
    /// <paramref name="trace"/>: the context its dispatched work and timers carry.
    /// </summary>
    private async Task<EpisodeOutcome> RunEpisodeCoreAsync(string runId, StoredRun run, bool continuing, LocalStep? carried, bool mayRunLocally, ActivityContext trace, CancellationToken ct)
    {

        if (run.PendingCommit is { } pending)
        {
            // A writer died in the middle of a chunked commit: finish it before anything else reads the rows.
            await _committer.FinishPendingAsync(runId, run.Sequence, pending, ct);
            _states.Forget(runId);
            if (carried is not null)
            {
                await StoreLocalResultsAsync(carried.Work, carried.Results, ct);
            }

            return EpisodeOutcome.Repaired;
        }

        if (!continuing)
        {
            // Rows of work running locally in this process are not leftovers: the worker running them applies or stores their results.
            var leftovers = (await _store.Partitions.QueryAsync(runId, RunRows.OutboxPrefix, ct))
                .Where(row => !_runningLocally.ContainsKey((runId, row.Key)))
                .ToList();
            if (leftovers.Count > 0)
            {
                // A previous episode committed these effects but crashed before dispatching them, and perhaps before
                // updating the run index, which an episode does before it deletes its outbox (see below).
                await UpdateIndexAsync(run.State, ct);
                await DispatchStoredAsync(runId, run.Sequence, leftovers, urgent: false, trace, ct);
            }
        }

        // Read even while continuing: events stored while this runner held the lease (a cancel, a raised event) are
        // applied at the next step, not only when the lease is released.
        var inbox = (await _store.Partitions.QueryAsync(runId, RunRows.InboxPrefix, ct))
            .Select(r => (Key: (string?)r.Key, Event: ReadInboxEvent(r.Value, out var arrival), Arrival: arrival))
            .OrderBy(e => e.Arrival)
            .ThenBy(e => e.Key, StringComparer.Ordinal)
            .Take(_options.MaxEventsPerEpisode)
            .Concat((carried?.Results.Events ?? []).Select(e => (Key: (string?)null, e.Event, Arrival: 0L)))
            .ToList();
        if (inbox.Count == 0)
        {
            if (carried is { Results.DoneOutboxKeys.Count: > 0 })
            {
                // Only superseded items: their rows have no work left to guard.
                await DeleteOutboxRowsAsync(runId, carried.Results.DoneOutboxKeys, ct);
            }

            return EpisodeOutcome.Nothing;
        }

        var decisions = EpisodeDecisions.From(run.State);
        var consumed = new List<string>();
        var budget = Math.Max(_options.MaxDispatchesPerEpisode, 1);
        var urgent = false;
        foreach (var (key, evt, _) in inbox)
        {
            // Once the dispatch budget is spent, the remaining events are still applied, with a budget of zero: they
            // change state (completions, external events) and leave new dispatches to the ContinueRun they emit.
            // Stopping at the budget instead left them in the inbox, where every later episode re-read and re-parsed
            // them: on a wide fan-out each episode's first completion spent the budget on the next dispatch page, so
            // the inbox grew to ~N rows and the run read O(N^2 / budget) inbox rows (bench/, docs/benchmarks.md).
            urgent |= MakesWorkReady(evt);
            budget -= decisions.Apply(evt, Context(budget));
            if (key is not null)
            {
                consumed.Add(key);
            }
        }

        var (header, rows, specHash) = await ChangeRowsAsync(run, decisions, ct);
        rows.AddRange(consumed.Select(key => new RowOperation.Delete(key)));

        // The outbox rows of the local work whose results this commit applies: folded in, not a batch of their own.
        rows.AddRange((carried?.Results.DoneOutboxKeys ?? []).Select(key => new RowOperation.Delete(key)));
        AddOutbox(rows, decisions.Effects);
        AddHistory(rows, decisions, run.Sequence + 1);
        var state = decisions.State;
        var effects = decisions.Effects;
        long sequence;
        try
        {
            sequence = await CommitAsync(runId, run.Sequence, header, rows, ct);
        }
        catch (BatchConflictException)
        {
            // Another writer committed first (our lease expired under us), or dispatched and deleted the outbox row of
            // our local work: keep the carried results in the inbox, reload and try again.
            _states.Forget(runId);
            if (carried is not null)
            {
                await StoreLocalResultsAsync(carried.Work, carried.Results, ct);
            }

            return EpisodeOutcome.Repaired;
        }

        Interlocked.Increment(ref _episodes);
        _states.Remember(new StoredRun(state, sequence, specHash, run.Trace));
        CountFinished(run.State, state);

        // The index first, then the outbox: a crash in between leaves the outbox rows, housekeeping wakes the run for
        // them and the episode that dispatches them updates the index. In the other order, a crash after the last
        // episode deleted its outbox (run:complete) left the index saying Running forever, and housekeeping, which
        // finds runs through the index, had nothing left to repair it from.
        await UpdateIndexAsync(state, ct, committedFrom: run.Sequence, committed: sequence);

        // Command-made work keeps its priority lane (a latency preference across workers, measured and tested as such).
        var local = await DispatchAsync(runId, sequence, effects, urgent, urgent || !mayRunLocally ? null : state, trace, ct);
        return new EpisodeOutcome(inbox.Count, local);
    }

    private static RunEvent ReadInboxEvent(string value, out long arrival)
    {
        var json = JsonNode.Parse(value)!.AsObject();
        arrival = json["arrival"]!.GetValue<long>();
        return RunJson.ReadEvent(json["event"]!.AsObject());
    }

    /// <summary>What an episode did (see <see cref="RunEpisodeCoreAsync"/>).</summary>
    private sealed record EpisodeOutcome(int Applied, LocalActivities? Local)
    {
        public static readonly EpisodeOutcome Nothing = new(0, null);

        public static readonly EpisodeOutcome Repaired = new(-1, null);
    }

    /// <summary>Local work items and their results, carried from the episode that dispatched them to the one that applies them.</summary>
    private sealed record LocalStep(LocalActivities Work, LocalResults Results);

    /// <summary>
    /// Stores the results of local work in the run's inbox, as a worker does for a queued work message, then deletes the
    /// outbox rows of the items that are done (results first: a crash in between re-executes them, and the duplicate
    /// result is dropped by the inbox or by Decide()). Used when the episode runner did not apply them.
    /// </summary>
    internal async Task StoreLocalResultsAsync(LocalActivities work, LocalResults results, CancellationToken ct)
    {
        try
        {
            if (results.Events.Count > 0)
            {
                await AppendEventsAsync(work.RunId, results.Events, ct);
            }

            await DeleteOutboxRowsAsync(work.RunId, results.DoneOutboxKeys, ct);
        }
        finally
        {
            ForgetLocal(work);
        }
    }

    /// <summary>Ends the note that <paramref name="work"/> runs locally: any outbox row of it left is a leftover from now on.</summary>
    internal void ForgetLocal(LocalActivities work)
    {
        foreach (var (_, key) in work.Items)
        {
            _runningLocally.TryRemove((work.RunId, key), out _);
        }
    }

    private async Task DeleteOutboxRowsAsync(string runId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        foreach (var deletes in keys.Select(key => (RowOperation)new RowOperation.Delete(key)).Chunk(_store.Partitions.Limits.Operations))
        {
            try
            {
                await _store.Partitions.ExecuteAsync(runId, deletes, ct);
            }
            catch (BatchConflictException)
            {
                // Already deleted by an episode that dispatched the same leftovers; dispatch is idempotent downstream.
            }
        }
    }

    /// <summary>
    /// Commands after which a user waits for new work to start: the episode that applies one dispatches its work items
    /// to <see cref="EngineOptions.PriorityWorkQueue"/>. Starting a run is not one of them.
    /// </summary>
    private static bool MakesWorkReady(RunEvent evt) =>
        evt is RunEvent.GraphPatchRequested or RunEvent.ExternalEventRaised or RunEvent.NodeRedriveRequested or RunEvent.RunResumeRequested;

    /// <summary>The node id of run-level history records (control commands applied or refused).</summary>
    public const string RunHistoryId = "$run";

    /// <summary>The effects as outbox rows (the same effect id twice in one episode, e.g. two ContinueRun, is one effect).</summary>
    private static void AddOutbox(List<RowOperation> ops, IReadOnlyList<Effect> effects)
    {
        foreach (var effect in effects.GroupBy(e => e.EffectId).Select(g => g.Last()))
        {
            ops.Add(new RowOperation.Upsert(RunRows.Outbox(effect.EffectId), RunJson.WriteEffect(effect).ToJsonString()));
        }
    }

    /// <summary>The episode's history rows, numbered by the sequence its commit reaches.</summary>
    private void AddHistory(List<RowOperation> ops, EpisodeDecisions decisions, long sequence)
    {
        // Pending -> Ready is bookkeeping, not news; the rest of an episode's transitions share a few history rows
        // (a row per transition would be most of the rows an episode writes).
        var at = RunJson.Time(_time.GetUtcNow());
        var records = decisions.Transitions
            .Where(t => t.To != NodeStatus.Ready)
            .Select(t => WithActor(new JsonObject
            {
                ["at"] = at, ["nodeId"] = t.NodeId, ["from"] = t.From.ToString(), ["to"] = t.To.ToString(), ["attempt"] = t.Attempt, ["detail"] = t.Detail,
            }, t.Actor))
            .Concat(decisions.Notes.Select(n => WithActor(new JsonObject
            {
                ["at"] = at, ["nodeId"] = RunHistoryId, ["from"] = null, ["to"] = n.Status.ToString(), ["attempt"] = 0, ["detail"] = n.Note,
                ["revision"] = n.Revision,
            }, n.Actor)))
            .Chunk(HistoryRowSize)
            .ToList();
        for (var i = 0; i < records.Count; i++)
        {
            ops.Add(new RowOperation.Insert(RunRows.History(sequence, i), new JsonObject { ["transitions"] = new JsonArray(records[i]) }.ToJsonString()));
        }
    }

    /// <summary>
    /// The rows that turn <paramref name="run"/> into the decisions' state: changed nodes, header, mutation log (and the
    /// spec text of a patched graph, stored first).
    /// </summary>
    private async Task<(JsonObject Header, List<RowOperation> Rows, string SpecHash)> ChangeRowsAsync(StoredRun run, EpisodeDecisions decisions, CancellationToken ct)
    {
        // Even when only duplicates were consumed, the header is rewritten: it carries the fencing sequence.
        var state = decisions.State;
        var specHash = ReferenceEquals(run.State.Spec, state.Spec) ? run.SpecHash : await _states.PutSpecAsync(state.SpecSource!.ToJsonString(), state.Spec, ct);
        var (header, rows) = await _states.DiffAsync(run.State, state, decisions.Changed, specHash, run.Trace, ct);
        rows.AddRange(decisions.Mutations.Select(m => new RowOperation.Upsert(RunRows.Revision(m.Revision), RunJson.WriteMutation(m).ToJsonString())));
        return (header, rows, specHash);
    }

    /// <summary>A history record with its <c>actor</c> when a command caused it (the engine's own transitions have none).</summary>
    private static JsonObject WithActor(JsonObject record, string? actor)
    {
        if (actor is not null)
        {
            record["actor"] = actor;
        }

        return record;
    }

    /// <summary>
    /// Dispatches an episode's effects. With <paramref name="local"/> (the state just committed, while holding the lease),
    /// work items that are the run's only work in flight and fit one message go to a free worker of this process instead
    /// of the work queue (returned; their outbox rows stay until their results are applied or stored).
    /// </summary>
    private async Task<LocalActivities?> DispatchAsync(string runId, long sequence, IReadOnlyList<Effect> effects, bool urgent, RunState? local, ActivityContext trace, CancellationToken ct)
    {
        if (effects.Count == 0)
        {
            return null;
        }

        var rows = effects.GroupBy(e => e.EffectId).Select(g => g.Last())
            .Select(e => (Effect: e, Row: new StoredRow(RunRows.Outbox(e.EffectId), RunJson.WriteEffect(e).ToJsonString(), "*")))
            .ToList();
        var schedules = rows.Where(r => r.Effect is Effect.ScheduleActivity).Select(r => r.Row).ToList();
        if (local is null || LocalCandidate(runId, local, schedules, trace) is not { } work)
        {
            await DispatchStoredAsync(runId, sequence, [.. rows.Select(r => r.Row)], urgent, trace, ct);
            return null;
        }

        // The rest first: a failure there must not leave local work that nobody waits for.
        await DispatchStoredAsync(runId, sequence, [.. rows.Where(r => r.Effect is not Effect.ScheduleActivity).Select(r => r.Row)], urgent, trace, ct);
        if (TryStartLocally(work))
        {
            return work;
        }

        await DispatchStoredAsync(runId, sequence, schedules, urgent, trace, ct);
        return null;
    }

    /// <summary>
    /// The work items as local work when a worker of this process runs local work, they fit one work message and they are
    /// all the run has in flight (a sequential step); otherwise null. With other activities running, completions of several
    /// workers meet at this run's lease, and the queue spreads the work better; a map's children always take the queue.
    /// </summary>
    private LocalActivities? LocalCandidate(string runId, RunState state, List<StoredRow> schedules, ActivityContext trace)
    {
        if (_options.LocalActivityWait <= TimeSpan.Zero
            || Volatile.Read(ref _localRunner) is null
            || schedules.Count == 0
            || schedules.Count > Math.Max(_options.WorkItemsPerMessage, 1))
        {
            return null;
        }

        var requests = RunJson.ReadWorkMessage(RunJson.WriteWorkMessage(runId, schedules.Select(r => JsonNode.Parse(r.Value)!.AsObject()), trace));
        if (requests.Any(r => MapChildId.TryParse(r.NodeId, out _, out _))
            || state.Nodes.Values.Count(n => n.Status == NodeStatus.Running) != requests.Count)
        {
            return null;
        }

        return new LocalActivities(runId, [.. requests.Zip(schedules, (request, row) => (request, row.Key))]);
    }

    /// <summary>Starts the work on a free slot of the local runner (noting its outbox rows as running here); false when there is none.</summary>
    private bool TryStartLocally(LocalActivities work)
    {
        foreach (var (_, key) in work.Items)
        {
            _runningLocally[(work.RunId, key)] = 0;
        }

        if (Volatile.Read(ref _localRunner)?.TryStart(work) == true)
        {
            return true;
        }

        ForgetLocal(work);
        return false;
    }

    /// <summary>
    /// Sends each outbox effect to its queue (work items to the priority lane when <paramref name="urgent"/>), then deletes
    /// the outbox rows in one batch. Leftovers of a crashed episode go to the normal work queue: the lane is a latency
    /// preference, not a correctness one.
    /// </summary>
    private async Task DispatchStoredAsync(string runId, long sequence, List<StoredRow> outbox, bool urgent, ActivityContext trace, CancellationToken ct)
    {
        if (outbox.Count == 0)
        {
            // A local step dispatches nothing else: waking idle workers would only cost them an empty queue read each.
            return;
        }

        var now = _time.GetUtcNow();
        var work = new List<JsonObject>();
        foreach (var row in outbox)
        {
            var effect = JsonNode.Parse(row.Value)!.AsObject();
            switch (effect["kind"]!.GetValue<string>())
            {
                case "schedule":
                    work.Add(effect);
                    break;
                case "timer":
                    var due = RunJson.ParseTime(effect["dueAt"]);
                    var delay = ClampDelay(due - now);
                    await _store.Queues.EnqueueAsync(_options.ControlQueue, ControlMessage.Timer(runId, effect, trace), delay, ct);
                    // The queue counts the delay from its own enqueue time, a moment after 'now': nudge a little later.
                    _ = Task.Delay(delay + TimeSpan.FromMilliseconds(15), _time, CancellationToken.None).ContinueWith(_ => ControlSignal.Notify(), TaskScheduler.Default);
                    break;
                case "continue":
                    var continueRow = new JsonObject { ["arrival"] = now.UtcTicks, ["event"] = RunJson.WriteEvent(new RunEvent.ContinueRequested()) };
                    await _store.Partitions.ExecuteAsync(runId, [new RowOperation.Upsert(RunRows.Inbox($"continue:{sequence}"), continueRow.ToJsonString())], ct);
                    break;
            }

            // "cancel" needs no message: executors learn of it when they renew their work item (the attempt is no
            // longer current); "complete" is reflected by the run index, updated after every episode.
        }

        // k work items per message: one take, one inbox batch and one delete serve k activities.
        var messages = work.Chunk(Math.Max(_options.WorkItemsPerMessage, 1)).Select(items => RunJson.WriteWorkMessage(runId, items, trace).ToJsonString()).ToList();
        await _store.Queues.EnqueueManyAsync(urgent ? _options.PriorityWorkQueue : _options.WorkQueue, messages, TimeSpan.Zero, ct);
        if (urgent && messages.Count > 0)
        {
            Volatile.Write(ref _priorityNote, 1);
        }

        WorkSignal.Notify();
        ControlSignal.Notify();

        await DeleteOutboxRowsAsync(runId, [.. outbox.Select(r => r.Key)], ct);
    }

    /// <summary>A commit, timed.</summary>
    private async Task<long> CommitAsync(string runId, long from, JsonObject header, IReadOnlyList<RowOperation> rows, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var sequence = await _committer.CommitAsync(runId, from, header, rows, ct);
        ActivityTelemetry.CommitDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        return sequence;
    }

    /// <summary>Counts a run that a commit took from <paramref name="before"/> (null for a new run) to a terminal status.</summary>
    private static void CountFinished(RunState? before, RunState after)
    {
        if (after.Status.IsTerminal() && before?.Status.IsTerminal() != true)
        {
            ActivityTelemetry.RunsFinished.Add(1, new TagList
            {
                { ActivityTelemetry.WorkflowTag, after.Spec.Name },
                { ActivityTelemetry.RunStatusTag, after.Status.ToString() },
            });
        }
    }

    /// <summary>Queue messages may stay invisible for a bounded time; longer timers re-arm when they come due early.</summary>
    internal TimeSpan ClampDelay(TimeSpan delay) =>
        delay <= TimeSpan.Zero ? TimeSpan.Zero : delay > _options.MaxTimerStep ? _options.MaxTimerStep : delay;

    /// <summary>
    /// Writes the run's summary to the index. After an episode (<paramref name="committed"/> given) the write is skipped
    /// when it would only refresh progress: the status is the one this process last wrote, no other writer committed
    /// since (the episode started from the sequence of that write, and other writers update the index only after a
    /// commit of their own), and that write is younger than <see cref="EngineOptions.IndexRefreshInterval"/>. A status
    /// change is never skipped, so the crash-safety rule (index before outbox deletion) holds for every status the
    /// housekeeping sweep relies on. On Azure an index upsert is five requests or more (AzureRunIndex), which on a
    /// chain was as much as the rest of the episode.
    /// </summary>
    private async Task UpdateIndexAsync(RunState state, CancellationToken ct, long? committedFrom = null, long? committed = null)
    {
        var now = _time.GetUtcNow();
        var status = state.Status.ToString();
        if (committed is not null
            && _indexed.TryGetValue(state.RunId, out var last)
            && last.Status == status
            && last.Sequence == committedFrom
            && now - last.At < _options.IndexRefreshInterval)
        {
            _indexed[state.RunId] = last with { Sequence = committed.Value };
            return;
        }

        _indexed.TryRemove(state.RunId, out _);
        await _store.Runs.UpsertAsync(new RunSummary(state.RunId, state.Spec.Name, status, state.StartedAt, now, state.TerminalNodes, state.Nodes.Count), ct);
        if (committed is not null && !state.Status.IsTerminal())
        {
            // Bounded like the state cache: an entry only saves requests, losing one costs one upsert.
            if (_indexed.Count >= Math.Max(_options.StateCacheSize, 1))
            {
                _indexed.Clear();
            }

            _indexed[state.RunId] = new IndexedSummary(status, committed.Value, now);
        }
    }

    /// <summary>The episode metrics, for an episode (native) or step (durable) that applied events; nothing otherwise.</summary>
    private void RecordEpisode(int applied, long started, StorageRequestCount requests)
    {
        if (applied <= 0)
        {
            return;
        }

        ActivityTelemetry.EventsApplied.Add(applied);
        ActivityTelemetry.EpisodeDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        if (requests.Value > 0)
        {
            ActivityTelemetry.EpisodeStorageRequests.Record(requests.Value);
        }
    }

    private DecisionContext Context(int budget) => new(_time.GetUtcNow(), _jitter(), Math.Max(budget, 0));

    private string NewRunId() => Guid.CreateVersion7(_time.GetUtcNow()).ToString("N");
}

/// <summary>A registration (<see cref="RunProcessor.ListenForCommands"/>, <see cref="RunProcessor.RunActivitiesLocally"/>); disposing it ends it once.</summary>
internal sealed class DisposeOnce(Action end) : IDisposable
{
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            end();
        }
    }
}

/// <summary>A run id that is already taken.</summary>
public sealed class RunAlreadyExistsException(string runId) : Exception($"run '{runId}' already exists")
{
    /// <summary>The taken id.</summary>
    public string RunId { get; } = runId;
}
