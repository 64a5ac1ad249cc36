using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Activities.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>Chaos rules inject faults, HTTP outcomes and latency around the handler, from an injected random source.</summary>
public sealed class ChaosTests
{
    [Fact]
    public async Task Fault_CountsAsAnExecution_AndIsTransient()
    {
        var handler = new ScriptedHandler("echo", (execution, token) => new EchoHandler().ExecuteAsync(execution, token));
        var executor = Executor(new FakeTimeProvider { AutoAdvance = true }, handler, new ChaosRule { NodeType = "echo", FaultRate = 0.5 }, Sequence(0.1, 0.9));

        var outcome = await executor.ExecuteAsync(Requests.For("echo", "hi", RetryMiddlewareTests.Policy(3, BackoffKind.Constant, 10)), CancellationToken.None);

        // The first execution is a fault (0.1 < 0.5), the inline retry runs the handler (0.9).
        outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().ExecutionCount.ShouldBe(2);
        handler.Executions.ShouldBe([2]);
    }

    [Fact]
    public async Task Fault_WithoutRetry_IsReportedAsTheChaosFault()
    {
        var executor = Executor(new FakeTimeProvider(), new EchoHandler(), new ChaosRule { NodeType = "echo", FaultRate = 1 }, () => 0);

        var outcome = await executor.ExecuteAsync(Requests.For("echo", "hi"), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Failed(ChaosInjector.FaultMessage, ErrorClass.Transient, 1));
    }

    [Fact]
    public async Task Outcome_IsAnHttpStatusFailure_ThatRetryOnSelects()
    {
        var executor = Executor(new FakeTimeProvider { AutoAdvance = true }, new EchoHandler(), new ChaosRule { NodeType = "echo", OutcomeRate = 1, Outcome = 503 }, () => 0);
        var retry = RetryMiddlewareTests.Policy(3, BackoffKind.Constant, 10);

        var selected = await executor.ExecuteAsync(Requests.For("echo", retry: retry with { RetryOn = RetryOn.Of(["503"]) }), CancellationToken.None);
        var ignored = await executor.ExecuteAsync(Requests.For("echo", retry: retry with { RetryOn = RetryOn.Of(["429"]) }), CancellationToken.None);

        selected.ShouldBe(new ActivityOutcome.Failed("chaos: injected HTTP 503", ErrorClass.Transient, 3) { Kind = ErrorKind.HttpStatus, Status = 503 });
        ignored.Executions.ShouldBe(1);
    }

    [Fact]
    public async Task Latency_OverTheTimeout_IsATimeout_AndTheHandlerNeverRuns()
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler("echo", (_, _) => Task.FromResult<JsonNode?>(1));
        var executor = Executor(time, handler, new ChaosRule { NodeType = "echo", LatencyRate = 1, Latency = TimeSpan.FromSeconds(5) }, () => 0);
        var running = executor.ExecuteAsync(Requests.For("echo", timeout: TimeSpan.FromSeconds(1)), CancellationToken.None);
        await ActivityExecutorTests.WaitUntil(() => time.PendingTimers == 2);

        time.Advance(TimeSpan.FromSeconds(1));

        (await running).ShouldBe(new ActivityOutcome.Failed("timed out after 1s", ErrorClass.Transient, 1) { Kind = ErrorKind.Timeout });
        handler.Executions.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("http", null, "http", "https://api.example.com/x", true)]
    [InlineData("echo", null, "http", "https://api.example.com/x", false)]
    [InlineData(null, "api.example.com", "http", "https://API.example.com/x", true)]
    [InlineData(null, "api.example.com", "http", "https://other.example.com/x", false)]
    [InlineData(null, "echo", "echo", null, true)]
    public async Task Rules_MatchByNodeTypeOrKey(string? nodeType, string? key, string type, string? url, bool injected)
    {
        var handler = new ScriptedHandler(type, (_, _) => Task.FromResult<JsonNode?>("ran"));
        var executor = Executor(new FakeTimeProvider(), handler, new ChaosRule { NodeType = nodeType, Key = key, FaultRate = 1 }, () => 0);
        var input = url is null ? null : new JsonObject { ["url"] = url };

        var outcome = await executor.ExecuteAsync(Requests.For(type, input), CancellationToken.None);

        (outcome is ActivityOutcome.Failed).ShouldBe(injected);
    }

    [Theory]
    [InlineData(null, "refused in Production (no environment set")]
    [InlineData("Production", "refused in Production (environment Production)")]
    [InlineData("production", "refused in Production")]
    public void Rules_AreRefusedInProduction(string? environment, string expected)
    {
        var services = new ServiceCollection().AddFlowFunctionsActivities(options =>
        {
            options.EnvironmentName = environment;
            options.Chaos.Rules.Add(new ChaosRule { NodeType = "echo", FaultRate = 0.1 });
        });
        using var provider = services.BuildServiceProvider();

        Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ActivityExecutorOptions>>().Value).Message.ShouldContain(expected);
    }

    [Fact]
    public void Rules_OutsideProduction_AreCheckedOneByOne()
    {
        var options = new ChaosOptions();
        options.Rules.Add(new ChaosRule { FaultRate = 0.1 });
        options.Rules.Add(new ChaosRule { NodeType = "http", FaultRate = -1, Latency = TimeSpan.FromSeconds(-1), Outcome = 700 });

        options.Problems("Development", null).ShouldBe([
            "FlowFunctions:Chaos:Rules:0: set NodeType or Key: a rule for every execution is too easy to leave on by mistake",
            "FlowFunctions:Chaos:Rules:1: FaultRate must be between 0 and 1, not -1",
            "FlowFunctions:Chaos:Rules:1: Latency must not be negative",
            "FlowFunctions:Chaos:Rules:1: Outcome must be an HTTP status (100-599), not 700",
        ]);
        new ChaosOptions().Problems("Production", "Production").ShouldBeEmpty();
    }

    /// <summary>A source that returns the given numbers in turn, then the last one forever.</summary>
    internal static Func<double> Sequence(params double[] values)
    {
        var next = 0;
        return () => values[Math.Min(Interlocked.Increment(ref next) - 1, values.Length - 1)];
    }

    private static ActivityExecutor Executor(TimeProvider time, IActivityHandler handler, ChaosRule rule, Func<double> random)
    {
        var options = new ActivityExecutorOptions { EnvironmentName = "Test" };
        options.Chaos.Rules.Add(rule);
        options.Chaos.Randomizer = random;
        return new ActivityExecutor([handler], Options.Create(options), time, () => 0);
    }
}
