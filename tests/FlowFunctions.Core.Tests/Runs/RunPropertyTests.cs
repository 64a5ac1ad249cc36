using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace FlowFunctions.Core.Tests.Runs;

/// <summary>
/// Properties of the decision function over random acyclic specs driven to completion by <see cref="RunSimulator"/>
/// (random completion order, duplicates, stale results, small budgets, random failures). Each property checks 200
/// cases from a fixed FsCheck seed; a failure names the case seed, the spec text and the tail of the run.
/// </summary>
public class RunPropertyTests
{
    private const int Cases = 200;

    [Fact]
    public void EveryRun_ReachesATerminalStatus_WithinBoundedSteps()
    {
        ForAllRuns(11UL, (_, simulation) =>
        {
            simulation.Steps.Count.ShouldBeLessThan(RunSimulator.MaxSteps, "the run did not finish within the step bound");
            simulation.State.Status.ShouldBeOneOf(RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled);
            simulation.Steps.Count(s => s.Decision.Effects.Any(e => e is Effect.CompleteRun)).ShouldBe(1, "CompleteRun must be emitted exactly once");
        });
    }

    [Fact]
    public void EveryNode_BecomesTerminalExactlyOnce_AndNeverChangesAfterwards()
    {
        ForAllRuns(12UL, (_, simulation) =>
        {
            var terminal = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (state, stepIndex) in simulation.Steps.Select((s, i) => (s.Decision.State, i)))
            {
                foreach (var node in AllNodes(state))
                {
                    var text = $"{node.Status}|{node.CompletedAt:O}|{node.Output?.ToJsonString()}";
                    if (terminal.TryGetValue(node.Id, out var first))
                    {
                        text.ShouldBe(first, $"terminal node {node.Id} changed at step {stepIndex}");
                    }
                    else if (node.Status.IsTerminal())
                    {
                        terminal[node.Id] = text;
                    }
                }
            }

            foreach (var node in AllNodes(simulation.State))
            {
                node.Status.IsTerminal().ShouldBeTrue($"node {node.Id} ended {node.Status}");
            }
        });
    }

    [Fact]
    public void NoNode_StartsBeforeItsNeedsSatisfyItsTrigger()
    {
        ForAllRuns(13UL, (generated, simulation) =>
        {
            var spec = generated.Spec;
            foreach (var (step, stepIndex) in simulation.Steps.Select((s, i) => (s, i)))
            {
                var after = step.Decision.State;
                var scheduled = step.Decision.Effects.OfType<Effect.ScheduleActivity>().Select(a => a.NodeId).ToHashSet(StringComparer.Ordinal);
                foreach (var node in spec.Nodes)
                {
                    var wasStarted = step.Before?.Nodes[node.Id].StartedAt is not null;
                    var started = !wasStarted && after.Nodes[node.Id].StartedAt is not null;
                    if (!started && !scheduled.Contains(node.Id))
                    {
                        continue;
                    }

                    var needs = node.Needs.Select(n => after.Nodes[n].Status).ToList();
                    var why = $"{node.Id} ({node.Trigger}) started at step {stepIndex} with needs {string.Join(", ", node.Needs.Zip(needs, (n, s) => $"{n}={s}"))}";
                    needs.ShouldAllBe(s => s.IsTerminal(), why);
                    switch (node.Trigger)
                    {
                        case NodeTrigger.AllSucceeded:
                            needs.ShouldAllBe(s => s.IsSuccess(), why);
                            break;
                        case NodeTrigger.AnySucceeded when needs.Count > 0:
                            needs.ShouldContain(s => s.IsSuccess(), why);
                            break;
                    }

                    generated.Node(node.Id).When.ShouldNotBe("false", why + ", but its 'when' is false");
                }
            }
        });
    }

    [Fact]
    public void MapChildren_NeverExceedMaxConcurrency()
    {
        ForAllRuns(14UL, (generated, simulation) =>
        {
            var maps = generated.Spec.Nodes.Where(n => n.Kind == NodeKind.Map).ToList();
            foreach (var (step, stepIndex) in simulation.Steps.Select((s, i) => (s, i)))
            {
                foreach (var map in maps)
                {
                    if (step.Decision.State.Nodes[map.Id].Map is not { } progress)
                    {
                        continue;
                    }

                    var active = progress.Children.Values.Count(c => !c.Status.IsTerminal());
                    active.ShouldBeLessThanOrEqualTo(map.Map!.MaxConcurrency!.Value, $"{map.Id} at step {stepIndex}");
                    progress.Active.ShouldBe(active, $"{map.Id}.Active at step {stepIndex}");
                }
            }
        });
    }

    [Fact]
    public void ApplyingAnEventTwice_ChangesNothingTheSecondTime()
    {
        ForAllRuns(15UL, (_, simulation) =>
        {
            foreach (var (step, stepIndex) in simulation.Steps.Select((s, i) => (s, i)))
            {
                if (step.Event is not (RunEvent.ActivitySucceeded or RunEvent.ActivityFailed or RunEvent.TimerFired))
                {
                    continue;
                }

                var again = RunDecider.Decide(step.Decision.State, step.Event, step.Context);
                RunText.Describe(again.State).ShouldBe(RunText.Describe(step.Decision.State), $"re-applying {step.Event} (step {stepIndex}) changed the state");
                again.Effects.Select(RunText.Describe).ShouldBeEmpty($"re-applying {step.Event} (step {stepIndex}) emitted effects");

                if (step.Kind is StepKind.Duplicate or StepKind.Stale)
                {
                    RunText.Describe(step.Decision.State).ShouldBe(RunText.Describe(step.Before!), $"{step.Kind} {step.Event} (step {stepIndex}) changed the state");
                    step.Decision.Effects.Select(RunText.Describe).ShouldBeEmpty($"{step.Kind} {step.Event} (step {stepIndex}) emitted effects");
                }
            }
        });
    }

    [Fact]
    public void Attempts_NeverExceedMaxAttempts_AndFailTimesBelowTheBudgetSucceeds()
    {
        ForAllRuns(16UL, (generated, simulation) =>
        {
            var spec = generated.Spec;
            foreach (var step in simulation.Steps)
            {
                foreach (var node in spec.Nodes.Where(n => n.Kind is NodeKind.Activity or NodeKind.Map))
                {
                    var state = step.Decision.State.Nodes[node.Id];
                    if (node.Kind == NodeKind.Activity)
                    {
                        state.Attempts.ShouldBeLessThanOrEqualTo(node.Retry.MaxAttempts, node.Id);
                    }

                    foreach (var child in state.Map?.Children.Values ?? [])
                    {
                        child.Attempts.ShouldBeLessThanOrEqualTo(node.Map!.Template.Retry.MaxAttempts, child.Id);
                    }
                }

                foreach (var activity in step.Decision.Effects.OfType<Effect.ScheduleActivity>())
                {
                    var max = MapChildId.TryParse(activity.NodeId, out var mapId, out _)
                        ? spec.FindNode(mapId)!.Map!.Template.Retry.MaxAttempts
                        : spec.FindNode(activity.NodeId)!.Retry.MaxAttempts;
                    activity.Attempt.ShouldBeGreaterThanOrEqualTo(1, activity.NodeId);
                    activity.MaxExecutions.ShouldBeGreaterThanOrEqualTo(1, activity.NodeId);
                    (activity.Attempt - 1 + activity.MaxExecutions).ShouldBeLessThanOrEqualTo(max, $"{activity.NodeId} attempt {activity.Attempt} may run {activity.MaxExecutions} executions");
                }
            }

            foreach (var node in spec.Nodes.Where(n => n.Type == "fail"))
            {
                var times = generated.Node(node.Id).FailTimes;
                if (times is null || times >= node.Retry.MaxAttempts || simulation.Disturbed.Contains(node.Id))
                {
                    continue;
                }

                var final = simulation.State.Nodes[node.Id];
                final.Status.ShouldNotBe(NodeStatus.Failed, $"{node.Id} fails {times} times with {node.Retry.MaxAttempts} attempts: {final.Error}");
                if (final.Status == NodeStatus.Succeeded)
                {
                    final.Attempts.ShouldBe(times.Value + 1, node.Id);
                }
            }
        });
    }

    [Fact]
    public void EachDecision_StartsNoMoreWorkThanItsBudget()
    {
        ForAllRuns(19UL, (_, simulation) =>
        {
            foreach (var (step, stepIndex) in simulation.Steps.Select((s, i) => (s, i)))
            {
                var started = step.Decision.Effects.Count(e => e is Effect.ScheduleActivity or Effect.ArmTimer { Purpose: TimerPurpose.Delay });
                started.ShouldBeLessThanOrEqualTo(step.Context.MaxDispatches, $"step {stepIndex}");
                if (step.Decision.Effects.Any(e => e is Effect.ContinueRun))
                {
                    step.Decision.State.Dispatchable.ShouldNotBeEmpty($"step {stepIndex} asked for a continuation with nothing to dispatch");
                }
            }
        });
    }

    [Fact]
    public void Decide_IsDeterministic_ForTheSameEventsAndContexts()
    {
        ForAllRuns(17UL, (_, simulation) =>
        {
            RunState? state = null;
            foreach (var (step, stepIndex) in simulation.Steps.Select((s, i) => (s, i)))
            {
                var replayed = RunDecider.Decide(state, step.Event, step.Context);
                replayed.Effects.Select(RunText.Describe).ShouldBe(step.Decision.Effects.Select(RunText.Describe), $"effects of step {stepIndex}");
                RunText.Describe(replayed.State).ShouldBe(RunText.Describe(step.Decision.State), $"state after step {stepIndex}");
                state = replayed.State;
            }
        });
    }

    /// <summary>Guards the properties above against passing vacuously: the generated runs must reach the interesting cases.</summary>
    [Fact]
    public void Simulations_CoverTheInterestingCases()
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string what, bool happened)
        {
            seen[what] = seen.GetValueOrDefault(what) + (happened ? 1 : 0);
        }

        ForAllRuns(18UL, (generated, simulation) =>
        {
            var effects = simulation.Steps.SelectMany(s => s.Decision.Effects).ToList();
            var final = simulation.State;
            Count("run succeeded", final.Status == RunStatus.Succeeded);
            Count("run failed", final.Status == RunStatus.Failed);
            Count("continuation", effects.Any(e => e is Effect.ContinueRun));
            Count("duplicate", simulation.Steps.Any(s => s.Kind == StepKind.Duplicate));
            Count("stale", simulation.Steps.Any(s => s.Kind == StepKind.Stale));
            Count("retry", effects.OfType<Effect.ScheduleActivity>().Any(a => a.Attempt > 1));
            Count("timeout", effects.OfType<Effect.CancelActivity>().Any() && simulation.Disturbed.Count > 0);
            Count("map at its concurrency", simulation.Steps.Any(s => s.Decision.State.Nodes.Values.Any(n => n.Map is { } m && m.Active > 1 && m.Active == generated.Node(n.Id).MaxConcurrency)));
            Count("map succeeded", final.Nodes.Values.Any(n => n.Map is { Total: > 0 } && n.Status == NodeStatus.Succeeded));
            Count("fail node recovered", final.Nodes.Values.Any(n => generated.Node(n.Id).FailTimes > 0 && n.Status == NodeStatus.Succeeded));
            Count("any-succeeded started", final.Nodes.Values.Any(n => generated.Node(n.Id).Trigger == "any-succeeded" && n.StartedAt is not null && generated.Node(n.Id).Needs.Count > 1));
            Count("all-done after a failure", final.Nodes.Values.Any(n => generated.Node(n.Id).Trigger == "all-done" && n.StartedAt is not null && n.UnsuccessfulNeeds > 0));
            Count("skipped by when", final.Nodes.Values.Any(n => n.Reason == "'when' was false"));
            Count("delay fired", effects.OfType<Effect.ArmTimer>().Any(t => t.Purpose == TimerPurpose.Delay));
        });

        foreach (var (what, count) in seen)
        {
            count.ShouldBeGreaterThanOrEqualTo(5, $"only {count} of {Cases} cases had: {what}");
        }
    }

    /// <summary>
    /// Random graph patches (valid or not) interleaved with random completions, duplicates and stale results: the graph
    /// never gets a cycle or a dangling need, no node is lost (only an applied removeNode removes one, and every node of
    /// the final graph ends terminal), and no node is dispatched twice within one incarnation and attempt, nor again
    /// once it succeeded.
    /// </summary>
    [Fact]
    public void RandomPatchesInterleavedWithCompletions_NeverCycle_NeverLoseANode_NeverRunANodeTwice()
    {
        var applied = 0;
        var refused = 0;
        ForAllRuns(23UL, (_, simulation) =>
        {
            var dispatched = new HashSet<(string, int, int)>();
            var succeeded = new HashSet<(string, int)>();
            foreach (var (step, stepIndex) in simulation.Steps.Select((s, i) => (s, i)))
            {
                var state = step.Decision.State;
                ShouldBeAcyclic(state, $"step {stepIndex}");
                if (step.Event is RunEvent.GraphPatchRequested patch)
                {
                    var before = step.Before!.Nodes.Keys.ToHashSet(StringComparer.Ordinal);
                    if (step.Decision.Mutation is { } mutation)
                    {
                        applied++;
                        var removable = patch.Patch.Operations.OfType<PatchOperation.RemoveNode>().Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
                        mutation.Diff.NodesRemoved.ShouldAllBe(id => removable.Contains(id), $"step {stepIndex} removed a node no removeNode named");
                        before.ExceptWith(mutation.Diff.NodesRemoved);
                        before.UnionWith(mutation.Diff.NodesAdded);
                    }
                    else
                    {
                        refused++;
                        step.Decision.Refusal.ShouldNotBeNull($"step {stepIndex}: a patch neither applied nor refused");
                        state.ShouldBeSameAs(step.Before, $"refused patch at step {stepIndex} changed the run");
                    }

                    state.Nodes.Keys.Order(StringComparer.Ordinal).ShouldBe(before.Order(StringComparer.Ordinal), $"nodes after the patch at step {stepIndex}");
                }
                else if (step.Before is { } previous)
                {
                    state.Nodes.Keys.Order(StringComparer.Ordinal).ShouldBe(previous.Nodes.Keys.Order(StringComparer.Ordinal), $"step {stepIndex} ({step.Event}) changed the node set");
                }

                foreach (var activity in step.Decision.Effects.OfType<Effect.ScheduleActivity>())
                {
                    dispatched.Add((activity.NodeId, activity.Incarnation, activity.Attempt)).ShouldBeTrue($"{activity.NodeId} incarnation {activity.Incarnation} attempt {activity.Attempt} dispatched twice (step {stepIndex})");
                    succeeded.ShouldNotContain((activity.NodeId, activity.Incarnation), $"{activity.NodeId} dispatched again after it succeeded (step {stepIndex})");
                }

                foreach (var node in AllNodes(state).Where(n => n.Status.IsSuccess()))
                {
                    succeeded.Add((node.Id, node.Incarnation));
                }
            }

            simulation.State.IsTerminal.ShouldBeTrue($"the run ended {simulation.State.Status}");
            foreach (var node in AllNodes(simulation.State))
            {
                node.Status.IsTerminal().ShouldBeTrue($"node {node.Id} ended {node.Status}");
            }
        }, patchRate: 30);

        applied.ShouldBeGreaterThan(Cases / 2, "too few patches were applied for the property to mean much");
        refused.ShouldBeGreaterThan(Cases / 2, "too few patches were refused for the property to mean much");
    }

    private static void ShouldBeAcyclic(RunState state, string where)
    {
        var byId = state.Spec.Nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        byId.Keys.Order(StringComparer.Ordinal).ShouldBe(state.Nodes.Keys.Order(StringComparer.Ordinal), $"{where}: spec and node states disagree");
        var done = new HashSet<string>(StringComparer.Ordinal);
        var remaining = byId.Values.ToList();
        while (remaining.Count > 0)
        {
            var ready = remaining.Where(n => n.Needs.All(done.Contains)).ToList();
            ready.ShouldNotBeEmpty($"{where}: a cycle or a dangling need among {string.Join(", ", remaining.Select(n => $"{n.Id}<-[{string.Join(",", n.Needs)}]"))}");
            done.UnionWith(ready.Select(n => n.Id));
            remaining.RemoveAll(ready.Contains);
        }
    }

    [Fact]
    public void GeneratedAcyclicSpecs_AlwaysValidate()
    {
        ForAllSeeds(21UL, seed =>
        {
            var generated = SpecGenerator.Generate(seed);
            generated.Spec.Nodes.Length.ShouldBeInRange(1, 25);
        });
    }

    [Fact]
    public void AddingAnEdgeThatClosesACycle_FailsValidationWithACycleMessage()
    {
        ForAllSeeds(22UL, seed =>
        {
            var random = new Random(seed);
            var nodes = SpecGenerator.GenerateNodes(random);
            if (nodes.Count == 1)
            {
                var extra = new GeneratedNode { Id = "n1", Type = "echo" };
                extra.Needs.Add("n0");
                nodes.Add(extra);
            }

            var withNeeds = nodes.Where(n => n.Needs.Count > 0).ToList();
            var dependent = withNeeds.Count > 0 ? withNeeds[random.Next(withNeeds.Count)] : nodes[^1];
            if (dependent.Needs.Count == 0)
            {
                dependent.Needs.Add(nodes[0].Id);
            }

            var ancestors = Ancestors(nodes, dependent);
            var ancestor = ancestors[random.Next(ancestors.Count)];
            var before = SpecLoader.Load(SpecGenerator.ToYaml(seed, nodes), SpecFormat.Yaml);
            before.IsValid.ShouldBeTrue(string.Join("; ", before.Errors));

            ancestor.Needs.Add(dependent.Id);
            var yaml = SpecGenerator.ToYaml(seed, nodes);
            var after = SpecLoader.Load(yaml, SpecFormat.Yaml);

            after.IsValid.ShouldBeFalse(yaml);
            after.Errors.ShouldContain(e => e.Message.StartsWith("cycle:", StringComparison.Ordinal), $"{ancestor.Id} now needs {dependent.Id}; errors: {string.Join("; ", after.Errors)}\n{yaml}");
        });
    }

    private static List<GeneratedNode> Ancestors(List<GeneratedNode> nodes, GeneratedNode node)
    {
        var byId = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<GeneratedNode>([node]);
        var result = new List<GeneratedNode>();
        while (queue.Count > 0)
        {
            foreach (var need in queue.Dequeue().Needs)
            {
                if (seen.Add(need))
                {
                    result.Add(byId[need]);
                    queue.Enqueue(byId[need]);
                }
            }
        }

        return result;
    }

    private static IEnumerable<NodeState> AllNodes(RunState state) =>
        state.Nodes.Values.SelectMany(n => (n.Map?.Children.Values ?? []).Prepend(n));

    /// <summary>
    /// Runs a simulation per case and checks it; a failure reports the case seed, the spec and the run's tail. To replay
    /// one case: <c>SpecGenerator.Generate(seed)</c>, then <c>new RunSimulator(spec, seed, SimulationOptions.Random(new Random(seed ^ 0x5EED))).Run()</c>.
    /// </summary>
    private static void ForAllRuns(ulong seed, Action<GeneratedSpec, RunSimulator> check, int patchRate = 0) => ForAllSeeds(seed, caseSeed =>
    {
        var generated = SpecGenerator.Generate(caseSeed);
        var options = SimulationOptions.Random(new Random(caseSeed ^ 0x5EED)) with { PatchRate = patchRate };
        var source = patchRate > 0 ? (JsonObject)SourceReader.Read(generated.Yaml, SpecFormat.Yaml).Root! : null;
        var simulation = new RunSimulator(generated.Spec, caseSeed, options, source).Run();
        try
        {
            check(generated, simulation);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"case {generated}\n{simulation.Trace()}\n{ex.Message}", ex);
        }
    });

    /// <summary>FsCheck over case seeds (no shrinking: a smaller seed is not a simpler case), from a fixed replay seed.</summary>
    private static void ForAllSeeds(ulong seed, Action<int> check)
    {
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), (int caseSeed) =>
        {
            try
            {
                check(caseSeed);
            }
            catch (Exception ex) when (ex is not InvalidOperationException)
            {
                throw new InvalidOperationException($"case seed {caseSeed}: {ex.Message}", ex);
            }
        });
        var replay = new Replay(new Rnd(seed, 7UL), FSharpOption<int>.None);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases).WithReplay(FSharpOption<Replay>.Some(replay)), property);
    }
}
