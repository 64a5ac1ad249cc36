using Xunit.Abstractions;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Durable.Tests;

public class DurableSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AFanOutRunsToTheEnd()
    {
        var account = Environment.GetEnvironmentVariable("FLOWFUNCTIONS_TEST_AZURE")!;
        var prefix = "d" + Guid.NewGuid().ToString("N")[..10];
        await using var engine = FlowEngine.Create(FlowStores.Open(account.TrimEnd(';') + ";NamePrefix=" + prefix, TimeProvider.System));
        await using var host = await DurableRunHost.CreateAsync(engine, account, new DurableRunOptions { TaskHubName = prefix });
        var started = System.Diagnostics.Stopwatch.StartNew();
        await host.StartWorkerAsync();
        output.WriteLine($"worker started in {started.ElapsedMilliseconds} ms");
        var yaml = """
            name: t
            nodes:
              - { id: a, type: echo, with: { v: 1 } }
              - { id: b, type: echo, needs: [a], with: { v: "${{ nodes.a.output.v }}" } }
              - { id: c, type: echo, needs: [a], with: { v: 3 } }
              - { id: d, type: echo, needs: [b, c], with: { b: "${{ nodes.b.output.v }}", c: "${{ nodes.c.output.v }}" } }
            outputs:
              d: "${{ nodes.d.output }}"
            """;
        var spec = SpecLoader.Load(yaml, SpecFormat.Yaml).Spec!;
        var runId = await engine.StartRunAsync(spec, yaml, null);
        RunState state;
        do
        {
            await Task.Delay(100);
            state = (await engine.GetRunAsync(runId))!;
        }
        while (!state.IsTerminal && started.Elapsed < TimeSpan.FromSeconds(60));
        output.WriteLine($"run ended {state.Status} after {started.ElapsedMilliseconds} ms: {state.Outputs?.ToJsonString()}");
        state.Status.ShouldBe(RunStatus.Succeeded);
        while (await host.GetOrchestrationStatusAsync(runId) == "Running" && started.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100);
        }

        output.WriteLine($"orchestration {await host.GetOrchestrationStatusAsync(runId)} after {started.ElapsedMilliseconds} ms");
        (await host.GetOrchestrationStatusAsync(runId)).ShouldBe("Completed");
    }
}
