using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Storage;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>
/// The shared circuit breaker seen by two workers (two executors, each with its own store client over the same
/// storage), with a fake clock: opening, parking without executing, one probe at a time, closing and reopening. Run
/// on SQLite and on Azurite by <see cref="SqliteSharedBreakerTests"/> and <see cref="AzureSharedBreakerTests"/>.
/// </summary>
internal sealed class SharedBreakerScenarios
{
    private static readonly CircuitBreakerPolicy Policy = new("svc", 0.5, 4, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly FakeTimeProvider time = new();
    private readonly Func<IFlowStore> openStore;
    private readonly ScriptedHandler handler;
    private readonly TaskCompletionSource<JsonNode?> blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="openStore">Opens a new client over the scenario's storage (one per worker).</param>
    public SharedBreakerScenarios(Func<IFlowStore> openStore)
    {
        this.openStore = openStore;
        handler = new ScriptedHandler("svc", Behave);
    }

    private int HandlerExecutions => handler.Executions.Count;

    public async Task OpensAtTheRatio_ThenParksOnEveryWorkerWithoutExecuting()
    {
        var (one, two) = Workers();
        (await ExecuteAsync(one, "ok")).ShouldBeOfType<ActivityOutcome.Succeeded>();
        (await ExecuteAsync(two, "transient")).ShouldBeOfType<ActivityOutcome.Failed>();
        (await ExecuteAsync(one, "ok")).ShouldBeOfType<ActivityOutcome.Succeeded>();

        // 1 failure in 3 is under the minimum throughput; the 4th execution makes 2 failures in 4 = 0.5: open.
        (await ExecuteAsync(two, "transient")).ShouldBeOfType<ActivityOutcome.Failed>();
        HandlerExecutions.ShouldBe(4);

        // The worker that opened it parks at once; the other one as soon as its cached read is older than CacheFor.
        var openedAt = time.GetUtcNow();
        (await ExecuteAsync(two, "ok")).ShouldBe(new ActivityOutcome.Parked("svc", openedAt + Policy.BreakDuration, 0));
        time.Advance(SharedCircuitBreaker.CacheFor);
        (await ExecuteAsync(one, "ok")).ShouldBe(new ActivityOutcome.Parked("svc", openedAt + Policy.BreakDuration, 0));
        HandlerExecutions.ShouldBe(4);
    }

    public async Task PermanentFailures_DoNotCount()
    {
        var (one, two) = Workers();
        for (var i = 0; i < 6; i++)
        {
            (await ExecuteAsync(i % 2 == 0 ? one : two, "permanent")).ShouldBeOfType<ActivityOutcome.Failed>().Class.ShouldBe(ErrorClass.Permanent);
        }

        (await ExecuteAsync(two, "ok")).ShouldBeOfType<ActivityOutcome.Succeeded>();
        HandlerExecutions.ShouldBe(7);
    }

    public async Task HalfOpen_LetsExactlyOneProbeThrough_AndASuccessCloses()
    {
        var (one, two) = Workers();
        await OpenAsync(one);
        time.Advance(Policy.BreakDuration);
        var probeAt = time.GetUtcNow();

        // Both workers race for the probe: one claims it and runs, the other is parked until the probe's lease ends.
        var first = ExecuteAsync(one, "block");
        var second = ExecuteAsync(two, "block");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var parked = await Task.WhenAny(first, second).WaitAsync(TimeSpan.FromSeconds(10));
        (await parked).ShouldBe(new ActivityOutcome.Parked("svc", probeAt + Policy.BreakDuration, 0));
        var probe = parked == first ? second : first;
        HandlerExecutions.ShouldBe(5);

        blocked.SetResult(JsonValue.Create("probe ok"));
        (await probe).ShouldBeOfType<ActivityOutcome.Succeeded>();

        // Closed, with an empty window: the other worker sees it once its cached read is older than CacheFor.
        time.Advance(SharedCircuitBreaker.CacheFor);
        (await ExecuteAsync(parked == first ? one : two, "ok")).ShouldBeOfType<ActivityOutcome.Succeeded>();
        (await ExecuteAsync(parked == first ? two : one, "transient")).ShouldBeOfType<ActivityOutcome.Failed>();
        (await ExecuteAsync(one, "ok")).ShouldBeOfType<ActivityOutcome.Succeeded>();
        HandlerExecutions.ShouldBe(8);
    }

    public async Task ProbeFailure_Reopens_ForAnotherBreakDuration()
    {
        var (one, two) = Workers();
        await OpenAsync(one);
        time.Advance(Policy.BreakDuration);

        (await ExecuteAsync(two, "transient")).ShouldBeOfType<ActivityOutcome.Failed>();
        var reopenedAt = time.GetUtcNow();
        (await ExecuteAsync(one, "ok")).ShouldBe(new ActivityOutcome.Parked("svc", reopenedAt + Policy.BreakDuration, 0));
        HandlerExecutions.ShouldBe(5);

        time.Advance(Policy.BreakDuration);
        (await ExecuteAsync(one, "ok")).ShouldBeOfType<ActivityOutcome.Succeeded>();
        HandlerExecutions.ShouldBe(6);
    }

    public async Task AnInlineRetry_ThatFindsTheBreakerOpen_ParksWithTheExecutionsSoFar()
    {
        var policy = Policy with { MinimumThroughput = 1, FailureRatio = 1 };
        var (one, _) = Workers();
        var retry = new RetryPolicy(5, BackoffKind.Constant, TimeSpan.Zero, TimeSpan.FromMinutes(1), false);

        var outcome = await one.ExecuteAsync(Requests.For("svc", Input("transient"), retry) with { Breaker = policy }, None);

        outcome.ShouldBe(new ActivityOutcome.Parked("svc", time.GetUtcNow() + policy.BreakDuration, 1));
        HandlerExecutions.ShouldBe(1);
    }

    private static JsonObject Input(string mode) => new() { ["mode"] = mode };

    /// <summary>Two workers: executors with their own store clients (and breaker caches) over the same storage.</summary>
    private (ActivityExecutor One, ActivityExecutor Two) Workers() => (Executor(), Executor());

    private ActivityExecutor Executor() => new([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0, openStore());

    private Task<JsonNode?> Behave(ActivityExecution execution, CancellationToken ct)
    {
        return (execution.Request.Input as JsonObject)?["mode"]?.GetValue<string>() switch
        {
            "ok" => Task.FromResult<JsonNode?>(JsonValue.Create("ok")),
            "transient" => throw new ActivityException("503 from svc", ErrorClass.Transient),
            "permanent" => throw new ActivityException("404 from svc", ErrorClass.Permanent),
            _ => Block(),
        };

        Task<JsonNode?> Block()
        {
            started.TrySetResult();
            return blocked.Task;
        }
    }

    /// <summary>Four transient failures open the breaker (4 executions, ratio 1).</summary>
    private async Task OpenAsync(ActivityExecutor executor)
    {
        for (var i = 0; i < 4; i++)
        {
            (await ExecuteAsync(executor, "transient")).ShouldBeOfType<ActivityOutcome.Failed>();
        }

        (await ExecuteAsync(executor, "ok")).ShouldBeOfType<ActivityOutcome.Parked>();
    }

    private Task<ActivityOutcome> ExecuteAsync(ActivityExecutor executor, string mode) =>
        executor.ExecuteAsync(Requests.For("svc", Input(mode)) with { Breaker = Policy }, None);
}
