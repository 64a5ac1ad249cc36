using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.Json;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine;
using FlowFunctions.Storage;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// Run control: <c>flow pause|resume|cancel|terminate &lt;runId&gt;</c>, <c>flow redrive &lt;runId&gt; &lt;nodeId&gt; [--with file]</c>
/// and <c>flow raise &lt;runId&gt; &lt;event&gt; [--data json]</c>.
/// Each checks the command against the run's current state, stores it in the run's inbox and returns; a worker
/// applies it. Exit 0 when accepted, 2 for an unknown run, a refused command (the reason on stderr) or bad usage.
/// </summary>
internal static class ControlCommands
{
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr)
    {
        yield return Simple("pause", "Pause a running run: nothing new is dispatched; running activities finish and their results are recorded.", _ => new RunEvent.RunPauseRequested(), stdout, stderr);
        yield return Simple("resume", "Resume a paused run.", _ => new RunEvent.RunResumeRequested(), stdout, stderr);
        yield return Simple("cancel", "Cancel a run: pending nodes are cancelled, running activities asked to stop; the run ends Cancelled.", r => new RunEvent.RunCancelRequested(r ?? "cancelled from the command line"), stdout, stderr);
        yield return Simple("terminate", "Terminate a (stuck) run at once: it ends Cancelled with reason 'terminated: ...'.", r => new RunEvent.RunTerminateRequested(r ?? "from the command line"), stdout, stderr);
        yield return Redrive(stdout, stderr);
        yield return Patch(stdout, stderr);
        yield return Raise(stdout, stderr);
    }

    private static Command Raise(TextWriter stdout, TextWriter stderr)
    {
        var runId = new Argument<string>("runId") { Description = "The run id." };
        var name = new Argument<string>("event") { Description = "The event name (what a wait node's with.event names)." };
        var data = new Option<string?>("--data") { Description = "The payload as JSON (default null)." };
        var id = new Option<string?>("--id") { Description = "An event id: raising again with the same id is a no-op." };
        var store = CommonOptions.Store();
        var cmd = new Command("raise", "Raise a named external event on a run: every wait node waiting for it succeeds with the payload; with none waiting it is kept for the next one.") { runId, name, data, id, store };
        cmd.SetAction(async (parsed, ct) =>
        {
            JsonNode? payload = null;
            if (parsed.GetValue(data) is { } text)
            {
                try
                {
                    payload = JsonNode.Parse(text);
                }
                catch (JsonException ex)
                {
                    await stderr.WriteLineAsync($"flow: --data is not JSON: {ex.Message}");
                    return ExitCodes.Invalid;
                }
            }

            var eventName = parsed.GetValue(name)!;
            if (eventName.Length == 0)
            {
                await stderr.WriteLineAsync("flow: the event name must not be empty");
                return ExitCodes.Invalid;
            }

            var run = parsed.GetValue(runId)!;
            await using var engine = EngineFactory.Open(parsed.GetValue(store)!);
            var result = await engine.ControlRunAsync(run, new RunEvent.ExternalEventRaised(eventName, payload, parsed.GetValue(id)) { Actor = CliActor }, ct);
            return await ReportAsync(result, parsed.GetValue(store)!, run, stdout, stderr);
        });
        return cmd;
    }

    private static Command Patch(TextWriter stdout, TextWriter stderr)
    {
        var runId = new Argument<string>("runId") { Description = "The run id." };
        var file = new Argument<string>("file") { Description = "A JSON graph patch (expectedRevision, operations, reason)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Apply nothing; print the diff, the blast radius and the validation result." };
        var store = CommonOptions.Store();
        var cmd = new Command("patch", "Patch a running run's graph (add/remove nodes and edges, update unstarted nodes), atomically; exit 0 with the new revision when accepted.") { runId, file, dryRun, store };
        cmd.SetAction(async (parsed, ct) =>
        {
            var path = parsed.GetValue(file)!;
            JsonNode? document;
            try
            {
                document = JsonNode.Parse(await File.ReadAllTextAsync(path, ct));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                await stderr.WriteLineAsync($"flow: cannot read {path}: {ex.Message}");
                return ExitCodes.Invalid;
            }

            var (patch, errors) = GraphPatch.Parse(document);
            if (patch is null)
            {
                foreach (var error in errors)
                {
                    await stderr.WriteLineAsync($"flow: {path}: {error}");
                }

                return ExitCodes.Invalid;
            }

            if (parsed.GetValue(dryRun))
            {
                patch = patch with { DryRun = true };
            }

            var id = parsed.GetValue(runId)!;
            await using var engine = EngineFactory.Open(parsed.GetValue(store)!);
            var result = await engine.PatchRunAsync(id, patch, CliActor, ct);
            switch (result.Outcome)
            {
                case PatchOutcome.Accepted or PatchOutcome.DryRun:
                    var diff = result.Diff!;
                    await stdout.WriteLineAsync(result.Outcome == PatchOutcome.Accepted
                        ? $"patch accepted: run {id} goes to graph revision {result.Revision}; a worker applies it"
                        : $"dry run: the patch is valid against revision {result.Revision}; nothing was applied");
                    await Line("nodes added", diff.NodesAdded);
                    await Line("nodes removed", diff.NodesRemoved);
                    await Line("nodes changed", diff.NodesChanged);
                    await Line("edges added", diff.EdgesAdded);
                    await Line("edges removed", diff.EdgesRemoved);
                    await Line("readiness changes", result.ReadinessChanges ?? []);
                    return ExitCodes.Ok;
                case PatchOutcome.RunNotFound:
                    await stderr.WriteLineAsync($"flow: no run '{id}'");
                    return ExitCodes.Invalid;
                default:
                    await stderr.WriteLineAsync($"flow: patch refused ({result.Outcome}):");
                    foreach (var error in result.Errors)
                    {
                        await stderr.WriteLineAsync($"  {error}");
                    }

                    return ExitCodes.Invalid;
            }

            async Task Line(string label, IEnumerable<string> items)
            {
                var list = items.ToList();
                if (list.Count > 0)
                {
                    await stdout.WriteLineAsync($"  {label}: {string.Join(", ", list)}");
                }
            }
        });
        return cmd;
    }

    private static Command Simple(string name, string description, Func<string?, RunEvent> command, TextWriter stdout, TextWriter stderr)
    {
        var runId = new Argument<string>("runId") { Description = "The run id." };
        var store = CommonOptions.Store();
        var reason = new Option<string?>("--reason") { Description = "Why, recorded with the run." };
        var cmd = new Command(name, description) { runId, store };
        if (name is "cancel" or "terminate")
        {
            cmd.Options.Add(reason);
        }

        cmd.SetAction((parsed, ct) => SendAsync(parsed.GetValue(store)!, parsed.GetValue(runId)!, command(parsed.GetValue(reason)), stdout, stderr, ct));
        return cmd;
    }

    private static Command Redrive(TextWriter stdout, TextWriter stderr)
    {
        var runId = new Argument<string>("runId") { Description = "The run id." };
        var nodeId = new Argument<string>("nodeId") { Description = "The Failed node to run again." };
        var with = new Option<string?>("--with") { Description = "A JSON file with a replacement for the node's 'with' (expressions allowed)." };
        var store = CommonOptions.Store();
        var cmd = new Command("redrive", "Run a Failed node again with a fresh attempt budget (optionally with a patched 'with'); what its failure skipped or cancelled becomes pending again.") { runId, nodeId, with, store };
        cmd.SetAction(async (parsed, ct) =>
        {
            JsonNode? replacement = null;
            if (parsed.GetValue(with) is { } file)
            {
                try
                {
                    replacement = JsonNode.Parse(await File.ReadAllTextAsync(file, ct));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
                {
                    await stderr.WriteLineAsync($"flow: cannot read --with {file}: {ex.Message}");
                    return ExitCodes.Invalid;
                }

                if (replacement is null)
                {
                    await stderr.WriteLineAsync($"flow: --with {file} holds null; give the replacement 'with' value");
                    return ExitCodes.Invalid;
                }
            }

            return await SendAsync(parsed.GetValue(store)!, parsed.GetValue(runId)!, new RunEvent.NodeRedriveRequested(parsed.GetValue(nodeId)!, replacement), stdout, stderr, ct);
        });
        return cmd;
    }

    /// <summary>Who the CLI's commands are recorded as: <c>cli:&lt;user name&gt;</c> (it talks to the store, not the API: no key, no role).</summary>
    internal static string CliActor => "cli:" + Environment.UserName;

    private static async Task<int> SendAsync(string store, string runId, RunEvent command, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        await using var engine = EngineFactory.Open(store);
        var result = await engine.ControlRunAsync(runId, command with { Actor = CliActor }, ct);
        return await ReportAsync(result, store, runId, stdout, stderr);
    }

    private static async Task<int> ReportAsync(ControlResult result, string store, string runId, TextWriter stdout, TextWriter stderr)
    {
        switch (result.Outcome)
        {
            case ControlOutcome.Accepted:
                await stdout.WriteLineAsync($"{result.Message} for run {runId} (it was {result.RunStatus}); a worker applies it");
                return ExitCodes.Ok;
            case ControlOutcome.RunNotFound:
                await stderr.WriteLineAsync($"flow: no run '{runId}' in {FlowStores.Describe(store)}");
                return ExitCodes.Invalid;
            default:
                await stderr.WriteLineAsync($"flow: {result.Message}");
                return ExitCodes.Invalid;
        }
    }
}
