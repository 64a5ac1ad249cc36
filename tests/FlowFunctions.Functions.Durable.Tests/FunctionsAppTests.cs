using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Engine.Durable;
using FlowFunctions.Storage;

namespace FlowFunctions.Functions.Durable.Tests;

/// <summary>
/// The durable engine's Functions app without the Functions host (which cannot run here): the function metadata its build
/// generates, and its function classes run on real DTFx (Azure Storage provider, Azurite) in place of the host.
/// </summary>
public class FunctionsAppTests
{
    /// <summary>The app's build output: the same configuration and framework as this test's.</summary>
    private static string AppOutput
    {
        get
        {
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var (framework, configuration) = (here.Name, here.Parent!.Name);
            var root = here;
            while (!File.Exists(Path.Combine(root.FullName, "FlowFunctions.sln")))
            {
                root = root.Parent ?? throw new InvalidOperationException("no FlowFunctions.sln above the test output");
            }

            return Path.Combine(root.FullName, "src", "FlowFunctions.Functions.Durable", "bin", configuration, framework);
        }
    }

    [Fact]
    public void TheGeneratedMetadata_DeclaresTheOrchestrationAndItsTwoActivities()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppOutput, "functions.metadata")))!.AsArray();
        var functions = metadata.ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!.AsObject());
        functions.Keys.Order(StringComparer.Ordinal).ShouldBe([FlowActivities.ExecuteName, FlowRunOrchestration.Name, FlowActivities.StepName]);
        foreach (var (name, trigger) in new[] { (FlowRunOrchestration.Name, "orchestrationTrigger"), (FlowActivities.StepName, "activityTrigger"), (FlowActivities.ExecuteName, "activityTrigger") })
        {
            var function = functions[name];
            function["language"]!.GetValue<string>().ShouldBe("dotnet-isolated");
            function["scriptFile"]!.GetValue<string>().ShouldBe("FlowFunctions.Functions.Durable.dll");
            function["entryPoint"]!.GetValue<string>().ShouldStartWith(typeof(FlowRunFunctions).FullName + ".");
            var binding = function["bindings"]!.AsArray().ShouldHaveSingleItem()!;
            binding["type"]!.GetValue<string>().ShouldBe(trigger);
            binding["direction"]!.GetValue<string>().ShouldBe("In");
        }

        File.Exists(Path.Combine(AppOutput, "extensions.json")).ShouldBeTrue("the Durable extension is registered for the host");
    }

    [Fact]
    public void TheTaskHub_IsTheOneTheApiAppStartsRunsOn()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(AppOutput, "host.json")))!;
        host["extensions"]!["durableTask"]!["hubName"]!.GetValue<string>().ShouldBe(new DurableRunOptions().TaskHubName);
    }

    [AzureFact]
    public async Task TheFunctionClasses_RunAWorkflowOnDtfxOverAzurite()
    {
        var store = Environment.GetEnvironmentVariable(AzureFactAttribute.Variable)!.TrimEnd(';') + ";NamePrefix=fn" + Guid.NewGuid().ToString("N")[..10];
        await using var engine = Engine.FlowEngine.Create(FlowStores.Open(store, TimeProvider.System));
        var options = new DurableRunOptions { MaxQueuePollingInterval = TimeSpan.FromMilliseconds(200) };
        var host = DurableRunHost.Create(engine, store, startRuns: true, options);
        var functions = new FlowRunFunctions(new FlowActivities(engine), options);
        await host.StartWorkerAsync((context, _) => functions.RunAsync(context), functions.StepAsync, functions.ExecuteAsync);

        var yaml = """
            name: fn
            nodes:
              - { id: items, type: echo, with: [1, 2, 3] }
              - { id: each, type: map, needs: [items], items: "${{ nodes.items.output }}", reduce: sum, node: { type: transform, with: "${{ item * 2 }}" } }
              - { id: gate, type: wait, needs: [each], with: { event: approve } }
            outputs:
              total: "${{ nodes.each.output }}"
              by: "${{ nodes.gate.output.by }}"
            """;
        var runId = await engine.StartRunAsync(SpecLoader.Load(yaml, SpecFormat.Yaml).Spec!, yaml, null);
        await WaitAsync(engine, runId, s => s.Nodes["gate"].Status == NodeStatus.Waiting);
        (await engine.RaiseEventAsync(runId, "approve", JsonNode.Parse("""{"by":"ann"}"""))).Outcome.ShouldBe(Engine.ControlOutcome.Accepted);
        var done = await WaitAsync(engine, runId, s => s.IsTerminal);
        done.Status.ShouldBe(RunStatus.Succeeded);
        done.Outputs!.ToJsonString().ShouldBe("""{"total":12,"by":"ann"}""");
        (await engine.GetRunSnapshotAsync(runId))!.Engine.ShouldBe(Engine.RunEngine.Durable);
    }

    private static async Task<RunState> WaitAsync(Engine.FlowEngine engine, string runId, Func<RunState, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var state = (await engine.GetRunAsync(runId))!;
            if (condition(state))
            {
                return state;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"run {runId} is {state.Status}");
            await Task.Delay(50);
        }
    }
}

/// <summary>A fact that needs an Azure Storage account: skipped, with the way to run it, when none is configured.</summary>
public sealed class AzureFactAttribute : FactAttribute
{
    public const string Variable = "FLOWFUNCTIONS_TEST_AZURE";

    public AzureFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"needs Azurite: run ./test.sh (it starts Azurite and sets {Variable})";
        }
    }
}
