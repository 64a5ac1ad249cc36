using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using static FlowFunctions.Core.Tests.Runs.Decisions;

namespace FlowFunctions.Core.Tests.Runs;

/// <summary>retryOn, Retry-After and deadline as Decide() applies them (durable retries).</summary>
public sealed class ResilienceDecisionTests
{
    private const string HttpNode = "name: t\nnodes:\n  - id: a\n    type: http\n    with: { url: \"https://api.example.com/x\" }\n";

    [Theory]
    [InlineData("[transient]", ErrorKind.Other, null, true)]
    [InlineData("[transient]", ErrorKind.HttpStatus, 503, true)]
    [InlineData("[timeout]", ErrorKind.Timeout, null, true)]
    [InlineData("[timeout]", ErrorKind.HttpStatus, 503, false)]
    [InlineData("[connection]", ErrorKind.Connection, null, true)]
    [InlineData("[connection]", ErrorKind.Other, null, false)]
    [InlineData("[503, 429]", ErrorKind.HttpStatus, 429, true)]
    [InlineData("[503, 429]", ErrorKind.HttpStatus, 502, false)]
    [InlineData("['5xx']", ErrorKind.HttpStatus, 502, true)]
    [InlineData("['5xx']", ErrorKind.HttpStatus, 429, false)]
    [InlineData("[timeout, '5xx']", ErrorKind.Timeout, null, true)]
    public void RetryOn_SelectsWhichTransientFailuresAreRetried(string retryOn, ErrorKind kind, int? status, bool retried)
    {
        var d = Start(HttpNode + $"    retry: {{ maxAttempts: 3, delay: 10s, retryOn: {retryOn} }}\n");

        d = Apply(d, new RunEvent.ActivityFailed("a", 1, 0, "boom", ErrorClass.Transient) { Kind = kind, Status = status });

        Status(d, "a").ShouldBe(retried ? NodeStatus.Waiting : NodeStatus.Failed);
        d.State.Nodes["a"].Error.ShouldBe(new NodeError("boom", ErrorClass.Transient, 1) { Kind = kind, Status = status });
    }

    [Fact]
    public void PermanentFailure_IsNotRetried_EvenWhenRetryOnListsItsStatus()
    {
        var d = Start(HttpNode + "    retry: { maxAttempts: 5, retryOn: [transient, '5xx'] }\n");

        d = Apply(d, new RunEvent.ActivityFailed("a", 1, 0, "GET x returned 501", ErrorClass.Permanent) { Kind = ErrorKind.HttpStatus, Status = 501 });

        Status(d, "a").ShouldBe(NodeStatus.Failed);
        d.State.Nodes["a"].Attempts.ShouldBe(1);
        d.Effects.OfType<Effect.ArmTimer>().ShouldBeEmpty();
    }

    [Theory]
    [InlineData(30, 30)]    // longer than the 2s backoff: honoured
    [InlineData(1, 2)]      // shorter than the backoff: the backoff stands
    [InlineData(600, 60)]   // longer than maxDelay: capped
    public void RetryAfter_IsTheNextDelay_WhenLonger_CappedByMaxDelay(int retryAfterSeconds, int expectedSeconds)
    {
        var d = Start(HttpNode + "    retry: { maxAttempts: 3, backoff: constant, delay: 2s, maxDelay: 1m }\n");

        d = Apply(d, new RunEvent.ActivityFailed("a", 1, 0, "GET x returned 429", ErrorClass.Transient)
        {
            Kind = ErrorKind.HttpStatus,
            Status = 429,
            RetryAfter = TimeSpan.FromSeconds(retryAfterSeconds),
        }, seconds: 5);

        d.Effects.OfType<Effect.ArmTimer>().Single().DueAt.ShouldBe(T0.AddSeconds(5 + expectedSeconds));
    }

