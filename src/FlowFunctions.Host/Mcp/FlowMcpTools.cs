using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Engine;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Host.Api;
using FlowFunctions.Storage;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace FlowFunctions.Host.Mcp;

/// <summary>
/// The MCP tools: the same engine and rules as the HTTP API (roles, refusals, idempotency keys), answers as JSON text,
/// failures as tool errors (<see cref="McpException"/>) that say what to fix. Reads are read-only and idempotent; the
/// changes that cannot be undone (cancel, apply_patch) are marked destructive.
/// </summary>
[McpServerToolType]
internal sealed class FlowMcpTools(FlowEngine engine, WorkflowRegistry registry, IMcpCaller caller, IOptions<McpOptions> limits, TimeProvider time)
{
    /// <summary>Events returned by get_events when no limit is given, and the most it returns.</summary>
    private const int DefaultEvents = 100;
    private const int MaxEvents = 1000;

    [McpServerTool(Name = "validate_spec", ReadOnly = true, Idempotent = true, Destructive = false)]
    [Description("Validates a workflow spec (YAML or JSON text) without running it: every problem with its JSON path and line:column.")]
    public string ValidateSpec([Description("The spec text, YAML or JSON.")] string spec)
    {
        caller.Require(ApiRole.Reader, "validate_spec");
        var result = Load(spec);
        return new JsonObject
        {
            ["valid"] = result.Spec is not null,
            ["name"] = result.Spec?.Name,
            ["nodes"] = result.Spec is { } valid ? new JsonArray([.. valid.Nodes.Select(n => (JsonNode)n.Id)]) : null,
            ["errors"] = Errors(result.Errors),
        }.ToJsonString();
    }

    [McpServerTool(Name = "list_workflows", ReadOnly = true, Idempotent = true, Destructive = false)]
    [Description("The registered workflows with their latest version.")]
    public async Task<string> ListWorkflows(CancellationToken ct)
    {
        caller.Require(ApiRole.Reader, "list_workflows");
        return WorkflowApi.List(await registry.ListAsync(ct)).ToJsonString();
    }

    [McpServerTool(Name = "start_run", Destructive = false)]
    [Description("Starts a run of a spec (text) or of a registered workflow. With an idempotencyKey a repeated call starts nothing and answers the run the key started.")]
    public async Task<string> StartRun(
        [Description("The spec text (YAML or JSON); give this or 'workflow'.")] string? spec = null,
        [Description("A registered workflow's name; give this or 'spec'.")] string? workflow = null,
        [Description("The workflow version (default: the latest).")] int? version = null,
        [Description("The run inputs, an object.")] JsonElement? inputs = null,
        [Description("1-256 visible ASCII characters; the same key never starts a second run.")] string? idempotencyKey = null,
        CancellationToken ct = default)
    {
        var actor = caller.Require(ApiRole.Operator, "start_run");
        if ((spec is null) == (workflow is null))
        {
            throw new McpException("start_run: give either 'spec' (the spec text) or 'workflow' (a registered workflow's name), not both or neither");
        }

        string text;
        if (spec is not null)
        {
            text = spec;
        }
        else if (await registry.GetSpecAsync(workflow!, version, ct) is { } stored)
        {
            text = stored.Text;
        }
        else
        {
            throw new McpException(version is null ? $"start_run: no workflow '{workflow}' is registered" : $"start_run: workflow '{workflow}' has no version {version}");
        }

        var loaded = Load(text);
        if (loaded.Spec is not { } flow)
        {
            throw new McpException($"start_run: 'spec' is not valid: {string.Join("; ", loaded.Errors.Select(e => e.ToString()))}");
        }

        var inputObject = ObjectArgument(inputs, "start_run", "inputs");
        var bound = InputBinder.Bind(flow, inputObject);
        if (!bound.Errors.IsEmpty)
        {
            throw new McpException($"start_run: 'inputs' do not match the workflow: {string.Join("; ", bound.Errors)}");
        }

        var (runId, started) = await ClaimAsync("start_run", idempotencyKey, IdempotencyKeys.RequestHash(text, inputObject), ct);
        if (started is not null)
        {
            return started;
        }

        try
        {
            runId = await engine.StartRunAsync(flow, text, inputObject, runId, actor, ct);
        }
        catch (RunAlreadyExistsException) when (runId is not null)
        {
            return Started(runId, (await engine.GetRunAsync(runId, ct))!.Status, existing: true);
        }

        return Started(runId, (await engine.GetRunAsync(runId, ct))?.Status ?? RunStatus.Running, existing: false);
    }

