using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Storage;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Api;

/// <summary>The run endpoints: start, list, read (document, graph, history, node), cancel; and artifacts.</summary>
internal static class RunApi
{
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
    private static readonly HashSet<string> StartProperties = new(StringComparer.Ordinal) { "spec", "workflow", "version", "inputs" };

    public static RouteGroupBuilder MapRunApi(this RouteGroupBuilder api)
    {
        api.MapPost("/runs", StartAsync).RequireRole(ApiRole.Operator);
        api.MapGet("/runs", ListAsync);
        api.MapGet("/runs/{id}", GetAsync);
        api.MapGet("/runs/{id}/graph", GraphAsync);
        api.MapGet("/runs/{id}/events", HistoryAsync);
        api.MapGet("/runs/{id}/revisions", RevisionsAsync);
        api.MapPost("/runs/{id}/events/{eventName}", RaiseEventAsync).RequireRole(ApiRole.Operator);
        api.MapGet("/runs/{id}/nodes/{nodeId}", NodeAsync);
        api.MapPost("/runs/{id}/cancel", CancelAsync).RequireRole(ApiRole.Operator);
        // Anyone who may read may preview a patch (dryRun); applying one needs admin (checked in PatchAsync).
        api.MapPost("/runs/{id}/patch", PatchAsync).RequireRole(ApiRole.Reader);
        api.MapPost("/runs/{id}/rerun", RerunAsync).RequireRole(ApiRole.Operator);
        api.MapPost("/runs/{id}/pause", (string id, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, CancellationToken ct) =>
            ControlAsync(id, null, request, engine, options, [], _ => new RunEvent.RunPauseRequested(), ct)).RequireRole(ApiRole.Operator);
        api.MapPost("/runs/{id}/resume", (string id, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, CancellationToken ct) =>
            ControlAsync(id, null, request, engine, options, [], _ => new RunEvent.RunResumeRequested(), ct)).RequireRole(ApiRole.Operator);
        api.MapPost("/runs/{id}/terminate", (string id, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, CancellationToken ct) =>
            ControlAsync(id, null, request, engine, options, ["reason"], b => new RunEvent.RunTerminateRequested(b["reason"]?.GetValue<string>() ?? "through the API"), ct));
        api.MapPost("/runs/{id}/nodes/{nodeId}/redrive", (string id, string nodeId, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, CancellationToken ct) =>
            ControlAsync(id, nodeId, request, engine, options, ["with"], b => new RunEvent.NodeRedriveRequested(nodeId, b["with"]?.DeepClone()), ct)).RequireRole(ApiRole.Operator);
        api.MapGet("/artifacts/{hash}", ArtifactAsync);
        return api;
    }

