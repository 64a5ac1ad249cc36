using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Storage;

namespace FlowFunctions.Cli.Commands;

/// <summary><c>flow runs [--status s] [--workflow w] [--limit n] [--output json] [--store path]</c>: runs, newest first.</summary>
internal static class RunsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var status = new Option<string?>("--status") { Description = "Only runs with this status." };
        status.AcceptOnlyFromAmong([.. Enum.GetNames<RunStatus>()]);
        var workflow = new Option<string?>("--workflow") { Description = "Only runs of this workflow." };
        var limit = new Option<int>("--limit") { Description = "How many runs (1 to 1000).", DefaultValueFactory = _ => 50 };
        var output = CommonOptions.Output();
        var store = CommonOptions.Store();
        var command = new Command("runs", "List runs, newest first.") { status, workflow, limit, output, store };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            if (parsed.GetValue(limit) is < 1 or > 1000)
            {
                await stderr.WriteLineAsync("flow: --limit must be from 1 to 1000");
                return ExitCodes.Invalid;
            }

            await using var engine = EngineFactory.Open(parsed.GetValue(store)!);
            var page = await engine.ListRunsAsync(new RunQuery(parsed.GetValue(status), parsed.GetValue(workflow), Limit: parsed.GetValue(limit)), cancellationToken);
            if (parsed.GetValue(output) == "json")
            {
                var runs = new JsonArray([.. page.Runs.Select(r => (JsonNode)new JsonObject
                {
                    ["runId"] = r.RunId,
                    ["workflow"] = r.Workflow,
                    ["status"] = r.Status,
                    ["createdAt"] = r.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                    ["updatedAt"] = r.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
                    ["nodesDone"] = r.NodesDone,
                    ["nodesTotal"] = r.NodesTotal,
                })]);
                await stdout.WriteLineAsync(new JsonObject { ["runs"] = runs, ["continuationToken"] = page.ContinuationToken }.ToJsonString(CliJson.Options));
                return ExitCodes.Ok;
            }

            if (page.Runs.Count == 0)
            {
                await stdout.WriteLineAsync("No runs yet. Start one with: flow run samples/etl-report.yaml");
            }

            foreach (var r in page.Runs)
            {
                await stdout.WriteLineAsync($"{r.RunId}  {r.Workflow,-24} {r.Status,-10} {r.NodesDone}/{r.NodesTotal}  {r.CreatedAt.ToString("u", CultureInfo.InvariantCulture)}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
