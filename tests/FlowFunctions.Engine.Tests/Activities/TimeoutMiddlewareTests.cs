using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

public sealed class TimeoutMiddlewareTests
{
    [Fact]
    public async Task ExecutionLongerThanTimeout_FailsTransiently_WithTheSpecWording()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource();
        var handler = new ScriptedHandler("slow", async (_, token) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
            return null;
        });
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);
        var running = executor.ExecuteAsync(Requests.For("slow", timeout: TimeSpan.FromSeconds(30)), CancellationToken.None);
        await started.Task;

        time.Advance(TimeSpan.FromSeconds(29));
        running.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(1));

        (await running).ShouldBe(new ActivityOutcome.Failed("timed out after 30s", ErrorClass.Transient, 1) { Kind = ErrorKind.Timeout });
    }

    [Fact]
    public async Task TimedOutExecution_IsRetried_BecauseTimeoutSitsInsideRetry()
    {
        var time = new FakeTimeProvider();
        var firstStarted = new TaskCompletionSource();
        var handler = new ScriptedHandler("slow-once", async (execution, token) =>
        {
            if (execution.Execution == 1)
            {
                firstStarted.TrySetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            }

            return "done";
        });
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);
        var retry = new RetryPolicy(2, BackoffKind.Constant, TimeSpan.Zero, TimeSpan.FromSeconds(1), false);
        var running = executor.ExecuteAsync(Requests.For("slow-once", retry: retry, timeout: TimeSpan.FromMilliseconds(1500)), CancellationToken.None);
        await firstStarted.Task;

        time.Advance(TimeSpan.FromMilliseconds(1500));

        var outcome = (await running).ShouldBeOfType<ActivityOutcome.Succeeded>();
        outcome.ExecutionCount.ShouldBe(2);
        outcome.Output!.GetValue<string>().ShouldBe("done");
    }

    [Fact]
    public async Task FastExecution_IsNotAffectedByTheTimeout()
    {
        var handler = new ScriptedHandler("fast", (_, _) => Task.FromResult<JsonNode?>(7));
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), new FakeTimeProvider(), () => 0);

        var outcome = await executor.ExecuteAsync(Requests.For("fast", timeout: TimeSpan.FromMilliseconds(1)), CancellationToken.None);

        outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().Output!.GetValue<int>().ShouldBe(7);
    }

    [Fact]
    public async Task RealShortTimeout_CancelsTheHandler()
    {
        var cancelled = new TaskCompletionSource();
        var handler = new ScriptedHandler("slow", async (_, token) =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), token);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }

            return null;
        });
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), TimeProvider.System, () => 0);

        var outcome = await executor.ExecuteAsync(Requests.For("slow", timeout: TimeSpan.FromMilliseconds(100)), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Failed("timed out after 100ms", ErrorClass.Transient, 1) { Kind = ErrorKind.Timeout });
        cancelled.Task.IsCompleted.ShouldBeTrue();
    }
}