    [McpServerTool(Name = "list_runs", ReadOnly = true, Idempotent = true, Destructive = false)]
    [Description("Runs, newest first, filtered by status and workflow, a page at a time (pass the continuationToken of the previous page).")]
    public async Task<string> ListRuns(
        [Description("Running, Paused, Succeeded, Failed or Cancelled.")] string? status = null,
        [Description("The workflow (spec) name.")] string? workflow = null,
        [Description("Runs per page, 1-200 (default 20).")] int limit = 20,
        string? continuationToken = null,
        CancellationToken ct = default)
    {
        caller.Require(ApiRole.Reader, "list_runs");
        if (status is not null && (!Enum.TryParse<RunStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(status, CultureInfo.InvariantCulture, out _)))
        {
            throw new McpException($"list_runs: 'status' must be one of {string.Join(", ", Enum.GetNames<RunStatus>())}, not '{status}'");
        }

        if (limit is < 1 or > 200)
        {
            throw new McpException($"list_runs: 'limit' must be from 1 to 200, not {limit}");
        }

        RunPage page;
        try
        {
            page = await engine.ListRunsAsync(new RunQuery(status is null ? null : Enum.Parse<RunStatus>(status, ignoreCase: true).ToString(), workflow, Limit: limit, ContinuationToken: continuationToken), ct);
        }
        catch (ArgumentException) when (continuationToken is not null)
        {
            throw new McpException("list_runs: 'continuationToken' is not one list_runs returned");
        }

        return new JsonObject
        {
            ["runs"] = new JsonArray([.. page.Runs.Select(r => (JsonNode)RunViews.Summary(r))]),
            ["continuationToken"] = page.ContinuationToken,
        }.ToJsonString();
    }

    [McpServerTool(Name = "get_run", ReadOnly = true, Idempotent = true, Destructive = false)]
    [Description("A run's document: status, outputs, every node's status, attempts, output and error, the graph revision.")]
    public async Task<string> GetRun([Description("The run id.")] string runId, CancellationToken ct)
    {
        caller.Require(ApiRole.Reader, "get_run");
        return RunViews.Document(await SnapshotAsync(runId, "get_run", ct)).ToJsonString();
    }

    [McpServerTool(Name = "get_node", ReadOnly = true, Idempotent = true, Destructive = false)]
    [Description("One node (or map child, 'each[3]'): status, attempts, error, input and output; large values as artifact links (/api/artifacts/...).")]
    public async Task<string> GetNode([Description("The run id.")] string runId, [Description("The node id, or map[index] for a map child.")] string nodeId, CancellationToken ct)
    {
        caller.Require(ApiRole.Reader, "get_node");
        var run = await SnapshotAsync(runId, "get_node", ct);
        var refs = await engine.GetNodeValueRefsAsync(runId, nodeId, ct);
        return (RunViews.Node(run.State, nodeId, refs) ?? throw new McpException($"get_node: run {runId} has no node '{nodeId}'")).ToJsonString();
    }