    private static async Task<IResult> StartAsync(HttpRequest request, FlowEngine engine, WorkflowRegistry registry, IOptions<FlowHostOptions> options, CancellationToken ct)
    {
        var (bytes, problem) = await RequestBodies.ReadAsync(request, options.Value.MaxRequestBodyBytes, acceptYaml: false, optional: false, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (parsedRoot, malformed) = RequestBodies.ParseObject(bytes!);
        if (malformed is not null)
        {
            return malformed;
        }

        var root = parsedRoot!;
        if (root.Select(p => p.Key).FirstOrDefault(k => !StartProperties.Contains(k)) is { } unknown)
        {
            return Invalid($"unknown property '{unknown}'; a run request has 'spec' or 'workflow' (with an optional 'version'), and 'inputs'");
        }

        if (root["inputs"] is { } rawInputs and not JsonObject)
        {
            return Invalid($"'inputs' must be an object, not {RequestBodies.Describe(rawInputs)}");
        }

        var inputs = root["inputs"] as JsonObject;
        ResolvedSpec? spec;
        if (root.ContainsKey("spec") == root.ContainsKey("workflow"))
        {
            return Invalid("give either 'spec' (a spec object, or YAML or JSON text) or 'workflow' (a registered workflow's name), not both or neither");
        }

        if (root.ContainsKey("spec"))
        {
            if (root.ContainsKey("version"))
            {
                return Invalid("'version' selects a registered workflow's version; it goes with 'workflow', not 'spec'");
            }

            (spec, problem) = SpecSources.FromJsonProperty(bytes!, "spec", root["spec"]);
            if (problem is not null)
            {
                return problem;
            }
        }
        else
        {
            if (root["workflow"] is not JsonValue nameValue || nameValue.GetValueKind() != JsonValueKind.String)
            {
                return Invalid($"'workflow' must be a string, not {RequestBodies.Describe(root["workflow"])}");
            }

            int? version = null;
            if (root["version"] is { } versionNode)
            {
                if (versionNode is not JsonValue v || !v.TryGetValue<int>(out var n) || n < 1)
                {
                    return Invalid($"'version' must be a positive integer, not {versionNode.ToJsonString()}");
                }

                version = n;
            }

            var name = nameValue.GetValue<string>();
            if (await registry.GetSpecAsync(name, version, ct) is not { } stored)
            {
                return Problems.Result(Problems.WorkflowNotFound, version is null
                    ? $"no workflow '{name}' is registered (POST /api/workflows registers one)"
                    : $"workflow '{name}' has no version {version}");
            }

            (spec, problem) = SpecSources.FromText(stored.Text);
            if (problem is not null)
            {
                return problem;
            }
        }

        var bound = InputBinder.Bind(spec!.Spec, inputs);
        if (!bound.Errors.IsEmpty)
        {
            return Problems.Result(Problems.InvalidInputs, string.Join("; ", bound.Errors), new Dictionary<string, object?> { ["errors"] = bound.Errors.ToArray() });
        }

        var baseUrl = BaseUrl(request);
        var (runId, answer) = await ClaimIdempotencyKeyAsync(request, engine, IdempotencyKeys.RequestHash(spec.Text, inputs), ct);
        if (answer is not null)
        {
            return answer;
        }

        try
        {
            runId = await engine.StartRunAsync(spec.Spec, spec.Text, inputs, runId, request.Actor(), ct);
        }
        catch (RunAlreadyExistsException) when (runId is not null)
        {
            // A concurrent retry with the same key won the race.
            return Existing(baseUrl, (await engine.GetRunAsync(runId, ct))!);
        }

        var body = RunViews.Accepted(baseUrl, runId, RunStatus.Running);
        return new AcceptedWithLocation(body["statusQueryUri"]!.GetValue<string>(), TypedResults.Json(body, statusCode: StatusCodes.Status202Accepted));
    }

    /// <summary>
    /// The run id an <c>Idempotency-Key</c> header names (null without the header), claimed for this request; or the
    /// answer when there is nothing to start: 400 for a bad key, 409 when the key started another request, 200 with the
    /// run it already started.
    /// </summary>
    private static async Task<(string? RunId, IResult? Answer)> ClaimIdempotencyKeyAsync(HttpRequest request, FlowEngine engine, string requestHash, CancellationToken ct)
    {
        if (!request.Headers.TryGetValue(IdempotencyKeys.Header, out var keys))
        {
            return (null, null);
        }

        var key = keys.ToString();
        if (keys.Count != 1 || !IdempotencyKeys.IsValid(key))
        {
            return (null, Invalid($"the {IdempotencyKeys.Header} header must be one value of 1 to {IdempotencyKeys.MaxLength} visible ASCII characters"));
        }

        var runId = IdempotencyKeys.RunId(key);
        if (!await IdempotencyKeys.ClaimAsync(engine.Store.Partitions, runId, requestHash, ct))
        {
            return (runId, Problems.Result(Problems.IdempotencyConflict, $"the {IdempotencyKeys.Header} '{key}' already started run {runId} with a different request; use a new key", new Dictionary<string, object?> { ["runId"] = runId }));
        }

        return await engine.GetRunAsync(runId, ct) is { } existing ? (runId, Existing(BaseUrl(request), existing)) : (runId, null);
    }

    private static AcceptedWithLocation Existing(string baseUrl, RunState state)
    {
        var body = RunViews.Accepted(baseUrl, state.RunId, state.Status);
        return new AcceptedWithLocation(body["statusQueryUri"]!.GetValue<string>(), TypedResults.Json(body, statusCode: StatusCodes.Status200OK));
    }

    private static async Task<IResult> ListAsync(HttpRequest request, FlowEngine engine, CancellationToken ct)
    {
        var q = request.Query;
        foreach (var key in q.Keys)
        {
            if (key is not ("status" or "workflow" or "createdFrom" or "createdTo" or "limit" or "continuationToken"))
            {
                return Invalid($"unknown query parameter '{key}'; the filters are status, workflow, createdFrom, createdTo, limit and continuationToken");
            }
        }

        string? status = null;
        if (q["status"].ToString() is { Length: > 0 } s)
        {
            if (!Enum.TryParse<RunStatus>(s, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(s, CultureInfo.InvariantCulture, out _))
            {
                return Invalid($"unknown status '{s}'; one of {string.Join(", ", Enum.GetNames<RunStatus>())}");
            }

            status = parsed.ToString();
        }

        DateTimeOffset? from = null, to = null;
        foreach (var (name, set) in (ReadOnlySpan<(string, Action<DateTimeOffset>)>)[("createdFrom", t => from = t), ("createdTo", t => to = t)])
        {
            if (q[name].ToString() is { Length: > 0 } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
                {
                    return Invalid($"'{name}' must be an ISO 8601 date and time (2025-01-31T12:00:00Z), not '{text}'");
                }

                set(time);
            }
        }

        var limit = 50;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            return Invalid($"'limit' must be an integer from 1 to 1000, not '{l}'");
        }

        var token = q["continuationToken"].ToString() is { Length: > 0 } t ? t : null;
        var workflow = q["workflow"].ToString() is { Length: > 0 } w ? w : null;
        RunPage page;
        try
        {
            page = await engine.ListRunsAsync(new RunQuery(status, workflow, from, to, limit, token), ct);
        }
        catch (ArgumentException) when (token is not null)
        {
            return Invalid("the continuationToken is not one this API returned");
        }

        string? next = null;
        if (page.ContinuationToken is { } nextToken)
        {
            var query = q.Where(p => p.Key != "continuationToken").Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value.ToString())}")
                .Append("continuationToken=" + Uri.EscapeDataString(nextToken));
            next = "/api/runs?" + string.Join("&", query);
        }

