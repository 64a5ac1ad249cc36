using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Activities.Handlers;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>
/// One budget, two layers: Decide() and the executor together, on one fake clock. For each mix of short (inline) and
/// long (durable timer) delays, the exact number of handler executions, work items and durable retry timers, and the
/// node's <c>attempts</c>, which always equals the executions.
/// </summary>
public sealed class RetryOwnershipTests
{
    public static TheoryData<string, string, int?, int, int, int, NodeStatus> Table => new()
    {
        // name, retry, fail times (null = always), executions, work items, durable timers, final status
        { "all short: inline only", "{ maxAttempts: 4, backoff: constant, delay: 100ms }", null, 4, 1, 0, NodeStatus.Failed },
        { "all long: durable only", "{ maxAttempts: 4, backoff: constant, delay: 5s }", null, 4, 4, 3, NodeStatus.Failed },
        { "exponential 250ms: 3 inline, then 2s and 4s durable", "{ maxAttempts: 6, backoff: exponential, delay: 250ms }", null, 6, 3, 2, NodeStatus.Failed },
        { "exponential 250ms, success on the 5th", "{ maxAttempts: 6, backoff: exponential, delay: 250ms }", 4, 5, 2, 1, NodeStatus.Succeeded },
        { "linear 400ms: 400, 800 inline, 1.2s and 1.6s durable", "{ maxAttempts: 5, backoff: linear, delay: 400ms }", null, 5, 3, 2, NodeStatus.Failed },
        { "maxDelay brings long delays inline", "{ maxAttempts: 5, backoff: exponential, delay: 600ms, maxDelay: 1s }", null, 5, 1, 0, NodeStatus.Failed },
        { "zero delay: inline at once", "{ maxAttempts: 3, delay: 0s }", null, 3, 1, 0, NodeStatus.Failed },
        { "one attempt: no retry", "{ maxAttempts: 1 }", null, 1, 1, 0, NodeStatus.Failed },
        { "success on the first retry", "{ maxAttempts: 3, delay: 2s }", 1, 2, 2, 1, NodeStatus.Succeeded },
        { "retryOn not selecting the failure: one execution", "{ maxAttempts: 5, delay: 10ms, retryOn: [timeout, '5xx'] }", null, 1, 1, 0, NodeStatus.Failed },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public async Task ExecutionsWorkItemsAndTimers_FollowTheOwnershipRule(
        string name, string retry, int? failTimes, int executions, int workItems, int durableTimers, NodeStatus finalStatus)
    {
        var with = failTimes is { } n ? $"{{ message: '503', times: {n}, output: ok }}" : "{ message: '503' }";
        var yaml = $"name: t\nnodes:\n  - id: a\n    type: fail\n    retry: {retry}\n    with: {with}\n";
        var result = await DriveAsync(yaml);

        result.Executions.ShouldBe(executions, name);
        result.WorkItems.ShouldBe(workItems, name);
        result.DurableTimers.ShouldBe(durableTimers, name);
        var node = result.State.Nodes["a"];
        node.Status.ShouldBe(finalStatus, name);
        node.Attempts.ShouldBe(executions, name);
        if (finalStatus == NodeStatus.Failed)
        {
            node.Error.ShouldBe(new NodeError("503", ErrorClass.Transient, executions), name);
        }
    }

    [Fact]
    public async Task Deadline_EndsDurableRetries_WithTheAttemptsCounted()
    {
        var yaml = "name: t\nnodes:\n  - id: a\n    type: fail\n    deadline: 20s\n    retry: { maxAttempts: 10, backoff: constant, delay: 6s }\n    with: { message: '503' }\n";

        var result = await DriveAsync(yaml);

        // Executions at 0s, 6s, 12s and 18s; the retry due at 24s is pre-empted by the deadline at 20s.
        result.Executions.ShouldBe(4);
        var node = result.State.Nodes["a"];
        node.Status.ShouldBe(NodeStatus.Failed);
        node.Attempts.ShouldBe(4);
        node.Error.ShouldBe(new NodeError("deadline of 20s exceeded after 4 attempts; last error: 503", ErrorClass.Permanent, 4) { Kind = ErrorKind.Deadline });
    }

    private static async Task<(RunState State, int Executions, int WorkItems, int DurableTimers)> DriveAsync(string yaml)
    {
        var load = SpecLoader.Load(yaml, SpecFormat.Yaml);
        load.Errors.ShouldBeEmpty();
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = new ScriptedHandler("fail", (execution, token) => new FailHandler().ExecuteAsync(execution, token));
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);
        var decision = RunDecider.Decide(null, new RunEvent.RunStarted("run", load.Spec!, null), new DecisionContext(time.GetUtcNow(), 0));
        var timers = new List<Effect.ArmTimer>();
        var (workItems, durableTimers) = (0, 0);
        for (var step = 0; step < 100 && !decision.State.IsTerminal; step++)
        {
            timers.AddRange(decision.Effects.OfType<Effect.ArmTimer>());
            durableTimers += decision.Effects.OfType<Effect.ArmTimer>().Count(t => t.Purpose == TimerPurpose.RetryBackoff);
            RunEvent next;
            if (decision.Effects.OfType<Effect.ScheduleActivity>().SingleOrDefault() is { } work)
            {
                workItems++;
                var request = new ActivityRequest("run", work.NodeId, work.NodeType, work.Attempt, work.Incarnation, work.Input, work.Retry, work.MaxExecutions, work.Timeout, work.Deadline);
                next = await executor.ExecuteAsync(request, CancellationToken.None) switch
                {
                    ActivityOutcome.Succeeded s => new RunEvent.ActivitySucceeded(work.NodeId, work.Attempt, work.Incarnation, s.Output, s.Executions),
                    ActivityOutcome.Failed f => new RunEvent.ActivityFailed(work.NodeId, work.Attempt, work.Incarnation, f.Message, f.Class, f.Executions) { Kind = f.Kind, Status = f.Status, RetryAfter = f.RetryAfter },
                    _ => throw new InvalidOperationException(),
                };
            }
            else
            {
                var timer = timers.MinBy(t => t.DueAt)!;
                timers.Remove(timer);
                if (timer.DueAt > time.GetUtcNow())
                {
                    time.Advance(timer.DueAt - time.GetUtcNow());
                }

                next = new RunEvent.TimerFired(timer.NodeId, timer.Attempt, timer.Incarnation, timer.Purpose);
            }

            decision = RunDecider.Decide(decision.State, next, new DecisionContext(time.GetUtcNow(), 0));
        }

        decision.State.IsTerminal.ShouldBeTrue();
        return (decision.State, handler.Executions.Count, workItems, durableTimers);
    }
}
