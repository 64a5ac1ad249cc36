using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Engine.Tests.Runs;

public sealed class RetentionTests
{
    private const string Quick = "name: quick\nnodes:\n  - { id: a, type: echo, with: 1 }\n  - { id: b, type: echo, needs: [a], with: 2 }\n";
    private const string Slow = "name: slow\nnodes:\n  - { id: wait, type: delay, with: { duration: 1h } }\n";

    [Fact]
    public async Task Sweep_FinishedRunOlderThanRetention_DeletesItsRowsAndIndexEntry()
    {
        await using var fixture = new EngineFixture(new EngineOptions { RunRetention = TimeSpan.FromHours(1) });
        var old = await FinishedRunAsync(fixture);

        await using var later = Later(fixture, TimeSpan.FromHours(2));
        await later.CreateWorker().SweepAsync(default);

        await ShouldBeGoneAsync(fixture, old);
    }

    [Fact]
    public async Task Sweep_RecentAndUnfinishedRuns_AreKept()
    {
        await using var fixture = new EngineFixture(new EngineOptions { RunRetention = TimeSpan.FromHours(1) });
        var recent = await FinishedRunAsync(fixture);
        var unfinished = await fixture.StartAsync(Slow);

        // Now: the finished run is recent.
        await fixture.Engine.CreateWorker().SweepAsync(default);
        (await fixture.Engine.GetRunAsync(recent))!.Status.ShouldBe(RunStatus.Succeeded);

        // Much later: the unfinished run is old but not finished.
        await using var later = Later(fixture, TimeSpan.FromDays(3));
        await later.CreateWorker().SweepAsync(default);
        (await fixture.Engine.GetRunAsync(unfinished))!.Status.ShouldBe(RunStatus.Running);
        (await Listed(fixture)).ShouldBe([unfinished]);
    }

    [Fact]
    public async Task Sweep_NoRetention_KeepsFinishedRunsForever()
    {
        await using var fixture = new EngineFixture();
        var runId = await FinishedRunAsync(fixture);

        await using var later = Later(fixture, TimeSpan.FromDays(3650));
        (await later.CreateWorker().DeleteExpiredRunsAsync(default)).ShouldBe(0);

        (await fixture.Engine.GetRunAsync(runId)).ShouldNotBeNull();
    }

    [Fact]
    public async Task Sweep_HalfDeletedRun_IsFinishedByTheNextSweep()
    {
        await using var fixture = new EngineFixture(new EngineOptions { RunRetention = TimeSpan.FromHours(1) });
        var rowsLeft = await FinishedRunAsync(fixture);
        var headerGone = await FinishedRunAsync(fixture);

        // An interrupted deletion: some rows other than the header deleted, the header and index entry still there.
        var partitions = fixture.Engine.Store.Partitions;
        var rows = await partitions.QueryAsync(rowsLeft, string.Empty, default);
        rows.Count.ShouldBeGreaterThan(2);
        await partitions.ExecuteAsync(rowsLeft, [new RowOperation.Delete(rows.First(r => r.Key != RunRows.Header).Key)], default);

        // Interrupted later: every row deleted, header last, but the index entry still there.
        var all = await partitions.QueryAsync(headerGone, string.Empty, default);
        await partitions.ExecuteAsync(headerGone, [.. all.Select(r => (RowOperation)new RowOperation.Delete(r.Key))], default);
        (await Listed(fixture)).ShouldContain(headerGone);

        await using var later = Later(fixture, TimeSpan.FromHours(2));
        (await later.CreateWorker().DeleteExpiredRunsAsync(default)).ShouldBe(2);

        await ShouldBeGoneAsync(fixture, rowsLeft);
        await ShouldBeGoneAsync(fixture, headerGone);
    }

