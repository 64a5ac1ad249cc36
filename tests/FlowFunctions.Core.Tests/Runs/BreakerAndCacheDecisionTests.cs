using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using static FlowFunctions.Core.Tests.Runs.Decisions;

namespace FlowFunctions.Core.Tests.Runs;

/// <summary>Decide() for nodes parked by a circuit breaker and for step cache hits.</summary>
public class BreakerAndCacheDecisionTests
{
    private const string Guarded = """
        name: shop
        defaults:
          circuitBreaker: { failureRatio: 0.5, minimumThroughput: 4, breakDuration: 1m }
        nodes:
          - id: call
            type: http
            with: { url: "https://API.example.com:8443/items?x=1" }
            retry: { maxAttempts: 3, delay: 10s }
            timeout: 30s
          - id: named
            type: echo
            circuitBreaker: { key: payments, breakDuration: 5m }
          - id: plain
            type: echo
            circuitBreaker: false
          - id: after
            type: echo
            needs: [call]
            with: "${{ nodes.call.output }}"
        """;

    [Fact]
    public void Dispatch_ResolvesBreakerKeys_FromTheHttpHost_TheSpecKey_OrTheType()
    {
        var d = Start(Guarded);
        var schedules = d.Effects.OfType<Effect.ScheduleActivity>().ToDictionary(e => e.NodeId);

        schedules["call"].Breaker!.Key.ShouldBe("api.example.com");
        schedules["call"].Breaker!.ShouldBe(new CircuitBreakerPolicy("api.example.com", 0.5, 4, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1)));
        schedules["named"].Breaker!.ShouldBe(new CircuitBreakerPolicy("payments", 0.5, 4, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5)));
        schedules["plain"].Breaker.ShouldBeNull();
        schedules["call"].PriorExecutions.ShouldBe(0);
    }

    [Fact]
    public void Parked_WaitsWithoutSpendingAnAttempt_AndComesBackWithANewTokenAtTheHalfOpenTime()
    {
        var d = Start(Guarded);
        var retryAt = T0.AddMinutes(1);

        d = Apply(d, new RunEvent.ActivityParked("call", 1, 0, "api.example.com", retryAt));

        var node = d.State.Nodes["call"];
        node.Status.ShouldBe(NodeStatus.Waiting);
        node.Reason.ShouldBe("circuit open: api.example.com");
        node.Attempts.ShouldBe(0);
        node.Error.ShouldBe(new NodeError("circuit open: api.example.com", ErrorClass.Transient, 1));
        var timer = d.Effects.OfType<Effect.ArmTimer>().ShouldHaveSingleItem();
        (timer.Purpose, timer.DueAt, timer.Attempt).ShouldBe((TimerPurpose.BreakerHalfOpen, retryAt, 1));
        d.Transitions.ShouldContain(t => t.NodeId == "call" && t.To == NodeStatus.Waiting && t.Detail == "circuit open: api.example.com");

        // The first dispatch's attempt timeout must not hit the next dispatch: the token moves on.
        d = Apply(d, new RunEvent.TimerFired("call", 1, 0, TimerPurpose.BreakerHalfOpen), 60);
        var again = d.Effects.OfType<Effect.ScheduleActivity>().ShouldHaveSingleItem();
        (again.Attempt, again.PriorExecutions, again.MaxExecutions).ShouldBe((2, 0, 3));
        d.State.Nodes["call"].Status.ShouldBe(NodeStatus.Running);
        Apply(d, new RunEvent.TimerFired("call", 1, 0, TimerPurpose.AttemptTimeout), 61).State.ShouldBeSameAs(d.State);

        d = Apply(d, new RunEvent.ActivitySucceeded("call", 2, 0, JsonValue.Create(7)), 62);
        d.State.Nodes["call"].Status.ShouldBe(NodeStatus.Succeeded);
        d.State.Nodes["call"].Attempts.ShouldBe(1);
    }

    [Fact]
    public void Parked_AfterInlineExecutions_CountsThem_AndAStaleParkIsIgnored()
    {
        var d = Start(Guarded);
        d = Apply(d, new RunEvent.ActivityParked("call", 1, 0, "api.example.com", T0.AddMinutes(1), Executions: 1));
        d.State.Nodes["call"].Attempts.ShouldBe(1);

        // A duplicate delivery of the same park is a no-op.
        Apply(d, new RunEvent.ActivityParked("call", 1, 0, "api.example.com", T0.AddMinutes(2))).State.ShouldBeSameAs(d.State);

        d = Apply(d, new RunEvent.TimerFired("call", 1, 0, TimerPurpose.BreakerHalfOpen), 60);
        var again = d.Effects.OfType<Effect.ScheduleActivity>().ShouldHaveSingleItem();
        (again.Attempt, again.PriorExecutions, again.MaxExecutions).ShouldBe((2, 1, 2));
    }

    private const string GuardedWithDeadline = """
        name: shop
        nodes:
          - id: call
            type: http
            with: { url: "https://api.example.com/items" }
            retry: { maxAttempts: 3, delay: 10s, maxDelay: 1m }
            timeout: 30s
            deadline: 2m
            circuitBreaker: { breakDuration: 5m }
        """;

    [Fact]
    public void Deadline_BoundsAPark_TheParkedNodeFailsWithTheDeadlineMessage_AndTheLateHalfOpenTimerIsIgnored()
    {
        var d = Start(GuardedWithDeadline);
        d.Effects.OfType<Effect.ArmTimer>().ShouldContain(t => t.Purpose == TimerPurpose.Deadline && t.DueAt == T0.AddMinutes(2));
        d = Apply(d, new RunEvent.ActivityParked("call", 1, 0, "api.example.com", T0.AddMinutes(5), Executions: 1));
        d.State.Nodes["call"].Status.ShouldBe(NodeStatus.Waiting);

        d = Apply(d, new RunEvent.TimerFired("call", 1, 0, TimerPurpose.Deadline), 120);

        var node = d.State.Nodes["call"];
        node.Status.ShouldBe(NodeStatus.Failed);
        node.Attempts.ShouldBe(1);
        node.Error.ShouldBe(new NodeError("deadline of 2m exceeded after 1 attempt; last error: circuit open: api.example.com", ErrorClass.Permanent, 1) { Kind = ErrorKind.Deadline });
        d.Effects.OfType<Effect.CancelActivity>().ShouldBeEmpty();
        Apply(d, new RunEvent.TimerFired("call", 1, 0, TimerPurpose.BreakerHalfOpen), 300).State.ShouldBeSameAs(d.State);
    }

    [Fact]
    public void AParkThenARetryAfterFailure_CountEachExecutionOnce()
    {
        var d = Start(GuardedWithDeadline);
        d = Apply(d, new RunEvent.ActivityParked("call", 1, 0, "api.example.com", T0.AddSeconds(30), Executions: 1));
        d = Apply(d, new RunEvent.TimerFired("call", 1, 0, TimerPurpose.BreakerHalfOpen), 30);

        // The half-open probe answers 429 with Retry-After 20s: the wait is the longer of it and the 10s backoff.
        d = Apply(d, new RunEvent.ActivityFailed("call", 2, 0, "GET x returned 429", ErrorClass.Transient)
        {
            Kind = ErrorKind.HttpStatus,
            Status = 429,
            RetryAfter = TimeSpan.FromSeconds(20),
        }, 31);

        var node = d.State.Nodes["call"];
        (node.Status, node.Attempts, node.Reason).ShouldBe((NodeStatus.Waiting, 2, "attempt 2 of 3 failed; retrying in 20s"));
        d = Apply(d, new RunEvent.TimerFired("call", 2, 0, TimerPurpose.RetryBackoff), 51);
        var last = d.Effects.OfType<Effect.ScheduleActivity>().ShouldHaveSingleItem();
        (last.Attempt, last.PriorExecutions, last.MaxExecutions, last.Deadline).ShouldBe((3, 2, 1, T0.AddMinutes(2)));
    }

    private const string Cached = """
        name: shop
        inputs:
          n: { type: integer }
        nodes:
          - id: fetch
            type: echo
            with: { b: 2, a: "${{ inputs.n }}" }
            cache: { ttl: 1h, version: "2" }
          - id: keyed
            type: echo
            with: { at: "${{ run.id }}" }
            cache: { ttl: 10m, key: "${{ inputs.n }}" }
          - id: uncached
            type: echo
          - id: after
            type: echo
            needs: [fetch, keyed]
            with: "${{ nodes.fetch.output.a }}"
        outputs:
          got: "${{ nodes.fetch.output }}"
        """;

    [Fact]
    public void Dispatch_KeysTheCache_OnTypeInputAndVersion_OrOnTheCustomKey()
    {
        var d = Start(Cached, new JsonObject { ["n"] = 5 });
        var schedules = d.Effects.OfType<Effect.ScheduleActivity>().ToDictionary(e => e.NodeId);

        var fetch = schedules["fetch"].Cache!;
        (fetch.Workflow, fetch.NodeId, fetch.Ttl).ShouldBe(("shop", "fetch", TimeSpan.FromHours(1)));
        fetch.Hash.ShouldBe(StepCacheKey.For("shop", "fetch", "echo", JsonNode.Parse("""{"a":5,"b":2}"""), false, null, "2", TimeSpan.FromHours(1)).Hash);
        fetch.Hash.ShouldNotBe(StepCacheKey.For("shop", "fetch", "echo", JsonNode.Parse("""{"a":6,"b":2}"""), false, null, "2", TimeSpan.FromHours(1)).Hash);
        fetch.Hash.ShouldNotBe(StepCacheKey.For("shop", "fetch", "echo", JsonNode.Parse("""{"a":5,"b":2}"""), false, null, "3", TimeSpan.FromHours(1)).Hash);
        fetch.Hash.ShouldNotBe(StepCacheKey.For("shop", "fetch", "http", JsonNode.Parse("""{"a":5,"b":2}"""), false, null, "2", TimeSpan.FromHours(1)).Hash);
        fetch.Hash.Length.ShouldBe(64);

        // The custom key ignores the input (which differs per run here).
        schedules["keyed"].Cache!.Hash.ShouldBe(StepCacheKey.For("shop", "keyed", "echo", null, true, JsonValue.Create(5), string.Empty, TimeSpan.FromMinutes(10)).Hash);
        schedules["uncached"].Cache.ShouldBeNull();
    }

    [Fact]
    public void CacheHit_EndsTheNodeCached_WithTheOutput_AndCountsAsSuccessDownstream()
    {
        var d = Start(Cached, new JsonObject { ["n"] = 5 });
        d = Apply(d, new RunEvent.ActivitySucceeded("fetch", 1, 0, JsonNode.Parse("""{"a":"hit"}"""), Executions: 0, FromCache: true));
        var fetch = d.State.Nodes["fetch"];
        (fetch.Status, fetch.Attempts, fetch.Reason).ShouldBe((NodeStatus.Cached, 0, "output from the step cache"));
        d.Transitions.ShouldContain(t => t.NodeId == "fetch" && t.To == NodeStatus.Cached);

        d = Succeed(d, "keyed");
        d.Effects.OfType<Effect.ScheduleActivity>().ShouldHaveSingleItem().Input!.GetValue<string>().ShouldBe("hit");
        d = Succeed(d, "uncached");

        d = Succeed(d, "after");
        d.State.Status.ShouldBe(RunStatus.Succeeded);
        d.State.Outputs!["got"]!.ToJsonString().ShouldBe("""{"a":"hit"}""");
    }

    [Fact]
    public void CacheKeyExpressionError_FailsTheNodePermanently()
    {
        var d = Start("""
            name: shop
            nodes:
              - id: fetch
                type: echo
                cache: { ttl: 1h, key: "${{ inputs.n.deep }}" }
            inputs:
              n: { type: integer, default: 1 }
            """);

        var node = d.State.Nodes["fetch"];
        node.Status.ShouldBe(NodeStatus.Failed);
        node.Error!.Message.ShouldStartWith("cache.key: ");
        node.Error.Class.ShouldBe(ErrorClass.Permanent);
    }

    private const string Mapped = """
        name: fan
        defaults:
          circuitBreaker: { minimumThroughput: 2 }
        nodes:
          - id: each
            type: map
            items: [1, 2]
            node:
              type: http
              with: { url: "https://svc.example.com/items/${{ item }}" }
              retry: { maxAttempts: 2 }
              cache: { ttl: 5m, key: "${{ item }}" }
        """;

    [Fact]
    public void MapChildren_GoThroughTheBreakerAndCache_AParkedChildIsDispatchedAgain_ACachedOneCountsAsSuccess()
    {
        var d = Start(Mapped);
        var schedules = d.Effects.OfType<Effect.ScheduleActivity>().ToDictionary(e => e.NodeId);
        schedules["each[0]"].Breaker!.Key.ShouldBe("svc.example.com");
        schedules["each[1]"].Cache!.ShouldBe(StepCacheKey.For("fan", "each", "http", null, true, JsonValue.Create(2), string.Empty, TimeSpan.FromMinutes(5)));

        d = Apply(d, new RunEvent.ActivityParked("each[0]", 1, 0, "svc.example.com", T0.AddSeconds(30)));
        var parked = NodeOrChild(d.State, "each[0]");
        (parked.Status, parked.Reason, parked.Attempts).ShouldBe((NodeStatus.Waiting, "circuit open: svc.example.com", 0));
        d.Effects.OfType<Effect.ArmTimer>().ShouldHaveSingleItem().Purpose.ShouldBe(TimerPurpose.BreakerHalfOpen);

        d = Apply(d, new RunEvent.ActivitySucceeded("each[1]", 1, 0, JsonValue.Create("two"), Executions: 0, FromCache: true));
        Status(d, "each[1]").ShouldBe(NodeStatus.Cached);

        d = Apply(d, new RunEvent.TimerFired("each[0]", 1, 0, TimerPurpose.BreakerHalfOpen), 30);
        var again = d.Effects.OfType<Effect.ScheduleActivity>().ShouldHaveSingleItem();
        (again.NodeId, again.Attempt, again.PriorExecutions, again.MaxExecutions).ShouldBe(("each[0]", 2, 0, 2));

        d = Apply(d, new RunEvent.ActivitySucceeded("each[0]", 2, 0, JsonValue.Create("one")), 31);
        d.State.Status.ShouldBe(RunStatus.Succeeded);
        d.State.Nodes["each"].Output!.ToJsonString().ShouldBe("""["one","two"]""");
    }
}
