using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.Commands;

public sealed class RerunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-rerun-").FullName;

    private string Store => Path.Combine(_dir, "flow.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> RunAsync(string yaml, int expectedExit)
    {
        var spec = Path.Combine(_dir, "spec.yaml");
        await File.WriteAllTextAsync(spec, yaml);
        var (code, stdout, stderr) = await CliRunner.RunAsync("run", spec, "--store", Store, "--output", "json");
        code.ShouldBe(expectedExit, stderr);
        return JsonNode.Parse(stdout)!["runId"]!.GetValue<string>();
    }

    [Fact]
    public async Task Rerun_RunsTheNewRunToCompletion_PrintsItLikeRun_AndRecordsWhereItCameFrom()
    {
        var source = await RunAsync("name: t\nnodes:\n  - { id: a, type: echo, with: 1 }\n  - { id: b, type: echo, needs: [a], with: \"${{ nodes.a.output }}\" }\noutputs: { r: \"${{ nodes.b.output }}\" }\n", 0);

        var (code, stdout, stderr) = await CliRunner.RunAsync("rerun", source, "--from", "b", "--store", Store, "--output", "json");
        code.ShouldBe(0, stderr);
        var document = JsonNode.Parse(stdout)!;
        var rerunId = document["runId"]!.GetValue<string>();
        rerunId.ShouldNotBe(source);
        document["status"]!.GetValue<string>().ShouldBe("Succeeded");
        document["outputs"]!.ToJsonString().ShouldBe("""{"r":1}""");
        document["rerunOf"]!.ToJsonString().ShouldBe($$"""{"runId":"{{source}}","fromNode":"b"}""");

        var text = await CliRunner.RunAsync("rerun", rerunId, "--from", "a", "--store", Store);
        text.ExitCode.ShouldBe(0, text.Stderr);
        text.Stdout.ShouldStartWith("run ");
        text.Stdout.ShouldContain($"reruns run {rerunId} from 'a'");
        text.Stdout.ShouldContain($"Rerun of run {rerunId} from 'a'");

        var detached = await CliRunner.RunAsync("rerun", source, "--from", "a", "--store", Store, "--detach");
        detached.ExitCode.ShouldBe(0, detached.Stderr);
        var detachedId = detached.Stdout.Trim();
        var status = await CliRunner.RunAsync("status", detachedId, "--store", Store, "--output", "json");
        JsonNode.Parse(status.Stdout)!["rerunOf"]!["fromNode"]!.GetValue<string>().ShouldBe("a");
    }

    [Fact]
    public async Task Rerun_ExitCodes_FailedRunIs1_RefusalsUnknownRunOrNodeAndUsageAre2()
    {
        var source = await RunAsync("name: t\nnodes:\n  - { id: a, type: echo }\n  - { id: b, type: fail, needs: [a], with: { message: broken } }\n  - { id: c, type: echo, needs: [b] }\n", 1);

        var failed = await CliRunner.RunAsync("rerun", source, "--from", "b", "--store", Store);
        failed.ExitCode.ShouldBe(1);
        failed.Stderr.ShouldContain("failed: node 'b' failed: broken");

        var refused = await CliRunner.RunAsync("rerun", source, "--from", "c", "--store", Store);
        refused.ExitCode.ShouldBe(2);
        refused.Stderr.ShouldContain($"flow: cannot rerun run {source} from 'c': its upstream node 'b' is Failed");
        (await CliRunner.RunAsync("rerun", source, "--from", "zz", "--store", Store)).Stderr.ShouldContain($"run {source} has no node 'zz'");
        (await CliRunner.RunAsync("rerun", "nope", "--from", "b", "--store", Store)).ShouldSatisfyAllConditions(
            r => r.ExitCode.ShouldBe(2),
            r => r.Stderr.ShouldContain("no run 'nope'"));
        (await CliRunner.RunAsync("rerun", source, "--store", Store)).ExitCode.ShouldBe(2);
        (await CliRunner.RunAsync("rerun", source, "--from", "b", "--timeout", "soon", "--store", Store)).ExitCode.ShouldBe(2);
    }
}
