using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>The step cache stage over a real SQLite file, with a fake clock: hit, miss, expiry, failures, invalidation.</summary>
public sealed class StepCacheMiddlewareTests : IAsyncDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly StepCacheKey Key = new("shop", "fetch", new string('a', 64), TimeSpan.FromHours(1));

    private readonly string directory = Directory.CreateTempSubdirectory("flow-cache-").FullName;
    private readonly FakeTimeProvider time = new();
    private readonly SqliteFlowStore store;
    private readonly ScriptedHandler handler;
    private readonly ActivityExecutor executor;
    private int calls;

    public StepCacheMiddlewareTests()
    {
        store = new SqliteFlowStore(Path.Combine(directory, "flow.db"), TimeProvider.System);
        handler = new ScriptedHandler("svc", (execution, _) => (execution.Request.Input as JsonObject)?["fail"] is not null
            ? throw new ActivityException("503", ErrorClass.Transient)
            : Task.FromResult<JsonNode?>(new JsonObject { ["call"] = Interlocked.Increment(ref calls) }));
        executor = new ActivityExecutor([handler], Options.Create(new ActivityExecutorOptions()), time, () => 0, store);
    }

    [Fact]
    public async Task Miss_RunsTheHandler_ThenAHitReturnsTheOutputWithoutExecuting()
    {
        (await RunAsync()).ShouldBe(new ActivityOutcome.Succeeded(Output(1), 1), OutcomeComparer);
        var hit = await RunAsync();

        hit.ShouldBe(new ActivityOutcome.Succeeded(Output(1), 0, FromCache: true), OutcomeComparer);
        handler.Executions.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Entry_ExpiresAfterTheTtl()
    {
        await RunAsync();
        time.Advance(Key.Ttl - TimeSpan.FromSeconds(1));
        (await RunAsync()).ShouldBeOfType<ActivityOutcome.Succeeded>().FromCache.ShouldBeTrue();

        time.Advance(TimeSpan.FromSeconds(1));
        var fresh = (await RunAsync()).ShouldBeOfType<ActivityOutcome.Succeeded>();
        (fresh.FromCache, fresh.Output!.ToJsonString()).ShouldBe((false, """{"call":2}"""));

        // The new output is cached again, with a new expiry.
        (await RunAsync()).ShouldBeOfType<ActivityOutcome.Succeeded>().Output!.ToJsonString().ShouldBe("""{"call":2}""");
        handler.Executions.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Failures_AreNotCached()
    {
        (await RunAsync(new JsonObject { ["fail"] = true })).ShouldBeOfType<ActivityOutcome.Failed>();
        (await RunAsync(new JsonObject { ["fail"] = true })).ShouldBeOfType<ActivityOutcome.Failed>();

        handler.Executions.Count.ShouldBe(2);
        (await store.StepCache.GetAsync(Key.Workflow, Key.NodeId, Key.Hash, None)).ShouldBeNull();
    }

    [Fact]
    public async Task Clear_Invalidates_SoTheNextExecutionRunsTheHandler()
    {
        await RunAsync();
        (await store.StepCache.ClearAsync("shop", "fetch", None)).ShouldBe(1);

        (await RunAsync()).ShouldBeOfType<ActivityOutcome.Succeeded>().FromCache.ShouldBeFalse();
        handler.Executions.Count.ShouldBe(2);
    }

    [Fact]
    public async Task ARequestWithoutCache_NeverReadsOrWritesIt()
    {
        await executor.ExecuteAsync(Requests.For("svc", new JsonObject()), None);
        await executor.ExecuteAsync(Requests.For("svc", new JsonObject()), None);

        handler.Executions.Count.ShouldBe(2);
        (await store.StepCache.ClearAsync(null, null, None)).ShouldBe(0);
    }

    public async ValueTask DisposeAsync()
    {
        await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    private static JsonObject Output(int call) => new() { ["call"] = call };

    private static IEqualityComparer<ActivityOutcome> OutcomeComparer { get; } = EqualityComparer<ActivityOutcome>.Create(
        (a, b) => a is ActivityOutcome.Succeeded x && b is ActivityOutcome.Succeeded y
            && x.Executions == y.Executions && x.FromCache == y.FromCache && JsonNode.DeepEquals(x.Output, y.Output),
        o => o.Executions);

    private Task<ActivityOutcome> RunAsync(JsonObject? input = null) =>
        executor.ExecuteAsync(Requests.For("svc", input ?? new JsonObject()) with { Cache = Key }, None);
}
