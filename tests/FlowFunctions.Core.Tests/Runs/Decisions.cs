using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Core.Tests.Runs;

/// <summary>Drives <see cref="RunDecider.Decide"/> by hand in unit tests: start a spec, apply events, read statuses.</summary>
internal static class Decisions
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    public static FlowSpec Spec(string yaml)
    {
        var result = SpecLoader.Load(yaml, SpecFormat.Yaml);
        result.Errors.ShouldBeEmpty(string.Join("\n", result.Errors));
        return result.Spec!;
    }

    public static DecisionContext At(double seconds = 0, int budget = int.MaxValue, double jitter = 0.5) =>
        new(T0.AddSeconds(seconds), jitter, budget);

    public static Decision Start(string yaml, JsonObject? inputs = null, int budget = int.MaxValue) =>
        RunDecider.Decide(null, new RunEvent.RunStarted("run-1", Spec(yaml), inputs), At(budget: budget));

    public static Decision Apply(Decision previous, RunEvent evt, double seconds = 1, int budget = int.MaxValue) =>
        RunDecider.Decide(previous.State, evt, At(seconds, budget));

    public static Decision Succeed(Decision previous, string nodeId, JsonNode? output = null, double seconds = 1)
    {
        var node = NodeOrChild(previous.State, nodeId);
        return Apply(previous, new RunEvent.ActivitySucceeded(nodeId, node.Attempt, node.Incarnation, output), seconds);
    }

    public static Decision Fail(Decision previous, string nodeId, ErrorClass errorClass = ErrorClass.Transient, double seconds = 1)
    {
        var node = NodeOrChild(previous.State, nodeId);
        return Apply(previous, new RunEvent.ActivityFailed(nodeId, node.Attempt, node.Incarnation, "boom", errorClass), seconds);
    }

    public static NodeState NodeOrChild(RunState state, string id) =>
        MapChildId.TryParse(id, out var mapId, out var index) ? state.Nodes[mapId].Map!.Children[index] : state.Nodes[id];

    public static List<string> Scheduled(Decision decision) =>
        decision.Effects.OfType<Effect.ScheduleActivity>().Select(e => e.NodeId).ToList();

    public static NodeStatus Status(Decision decision, string id) => NodeOrChild(decision.State, id).Status;
}
