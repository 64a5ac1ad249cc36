using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>
/// The standard pipeline (docs/resilience.md): telemetry -> step cache -> retry -> circuit breaker -> timeout -> [chaos]
/// -> handler.
/// </summary>
public sealed class PipelineOrderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("flow-pipeline-").FullName;

    [Fact]
    public async Task StandardPipeline_WithAStore_IsTelemetryCacheRetryBreakerTimeout_AndWithoutOneHasNoCacheOrBreaker()
    {
        await using var store = new SqliteFlowStore(Path.Combine(directory, "flow.db"), TimeProvider.System);
        var options = Options.Create(new ActivityExecutorOptions());

        new ActivityExecutor([], options, TimeProvider.System, () => 0, store).Middleware.Select(m => m.GetType()).ShouldBe(
            [typeof(TelemetryMiddleware), typeof(StepCacheMiddleware), typeof(RetryMiddleware), typeof(CircuitBreakerMiddleware), typeof(TimeoutMiddleware)]);
        new ActivityExecutor([], options, TimeProvider.System, () => 0).Middleware.Select(m => m.GetType()).ShouldBe(
            [typeof(TelemetryMiddleware), typeof(RetryMiddleware), typeof(TimeoutMiddleware)]);
    }

    /// <summary>
    /// Chaos wraps the handler call, below every stage: an injected fault is an execution that retry repeats inline and
    /// the breaker counts, until the breaker opens and parks the work item (ChaosTests shows it is under the timeout too).
    /// </summary>
    [Fact]
    public async Task Chaos_IsBelowRetryAndTheBreaker_AnInjectedFaultIsRetriedAndCounted()
    {
        var time = new FakeTimeProvider { AutoAdvance = true };
        await using var store = new SqliteFlowStore(Path.Combine(directory, "flow.db"), time);
        var options = new ActivityExecutorOptions();
        options.Chaos.Rules.Add(new ChaosRule { NodeType = "echo", FaultRate = 1 });
        options.Chaos.Randomizer = () => 0;
        var handler = new ScriptedHandler("echo", (_, _) => Task.FromResult<JsonNode?>("ran"));
        var executor = new ActivityExecutor([handler], Options.Create(options), time, () => 0, store);
        var breaker = new CircuitBreakerPolicy("echo", 1, 2, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var retry = new RetryPolicy(5, BackoffKind.Constant, TimeSpan.Zero, TimeSpan.FromMinutes(1), false);

        var outcome = await executor.ExecuteAsync(Requests.For("echo", "hi", retry) with { Breaker = breaker }, CancellationToken.None);

        outcome.ShouldBeOfType<ActivityOutcome.Parked>().Executions.ShouldBe(2);
        handler.Executions.ShouldBeEmpty();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
