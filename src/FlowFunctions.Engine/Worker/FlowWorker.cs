using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowFunctions.Engine.Worker;

/// <summary>
/// Works every run of a store until stopped: takes run wake-ups and timers from the control queue (running
/// episodes through <see cref="RunProcessor"/>) and work items from the work queue, its priority lane first (running
/// activities through <see cref="ActivityExecutor"/>); runs sent a command in this process are processed at once.
/// Polls fast while busy and backs off to a slow, cheap poll when idle.
/// Any number of workers may share a store; at-least-once delivery plus the engine's dedupe make that safe.
/// </summary>
public sealed class FlowWorker
{
    /// <summary>Malformed messages go here with the reason, instead of being retried forever or dropped.</summary>
    public const string PoisonQueue = "flow-poison";

    private static readonly TimeSpan MinPollDelay = TimeSpan.FromMilliseconds(5);

    private readonly IFlowStore _store;
    private readonly RunProcessor _processor;
    private readonly ActivityExecutor _executor;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _localWakes = new();

    /// <summary>Local work still running, awaited when the worker stops.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _localRuns = new();

    /// <summary>Creates a worker.</summary>
    public FlowWorker(IFlowStore store, RunProcessor processor, ActivityExecutor executor, EngineOptions options, TimeProvider time, ILogger? logger = null)
    {
        _store = store;
        _processor = processor;
        _executor = executor;
        _options = options;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How long in-flight activities may finish after a stop is requested before they are released to other workers.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled, then finishes or releases in-flight work.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var abandon = new CancellationTokenSource();

        // Activity slots, shared by queued work messages and the episodes' local work (LocalActivities).
        using var slots = new SemaphoreSlim(_options.MaxConcurrentActivities);
        using (_processor.RunActivitiesLocally(new LocalRunner(this, slots, abandon.Token)))
        {
            var work = WorkLoopAsync(slots, stoppingToken, abandon.Token);
            var control = ControlLoopAsync(stoppingToken);
            var commands = CommandLoopAsync(stoppingToken);
            var housekeeping = HousekeepingLoopAsync(stoppingToken);
            await using var graceTimer = stoppingToken.Register(() => abandon.CancelAfter(ShutdownGrace));
            await Task.WhenAll(work, control, commands, housekeeping);
        }

        await Task.WhenAll(_localRuns.Keys);
    }

