using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// Run control: <c>flow pause|resume|cancel|terminate &lt;runId&gt;</c> and <c>flow redrive &lt;runId&gt; &lt;nodeId&gt; [--with file]</c>.
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

    private static async Task<int> SendAsync(string store, string runId, RunEvent command, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        await using var engine = EngineFactory.Open(store);
        var result = await engine.ControlRunAsync(runId, command, ct);
        switch (result.Outcome)
        {
            case ControlOutcome.Accepted:
                await stdout.WriteLineAsync($"{result.Message} for run {runId} (it was {result.RunStatus}); a worker applies it");
                return ExitCodes.Ok;
            case ControlOutcome.RunNotFound:
                await stderr.WriteLineAsync($"flow: no run '{runId}' in {store}");
                return ExitCodes.Invalid;
            default:
                await stderr.WriteLineAsync($"flow: {result.Message}");
                return ExitCodes.Invalid;
        }
    }
}
