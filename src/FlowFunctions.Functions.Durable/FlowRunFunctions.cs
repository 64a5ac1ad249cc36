using System.Text.Json.Nodes;
using FlowFunctions.Engine.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace FlowFunctions.Functions.Durable;

/// <summary>
/// The durable engine as Azure Functions (isolated worker, Durable Functions extension): the run orchestration and its two
/// activities, the same code <c>flow worker --engine durable</c> runs on DTFx directly. Runs are started and changed
/// by the API app (<c>FlowFunctions:Engine=durable</c>), which schedules and raises on the same task hub.
/// </summary>
public sealed class FlowRunFunctions(FlowActivities activities, DurableRunOptions options)
{
    /// <summary>One run: its steps, activities and timers (<see cref="FlowRunOrchestration"/>).</summary>
    [Function(FlowRunOrchestration.Name)]
    public Task<string?> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return FlowRunOrchestration.RunAsync(context, context.GetInput<string>(), options);
    }

    /// <summary>A step of a run's decisions (<see cref="FlowActivities.Step"/>).</summary>
    [Function(FlowActivities.StepName)]
    public Task<JsonObject?> StepAsync([ActivityTrigger] JsonObject? input) => activities.Step(input);

    /// <summary>One work item through the activity pipeline (<see cref="FlowActivities.Execute"/>).</summary>
    [Function(FlowActivities.ExecuteName)]
    public Task<JsonObject?> ExecuteAsync([ActivityTrigger] JsonObject? workMessage) => activities.Execute(workMessage);
}