    /// <summary>
    /// Runs an episode's work items on a slot of this worker right after their commit (the local fast path, see
    /// <see cref="LocalActivities"/>). Their attempt is current by construction (the episode holding the lease just
    /// dispatched it), so the attempt check before executing is skipped; the heartbeat's checks still apply.
    /// </summary>
    private async Task RunLocallyAsync(LocalActivities work, SemaphoreSlim slots, CancellationToken abandon)
    {
        try
        {
            var items = await ExecuteItemsAsync([.. work.Items.Select(i => i.Request)], lease: null, checkAttempts: false, abandon);
            var done = work.Items.Where((_, i) => items[i].Result is not null || items[i].Superseded).Select(i => i.OutboxKey).ToList();
            var results = new LocalResults([.. items.Where(i => i.Result is not null).Select(i => i.Result!.Value)], done);
            if (!work.TryHand(results))
            {
                // The episode runner stopped waiting: store the results like those of a queued message and wake the run here.
                await _processor.StoreLocalResultsAsync(work, results, CancellationToken.None);
                _localWakes.Enqueue(work.RunId);
                _processor.ControlSignal.Notify();
            }
        }
        catch (Exception ex)
        {
            // Their outbox rows stay: the next episode of the run dispatches them to the work queue.
            _processor.ForgetLocal(work);
            WorkerLog.WorkItemFailed(_logger, ex, work.RunId);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>The worker as its processor's local runner: a free slot or nothing, never a wait.</summary>
    private sealed class LocalRunner(FlowWorker worker, SemaphoreSlim slots, CancellationToken abandon) : ILocalActivityRunner
    {
        public bool TryStart(LocalActivities work)
        {
            if (!slots.Wait(0))
            {
                return false;
            }

            var run = Task.Run(() => worker.RunLocallyAsync(work, slots, abandon), CancellationToken.None);
            worker._localRuns.TryAdd(run, 0);
            _ = run.ContinueWith(done => worker._localRuns.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return true;
        }
    }

    /// <summary>
    /// Processes the runs sent a command through this process as soon as the command is stored, instead of behind the
    /// control loop's batch of other runs' episodes. Only a shortcut: while this loop listens, the command's durable
    /// wake-up is enqueued with a delay of <see cref="EngineOptions.ControlVisibility"/> and then handled as usual (finding
    /// the inbox empty, or applying the command if this process died first); when the control loop holds the run's lease,
    /// this pass returns at once and the holder applies the command when it re-checks the inbox on release.
    /// </summary>
    private async Task CommandLoopAsync(CancellationToken stop)
    {
        using var listening = _processor.ListenForCommands();
        while (!stop.IsCancellationRequested)
        {
            // Armed before taking, so a command noted while this pass runs is not missed.
            var signalled = _processor.CommandSignal.WaitAsync(_options.MaxPollDelay, _time, stop);
            foreach (var runId in _processor.TakeCommandedRuns())
            {
                try
                {
                    using var scope = RunScope(runId);
                    await _processor.ProcessAsync(runId, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    // The durable wake-up is still queued: the control loop retries the run.
                    WorkerLog.EpisodeFailed(_logger, ex, runId);
                }
            }

            try
            {
                await signalled;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ControlLoopAsync(CancellationToken stop)
    {
        var idle = new PollDelay(MinPollDelay, _options.MaxPollDelay);
        var outage = new PollBackoff(_options.ControlQueue, _logger, _time);
        while (!stop.IsCancellationRequested)
        {
            IReadOnlyList<QueueMessage> messages;
            try
            {
                messages = await _store.Queues.DequeueAsync(_options.ControlQueue, 32, _options.ControlVisibility, stop);
                outage.Succeeded();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store is unreachable (its client has retried already): wait and poll again, never end the loop.
                await outage.FailedAsync(ex, stop);
                continue;
            }

            var byRun = new Dictionary<string, List<QueueMessage>>(StringComparer.Ordinal);
            while (_localWakes.TryDequeue(out var local))
            {
                byRun.TryAdd(local, []);
            }

            if (messages.Count == 0 && byRun.Count == 0)
            {
                await idle.WaitAsync(_processor.ControlSignal, _time, stop);
                continue;
            }

            idle.Reset();
            foreach (var message in messages)
            {
                try
                {
                    if (await HandleControlMessageAsync(message, stop) is { } runId)
                    {
                        (byRun.TryGetValue(runId, out var list) ? list : byRun[runId] = []).Add(message);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Stopping: this message and the rest stay queued and come back after their visibility timeout.
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Left in the queue: it comes back after its visibility timeout.
                    WorkerLog.ControlMessageFailed(_logger, ex, message.Id);
                }
            }

            // Coalesced: one processing pass per run, however many wake-ups and timers arrived for it. Episodes run
            // to completion even when a stop is requested, so a stop never leaves half an episode behind.
            await Parallel.ForEachAsync(byRun, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (run, _) =>
            {
                try
                {
                    // When another worker holds the run's lease the wake-ups are kept: if that holder is alive it
                    // re-checks the inbox when it releases and the redelivery is a cheap no-op; if it died, the
                    // redelivery after the visibility timeout takes the run over once its lease has expired.
                    using var scope = RunScope(run.Key);
                    if (await _processor.ProcessAsync(run.Key, CancellationToken.None))
                    {
                        foreach (var message in run.Value)
                        {
                            await _store.Queues.DeleteAsync(_options.ControlQueue, message, CancellationToken.None);
                        }
                    }
                }
                catch (Exception ex)
                {
                    // The run's wake-ups stay queued and are redelivered: a store hiccup delays the run, it loses nothing.
                    WorkerLog.EpisodeFailed(_logger, ex, run.Key);
                }
            });
        }
    }

    /// <summary>
    /// Interprets one control message and returns the run to process, whose processing deletes the message; null when
    /// the message was dealt with here (re-armed for later, or dead-lettered).
    /// </summary>
    private async Task<string?> HandleControlMessageAsync(QueueMessage message, CancellationToken stop)
    {
        switch (await InterpretControlAsync(message.Body, stop))
        {
            case ControlStep.Process process:
                return process.RunId;
            case ControlStep.Rearm rearm:
                await _store.Queues.EnqueueAsync(_options.ControlQueue, message.Body, rearm.Delay, stop);
                await _store.Queues.DeleteAsync(_options.ControlQueue, message, stop);
                return null;
            case ControlStep.Poison poison:
                await PoisonAsync(_options.ControlQueue, message, poison.Reason, stop);
                return null;
            default:
                throw new InvalidOperationException("unknown control step");
        }
    }

    /// <summary>
    /// Handles one control-queue message body delivered by someone else (an Azure Functions queue trigger, which
    /// deletes the message when this returns and redelivers it when this throws): the same interpretation as the
    /// polling loop, then the run's episodes. A malformed body goes to <see cref="PoisonQueue"/> and returns normally;
    /// a timer that is not due yet is re-armed as a new message. When another worker holds the run's lease, a wake-up
    /// is re-armed after <see cref="EngineOptions.ControlVisibility"/>, as the polling loop leaves its message to reappear.
    /// Store failures throw, so the host retries.
    /// </summary>
    public async Task HandleControlMessageBodyAsync(string body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        switch (await InterpretControlAsync(body, cancellationToken))
        {
            case ControlStep.Process process:
                await ProcessOrDeferAsync(process.RunId, cancellationToken);
                break;
            case ControlStep.Rearm rearm:
                await _store.Queues.EnqueueAsync(_options.ControlQueue, body, rearm.Delay, cancellationToken);
                break;
            case ControlStep.Poison poison:
                await RecordPoisonAsync(_options.ControlQueue, body, poison.Reason, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// Handles one message body of <paramref name="queue"/> (the work queue or its priority lane,
    /// <see cref="EngineOptions.PriorityWorkQueue"/>) delivered by someone else (see <see cref="HandleControlMessageBodyAsync"/>):
    /// runs its activities, stores their results in the run's inbox, then runs the run's episodes. The delivering host
    /// keeps the message invisible while this runs, so there is no visibility heartbeat; superseded attempts are still
    /// detected and cancelled. Throws when it could not finish (the host redelivers; results already stored dedupe).
    /// A malformed body goes to <see cref="PoisonQueue"/>, naming <paramref name="queue"/>.
    /// </summary>
    public async Task HandleWorkMessageBodyAsync(string queue, string body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!TryReadWork(body, out var requests, out var problem))
        {
            await RecordPoisonAsync(queue, body, problem, cancellationToken);
            return;
        }

        var outcome = await RunWorkItemsAsync(requests, lease: null, cancellationToken);
        if (outcome.Unfinished)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (outcome.Stored)
        {
            await ProcessOrDeferAsync(outcome.RunId, cancellationToken);
        }
    }

    /// <summary>Runs the run's episodes; when another worker holds its lease, asks again after a control visibility period.</summary>
    private async Task ProcessOrDeferAsync(string runId, CancellationToken ct)
    {
        using var scope = RunScope(runId);
        if (!await _processor.ProcessAsync(runId, ct))
        {
            // The holder re-checks the inbox when it releases; the delayed wake-up covers a holder that died, whose lease
            // has expired by then (the polling loop gets the same from its message's visibility timeout).
            await _store.Queues.EnqueueAsync(_options.ControlQueue, ControlMessage.Wake(runId), _options.ControlVisibility, ct);
        }
    }

    /// <summary>What a control message asks for, decided once for both the polling loop and a delivered body.</summary>
    private async Task<ControlStep> InterpretControlAsync(string text, CancellationToken stop)
    {
        try
        {
            var body = JsonNode.Parse(text)!.AsObject();
            var runId = body["runId"]!.GetValue<string>();
            switch (body["kind"]!.GetValue<string>())
            {
                case "wake":
                    return new ControlStep.Process(runId);
                case "timer":
                    var due = RunJson.ParseTime(body["dueAt"]);
                    var remaining = due - _time.GetUtcNow();
                    if (remaining > TimeSpan.Zero)
                    {
                        // A timer longer than one queue visibility step comes back early (and a queue's clock may run a
                        // little ahead of ours): arm the next step. A timer never fires before it is due.
                        return new ControlStep.Rearm(_processor.ClampDelay(remaining));
                    }

                    var fired = new RunEvent.TimerFired(
                        body["nodeId"]!.GetValue<string>(),
                        body["attempt"]!.GetValue<int>(),
                        body["incarnation"]!.GetValue<int>(),
                        Enum.Parse<TimerPurpose>(body["purpose"]!.GetValue<string>()));
                    using (RunScope(runId, fired.NodeId))
                    using (var span = ActivityTelemetry.Source.StartActivity("timer", ActivityKind.Internal, RunTrace.Read(body)))
                    {
                        span?.SetTag(ActivityTelemetry.RunIdTag, runId);
                        span?.SetTag(ActivityTelemetry.NodeIdTag, fired.NodeId);
                        span?.SetTag(ActivityTelemetry.TimerPurposeTag, fired.Purpose.ToString());
                        await _processor.AppendEventAsync(runId, RunJson.EventId(fired), fired, stop, wake: false);
                    }

                    return new ControlStep.Process(runId);
                default:
                    return new ControlStep.Poison("unknown control message kind");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or FormatException or ArgumentException)
        {
            return new ControlStep.Poison("malformed control message: " + ex.Message);
        }
    }

    /// <summary>A log scope naming the run (and node) so that one run can be followed across queue hops.</summary>
    private IDisposable? RunScope(string runId, string? nodeId = null) =>
        _logger.BeginScope(nodeId is null
            ? new Dictionary<string, object> { ["RunId"] = runId }
            : new Dictionary<string, object> { ["RunId"] = runId, ["NodeId"] = nodeId });

    private async Task WorkLoopAsync(SemaphoreSlim slots, CancellationToken stop, CancellationToken abandon)
    {
        var idle = new PollDelay(MinPollDelay, _options.MaxPollDelay);
        var lane = new LanePolls();
        var outage = new PollBackoff(_options.WorkQueue, _logger, _time);
        var running = new List<Task>();
        while (!stop.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            try
            {
                await slots.WaitAsync(stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var free = slots.CurrentCount + 1;
            List<(string Queue, QueueMessage Message)> messages;
            try
            {
                messages = await TakeWorkAsync(free, lane, stop);
                outage.Succeeded();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                slots.Release();
                break;
            }
            catch (Exception ex)
            {
                slots.Release();
                await outage.FailedAsync(ex, stop);
                continue;
            }

            if (messages.Count == 0)
            {
                slots.Release();
                await idle.WaitAsync(_processor.WorkSignal, _time, stop);
                continue;
            }

            idle.Reset();
            for (var i = 0; i < messages.Count; i++)
            {
                if (i > 0)
                {
                    await slots.WaitAsync(CancellationToken.None);
                }

                var (queue, message) = messages[i];
                running.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            await ExecuteWorkItemAsync(queue, message, abandon);
                        }
                        catch (Exception ex)
                        {
                            // Not deleted: the work item reappears after its visibility timeout and runs again.
                            WorkerLog.WorkItemFailed(_logger, ex, message.Id);
                        }
                        finally
                        {
                            slots.Release();
                        }
                    },
                    CancellationToken.None));
            }
        }

        await Task.WhenAll(running);
    }

    /// <summary>
    /// Takes up to <paramref name="free"/> work messages: from the priority lane (work made ready by commands) when it has
    /// any, so they start at once, ahead of the backlog already queued; otherwise from the work queue. Free slots left
    /// over are filled by the next poll, which follows at once. The lane is read when this process just enqueued to it,
    /// while it keeps answering messages, and otherwise once per <see cref="EngineOptions.MaxPollDelay"/> (work another
    /// process put there); an empty read on every poll would add a storage request per poll.
    /// </summary>
    private async Task<List<(string Queue, QueueMessage Message)>> TakeWorkAsync(int free, LanePolls lane, CancellationToken stop)
    {
        var taken = new List<(string Queue, QueueMessage Message)>(free);
        if (_processor.TakePriorityNote() || lane.Due(_time, _options.MaxPollDelay))
        {
            var urgent = await _store.Queues.DequeueAsync(_options.PriorityWorkQueue, free, _options.WorkVisibility, stop);
            lane.Polled(_time, urgent.Count > 0);
            taken.AddRange(urgent.Select(m => (_options.PriorityWorkQueue, m)));
        }

        // The lane goes first; the slots it leaves are filled from the normal queue in the same take, so the normal
        // queue is read on every turn that has a slot left, however busy the lane is.
        if (taken.Count < free)
        {
            var normal = await _store.Queues.DequeueAsync(_options.WorkQueue, free - taken.Count, _options.WorkVisibility, stop);
            taken.AddRange(normal.Select(m => (_options.WorkQueue, m)));
        }

        return taken;
    }

    /// <summary>
    /// Executes a work message: the work items of one run that one episode dispatched together (up to
    /// <see cref="EngineOptions.WorkItemsPerMessage"/>). They run concurrently; their results are stored in the run's
    /// inbox in one batch before the message is deleted, so a crash re-executes them (at least once) and a duplicate
    /// result lands on the same inbox row.
    /// </summary>
    private async Task ExecuteWorkItemAsync(string queue, QueueMessage message, CancellationToken abandon)
    {
        if (!TryReadWork(message.Body, out var requests, out var problem))
        {
            await PoisonAsync(queue, message, problem, CancellationToken.None);
            return;
        }

        if (message.DequeueCount == 1)
        {
            // Enqueue to first take; a redelivery's wait is a crashed or slow worker's, not the queue's.
            var waited = _time.GetUtcNow() - message.InsertedAt;
            ActivityTelemetry.QueueWait.Record(Math.Max(waited.TotalSeconds, 0), new TagList { { ActivityTelemetry.QueueTag, queue } });
        }

        var lease = new WorkItemLease(queue, message);
        var outcome = await RunWorkItemsAsync(requests, lease, abandon);
        if (outcome.Stored)
        {
            // This worker applies the results itself (a local wake-up, no control message). Were it to die first, the
            // stored events are found by the housekeeping sweep.
            _localWakes.Enqueue(outcome.RunId);
            _processor.ControlSignal.Notify();
        }

        if (abandon.IsCancellationRequested && outcome.Unfinished)
        {
            // Shutdown: release the unfinished work to another worker at once (finished items are already stored).
            await _store.Queues.UpdateVisibilityAsync(queue, lease.Current, TimeSpan.Zero, CancellationToken.None);
            return;
        }

        await _store.Queues.DeleteAsync(queue, lease.Current, CancellationToken.None);
    }

    private static bool TryReadWork(string body, out IReadOnlyList<ActivityRequest> requests, out string problem)
    {
        try
        {
            requests = RunJson.ReadWorkMessage(JsonNode.Parse(body)!.AsObject());
            problem = requests.Count > 0 ? string.Empty : "malformed work item: no work items";
            return requests.Count > 0;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or FormatException or ArgumentException or KeyNotFoundException)
        {
            requests = [];
            problem = "malformed work item: " + ex.Message;
            return false;
        }
    }

    /// <summary>
    /// Runs the items of one work message and stores their results in the run's inbox (one batch). With a
    /// <paramref name="lease"/> the heartbeat also renews the message's visibility; without one the deliverer does.
    /// </summary>
    private async Task<WorkOutcome> RunWorkItemsAsync(IReadOnlyList<ActivityRequest> requests, WorkItemLease? lease, CancellationToken abandon)
    {
        var runId = requests[0].RunId;
        var items = await ExecuteItemsAsync(requests, lease, checkAttempts: true, abandon);
        var results = items.Where(i => i.Result is not null).Select(i => i.Result!.Value).ToList();
        if (results.Count > 0)
        {
            await _processor.AppendEventsAsync(runId, results, CancellationToken.None);
        }

        return new WorkOutcome(runId, results.Count > 0, items.Any(i => i.Result is null && !i.Superseded));
    }

    /// <summary>
    /// Runs the items of one run concurrently, after checking their attempts when <paramref name="checkAttempts"/>, with a
    /// heartbeat (which also renews <paramref name="lease"/> when there is one); each item ends with a result, superseded,
    /// or neither (abandoned at shutdown).
    /// </summary>
    private async Task<IReadOnlyList<WorkItem>> ExecuteItemsAsync(IReadOnlyList<ActivityRequest> requests, WorkItemLease? lease, bool checkAttempts, CancellationToken abandon)
    {
        var runId = requests[0].RunId;
        using var scope = _logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = runId,
            ["NodeId"] = string.Join(",", requests.Select(r => r.NodeId)),
        });
        var items = requests.Select(r => new WorkItem(r, CancellationTokenSource.CreateLinkedTokenSource(abandon))).ToList();
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(items, lease, heartbeatStop.Token);
        try
        {
            // One read for the whole message (one query on Azure instead of a point read per item).
            var current = checkAttempts ? await CurrentAttemptsAsync(items, CancellationToken.None) : [.. items];
            await Task.WhenAll(items.Select(item => ExecuteOneAsync(item, current.Contains(item))));
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
            foreach (var item in items)
            {
                item.Cancellation.Dispose();
            }
        }

        return items;
    }

    private async Task ExecuteOneAsync(WorkItem item, bool isCurrent)
    {
        var request = item.Request;
        if (!isCurrent)
        {
            // The attempt was superseded (cancelled, timed out, redriven): executing it would be wasted at best.
            item.Superseded = true;
            return;
        }

        ActivityOutcome outcome;
        try
        {
            outcome = await _executor.ExecuteAsync(request, item.Cancellation.Token);
        }
        catch (OperationCanceledException) when (item.Cancellation.IsCancellationRequested)
        {
            // Superseded (the heartbeat found the attempt replaced), or abandoned at shutdown.
            return;
        }

        var result = outcome.ToEvent(request);
        item.Result = (RunJson.EventId(result), result);
    }

    /// <summary>Renews the message's invisibility while its items run, and learns on renewal which attempts were superseded.</summary>
    private async Task HeartbeatAsync(IReadOnlyList<WorkItem> items, WorkItemLease? lease, CancellationToken stop)
    {
        var interval = _options.WorkVisibility / 3;
        try
        {
            while (true)
            {
                await Task.Delay(interval, _time, stop);
                if (lease is not null && await _store.Queues.UpdateVisibilityAsync(lease.Queue, lease.Current, _options.WorkVisibility, stop) is { } renewed)
                {
                    lease.Current = renewed;
                }

                var unfinished = items.Where(i => i.Result is null && !i.Superseded).ToList();
                var current = await CurrentAttemptsAsync(unfinished, stop);
                foreach (var item in unfinished.Where(i => !current.Contains(i)))
                {
                    item.Superseded = true;
                    await item.Cancellation.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The items finished.
        }
    }

    /// <summary>The items whose attempt is the one the run is waiting for (<see cref="CurrentAttempts"/>).</summary>
    private async Task<HashSet<WorkItem>> CurrentAttemptsAsync(IReadOnlyList<WorkItem> items, CancellationToken ct)
    {
        if (items.Count == 0)
        {
            return [];
        }

        var current = await CurrentAttempts.FindAsync(_store.Partitions, items.Select(i => i.Request), ct);
        return [.. items.Where(i => current.Contains(i.Request))];
    }

    private async Task HousekeepingLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HousekeepingInterval, _time, stop);
                await SweepAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                WorkerLog.SweepFailed(_logger, ex);
            }
        }
    }

    /// <summary>
    /// Re-wakes unfinished runs that have unapplied inbox events or undispatched outbox effects: the safety net for
    /// wake-ups lost to a crash between storing an event and enqueuing its wake-up. With
    /// <see cref="EngineOptions.RunRetention"/> set, then deletes up to <see cref="EngineOptions.MaxRunsDeletedPerSweep"/>
    /// runs that finished longer ago than the retention (see <see cref="DeleteExpiredRunsAsync"/>).
    /// </summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        await WakeStalledRunsAsync(cancellationToken);
        await DeleteExpiredRunsAsync(cancellationToken);
    }

    private async Task WakeStalledRunsAsync(CancellationToken cancellationToken)
    {
        foreach (var status in new[] { nameof(RunStatus.Running), nameof(RunStatus.Paused) })
        {
            string? token = null;
            do
            {
                var page = await _store.Runs.ListAsync(new RunQuery(Status: status, Limit: 500, ContinuationToken: token), cancellationToken);
                foreach (var run in page.Runs)
                {
                    var pending = await _store.Partitions.QueryAsync(run.RunId, RunRows.InboxPrefix, cancellationToken);
                    var outbox = pending.Count > 0 ? pending : await _store.Partitions.QueryAsync(run.RunId, RunRows.OutboxPrefix, cancellationToken);
                    if (outbox.Count > 0)
                    {
                        await _processor.WakeAsync(run.RunId, cancellationToken);
                    }
                }

                token = page.ContinuationToken;
            }
            while (token is not null);
        }
    }

    /// <summary>
    /// Deletes runs that reached a terminal status longer ago than <see cref="EngineOptions.RunRetention"/>, at most
    /// <see cref="EngineOptions.MaxRunsDeletedPerSweep"/> of them; returns how many were deleted. Candidates come from the
    /// run index (a run is created before it finishes, so only runs created before the cutoff are read); the run's header
    /// decides (its status must be terminal and its completion older than the cutoff). The partition's other rows go
    /// first, in batches within the store's limits, then the header, then the index entry: a deletion interrupted at any
    /// point leaves the index entry, so the next sweep finds the run again and finishes it. Artifacts are shared by
    /// content hash and are not deleted.
    /// </summary>
    public async Task<int> DeleteExpiredRunsAsync(CancellationToken cancellationToken)
    {
        if (_options.RunRetention is not { } retention || _options.MaxRunsDeletedPerSweep < 1)
        {
            return 0;
        }

        var cutoff = _time.GetUtcNow() - retention;
        var deleted = 0;
        foreach (var status in new[] { nameof(RunStatus.Succeeded), nameof(RunStatus.Failed), nameof(RunStatus.Cancelled) })
        {
            string? token = null;
            do
            {
                var page = await _store.Runs.ListAsync(new RunQuery(Status: status, CreatedTo: cutoff, Limit: 500, ContinuationToken: token), cancellationToken);
                foreach (var run in page.Runs)
                {
                    if (deleted >= _options.MaxRunsDeletedPerSweep)
                    {
                        return deleted;
                    }

                    if (run.UpdatedAt >= cutoff)
                    {
                        continue;
                    }

                    try
                    {
                        if (await DeleteRunAsync(run.RunId, cutoff, cancellationToken))
                        {
                            deleted++;
                            WorkerLog.RunDeleted(_logger, run.RunId);
                        }
                    }
                    catch (BatchConflictException ex)
                    {
                        // Another sweeper deleted some of the same rows meanwhile: whatever is left goes next sweep.
                        WorkerLog.RunDeleteFailed(_logger, ex, run.RunId);
                    }
                }

                token = page.ContinuationToken;
            }
            while (token is not null);
        }

        return deleted;
    }

    /// <summary>Deletes one run's rows (header last) and index entry, unless its header says it is not expired.</summary>
    private async Task<bool> DeleteRunAsync(string runId, DateTimeOffset cutoff, CancellationToken ct)
    {
        var header = await _store.Partitions.GetAsync(runId, RunRows.Header, ct);
        if (header is not null && !IsExpired(JsonNode.Parse(header.Value)!.AsObject(), cutoff))
        {
            return false;
        }

        // Everything but the header first: while the header is there, a half-deleted run still reads as the finished run.
        var rows = await _store.Partitions.QueryAsync(runId, string.Empty, ct);
        var deletes = rows
            .Where(row => row.Key != RunRows.Header)
            .Select(row => (RowOperation)new RowOperation.Delete(row.Key))
            .ToList();
        foreach (var chunk in RunCommitter.Split(deletes, _store.Partitions.Limits))
        {
            await _store.Partitions.ExecuteAsync(runId, chunk, ct);
        }

        if (header is not null)
        {
            await _store.Partitions.ExecuteAsync(runId, [new RowOperation.Delete(RunRows.Header)], ct);
        }

        _processor.States.Forget(runId);
        await _store.Runs.DeleteAsync(runId, ct);
        return true;
    }

    private static bool IsExpired(JsonObject header, DateTimeOffset cutoff)
    {
        if (!Enum.TryParse<RunStatus>(header["status"]?.GetValue<string>(), out var status)
            || status is not (RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled))
        {
            return false;
        }

        return header["completedAt"] is { } completed && RunJson.ParseTime(completed) < cutoff;
    }

    private async Task PoisonAsync(string queue, QueueMessage message, string reason, CancellationToken ct)
    {
        await RecordPoisonAsync(queue, message.Body, reason, ct);
        await _store.Queues.DeleteAsync(queue, message, ct);
    }

    private async Task RecordPoisonAsync(string queue, string body, string reason, CancellationToken ct)
    {
        WorkerLog.Poisoned(_logger, queue, reason);
        var dead = new JsonObject { ["queue"] = queue, ["reason"] = reason, ["body"] = body, ["at"] = RunJson.Time(_time.GetUtcNow()) };
        await _store.Queues.EnqueueAsync(PoisonQueue, dead.ToJsonString(), TimeSpan.Zero, ct);
    }

    /// <summary>What became of a work message's items.</summary>
    private sealed record WorkOutcome(string RunId, bool Stored, bool Unfinished);

    /// <summary>What a control message asks for.</summary>
    private abstract record ControlStep
    {
        private ControlStep()
        {
        }

        public sealed record Process(string RunId) : ControlStep;

        public sealed record Rearm(TimeSpan Delay) : ControlStep;

        public sealed record Poison(string Reason) : ControlStep;
    }

    /// <summary>One work item of a message: its request, its own cancellation, and what became of it.</summary>
    private sealed class WorkItem(ActivityRequest request, CancellationTokenSource cancellation)
    {
        public ActivityRequest Request { get; } = request;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public (string EventId, RunEvent Event)? Result { get; set; }

        public bool Superseded { get; set; }
    }

    /// <summary>The work item's queue and current pop receipt, updated by the heartbeat.</summary>
    private sealed class WorkItemLease(string queue, QueueMessage message)
    {
        public string Queue { get; } = queue;

        public QueueMessage Current { get; set; } = message;
    }

    /// <summary>When the work loop last read the priority lane, and whether that read found messages.</summary>
    private sealed class LanePolls
    {
        private long _at;
        private bool _answered = true;

        public bool Due(TimeProvider time, TimeSpan interval) => _answered || time.GetElapsedTime(_at) >= interval;

        public void Polled(TimeProvider time, bool answered)
        {
            _at = time.GetTimestamp();
            _answered = answered;
        }
    }

    /// <summary>Exponential idle backoff between polls.</summary>
    private sealed class PollDelay(TimeSpan min, TimeSpan max)
    {
        private readonly TimeSpan _min = min;
        private TimeSpan _next = min;

        public void Reset() => _next = _min;

        public async Task WaitAsync(WakeSignal signal, TimeProvider time, CancellationToken ct)
        {
            bool signalled;
            try
            {
                signalled = await signal.WaitAsync(_next, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // After a signal, poll fast again: the work may become visible a moment after the signal.
            _next = signalled ? _min : TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, max.Ticks));
        }
    }
}