        return TypedResults.Json(new JsonObject
        {
            ["runs"] = new JsonArray([.. page.Runs.Select(r => (JsonNode)RunViews.Summary(r))]),
            ["continuationToken"] = page.ContinuationToken,
            ["next"] = next,
        });
    }

    private static async Task<IResult> GetAsync(string id, FlowEngine engine, CancellationToken ct) =>
        await LoadAsync(engine, id, ct) is { } run ? TypedResults.Json(RunViews.Document(run)) : RunNotFound(id);

    private static async Task<IResult> GraphAsync(string id, FlowEngine engine, CancellationToken ct) =>
        await LoadAsync(engine, id, ct) is { } run ? TypedResults.Json(RunViews.Graph(run.State)) : RunNotFound(id);

    private static async Task<IResult> HistoryAsync(string id, FlowEngine engine, CancellationToken ct)
    {
        if (await LoadAsync(engine, id, ct) is null)
        {
            return RunNotFound(id);
        }

        var events = await engine.GetHistoryAsync(id, ct);
        return TypedResults.Json(new JsonObject { ["runId"] = id, ["events"] = new JsonArray([.. events.Cast<JsonNode>()]) });
    }

    private static async Task<IResult> RevisionsAsync(string id, FlowEngine engine, CancellationToken ct)
    {
        if (await LoadAsync(engine, id, ct) is null)
        {
            return RunNotFound(id);
        }

        var revisions = await engine.GetRevisionsAsync(id, ct);
        return TypedResults.Json(new JsonObject { ["runId"] = id, ["revisions"] = new JsonArray([.. revisions.Cast<JsonNode>()]) });
    }

    /// <summary>
    /// Raises a named external event: the body (any JSON value, empty for null) is the payload. 404 for an unknown run,
    /// 409 run-completed for a finished one, otherwise 202 once it is stored. An Idempotency-Key header makes a repeated
    /// raise a no-op.
    /// </summary>
    private static async Task<IResult> RaiseEventAsync(string id, string eventName, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, CancellationToken ct)
    {
        var (bytes, problem) = await RequestBodies.ReadAsync(request, options.Value.MaxRequestBodyBytes, acceptYaml: false, optional: true, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (payload, malformed) = bytes is { Length: > 0 } ? RequestBodies.ParseValue(bytes) : (null, null);
        if (malformed is not null)
        {
            return malformed;
        }

        string? eventId = null;
        if (request.Headers.TryGetValue(IdempotencyKeys.Header, out var keys))
        {
            eventId = keys.ToString();
            if (keys.Count != 1 || !IdempotencyKeys.IsValid(eventId))
            {
                return Invalid($"the {IdempotencyKeys.Header} header must be one value of 1 to {IdempotencyKeys.MaxLength} visible ASCII characters");
            }
        }

        if (await LoadAsync(engine, id, ct) is not { } run)
        {
            return RunNotFound(id);
        }

        if (run.State.IsTerminal)
        {
            return Problems.Result(Problems.RunCompleted, $"run {id} is already {run.State.Status}; a finished run takes no events", new Dictionary<string, object?> { ["runStatus"] = run.State.Status.ToString() });
        }

        var result = await engine.ControlRunAsync(id, new RunEvent.ExternalEventRaised(eventName, payload, eventId) { Actor = request.Actor() }, ct);
        return result.Outcome switch
        {
            ControlOutcome.RunNotFound => RunNotFound(id),
            ControlOutcome.Refused => Problems.Result(Problems.RunCompleted, result.Message, new Dictionary<string, object?> { ["runStatus"] = result.RunStatus?.ToString() }),
            _ => TypedResults.Json(new JsonObject
            {
                ["runId"] = id,
                ["status"] = run.State.Status.ToString(),
                ["requested"] = $"event '{eventName}'",
                ["statusQueryUri"] = BaseUrl(request) + RunViews.RunPath(id),
            }, statusCode: StatusCodes.Status202Accepted),
        };
    }

    private static async Task<IResult> NodeAsync(string id, string nodeId, FlowEngine engine, CancellationToken ct)
    {
        if (await LoadAsync(engine, id, ct) is not { } run)
        {
            return RunNotFound(id);
        }

        var refs = run.State.Spec.FindNode(nodeId) is not null || MapChildId.TryParse(nodeId, out _, out _)
            ? await engine.GetNodeValueRefsAsync(id, nodeId, ct)
            : new Dictionary<string, string>();
        return RunViews.Node(run.State, nodeId, refs) is { } node
            ? TypedResults.Json(node)
            : Problems.Result(Problems.NodeNotFound, $"run {id} has no node '{nodeId}' (map children are addressed as map[index], e.g. each%5B3%5D)");
    }

    private static async Task<IResult> CancelAsync(string id, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, CancellationToken ct)
    {
        var (bytes, problem) = await RequestBodies.ReadAsync(request, options.Value.MaxRequestBodyBytes, acceptYaml: false, optional: true, ct);
        if (problem is not null)
        {
            return problem;
        }

        string? reason = null;
        if (bytes is { Length: > 0 })
        {
            var (parsedRoot, malformed) = RequestBodies.ParseObject(bytes);
            if (malformed is not null)
            {
                return malformed;
            }

            var root = parsedRoot!;
            if (root.Select(p => p.Key).FirstOrDefault(k => k != "reason") is { } unknown)
            {
                return Invalid($"unknown property '{unknown}'; a cancel request may only have 'reason'");
            }

            if (root["reason"] is { } r)
            {
                if (r is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
                {
                    return Invalid($"'reason' must be a string, not {RequestBodies.Describe(r)}");
                }

                reason = value.GetValue<string>();
            }
        }

        if (await LoadAsync(engine, id, ct) is not { } run)
        {
            return RunNotFound(id);
        }

        if (run.State.IsTerminal)
        {
            return Problems.Result(Problems.RunCompleted, $"run {id} is already {run.State.Status}", new Dictionary<string, object?> { ["runStatus"] = run.State.Status.ToString() });
        }

        var result = await engine.ControlRunAsync(id, new RunEvent.RunCancelRequested(reason ?? "cancelled through the API") { Actor = request.Actor() }, ct);
        if (result.Outcome == ControlOutcome.Refused)
        {
            return Problems.Result(Problems.RunCompleted, result.Message, new Dictionary<string, object?> { ["runStatus"] = result.RunStatus?.ToString() });
        }

        return TypedResults.Json(new JsonObject
        {
            ["runId"] = id,
            ["status"] = run.State.Status.ToString(),
            ["cancelRequested"] = true,
            ["statusQueryUri"] = BaseUrl(request) + RunViews.RunPath(id),
        }, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// A graph patch: 400 invalid-request (malformed patch, or a patched graph that is not valid, every error in
    /// <c>errors</c>), 404 for an unknown run, 409 run-completed for a finished run, 409 command-refused for a stale
    /// <c>expectedRevision</c>, 200 with the diff for a dry run, otherwise 202 with the revision it produces.
    /// </summary>
    private static async Task<IResult> PatchAsync(string id, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, CancellationToken ct)
    {
        var (root, problem) = await RequestBodies.ReadObjectAsync(request, options.Value.MaxRequestBodyBytes, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (patch, errors) = GraphPatch.Parse(root);
        if (patch is null)
        {
            return Problems.Result(Problems.InvalidRequest, string.Join("; ", errors), new Dictionary<string, object?> { ["errors"] = errors.ToArray() });
        }

        var caller = request.HttpContext.Caller();
        if (!patch.DryRun && !caller.Has(ApiRole.Admin))
        {
            return ApiCallers.Forbidden(caller, ApiRole.Admin, "applying a patch (without \"dryRun\": true)");
        }

        var result = await engine.PatchRunAsync(id, patch, caller.Actor, ct);
        var extensions = new Dictionary<string, object?> { ["errors"] = result.Errors.ToArray(), ["runStatus"] = result.RunStatus?.ToString(), ["revision"] = result.Revision };
        switch (result.Outcome)
        {
            case PatchOutcome.RunNotFound:
                return RunNotFound(id);
            case PatchOutcome.RunCompleted:
                return Problems.Result(Problems.RunCompleted, $"run {id} is already {result.RunStatus}; a finished run cannot be patched", extensions);
            case PatchOutcome.Conflict:
                return Problems.Result(Problems.CommandRefused, string.Join("; ", result.Errors), extensions);
            case PatchOutcome.Invalid:
                return Problems.Result(Problems.InvalidRequest, string.Join("; ", result.Errors), extensions);
        }

        var answer = new JsonObject
        {
            ["runId"] = id,
            ["dryRun"] = result.Outcome == PatchOutcome.DryRun,
            ["revision"] = result.Revision,
            ["valid"] = true,
            ["errors"] = new JsonArray(),
        }.WithPatchDiff(result);
        answer["statusQueryUri"] = BaseUrl(request) + RunViews.RunPath(id);
        return TypedResults.Json(answer, statusCode: result.Outcome == PatchOutcome.DryRun ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// A run-control command: an optional JSON object body with only <paramref name="allowed"/> properties ('reason'
    /// must be a string); 404 for an unknown run or node, 409 run-completed for a finished run (except a redrive of a
    /// Failed one), 409 command-refused when the run's state does not allow it, otherwise 202 once it is stored.
    /// </summary>
    private static async Task<IResult> ControlAsync(string id, string? nodeId, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, string[] allowed, Func<JsonObject, RunEvent> command, CancellationToken ct)
    {
        var (bytes, problem) = await RequestBodies.ReadAsync(request, options.Value.MaxRequestBodyBytes, acceptYaml: false, optional: true, ct);
        if (problem is not null)
        {
            return problem;
        }

        var body = new JsonObject();
        if (bytes is { Length: > 0 })
        {
            var (parsedRoot, malformed) = RequestBodies.ParseObject(bytes);
            if (malformed is not null)
            {
                return malformed;
            }

            body = parsedRoot!;
            if (body.Select(p => p.Key).FirstOrDefault(k => !allowed.Contains(k)) is { } unknown)
            {
                return Invalid(allowed.Length == 0
                    ? $"unknown property '{unknown}'; this request takes no properties"
                    : $"unknown property '{unknown}'; this request may only have {string.Join(", ", allowed.Select(a => $"'{a}'"))}");
            }

            if (body["reason"] is { } r && (r is not JsonValue value || value.GetValueKind() != JsonValueKind.String))
            {
                return Invalid($"'reason' must be a string, not {RequestBodies.Describe(r)}");
            }

            if (body.ContainsKey("with") && body["with"] is null)
            {
                return Invalid("'with' must not be null; leave it out to keep the node's 'with'");
            }
        }

        if (await LoadAsync(engine, id, ct) is not { } run)
        {
            return RunNotFound(id);
        }

        if (nodeId is not null && !run.State.Nodes.ContainsKey(nodeId) && !MapChildId.TryParse(nodeId, out _, out _))
        {
            return Problems.Result(Problems.NodeNotFound, $"run {id} has no node '{nodeId}'");
        }

        var evt = command(body) with { Actor = request.Actor() };
        if (run.State.IsTerminal && !(evt is RunEvent.NodeRedriveRequested && run.State.Status == RunStatus.Failed))
        {
            return Problems.Result(Problems.RunCompleted, $"run {id} is already {run.State.Status}", new Dictionary<string, object?> { ["runStatus"] = run.State.Status.ToString() });
        }

        var result = await engine.ControlRunAsync(id, evt, ct);
        return result.Outcome switch
        {
            ControlOutcome.RunNotFound => RunNotFound(id),
            ControlOutcome.Refused => Problems.Result(Problems.CommandRefused, result.Message, new Dictionary<string, object?> { ["runStatus"] = result.RunStatus?.ToString() }),
            _ => TypedResults.Json(new JsonObject
            {
                ["runId"] = id,
                ["status"] = run.State.Status.ToString(),
                ["requested"] = RunControl.Name(evt),
                ["statusQueryUri"] = BaseUrl(request) + RunViews.RunPath(id),
            }, statusCode: StatusCodes.Status202Accepted),
        };
    }

    /// <summary>
    /// Starts a rerun of the run from the node named by the body's 'from': 202 with the new run's Location and the body
    /// POST /api/runs answers with; 400 when 'from' is missing or not a string, 404 for an unknown run or node, 409
    /// command-refused when a node upstream of it cannot be copied.
    /// </summary>
    private static async Task<IResult> RerunAsync(string id, HttpRequest request, FlowEngine engine, IOptions<FlowHostOptions> options, CancellationToken ct)
    {
        var (body, problem) = await RequestBodies.ReadObjectAsync(request, options.Value.MaxRequestBodyBytes, ct);
        if (problem is not null)
        {
            return problem;
        }

        var root = body!;
        if (root.Select(p => p.Key).FirstOrDefault(k => k != "from") is { } unknown)
        {
            return Invalid($"unknown property '{unknown}'; a rerun request has only 'from'");
        }

        if (root["from"] is not JsonValue from || from.GetValueKind() != JsonValueKind.String || from.GetValue<string>().Length == 0)
        {
            return Invalid(root["from"] is null
                ? "'from' is required: the id of the node to rerun from"
                : $"'from' must be a node id (a non-empty string), not {RequestBodies.Describe(root["from"])}");
        }

        if (await LoadAsync(engine, id, ct) is null)
        {
            return RunNotFound(id);
        }

        var (runId, answer) = await ClaimIdempotencyKeyAsync(request, engine, IdempotencyKeys.RequestHash("rerun " + id, new JsonObject { ["from"] = from.GetValue<string>() }), ct);
        if (answer is not null)
        {
            return answer;
        }

        RerunResult result;
        try
        {
            result = await engine.RerunAsync(id, from.GetValue<string>(), runId, request.Actor(), ct);
        }
        catch (RunAlreadyExistsException) when (runId is not null)
        {
            // A concurrent retry with the same key won the race.
            return Existing(BaseUrl(request), (await engine.GetRunAsync(runId, ct))!);
        }

        switch (result.Outcome)
        {
            case RerunOutcome.Started:
                // Usually Running; a rerun whose only fresh node is skipped at once has already finished.
                var status = (await engine.GetRunAsync(result.RunId!, ct))?.Status ?? RunStatus.Running;
                var accepted = RunViews.Accepted(BaseUrl(request), result.RunId!, status);
                return new AcceptedWithLocation(accepted["statusQueryUri"]!.GetValue<string>(), TypedResults.Json(accepted, statusCode: StatusCodes.Status202Accepted));
            case RerunOutcome.RunNotFound:
                return RunNotFound(id);
            case RerunOutcome.NodeNotFound:
                return Problems.Result(Problems.NodeNotFound, result.Message);
            default:
                return Problems.Result(Problems.CommandRefused, result.Message);
        }
    }

    private static async Task<IResult> ArtifactAsync(string hash, HttpContext context, FlowEngine engine, CancellationToken ct)
    {
        if (!IsArtifactHash(hash) || await engine.Store.Artifacts.GetAsync(hash, ct) is not { } bytes)
        {
            return Problems.Result(Problems.ArtifactNotFound, $"no artifact '{hash}' (artifact ids are sha256:<64 hex digits>)");
        }

        // Content-addressed: the bytes of a hash never change.
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        context.Response.Headers.ETag = $"\"{hash}\"";
        return TypedResults.Bytes(bytes, "application/octet-stream");
    }

    /// <summary>A run, or null; ids that no run can have are not looked up.</summary>
    internal static async Task<RunSnapshot?> LoadAsync(FlowEngine engine, string id, CancellationToken ct) =>
        id.Length is 0 or > 128 || id.Any(char.IsControl) || id.StartsWith('$') ? null : await engine.GetRunSnapshotAsync(id, ct);

    private static bool IsArtifactHash(string hash) =>
        hash.Length == 71 && hash.StartsWith("sha256:", StringComparison.Ordinal) && !hash.AsSpan(7).ContainsAnyExcept(LowerHex);

    private static IResult RunNotFound(string id) => Problems.Result(Problems.RunNotFound, $"no run '{id}'");

    private static IResult Invalid(string detail) => Problems.Result(Problems.InvalidRequest, detail);

    internal static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";
}
