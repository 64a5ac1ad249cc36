using System.CommandLine;
using FlowFunctions.Engine;
using FlowFunctions.Storage;

namespace FlowFunctions.Cli.Commands;

/// <summary><c>flow status &lt;runId&gt; [--output json] [--store path]</c>: the run document of a run in any state.</summary>
internal static class StatusCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runId = new Argument<string>("runId") { Description = "The run id." };
        var output = CommonOptions.Output();
        var store = CommonOptions.Store();
        var command = new Command("status", "Show a run: its status, outputs and every node.") { runId, output, store };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using var engine = EngineFactory.Open(parsed.GetValue(store)!);
            var state = await engine.GetRunAsync(parsed.GetValue(runId)!, cancellationToken);
            if (state is null)
            {
                await stderr.WriteLineAsync($"flow: no run '{parsed.GetValue(runId)}' in {FlowStores.Describe(parsed.GetValue(store)!)}");
                return ExitCodes.Invalid;
            }

            if (parsed.GetValue(output) == "json")
            {
                await stdout.WriteLineAsync(FlowEngine.RunDocument(state).ToJsonString(CliJson.Options));
            }
            else
            {
                await RunView.WriteSummaryAsync(state, stdout);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
