using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Activities.Handlers;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>
/// The inline/durable split: after a transient failure of execution n the work item retries inline only while it has
/// executions left and DelayAfter(n) is at most the threshold (1 s); otherwise it hands the rest to the engine.
/// </summary>
public sealed class RetryMiddlewareTests
{
    public static TheoryData<string, RetryPolicy, int, int, double, int, string> Cases => new()
    {
        // name, policy, attempt, maxExecutions, jitter, expected executions, expected inline delays (ms)
        { "all short delays: every execution runs inline", Policy(5, BackoffKind.Constant, 100), 1, 5, 0, 5, "100,100,100,100" },
        { "all long delays: one execution, the rest is durable", Policy(5, BackoffKind.Constant, 2000), 1, 5, 0, 1, "" },
        { "short then long (exponential 250ms): 250, 500, 1000 inline, 2000 durable", Policy(10, BackoffKind.Exponential, 250), 1, 10, 0, 4, "250,500,1000" },
        { "resumed at attempt 3 after a durable wait: 1000 inline, 2000 durable", Policy(10, BackoffKind.Exponential, 250), 3, 8, 0, 2, "1000" },
        { "maxExecutions 1: never retried inline", Policy(5, BackoffKind.Constant, 100), 1, 1, 0, 1, "" },
        { "maxExecutions bounds the work item", Policy(10, BackoffKind.Constant, 100), 4, 2, 0, 2, "100" },
        { "maxExecutions never exceeds what maxAttempts leaves", Policy(3, BackoffKind.Constant, 100), 1, 10, 0, 3, "100,100" },
        { "linear 400ms: 400, 800 inline, 1200 durable", Policy(6, BackoffKind.Linear, 400), 1, 6, 0, 3, "400,800" },
        { "zero delay retries at once", Policy(3, BackoffKind.Constant, 0), 1, 3, 0, 3, "" },
        { "exactly the threshold is inline", Policy(2, BackoffKind.Constant, 1000), 1, 2, 0, 2, "1000" },
        { "jitter low keeps 1s under the threshold", Policy(2, BackoffKind.Constant, 1000, jitter: true), 1, 2, 0, 2, "750" },
        { "jitter high pushes 1s over the threshold", Policy(2, BackoffKind.Constant, 1000, jitter: true), 1, 2, 0.9, 1, "" },
        { "maxDelay caps the delay under the threshold", Policy(4, BackoffKind.Exponential, 400, maxDelayMs: 900), 1, 4, 0, 4, "400,800,900" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TransientFailures_RunTheExpectedNumberOfExecutions(
        string name, RetryPolicy retry, int attempt, int maxExecutions, double jitter, int expectedExecutions, string expectedDelays)
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = Recording(new FailHandler());
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => jitter);

        var outcome = await executor.ExecuteAsync(
            Requests.For("fail", new JsonObject { ["message"] = "503" }, retry, attempt, maxExecutions), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Failed("503", ErrorClass.Transient, expectedExecutions), name);
        handler.Executions.ShouldBe(Enumerable.Range(attempt, expectedExecutions), name);
        time.Waited.Select(delay => (int)delay.TotalMilliseconds).ShouldBe(
            expectedDelays.Length == 0 ? [] : expectedDelays.Split(',').Select(int.Parse), name);
    }

