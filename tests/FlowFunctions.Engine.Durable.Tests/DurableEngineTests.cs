using System.Text.Json.Nodes;
using DurableTask.Core;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Durable.Tests;

/// <summary>What only the durable engine has: orchestration generations, and DTFx's own view of a run.</summary>
public class DurableEngineTests
{
    [AzureFact]
    public async Task ALongRun_ContinuesAsNew_CarryingItsTimersAndHeldWork_AndHistoryStaysBounded()
    {
        const int generationSize = 6;
        await using var both = await BothEngines.StartAsync("durable", durable: new DurableRunOptions { ContinueAsNewAfter = generationSize, MaxQueuePollingInterval = TimeSpan.FromMilliseconds(200) });
        var runId = await both.StartRunAsync("""
            name: long
            nodes:
              - { id: items, type: echo, with: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24] }
              - { id: m, type: map, needs: [items], items: "${{ nodes.items.output }}", maxConcurrency: 4, reduce: sum, node: { type: transform, with: "${{ item }}" } }
              - { id: nap, type: delay, with: { duration: 3s } }
              - { id: done, type: echo, needs: [m, nap], with: { sum: "${{ nodes.m.output }}" } }
            outputs:
              sum: "${{ nodes.done.output.sum }}"
            """);
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["sum"]!.ToJsonString().ShouldBe("300");

        var client = both.Host!.Client;
        var final = await CompletedAsync(client, runId);
        var history = JsonNode.Parse(await client.GetOrchestrationHistoryAsync(final.OrchestrationInstance))!.AsArray();
        var scheduled = history.Count(e => e!["EventType"]?.GetValue<int>() == (int)DurableTask.Core.History.EventType.TaskScheduled);
        var activities = 24 + 2;
        scheduled.ShouldBeLessThan(activities, "the last generation's history holds only its own activities and steps, not the run's");
        // The last generation was started by ContinueAsNew: its input carries the held work and timers.
        history.ShouldContain(e => e!["EventType"]!.GetValue<int>() == (int)DurableTask.Core.History.EventType.ExecutionStarted && e["Input"]!.GetValue<string>().Contains("carried", StringComparison.Ordinal));
    }

    [AzureFact]
    public async Task LargeValues_TravelAsArtifactReferences_NotThroughTheOrchestrationHistory()
    {
        await using var both = await BothEngines.StartAsync("durable");
        var big = new string('x', 200_000);
        var runId = await both.StartRunAsync($$$"""
            name: large
            nodes:
              - { id: make, type: echo, with: { blob: "{{{big}}}" } }
              - { id: use, type: transform, needs: [make], with: "${{ length(nodes.make.output.blob) }}" }
            outputs:
              length: "${{ nodes.use.output }}"
            """);
        var state = await both.RunToEndAsync(runId);
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["length"]!.ToJsonString().ShouldBe("200000");

        var client = both.Host!.Client;
        var final = await CompletedAsync(client, runId);
        var history = await client.GetOrchestrationHistoryAsync(final.OrchestrationInstance);
        history.Length.ShouldBeLessThan(20_000, "the 200 KB input and output are artifacts; history holds their hashes");
        history.ShouldContain("sha256:");
    }

    private static async Task<OrchestrationState> CompletedAsync(TaskHubClient client, string runId)
    {
        while ((await client.GetOrchestrationStateAsync(runId))?.OrchestrationStatus is OrchestrationStatus.Running or OrchestrationStatus.Pending)
        {
            await Task.Delay(100);
        }

        var final = (await client.GetOrchestrationStateAsync(runId))!;
        final.OrchestrationStatus.ShouldBe(OrchestrationStatus.Completed);
        return final;
    }
}
