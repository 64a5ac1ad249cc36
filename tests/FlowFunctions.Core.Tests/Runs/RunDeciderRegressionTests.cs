using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Core.Tests.Runs;

/// <summary>Focused reproductions of bugs found by <see cref="RunPropertyTests"/>.</summary>
public class RunDeciderRegressionTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void DuplicateCompletion_WhileTheBudgetLeftWork_ChangesNothingAndDispatchesNothing()
    {
        const string yaml = """
            name: budget
            nodes:
              - id: a
                type: echo
              - id: b
                type: echo
              - id: c
                type: echo
            """;
        var spec = SpecLoader.Load(yaml, SpecFormat.Yaml).Spec!;
        var context = new DecisionContext(Now, MaxDispatches: 1);
        var started = RunDecider.Decide(null, new RunEvent.RunStarted("r", spec, null), context);
        started.Effects.OfType<Effect.ContinueRun>().ShouldHaveSingleItem();
        var done = new RunEvent.ActivitySucceeded("a", 1, 0, null);
        var first = RunDecider.Decide(started.State, done, context);
        first.Effects.OfType<Effect.ScheduleActivity>().Single().NodeId.ShouldBe("b");

        var duplicate = RunDecider.Decide(first.State, done, context);

        duplicate.State.ShouldBeSameAs(first.State);
        duplicate.Effects.ShouldBeEmpty();
    }

    [Fact]
    public void StaleTimer_WhileTheBudgetLeftWork_ChangesNothingAndDispatchesNothing()
    {
        const string yaml = """
            name: budget
            nodes:
              - id: a
                type: echo
              - id: b
                type: echo
            """;
        var spec = SpecLoader.Load(yaml, SpecFormat.Yaml).Spec!;
        var context = new DecisionContext(Now, MaxDispatches: 1);
        var started = RunDecider.Decide(null, new RunEvent.RunStarted("r", spec, null), context);

        var stale = RunDecider.Decide(started.State, new RunEvent.TimerFired("a", 7, 0, TimerPurpose.RetryBackoff), context);

        stale.State.ShouldBeSameAs(started.State);
        stale.Effects.ShouldBeEmpty();
    }
}