    [McpServerTool(Name = "get_events", ReadOnly = true, Idempotent = true, Destructive = false)]
    [Description("The run's history, newest last: node transitions and run commands with who made them (actor) and graph revisions.")]
    public async Task<string> GetEvents([Description("The run id.")] string runId, [Description("The most recent events to return, 1-1000 (default 100).")] int limit = DefaultEvents, CancellationToken ct = default)
    {
        caller.Require(ApiRole.Reader, "get_events");
        if (limit is < 1 or > MaxEvents)
        {
            throw new McpException($"get_events: 'limit' must be from 1 to {MaxEvents}, not {limit}");
        }

        await SnapshotAsync(runId, "get_events", ct);
        var events = await engine.GetHistoryAsync(runId, ct);
        return new JsonObject
        {
            ["runId"] = runId,
            ["total"] = events.Count,
            ["events"] = new JsonArray([.. events.Skip(Math.Max(0, events.Count - limit)).Select(e => (JsonNode)e.DeepClone())]),
        }.ToJsonString();
    }

    [McpServerTool(Name = "explain_failure", ReadOnly = true, Idempotent = true, Destructive = false)]
    [Description("Why a run (or one node) failed, in one answer: the failed node, its error kind and message, attempts, retry policy, breaker, the inputs it got and its upstream nodes' outputs.")]
    public async Task<string> ExplainFailure([Description("The run id.")] string runId, [Description("A node id (default: the run's failed nodes).")] string? nodeId = null, CancellationToken ct = default)
    {
        caller.Require(ApiRole.Reader, "explain_failure");
        var state = (await SnapshotAsync(runId, "explain_failure", ct)).State;
        var failed = nodeId is null
            ? state.Spec.Nodes.Where(n => state.Nodes[n.Id].Status == NodeStatus.Failed).ToList()
            : [state.Spec.FindNode(nodeId) ?? throw new McpException($"explain_failure: run {runId} has no node '{nodeId}'")];
        var explained = new JsonArray();
        foreach (var spec in failed)
        {
            var node = state.Nodes[spec.Id];
            var upstream = new JsonObject();
            foreach (var need in spec.Needs)
            {
                upstream[need] = state.Nodes.TryGetValue(need, out var n) ? new JsonObject { ["status"] = n.Status.ToString(), ["output"] = n.Output?.DeepClone() } : null;
            }

            explained.Add(new JsonObject
            {
                ["nodeId"] = spec.Id,
                ["type"] = spec.Type,
                ["status"] = node.Status.ToString(),
                ["attempts"] = node.Attempts,
                ["error"] = node.Error is { } error ? FlowEngine.ErrorDocument(error) : null,
                ["retry"] = new JsonObject { ["maxAttempts"] = spec.Retry.MaxAttempts, ["backoff"] = spec.Retry.Backoff.ToString(), ["delay"] = spec.Retry.Delay.ToString("c", CultureInfo.InvariantCulture) },
                ["circuitBreaker"] = spec.CircuitBreaker is { } breaker ? await BreakerAsync(breaker.Key ?? CircuitBreakerPolicy.DefaultKey(spec.Type, node.Input), ct) : null,
                ["input"] = node.Input?.DeepClone(),
                ["upstream"] = upstream,
            });
        }

        return new JsonObject
        {
            ["runId"] = runId,
            ["status"] = state.Status.ToString(),
            ["reason"] = state.Reason,
            ["failed"] = explained,
            ["next"] = failed.Count == 0 ? "no node failed" : "fix the cause, then redrive the node (optionally with a new 'with') or plan_patch/apply_patch the graph",
        }.ToJsonString();
    }

    [McpServerTool(Name = "plan_patch", ReadOnly = true, Idempotent = true, Destructive = false)]
    [Description("Previews a graph patch on a running run without changing anything: the diff, the nodes whose readiness changes, and the revision the plan applies to (give it to apply_patch).")]
    public async Task<string> PlanPatch([Description("The run id.")] string runId, [Description("The patch: {\"operations\": [...], \"reason\"?}, as POST /api/runs/{id}/patch takes it.")] JsonElement patch, CancellationToken ct)
    {
        var actor = caller.Require(ApiRole.Reader, "plan_patch");
        var parsed = Patch(patch, "plan_patch") with { DryRun = true };
        var result = await engine.PatchRunAsync(runId, parsed, actor, ct);
        return PatchAnswer(runId, result, "plan_patch", planned: true).ToJsonString();
    }

