using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Engine.Worker;
using FlowFunctions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowFunctions.Engine;

/// <summary>
/// The engine over one store: start runs, read them, and create workers. What the CLI and the HTTP host use.
/// </summary>
public sealed class FlowEngine : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private FlowEngine(IFlowStore store, EngineOptions options, TimeProvider time, ServiceProvider services)
    {
        Store = store;
        Options = options;
        Time = time;
        _services = services;
        Processor = new RunProcessor(store, options, time);
    }

    /// <summary>The store.</summary>
    public IFlowStore Store { get; }

    /// <summary>Engine tuning.</summary>
    public EngineOptions Options { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The run processor (episodes).</summary>
    public RunProcessor Processor { get; }

    /// <summary>Which engine drives the runs this process starts (<see cref="RunEngine.Durable"/> needs <see cref="Durable"/>).</summary>
    public RunEngine DefaultEngine { get; private set; } = RunEngine.Native;

    /// <summary>The Durable Task driver, when this process runs the durable engine; durable runs are started and changed through it.</summary>
    public IDurableRunDriver? Durable { get; private set; }

    /// <summary>
    /// Delivers the commands of durable runs through <paramref name="driver"/> (disposed with this engine when it is
    /// <see cref="IAsyncDisposable"/>); with <paramref name="startRuns"/>, the runs this process starts are durable too.
    /// </summary>
    public void UseDurable(IDurableRunDriver driver, bool startRuns)
    {
        Durable = driver ?? throw new ArgumentNullException(nameof(driver));
        DefaultEngine = startRuns ? RunEngine.Durable : RunEngine.Native;
    }

    /// <summary>Creates an engine; <paramref name="configureActivities"/> tunes the activity executor (retry threshold, http guard).</summary>
    public static FlowEngine Create(IFlowStore store, EngineOptions? options = null, TimeProvider? time = null, Action<ActivityExecutorOptions>? configureActivities = null)
    {
        time ??= TimeProvider.System;
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddSingleton(store);
        services.AddFlowFunctionsActivities(configureActivities);
        return new FlowEngine(store, options ?? new EngineOptions(), time, services.BuildServiceProvider());
    }

    /// <summary>The activity pipeline (middleware and handlers) this engine's workers run work items through.</summary>
    internal ActivityExecutor Executor => _services.GetRequiredService<ActivityExecutor>();

    /// <summary>A worker that works every run of the store until stopped; problems it recovers from go to <paramref name="logger"/>.</summary>
    public FlowWorker CreateWorker(ILogger? logger = null) =>
        new(Store, Processor, Executor, Options, Time, logger);

    /// <summary>
    /// Starts a run (its first episode is committed before this returns) and returns its id; an <paramref name="actor"/>
    /// (<see cref="RunEvent.Actor"/>) is recorded in the run's history as who started it.
    /// </summary>
    public async Task<string> StartRunAsync(FlowSpec spec, string specText, JsonObject? inputs, string? runId = null, string? actor = null, CancellationToken cancellationToken = default)
    {
        var id = await Processor.StartRunAsync(spec, specText, inputs, runId, actor, DefaultEngine, cancellationToken);
        await StartOrchestrationAsync(id, cancellationToken);
        return id;
    }

    private async Task StartOrchestrationAsync(string runId, CancellationToken cancellationToken)
    {
        if (DefaultEngine == RunEngine.Durable)
        {
            await Durable!.StartAsync(runId, cancellationToken);
        }
    }

    /// <summary>
    /// Starts a new run of <paramref name="sourceRunId"/>'s current graph and inputs from <paramref name="fromNode"/>: the node
    /// and what is downstream of it run, the other nodes are copied when they can be (<see cref="RunRerun"/>). The new run
    /// records where it came from in <see cref="RunState.RerunOf"/>.
    /// </summary>
    public async Task<RerunResult> RerunAsync(string sourceRunId, string fromNode, string? runId = null, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fromNode);
        if (await GetRunAsync(sourceRunId, cancellationToken) is not { } source)
        {
            return new RerunResult(RerunOutcome.RunNotFound, $"no run '{sourceRunId}'", null);
        }

        if (RunRerun.Refusal(source, fromNode) is { } refusal)
        {
            return new RerunResult(source.Spec.Nodes.Any(n => n.Id == fromNode) ? RerunOutcome.Refused : RerunOutcome.NodeNotFound, refusal, null);
        }

        var id = await Processor.StartRerunAsync(source, fromNode, runId, actor, DefaultEngine, cancellationToken);
        await StartOrchestrationAsync(id, cancellationToken);
        return new RerunResult(RerunOutcome.Started, $"run {id} reruns run {sourceRunId} from '{fromNode}'", id);
    }

    /// <summary>Asks a run to stop: pending nodes are cancelled and running activities told to stop.</summary>
    public async Task<bool> CancelRunAsync(string runId, string? reason, CancellationToken cancellationToken = default) =>
        await DeliverAsync(await EngineOfAsync(runId, cancellationToken), runId, "cancel:" + Guid.NewGuid().ToString("N"), new RunEvent.RunCancelRequested(reason), cancellationToken);

    private async Task<RunEngine> EngineOfAsync(string runId, CancellationToken cancellationToken) =>
        (await Processor.States.LoadAsync(runId, cancellationToken))?.Engine ?? RunEngine.Native;

    /// <summary>
    /// Stores a command in a native run's inbox and wakes the run, or sends it to a durable run's orchestration; false
    /// when a native run already had it (a repeated event id).
    /// </summary>
    private async Task<bool> DeliverAsync(RunEngine engine, string runId, string eventId, RunEvent command, CancellationToken cancellationToken)
    {
        if (engine == RunEngine.Native)
        {
            return await Processor.AppendEventAsync(runId, eventId, command, cancellationToken);
        }

        var driver = Durable ?? throw new InvalidOperationException($"run {runId} runs on the durable engine; change it from a process started with --engine durable");
        await driver.SendAsync(runId, command, cancellationToken);
        return true;
    }

    /// <summary>
    /// Sends a run-control command (pause, resume, terminate, redrive): checks it against the run's current state
    /// (<see cref="RunControl.Refusal"/>), then stores it in the run's inbox and wakes the run. The decision function
    /// checks it again when it applies it (a command racing another may still be refused then; that refusal is in the
    /// run's history).
    /// </summary>
    public async Task<ControlResult> ControlRunAsync(string runId, RunEvent command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (await GetRunSnapshotAsync(runId, cancellationToken) is not { State: var state } run)
        {
            return new ControlResult(ControlOutcome.RunNotFound, $"no run '{runId}'", null);
        }

        if (RunControl.Refusal(state, command) is { } refusal)
        {
            return new ControlResult(ControlOutcome.Refused, $"{RunControl.Name(command)} refused: {refusal}", state.Status);
        }

        var prefix = command switch
        {
            RunEvent.RunPauseRequested => "pause",
            RunEvent.RunResumeRequested => "resume",
            RunEvent.RunTerminateRequested => "terminate",
            RunEvent.NodeRedriveRequested => "redrive",
            RunEvent.RunCancelRequested => "cancel",
            RunEvent.GraphPatchRequested => "patch",
            RunEvent.ExternalEventRaised => "external",
            _ => throw new ArgumentException($"{command.GetType().Name} is not a run-control command", nameof(command)),
        };
        // A raised event with an id is stored under it: a repeated raise is stored once.
        var key = command is RunEvent.ExternalEventRaised { EventId: { } eventId } ? eventId : Guid.NewGuid().ToString("N");
        await DeliverAsync(run.Engine, runId, prefix + ":" + key, command, cancellationToken);
        return new ControlResult(ControlOutcome.Accepted, $"{RunControl.Name(command)} {(command is RunEvent.ExternalEventRaised ? "raised" : "requested")}", state.Status);
    }

    /// <summary>
    /// Raises the named external event on a run: refused (nothing stored) when the run is finished, otherwise stored in
    /// the run's inbox; the run delivers it to every <c>wait</c> node waiting for <paramref name="name"/>, or keeps it
    /// for the next one that starts waiting. A repeated raise with the same <paramref name="eventId"/> is stored once.
    /// </summary>
    public Task<ControlResult> RaiseEventAsync(string runId, string name, JsonNode? payload, string? eventId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return ControlRunAsync(runId, new RunEvent.ExternalEventRaised(name, payload?.DeepClone(), eventId), cancellationToken);
    }

    /// <summary>
    /// Patches a run's graph: checks the patch against the run's current state (<see cref="GraphPatcher.Check"/>), answers
    /// a dry run with its preview, otherwise stores the patch in the run's inbox and wakes the run; the run's next
    /// episode applies it exactly once, in order with everything else in the inbox (checking it again then).
    /// </summary>
    public async Task<PatchResult> PatchRunAsync(string runId, GraphPatch patch, string? author, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (await GetRunSnapshotAsync(runId, cancellationToken) is not { State: var state } run)
        {
            return new PatchResult(PatchOutcome.RunNotFound, [$"no run '{runId}'"], null, null, 0, null);
        }

        var now = Processor.Now;
        var preview = GraphPatcher.Preview(state, patch, new DecisionContext(now));
        var check = preview.Check;
        if (!check.IsValid)
        {
            var outcome = state.IsTerminal ? PatchOutcome.RunCompleted : check.Conflict ? PatchOutcome.Conflict : PatchOutcome.Invalid;
            return new PatchResult(outcome, check.Errors, null, null, state.GraphRevision, state.Status);
        }

        if (patch.DryRun)
        {
            return new PatchResult(PatchOutcome.DryRun, [], check.Diff, preview.ReadinessChanges, state.GraphRevision, state.Status);
        }

        await DeliverAsync(run.Engine, runId, "patch:" + Guid.NewGuid().ToString("N"), new RunEvent.GraphPatchRequested(patch, author) { Actor = author }, cancellationToken);
        return new PatchResult(PatchOutcome.Accepted, [], check.Diff, preview.ReadinessChanges, state.GraphRevision + 1, state.Status);
    }

    /// <summary>The run's state, or null when there is no such run.</summary>
    public async Task<RunState?> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        (await Processor.States.LoadAsync(runId, cancellationToken))?.State;

    /// <summary>The run's state with the hash of its spec text, or null when there is no such run.</summary>
    public async Task<RunSnapshot?> GetRunSnapshotAsync(string runId, CancellationToken cancellationToken = default) =>
        await Processor.States.LoadAsync(runId, cancellationToken) is { } run ? new RunSnapshot(run.State, run.SpecHash, run.Engine) : null;

    /// <summary>
    /// The artifact hashes of a node's (or map child's, <c>each[3]</c>) values that are stored out of line because
    /// they are large: <c>{"input": hash, "output": hash}</c>, only the fields that are artifacts.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> GetNodeValueRefsAsync(string runId, string nodeId, CancellationToken cancellationToken = default)
    {
        var key = MapChildId.TryParse(nodeId, out var mapId, out var index) ? RunRows.Child(mapId, index) : RunRows.Node(nodeId);
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (await Store.Partitions.GetAsync(runId, key, cancellationToken) is { } row && JsonNode.Parse(row.Value) is JsonObject json)
        {
            foreach (var field in (string[])["input", "output"])
            {
                if (json[field + "Ref"]?.GetValue<string>() is { } hash)
                {
                    refs[field] = hash;
                }
            }
        }

        return refs;
    }

    /// <summary>
    /// The run document (<c>flow status --output json</c>): <c>{"runId","status","outputs","nodes":{id:{status,attempts,output,error}}}</c>
    /// (and <c>"rerunOf": {"runId","fromNode"}</c> for a rerun),
    /// nodes in declared order with map children (<c>each[0]</c>...) after their map. The node shape is a contract
    /// (issue 3): <c>error</c> stays the message; the whole error is in the API node view (<see cref="ErrorDocument"/>).
    /// </summary>
    public static JsonObject RunDocument(RunState state)
    {
        var nodes = new JsonObject();
        foreach (var spec in state.Spec.Nodes)
        {
            var node = state.Nodes[spec.Id];
            nodes[node.Id] = NodeDocument(node);
            foreach (var child in node.Map?.Children.OrderBy(c => c.Key).Select(c => c.Value) ?? [])
            {
                nodes[child.Id] = NodeDocument(child);
            }
        }

        var document = new JsonObject
        {
            ["runId"] = state.RunId,
            ["status"] = state.Status.ToString(),
            ["outputs"] = state.Outputs?.DeepClone() ?? new JsonObject(),
            ["nodes"] = nodes,
        };
        if (RunJson.WriteRerunSource(state.RerunOf) is { } rerunOf)
        {
            document["rerunOf"] = rerunOf;
        }

        return document;
    }

    private static JsonObject NodeDocument(NodeState node) => new()
    {
        ["status"] = node.Status.ToString(),
        ["attempts"] = node.Attempts,
        ["output"] = node.Output?.DeepClone(),
        ["error"] = node.Error is { } e && node.Status is NodeStatus.Failed or NodeStatus.Waiting ? e.Message : null,
    };

    /// <summary>
    /// A node's error as stored and shown (node rows, the API node view, <c>flow status</c>'s table):
    /// <c>{"message","class":"Transient|Permanent","attempt","kind":"other|timeout|connection|httpStatus|deadline","status"?}</c>;
    /// <c>status</c> only for <c>httpStatus</c>.
    /// </summary>
    public static JsonObject ErrorDocument(NodeError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var json = new JsonObject
        {
            ["message"] = error.Message,
            ["class"] = error.Class.ToString(),
            ["attempt"] = error.Attempt,
            ["kind"] = ErrorKindName(error.Kind),
        };
        if (error.Status is { } status)
        {
            json["status"] = status;
        }

        return json;
    }

    /// <summary>An error kind as JSON shows it: <c>other</c>, <c>timeout</c>, <c>connection</c>, <c>httpStatus</c>, <c>deadline</c>.</summary>
    public static string ErrorKindName(ErrorKind kind) => JsonNamingPolicy.CamelCase.ConvertName(kind.ToString());

    /// <summary>
    /// The run's history: node transitions in order, each <c>{at, nodeId, from, to, attempt, detail}</c>. The <c>$run</c>
    /// entry of an applied graph patch also has <c>revision</c> and <c>mutation</c>, its row of the mutation log:
    /// <c>{revision, author, at, reason, patch, result: {nodesAdded, nodesRemoved, nodesChanged, edgesAdded, edgesRemoved}}</c>.
    /// </summary>
    public async Task<IReadOnlyList<JsonObject>> GetHistoryAsync(string runId, CancellationToken cancellationToken = default)
    {
        var mutations = (await GetRevisionsAsync(runId, cancellationToken)).ToDictionary(m => m["revision"]!.GetValue<int>());
        var history = new List<JsonObject>();
        foreach (var row in await Store.Partitions.QueryAsync(runId, RunRows.HistoryPrefix, cancellationToken))
        {
            foreach (var entry in JsonNode.Parse(row.Value)!["transitions"]!.AsArray().Select(t => t!.DeepClone().AsObject()))
            {
                if (entry["revision"]?.GetValue<int>() is { } revision && mutations.TryGetValue(revision, out var mutation))
                {
                    entry["mutation"] = mutation.DeepClone();
                }
                else
                {
                    entry.Remove("revision");
                }

                history.Add(entry);
            }
        }

        return history;
    }

    /// <summary>The run's mutation log, oldest first: each applied graph revision with who, when, why, the patch and its diff.</summary>
    public async Task<IReadOnlyList<JsonObject>> GetRevisionsAsync(string runId, CancellationToken cancellationToken = default) =>
        [.. (await Store.Partitions.QueryAsync(runId, RunRows.RevisionPrefix, cancellationToken))
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => JsonNode.Parse(r.Value)!.AsObject())];

    /// <summary>Lists runs newest first.</summary>
    public Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) => Store.Runs.ListAsync(query, cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Durable is IAsyncDisposable durable)
        {
            await durable.DisposeAsync();
        }

        await _services.DisposeAsync();
        await Store.DisposeAsync();
    }
}
