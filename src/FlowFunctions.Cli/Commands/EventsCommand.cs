using System.CommandLine;
using System.Text.Json.Nodes;
using FlowFunctions.Storage;

namespace FlowFunctions.Cli.Commands;

/// <summary><c>flow events &lt;runId&gt; [--output json] [--store path]</c>: the run's history of node transitions, with the mutation log of applied graph patches.</summary>
internal static class EventsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runId = new Argument<string>("runId") { Description = "The run id." };
        var output = CommonOptions.Output();
        var store = CommonOptions.Store();
        var command = new Command("events", "Show a run's history: node transitions with timestamps and attempts, run-control notes and applied graph patches (who, when, why, the patch, its result).") { runId, output, store };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using var engine = EngineFactory.Open(parsed.GetValue(store)!);
            var id = parsed.GetValue(runId)!;
            if (await engine.GetRunAsync(id, cancellationToken) is null)
            {
                await stderr.WriteLineAsync($"flow: no run '{id}' in {FlowStores.Describe(parsed.GetValue(store)!)}");
                return ExitCodes.Invalid;
            }

            var history = await engine.GetHistoryAsync(id, cancellationToken);
            if (parsed.GetValue(output) == "json")
            {
                await stdout.WriteLineAsync(new JsonArray([.. history]).ToJsonString(CliJson.Options));
                return ExitCodes.Ok;
            }

            foreach (var e in history)
            {
                var detail = e["detail"]?.GetValue<string>() is { } d ? "  " + d : string.Empty;
                await stdout.WriteLineAsync($"{e["at"]}  {e["nodeId"]}  {e["from"]} -> {e["to"]}  (attempt {e["attempt"]}){detail}");
                if (e["mutation"] is JsonObject mutation)
                {
                    // The mutation log row of an applied graph patch: what was asked and what it changed.
                    await stdout.WriteLineAsync($"    patch: {mutation["patch"]?.ToJsonString(CliJson.Options)}");
                    await stdout.WriteLineAsync("    result: " + string.Join("; ", mutation["result"]!.AsObject().Select(p => $"{p.Key} {p.Value?.ToJsonString(CliJson.Options)}")));
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