    [McpServerTool(Name = "apply_patch", Destructive = true)]
    [Description("Applies a planned graph patch and waits (a few seconds) for the run to apply it. 'revision' must be the revision plan_patch answered: when the run has changed since, the patch is refused as stale (plan again). Answers status 'applied', or 'pending' when no worker applied it in time.")]
    public async Task<string> ApplyPatch([Description("The run id.")] string runId, [Description("The same patch that was planned.")] JsonElement patch, [Description("The revision plan_patch answered.")] int revision, CancellationToken ct)
    {
        var actor = caller.Require(ApiRole.Admin, "apply_patch");
        var parsed = Patch(patch, "apply_patch") with { DryRun = false, ExpectedRevision = revision };
        var result = await engine.PatchRunAsync(runId, parsed, actor, ct);
        var answer = PatchAnswer(runId, result, "apply_patch", planned: false);
        answer["status"] = await AwaitPatchAsync(runId, parsed, actor, result.Revision, ct);
        answer["applied"] = (string?)answer["status"] == "applied";
        return answer.ToJsonString();
    }

    /// <summary>
    /// The verdict on an accepted patch: the run's next episode applies it as <paramref name="target"/>, or refuses it when
    /// another change took that revision first or the run ended. Waits up to <see cref="McpOptions.ApplyWaitSeconds"/>;
    /// "pending" after that (no worker is running, or it is busy).
    /// </summary>
    private async Task<string> AwaitPatchAsync(string runId, GraphPatch patch, string actor, int target, CancellationToken ct)
    {
        var until = time.GetUtcNow() + TimeSpan.FromSeconds(limits.Value.ApplyWaitSeconds);
        while (true)
        {
            var state = (await SnapshotAsync(runId, "apply_patch", ct)).State;
            if (state.GraphRevision >= target)
            {
                var taken = (await engine.GetRevisionsAsync(runId, ct)).FirstOrDefault(r => (int?)r["revision"] == target);
                return taken is not null && (string?)taken["author"] == actor && JsonNode.DeepEquals(taken["patch"], patch.ToJson())
                    ? "applied"
                    : throw new McpException($"apply_patch: refused: revision {target} was taken by another change{(taken?["author"] is { } author ? $" (by {author})" : string.Empty)} before this patch; plan_patch again and apply the new plan");
            }

            if (state.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled)
            {
                throw new McpException($"apply_patch: refused: run {runId} ended ({state.Status}) before the patch was applied");
            }

            if (time.GetUtcNow() >= until)
            {
                return "pending";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
        }
    }

    [McpServerTool(Name = "raise_event", Destructive = false)]
    [Description("Raises a named external event on a run: wait nodes waiting for it complete with the payload. With an eventId a repeated raise is stored once.")]
    public Task<string> RaiseEvent([Description("The run id.")] string runId, [Description("The event name.")] string name, [Description("The payload, any JSON value.")] JsonElement? payload = null, string? eventId = null, CancellationToken ct = default)
    {
        var actor = caller.Require(ApiRole.Operator, "raise_event");
        if (name.Length == 0)
        {
            throw new McpException("raise_event: 'name' must not be empty");
        }

        if (eventId is not null && !IdempotencyKeys.IsValid(eventId))
        {
            throw new McpException($"raise_event: 'eventId' must be 1 to {IdempotencyKeys.MaxLength} visible ASCII characters");
        }

        var value = payload is { } element ? JsonNode.Parse(element.GetRawText()) : null;
        return ControlAsync(runId, new RunEvent.ExternalEventRaised(name, value, eventId) { Actor = actor }, "raise_event", ct);
    }

    [McpServerTool(Name = "pause_run", Destructive = false, Idempotent = true)]
    [Description("Pauses a running run: nothing new starts; running work finishes. resume_run goes on.")]
    public Task<string> PauseRun([Description("The run id.")] string runId, CancellationToken ct) =>
        ControlAsync(runId, new RunEvent.RunPauseRequested { Actor = caller.Require(ApiRole.Operator, "pause_run") }, "pause_run", ct);

    [McpServerTool(Name = "resume_run", Destructive = false, Idempotent = true)]
    [Description("Resumes a paused run.")]
    public Task<string> ResumeRun([Description("The run id.")] string runId, CancellationToken ct) =>
        ControlAsync(runId, new RunEvent.RunResumeRequested { Actor = caller.Require(ApiRole.Operator, "resume_run") }, "resume_run", ct);

    [McpServerTool(Name = "cancel_run", Destructive = true, Idempotent = true)]
    [Description("Cancels a run: pending nodes are cancelled, running activities told to stop. It cannot be undone.")]
    public Task<string> CancelRun([Description("The run id.")] string runId, [Description("Why, for the run's history.")] string? reason = null, CancellationToken ct = default) =>
        ControlAsync(runId, new RunEvent.RunCancelRequested(reason ?? "cancelled through MCP") { Actor = caller.Require(ApiRole.Operator, "cancel_run") }, "cancel_run", ct);

    [McpServerTool(Name = "redrive", Destructive = false)]
    [Description("Runs a failed node again (and what was waiting on it), optionally with a new 'with'; the run goes on from there.")]
    public Task<string> Redrive([Description("The run id.")] string runId, [Description("The failed node.")] string nodeId, [Description("A replacement 'with' for the node (it cannot read secrets).")] JsonElement? with = null, CancellationToken ct = default)
    {
        var actor = caller.Require(ApiRole.Operator, "redrive");
        if (with is { ValueKind: JsonValueKind.Null })
        {
            throw new McpException("redrive: 'with' must not be null; leave it out to keep the node's 'with'");
        }

        var replacement = with is { } element ? JsonNode.Parse(element.GetRawText()) : null;
        return ControlAsync(runId, new RunEvent.NodeRedriveRequested(nodeId, replacement) { Actor = actor }, "redrive", ct);
    }

    [McpServerTool(Name = "rerun_from", Destructive = false)]
    [Description("Starts a new run of a run's current graph and inputs from one node: the node and what is downstream of it run again, the rest is copied.")]
    public async Task<string> RerunFrom([Description("The run to rerun.")] string runId, [Description("The node to rerun from.")] string nodeId, string? idempotencyKey = null, CancellationToken ct = default)
    {
        var actor = caller.Require(ApiRole.Operator, "rerun_from");
        var (newRunId, started) = await ClaimAsync("rerun_from", idempotencyKey, IdempotencyKeys.RequestHash("rerun " + runId, new JsonObject { ["from"] = nodeId }), ct);
        if (started is not null)
        {
            return started;
        }

        var result = await engine.RerunAsync(runId, nodeId, newRunId, actor, ct);
        return result.Outcome == RerunOutcome.Started
            ? Started(result.RunId!, (await engine.GetRunAsync(result.RunId!, ct))?.Status ?? RunStatus.Running, existing: false)
            : throw new McpException("rerun_from: " + result.Message);
    }

    /// <summary>
    /// The run id an idempotency key names (null without a key), claimed for this request, or the answer naming the run
    /// the key already started; a malformed key, or one that started a different request, is a tool error.
    /// </summary>
    private async Task<(string? RunId, string? Started)> ClaimAsync(string tool, string? key, string requestHash, CancellationToken ct)
    {
        if (key is null)
        {
            return (null, null);
        }

        if (!IdempotencyKeys.IsValid(key))
        {
            throw new McpException($"{tool}: 'idempotencyKey' must be 1 to {IdempotencyKeys.MaxLength} visible ASCII characters");
        }

        var runId = IdempotencyKeys.RunId(key);
        if (!await IdempotencyKeys.ClaimAsync(engine.Store.Partitions, runId, requestHash, ct))
        {
            throw new McpException($"{tool}: the idempotencyKey '{key}' already started run {runId} with a different request; use a new key");
        }

        return await engine.GetRunAsync(runId, ct) is { } existing ? (runId, Started(existing.RunId, existing.Status, existing: true)) : (runId, null);
    }

    private async Task<string> ControlAsync(string runId, RunEvent command, string tool, CancellationToken ct)
    {
        var result = await engine.ControlRunAsync(runId, command, ct);
        return result.Outcome switch
        {
            ControlOutcome.RunNotFound => throw new McpException($"{tool}: no run '{runId}'"),
            ControlOutcome.Refused => throw new McpException($"{tool}: {result.Message}"),
            _ => new JsonObject { ["runId"] = runId, ["status"] = result.RunStatus?.ToString(), ["requested"] = RunControl.Name(command) }.ToJsonString(),
        };
    }

    private static JsonObject PatchAnswer(string runId, PatchResult result, string tool, bool planned)
    {
        switch (result.Outcome)
        {
            case PatchOutcome.RunNotFound:
                throw new McpException($"{tool}: no run '{runId}'");
            case PatchOutcome.RunCompleted:
                throw new McpException($"{tool}: run {runId} is already {result.RunStatus}; a finished run cannot be patched");
            case PatchOutcome.Conflict:
                throw new McpException($"{tool}: {string.Join("; ", result.Errors)}" + (planned ? string.Empty : "; plan_patch again and apply the new plan"));
            case PatchOutcome.Invalid:
                throw new McpException($"{tool}: the patch is not valid: {string.Join("; ", result.Errors)}");
        }

        return new JsonObject
        {
            ["runId"] = runId,
            [planned ? "revision" : "appliesAsRevision"] = result.Revision,
            ["applied"] = false,
        }.WithPatchDiff(result);
    }

    private static GraphPatch Patch(JsonElement patch, string tool)
    {
        if (patch.ValueKind != JsonValueKind.Object)
        {
            throw new McpException($"{tool}: 'patch' must be an object {{\"operations\": [...]}}, not {McpToolCalls.Describe(patch)}");
        }

        var (parsed, errors) = GraphPatch.Parse(JsonNode.Parse(patch.GetRawText()));
        return parsed ?? throw new McpException($"{tool}: 'patch' is not valid: {string.Join("; ", errors)}");
    }

    private async Task<RunSnapshot> SnapshotAsync(string runId, string tool, CancellationToken ct) =>
        await RunApi.LoadAsync(engine, runId, ct) ?? throw new McpException($"{tool}: no run '{runId}'");

    private async Task<JsonNode?> BreakerAsync(string key, CancellationToken ct) =>
        await engine.Store.Breakers.GetAsync(key, ct) is { } row ? new JsonObject { ["key"] = key, ["state"] = JsonNode.Parse(row.Value) } : new JsonObject { ["key"] = key, ["state"] = "closed (never tripped)" };

    private static JsonObject? ObjectArgument(JsonElement? value, string tool, string name) => value switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.Object } element => JsonNode.Parse(element.GetRawText())!.AsObject(),
        { } other => throw new McpException($"{tool}: '{name}' must be an object, not {McpToolCalls.Describe(other)}"),
    };

    private static SpecLoadResult Load(string text) =>
        string.IsNullOrWhiteSpace(text) ? throw new McpException("the spec is empty") : SpecLoader.Load(text, SpecFormats.Sniff(text));

    private static JsonArray Errors(IEnumerable<SpecError> errors) =>
        new([.. errors.Select(e => (JsonNode)new JsonObject { ["path"] = e.Path.Length == 0 ? "/" : e.Path, ["line"] = e.Line, ["column"] = e.Column, ["message"] = e.Message, ["at"] = $"{e.Line}:{e.Column}" })]);

    private static string Started(string runId, RunStatus status, bool existing) =>
        new JsonObject { ["runId"] = runId, ["status"] = status.ToString(), ["existing"] = existing }.ToJsonString();
}