    [Fact]
    public void Deadline_IsArmedOnceWithTheFirstAttempt_AndPassedToEveryWorkItem()
    {
        var d = Start(HttpNode + "    deadline: 5m\n    retry: { maxAttempts: 3, delay: 10s }\n");

        var deadline = d.Effects.OfType<Effect.ArmTimer>().Single();
        deadline.Purpose.ShouldBe(TimerPurpose.Deadline);
        deadline.DueAt.ShouldBe(T0.AddMinutes(5));
        d.Effects.OfType<Effect.ScheduleActivity>().Single().Deadline.ShouldBe(T0.AddMinutes(5));

        d = Fail(d, "a", seconds: 1);
        d = Apply(d, new RunEvent.TimerFired("a", 1, 0, TimerPurpose.RetryBackoff), 11);

        d.Effects.OfType<Effect.ArmTimer>().ShouldNotContain(t => t.Purpose == TimerPurpose.Deadline);
        var second = d.Effects.OfType<Effect.ScheduleActivity>().Single();
        second.Attempt.ShouldBe(2);
        second.Deadline.ShouldBe(T0.AddMinutes(5));
    }

    [Fact]
    public void Deadline_WhileWaitingForARetry_FailsTheNodeWithAClearMessage()
    {
        var d = Start(HttpNode + "    deadline: 5m\n    retry: { maxAttempts: 10, backoff: constant, delay: 2m }\n");
        d = Apply(d, new RunEvent.ActivityFailed("a", 1, 0, "GET x returned 503", ErrorClass.Transient, Executions: 3) { Kind = ErrorKind.HttpStatus, Status = 503 }, 30);
        Status(d, "a").ShouldBe(NodeStatus.Waiting);

        d = Apply(d, new RunEvent.TimerFired("a", 1, 0, TimerPurpose.Deadline), 300);

        Status(d, "a").ShouldBe(NodeStatus.Failed);
        var node = d.State.Nodes["a"];
        node.Attempts.ShouldBe(3);
        node.Error.ShouldBe(new NodeError("deadline of 5m exceeded after 3 attempts; last error: GET x returned 503", ErrorClass.Permanent, 3) { Kind = ErrorKind.Deadline });
        d.State.Status.ShouldBe(RunStatus.Failed);
        d.Effects.OfType<Effect.CancelActivity>().ShouldBeEmpty();
    }

    [Fact]
    public void Deadline_WhileAnAttemptRuns_CancelsItAndCountsIt()
    {
        var d = Start(HttpNode + "    deadline: 1m\n    retry: { maxAttempts: 5, delay: 1s }\n");
        d = Fail(d, "a", seconds: 1);
        d = Apply(d, new RunEvent.TimerFired("a", 1, 0, TimerPurpose.RetryBackoff), 2);
        Status(d, "a").ShouldBe(NodeStatus.Running);

        // The deadline timer carries the first attempt's token; it still applies to attempt 2.
        d = Apply(d, new RunEvent.TimerFired("a", 1, 0, TimerPurpose.Deadline), 60);

        Status(d, "a").ShouldBe(NodeStatus.Failed);
        d.State.Nodes["a"].Attempts.ShouldBe(2);
        d.State.Nodes["a"].Error!.Message.ShouldBe("deadline of 1m exceeded after 2 attempts; last error: boom");
        d.Effects.OfType<Effect.CancelActivity>().Single().Attempt.ShouldBe(2);

        // The cancelled attempt's late result is ignored.
        var late = Apply(d, new RunEvent.ActivitySucceeded("a", 2, 0, null), 61);
        late.Effects.ShouldBeEmpty();
        Status(late, "a").ShouldBe(NodeStatus.Failed);
    }

    [Fact]
    public void Deadline_OfAnOlderIncarnation_OrAfterSuccess_DoesNothing()
    {
        var d = Start(HttpNode + "    deadline: 1m\n");
        d = Succeed(d, "a", seconds: 5);

        var after = Apply(d, new RunEvent.TimerFired("a", 1, 0, TimerPurpose.Deadline), 60);
        after.Effects.ShouldBeEmpty();
        Status(after, "a").ShouldBe(NodeStatus.Succeeded);

        var stale = Apply(Start(HttpNode + "    deadline: 1m\n"), new RunEvent.TimerFired("a", 1, 7, TimerPurpose.Deadline), 60);
        Status(stale, "a").ShouldBe(NodeStatus.Running);
    }

