using System.CommandLine;
using FlowFunctions.Engine;
using FlowFunctions.Storage;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// <c>flow rerun &lt;runId&gt; --from &lt;nodeId&gt; [--store path] [--output json] [--detach] [--timeout d]</c>: starts a new run of
/// the run's current graph and inputs from one node (what is upstream is copied, not executed again) and, like
/// <c>flow run</c>, works it to a terminal status with an embedded worker. Exit 0 when the new run succeeded, 1 when it
/// failed, 2 for an unknown run or node, a refused rerun (the reason on stderr) or bad usage.
/// </summary>
internal static class RerunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runId = new Argument<string>("runId") { Description = "The run to rerun." };
        var from = new Option<string>("--from") { Description = "The node to rerun from: it and everything downstream of it run again.", Required = true };
        var store = CommonOptions.Store();
        var output = CommonOptions.Output();
        var detach = new Option<bool>("--detach") { Description = "Start the new run, print its id and return; a 'flow worker' works it." };
        var timeout = new Option<string?>("--timeout") { Description = "Stop waiting after this duration (the run goes on in the store)." };
        var allowHost = CommonOptions.AllowHost();
        var command = new Command("rerun", "Start a new run of a run's current graph and inputs from one node: upstream results are copied, the node and its descendants run; then work it to completion like 'flow run'.")
        {
            runId, from, store, output, detach, timeout, allowHost,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var (timeoutOk, waitLimit) = await RunCommand.TryParseTimeoutAsync(parsed.GetValue(timeout), stderr);
            if (!timeoutOk)
            {
                return ExitCodes.Invalid;
            }

            var source = parsed.GetValue(runId)!;
            using var telemetry = CliTelemetry.Start();
            await using var engine = EngineFactory.Open(parsed.GetValue(store)!, allowedHosts: parsed.GetValue(allowHost));
            var result = await engine.RerunAsync(source, parsed.GetValue(from)!, actor: ControlCommands.CliActor, cancellationToken: cancellationToken);
            if (result.Outcome != RerunOutcome.Started)
            {
                await stderr.WriteLineAsync(result.Outcome == RerunOutcome.RunNotFound ? $"flow: no run '{source}' in {FlowStores.Describe(parsed.GetValue(store)!)}" : $"flow: {result.Message}");
                return ExitCodes.Invalid;
            }

            var detached = parsed.GetValue(detach);
            var json = parsed.GetValue(output) == "json";
            if (!detached && !json)
            {
                await stdout.WriteLineAsync(result.Message);
            }

            return await RunCommand.FollowAsync(engine, result.RunId!, detached, json, waitLimit, stdout, stderr, cancellationToken);
        });
        return command;
    }
}