    [Fact]
    public async Task PermanentFailure_IsNeverRetried()
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = new ScriptedHandler("bad", (_, _) => throw new ActivityException("400", ErrorClass.Permanent));
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);

        var outcome = await executor.ExecuteAsync(Requests.For("bad", retry: Policy(5, BackoffKind.Constant, 10)), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Failed("400", ErrorClass.Permanent, 1));
        time.Waited.ShouldBeEmpty();
        handler.Executions.ShouldBe([1]);
    }

    [Fact]
    public async Task TransientThenSuccess_StopsRetrying()
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = Recording(new FailHandler());
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);
        var with = new JsonObject { ["message"] = "503", ["times"] = 2, ["output"] = new JsonObject { ["rows"] = 42 } };

        var outcome = await executor.ExecuteAsync(Requests.For("fail", with, Policy(5, BackoffKind.Constant, 100)), CancellationToken.None);

        outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().ExecutionCount.ShouldBe(3);
        ((int)outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().Output!["rows"]!).ShouldBe(42);
        handler.Executions.ShouldBe([1, 2, 3]);
    }

    [Fact]
    public async Task InlineRetryThreshold_IsConfigurable()
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = Recording(new FailHandler());
        var options = Options.Create(new ActivityExecutorOptions { InlineRetryThreshold = TimeSpan.FromSeconds(5) });
        var executor = new ActivityExecutor([handler], options, time, () => 0);

        var outcome = await executor.ExecuteAsync(Requests.For("fail", retry: Policy(3, BackoffKind.Constant, 2000)), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Failed("failed", ErrorClass.Transient, 3));
        time.Waited.ShouldBe([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)]);
    }

    [Theory]
    [InlineData("503", 3)]
    [InlineData("5xx", 3)]
    [InlineData("transient", 3)]
    [InlineData("429", 1)]
    [InlineData("timeout", 1)]
    public async Task RetryOn_SelectsTheFailuresRetriedInline(string entry, int expectedExecutions)
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = new ScriptedHandler("call", (_, _) => throw new ActivityException("GET x returned 503", ErrorClass.Transient) { Kind = ErrorKind.HttpStatus, Status = 503 });
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);
        var retry = Policy(3, BackoffKind.Constant, 10) with { RetryOn = RetryOn.Of([entry]) };

        var outcome = await executor.ExecuteAsync(Requests.For("call", retry: retry), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Failed("GET x returned 503", ErrorClass.Transient, expectedExecutions) { Kind = ErrorKind.HttpStatus, Status = 503 });
    }

    [Fact]
    public async Task RetryAfter_LongerThanTheBackoff_IsTheInlineDelay()
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = new ScriptedHandler("call", (execution, _) => execution.Execution < 3
            ? throw new ActivityException("429", ErrorClass.Transient) { Kind = ErrorKind.HttpStatus, Status = 429, RetryAfter = TimeSpan.FromMilliseconds(800) }
            : Task.FromResult<JsonNode?>("ok"));
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);

        var outcome = await executor.ExecuteAsync(Requests.For("call", retry: Policy(5, BackoffKind.Constant, 100)), CancellationToken.None);

        outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().ExecutionCount.ShouldBe(3);
        time.Waited.ShouldBe([TimeSpan.FromMilliseconds(800), TimeSpan.FromMilliseconds(800)]);
    }

    [Fact]
    public async Task RetryAfter_OverTheThreshold_IsLeftToTheEngine()
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = new ScriptedHandler("call", (_, _) =>
            throw new ActivityException("503", ErrorClass.Transient) { Kind = ErrorKind.HttpStatus, Status = 503, RetryAfter = TimeSpan.FromSeconds(30) });
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);

        var outcome = await executor.ExecuteAsync(Requests.For("call", retry: Policy(5, BackoffKind.Constant, 100)), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Failed("503", ErrorClass.Transient, 1) { Kind = ErrorKind.HttpStatus, Status = 503, RetryAfter = TimeSpan.FromSeconds(30) });
        time.Waited.ShouldBeEmpty();
    }

    [Fact]
    public async Task Deadline_StopsInlineRetriesThatWouldStartAfterIt()
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        var handler = Recording(new FailHandler());
        var executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0);
        var request = Requests.For("fail", retry: Policy(10, BackoffKind.Constant, 100)) with { Deadline = time.GetUtcNow().AddMilliseconds(250) };

        var outcome = await executor.ExecuteAsync(request, CancellationToken.None);

        // Retries start at 100 ms and 200 ms; the next would start at 300 ms, after the deadline.
        outcome.Executions.ShouldBe(3);
        time.Waited.ShouldBe([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100)]);
    }

    internal static RetryPolicy Policy(int maxAttempts, BackoffKind backoff, int delayMs, int maxDelayMs = 300_000, bool jitter = false) =>
        new(maxAttempts, backoff, TimeSpan.FromMilliseconds(delayMs), TimeSpan.FromMilliseconds(maxDelayMs), jitter);

    private static ScriptedHandler Recording(IActivityHandler inner) =>
        new(inner.NodeType, (execution, token) => inner.ExecuteAsync(execution, token));
}