    [Fact]
    public void Deadline_FromDefaults_AppliesToActivityNodesOnly()
    {
        var spec = Spec("name: t\ndefaults: { deadline: 10m, timeout: 1m }\nnodes:\n  - { id: a, type: echo }\n  - { id: b, type: transform, with: 1 }\n  - { id: c, type: echo, deadline: 2m }\n");

        spec.Nodes[0].Deadline.ShouldBe(TimeSpan.FromMinutes(10));
        spec.Nodes[1].Deadline.ShouldBeNull();
        spec.Nodes[2].Deadline.ShouldBe(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void RetryOn_IsInheritedFromDefaults_AndReplacedAsAWhole()
    {
        var spec = Spec("name: t\ndefaults: { retry: { maxAttempts: 3, retryOn: [timeout, 503] } }\nnodes:\n  - { id: a, type: echo }\n  - { id: b, type: echo, retry: { retryOn: '5xx' } }\n  - { id: c, type: echo, retry: { maxAttempts: 2 } }\n");

        spec.Nodes[0].Retry.RetryOn.Entries.ShouldBe(["timeout", "503"]);
        spec.Nodes[1].Retry.RetryOn.Entries.ShouldBe(["5xx"]);
        spec.Nodes[1].Retry.MaxAttempts.ShouldBe(3);
        spec.Nodes[2].Retry.RetryOn.ShouldBe(RetryOn.Of(["503", "timeout"]));
        Spec("name: t\nnodes:\n  - { id: a, type: echo }\n").Nodes[0].Retry.RetryOn.ShouldBe(RetryOn.Transient);
    }

    [Theory]
    [InlineData("transient", true, "transient")]
    [InlineData("503", true, "503")]
    [InlineData(" 429 ", true, "429")]
    [InlineData("408", true, "408")]
    [InlineData("5xx", true, "5xx")]
    [InlineData("404", false, "404 is a permanent status and is never retried; retryable statuses are 408, 429 and 500-599")]
    [InlineData("99", false, "99 is not an HTTP status; retryable statuses are 408, 429 and 500-599")]
    [InlineData("timeouts", false, "'timeouts' is not a retryOn entry; did you mean 'timeout'?")]
    [InlineData("zzz", false, "'zzz' is not a retryOn entry; use transient, timeout, connection, 5xx or a retryable HTTP status (408, 429, 500-599)")]
    public void RetryOn_TryParseEntry(string text, bool valid, string expected)
    {
        RetryOn.TryParseEntry(text, out var entry, out var error).ShouldBe(valid);
        (valid ? entry : error).ShouldBe(expected);
    }

    [Theory]
    [InlineData(BackoffKind.Constant, 1, 0.0, 2000)]
    [InlineData(BackoffKind.Constant, 4, 0.0, 2000)]
    [InlineData(BackoffKind.Linear, 1, 0.0, 2000)]
    [InlineData(BackoffKind.Linear, 3, 0.0, 6000)]
    [InlineData(BackoffKind.Exponential, 1, 0.0, 2000)]
    [InlineData(BackoffKind.Exponential, 4, 0.0, 16000)]
    [InlineData(BackoffKind.Exponential, 6, 0.0, 60000)]
    public void DelayAfter_EachShape(BackoffKind backoff, int failedAttempt, double sample, long expectedMs)
    {
        var policy = new RetryPolicy(10, backoff, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), false);

        policy.DelayAfter(failedAttempt, sample).ShouldBe(TimeSpan.FromMilliseconds(expectedMs));
    }

    [Theory]
    [InlineData(BackoffKind.Constant)]
    [InlineData(BackoffKind.Linear)]
    [InlineData(BackoffKind.Exponential)]
    public void DelayAfter_WithJitter_StaysWithin25PercentOfTheBase(BackoffKind backoff)
    {
        var plain = new RetryPolicy(10, backoff, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), false);
        var jittered = plain with { Jitter = true };
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            var baseDelay = plain.DelayAfter(attempt, 0);
            for (var sample = 0.0; sample < 1; sample += 0.05)
            {
                var delay = jittered.DelayAfter(attempt, sample);
                delay.ShouldBeGreaterThanOrEqualTo(baseDelay * 0.75);
                delay.ShouldBeLessThan(baseDelay * 1.25);
            }
        }
    }
}