    [Fact]
    public async Task Sweep_BoundedWork_DeletesAtMostTheLimitPerSweep()
    {
        await using var fixture = new EngineFixture(new EngineOptions { RunRetention = TimeSpan.FromHours(1), MaxRunsDeletedPerSweep = 2 });
        for (var i = 0; i < 3; i++)
        {
            await FinishedRunAsync(fixture);
        }

        await using var later = Later(fixture, TimeSpan.FromHours(2));
        var worker = later.CreateWorker();

        (await worker.DeleteExpiredRunsAsync(default)).ShouldBe(2);
        (await Listed(fixture)).Count.ShouldBe(1);
        (await worker.DeleteExpiredRunsAsync(default)).ShouldBe(1);
        (await Listed(fixture)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Sweep_RunWithManyRows_DeletesInBatchesWithinTheStoreLimits()
    {
        await using var fixture = new EngineFixture(new EngineOptions { RunRetention = TimeSpan.FromHours(1) });
        var runId = await FinishedRunAsync(fixture);
        (await fixture.Engine.Store.Partitions.QueryAsync(runId, string.Empty, default)).Count.ShouldBeGreaterThan(SmallBatchStore.MaxOperations);

        // Only the sweeping engine's store has the small limit (the run was written by an ordinary one).
        await using var later = Later(fixture, TimeSpan.FromHours(2), store => new SmallBatchStore(store));
        await later.CreateWorker().SweepAsync(default);

        await ShouldBeGoneAsync(fixture, runId);
    }

    private static async Task<string> FinishedRunAsync(EngineFixture fixture)
    {
        var runId = await fixture.StartAsync(Quick);
        (await fixture.RunToEndAsync(runId)).Status.ShouldBe(RunStatus.Succeeded);
        return runId;
    }

    /// <summary>An engine on the same store whose clock runs <paramref name="ahead"/> of the real one.</summary>
    private static FlowEngine Later(EngineFixture fixture, TimeSpan ahead, Func<IFlowStore, IFlowStore>? decorate = null)
    {
        IFlowStore store = new SqliteFlowStore(fixture.StorePath, TimeProvider.System);
        return FlowEngine.Create(decorate is null ? store : decorate(store), fixture.Options, new ShiftedTime(ahead));
    }

    private static async Task<List<string>> Listed(EngineFixture fixture) =>
        [.. (await fixture.Engine.Store.Runs.ListAsync(new RunQuery(Limit: 1000), default)).Runs.Select(r => r.RunId)];

    private static async Task ShouldBeGoneAsync(EngineFixture fixture, string runId)
    {
        (await fixture.Engine.Store.Partitions.QueryAsync(runId, string.Empty, default)).ShouldBeEmpty();
        (await Listed(fixture)).ShouldNotContain(runId);
    }

    private sealed class ShiftedTime(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }

    /// <summary>A store that refuses batches of more than <see cref="MaxOperations"/> operations, as a small-limit store would.</summary>
    private sealed class SmallBatchStore(IFlowStore inner) : IFlowStore, IPartitionStore
    {
        public const int MaxOperations = 3;

        public IPartitionStore Partitions => this;

        public IWorkQueue Queues => inner.Queues;

        public IArtifactStore Artifacts => inner.Artifacts;

        public IRunIndex Runs => inner.Runs;

        public BatchLimits Limits { get; } = new(MaxOperations, long.MaxValue);

        public Task<StoredRow?> GetAsync(string partition, string key, CancellationToken cancellationToken) => inner.Partitions.GetAsync(partition, key, cancellationToken);

        public Task<IReadOnlyList<StoredRow>> QueryAsync(string partition, string keyPrefix, CancellationToken cancellationToken) => inner.Partitions.QueryAsync(partition, keyPrefix, cancellationToken);

        public Task<IReadOnlyList<string>> ExecuteAsync(string partition, IReadOnlyList<RowOperation> operations, CancellationToken cancellationToken)
        {
            operations.Count.ShouldBeLessThanOrEqualTo(MaxOperations);
            return inner.Partitions.ExecuteAsync(partition, operations, cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
