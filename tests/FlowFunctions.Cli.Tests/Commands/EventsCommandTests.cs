using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Cli.Tests.Commands;

public sealed class EventsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-events-").FullName;

    private string Store => Path.Combine(_dir, "flow.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Events_ShowsTheMutationLogOfAppliedPatches_InTextAndJson()
    {
        var spec = Path.Combine(_dir, "spec.yaml");
        await File.WriteAllTextAsync(spec, "name: t\nnodes:\n  - { id: gate, type: wait, with: { event: go } }\n");
        var start = await CliRunner.RunAsync("run", spec, "--store", Store, "--detach");
        start.ExitCode.ShouldBe(0, start.Stderr);
        var runId = start.Stdout.Trim();
        var patch = Path.Combine(_dir, "patch.json");
        await File.WriteAllTextAsync(patch, """{ "reason": "add after", "operations": [ { "op": "addNode", "node": { "id": "after", "type": "echo", "needs": ["gate"] } } ] }""");
        var patched = await CliRunner.RunAsync("patch", runId, patch, "--store", Store);
        patched.ExitCode.ShouldBe(0, patched.Stderr);
        (await CliRunner.RunAsync("raise", runId, "go", "--store", Store)).ExitCode.ShouldBe(0);

        await using (var engine = EngineFactory.Open(Store))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var worker = engine.CreateWorker().RunAsync(stop.Token);
            while (!(await engine.GetRunAsync(runId))!.IsTerminal)
            {
                await Task.Delay(20);
            }

            await stop.CancelAsync();
            await worker;
            (await engine.GetRunAsync(runId))!.Status.ShouldBe(RunStatus.Succeeded);
        }

        var text = await CliRunner.RunAsync("events", runId, "--store", Store);
        text.ExitCode.ShouldBe(0, text.Stderr);
        text.Stdout.ShouldContain($"graph revision 2 by cli:{Environment.UserName}: add after");
        text.Stdout.ShouldContain("""    patch: {"expectedRevision":null,"reason":"add after","dryRun":false,"operations":[{"op":"addNode",""");
        text.Stdout.ShouldContain("""    result: nodesAdded ["after"]; nodesRemoved []; nodesChanged []; edgesAdded ["gate->after"]; edgesRemoved []""");

        var json = JsonNode.Parse((await CliRunner.RunAsync("events", runId, "--store", Store, "--output", "json")).Stdout)!.AsArray();
        var mutation = json.Single(e => e!["mutation"] is not null)!["mutation"]!;
        mutation["revision"]!.GetValue<int>().ShouldBe(2);
        mutation["author"]!.GetValue<string>().ShouldBe("cli:" + Environment.UserName); // the actor
        mutation["reason"]!.GetValue<string>().ShouldBe("add after");
        mutation["patch"]!["operations"]![0]!["op"]!.GetValue<string>().ShouldBe("addNode");
        mutation["result"]!["nodesAdded"]!.ToJsonString().ShouldBe("""["after"]""");
        json.ShouldContain(e => e!["nodeId"]!.GetValue<string>() == "after" && e["to"]!.GetValue<string>() == "Succeeded");
    }
}
