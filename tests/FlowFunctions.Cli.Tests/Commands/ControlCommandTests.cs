using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Cli.Tests.Commands;

public sealed class ControlCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-control-").FullName;

    private string Store => Path.Combine(_dir, "flow.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Redrive_WithAFixedInput_IsAccepted_RefusalsExit2_AndAWorkerFinishesTheRun()
    {
        var spec = Write("broken.yaml", "name: broken\nnodes:\n  - { id: b, type: fail, with: { message: bad input } }\noutputs: { r: \"${{ nodes.b.output }}\" }\n");
        var (code, stdout, _) = await CliRunner.RunAsync("run", spec, "--store", Store, "--output", "json");
        code.ShouldBe(1);
        var runId = JsonNode.Parse(stdout)!["runId"]!.GetValue<string>();

        var pause = await CliRunner.RunAsync("pause", runId, "--store", Store);
        pause.ExitCode.ShouldBe(2);
        pause.Stderr.ShouldContain("pause refused: the run is Failed; only a Running run can be paused");
        (await CliRunner.RunAsync("resume", runId, "--store", Store)).ExitCode.ShouldBe(2);
        (await CliRunner.RunAsync("cancel", runId, "--store", Store)).Stderr.ShouldContain("cancel refused: the run is already Failed");
        (await CliRunner.RunAsync("terminate", "nope", "--store", Store)).Stderr.ShouldContain("no run 'nope'");
        (await CliRunner.RunAsync("redrive", runId, "x", "--store", Store)).Stderr.ShouldContain("the run has no node 'x'");
        (await CliRunner.RunAsync("redrive", runId, "b", "--with", Path.Combine(_dir, "missing.json"), "--store", Store)).ExitCode.ShouldBe(2);

        var fix = Write("fix.json", """{"times": 0, "output": 42}""");
        var redrive = await CliRunner.RunAsync("redrive", runId, "b", "--with", fix, "--store", Store);
        redrive.ExitCode.ShouldBe(0, redrive.Stderr);
        redrive.Stdout.ShouldContain("redrive of 'b' requested");

        await using var engine = EngineFactory.Open(Store);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var worker = engine.CreateWorker().RunAsync(stop.Token);
        RunState state;
        while (!(state = (await engine.GetRunAsync(runId))!).IsTerminal || state.Status == RunStatus.Failed && state.Nodes["b"].Incarnation == 0)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await worker;
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["r"]!.GetValue<int>().ShouldBe(42);
    }

    [Fact]
    public async Task Patch_DryRunAcceptedAndRefused_ExitCodes()
    {
        var spec = "name: slow\nnodes:\n  - { id: wait, type: delay, with: { duration: 10m } }\n  - { id: after, type: echo, needs: [wait], with: 1 }\n";
        var (parsed, text) = (Core.Validation.SpecLoader.Load(spec, Core.Parsing.SpecFormat.Yaml).Spec!, spec);
        string runId;
        await using (var engine = EngineFactory.Open(Store))
        {
            runId = await engine.StartRunAsync(parsed, text, null);
        }

        var good = Write("good.json", """{ "expectedRevision": 1, "operations": [ { "op": "addNode", "node": { "id": "c", "type": "echo", "needs": ["wait"] } } ] }""");
        var dry = await CliRunner.RunAsync("patch", runId, good, "--dry-run", "--store", Store);
        dry.ExitCode.ShouldBe(0, dry.Stderr);
        dry.Stdout.ShouldContain("dry run");
        dry.Stdout.ShouldContain("nodes added: c");

        var bad = Write("bad.json", """{ "operations": [ { "op": "removeNode", "id": "wait" }, { "op": "addEdge", "from": "nope", "to": "after" } ] }""");
        var refused = await CliRunner.RunAsync("patch", runId, bad, "--store", Store);
        refused.ExitCode.ShouldBe(2);
        refused.Stderr.ShouldContain("node 'wait' has started (Waiting) and cannot be removed");
        refused.Stderr.ShouldContain("nope");

        var accepted = await CliRunner.RunAsync("patch", runId, good, "--store", Store);
        accepted.ExitCode.ShouldBe(0, accepted.Stderr);
        accepted.Stdout.ShouldContain("graph revision 2");
        (await CliRunner.RunAsync("patch", runId, Write("malformed.json", "{ \"operations\": 1 }"), "--store", Store)).ExitCode.ShouldBe(2);
        (await CliRunner.RunAsync("patch", "nope", good, "--store", Store)).ExitCode.ShouldBe(2);

        await using (var engine = EngineFactory.Open(Store))
        {
            await engine.Processor.ProcessAsync(runId, default);
            (await engine.GetRunAsync(runId))!.GraphRevision.ShouldBe(2);
        }

        var stale = await CliRunner.RunAsync("patch", runId, good, "--store", Store);
        stale.ExitCode.ShouldBe(2);
        stale.Stderr.ShouldContain("stale");
    }

    [Fact]
    public async Task Raise_DeliversThePayload_RefusalsAndBadJsonExit2()
    {
        var spec = Write("wait.yaml", "name: w\nnodes:\n  - { id: w, type: wait, with: { event: approved } }\noutputs: { r: \"${{ nodes.w.output.ok }}\" }\n");
        var (code, stdout, stderr) = await CliRunner.RunAsync("run", spec, "--store", Store, "--detach");
        code.ShouldBe(0, stderr);
        var runId = stdout.Trim().Split('\n')[^1].Trim().Split(' ')[^1];
        (await CliRunner.RunAsync("status", runId, "--store", Store)).ExitCode.ShouldNotBe(2, $"run id '{runId}' from: {stdout}");

        var bad = await CliRunner.RunAsync("raise", runId, "approved", "--data", "{nope", "--store", Store);
        bad.ExitCode.ShouldBe(2);
        bad.Stderr.ShouldContain("--data is not JSON");
        (await CliRunner.RunAsync("raise", "nope", "approved", "--store", Store)).Stderr.ShouldContain("no run 'nope'");

        var raise = await CliRunner.RunAsync("raise", runId, "approved", "--data", """{"ok": true}""", "--store", Store);
        raise.ExitCode.ShouldBe(0, raise.Stderr);
        raise.Stdout.ShouldContain("event 'approved' raised");

        await using (var engine = EngineFactory.Open(Store))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var worker = engine.CreateWorker().RunAsync(stop.Token);
            RunState state;
            while (!(state = (await engine.GetRunAsync(runId))!).IsTerminal)
            {
                await Task.Delay(20);
            }

            await stop.CancelAsync();
            await worker;
            state.Status.ShouldBe(RunStatus.Succeeded);
            state.Outputs!["r"]!.GetValue<bool>().ShouldBeTrue();
        }

        var late = await CliRunner.RunAsync("raise", runId, "approved", "--store", Store);
        late.ExitCode.ShouldBe(2);
        late.Stderr.ShouldContain("the run is already Succeeded; a finished run takes no events");
    }
}
