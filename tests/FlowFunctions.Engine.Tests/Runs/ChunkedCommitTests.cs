using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>
/// Commits larger than one batch of the store (Azure Tables: 100 operations) go through a journal and chunks. These
/// tests give a real SQLite store a small batch limit so that every run exercises that path.
/// </summary>
public sealed class ChunkedCommitTests
{
    private static string WideSpec(int width) =>
        $"name: wide\nnodes:\n  - {{ id: root, type: echo, with: 1 }}\n"
        + string.Concat(Enumerable.Range(0, width).Select(i => $"  - {{ id: n{i}, type: echo, needs: [root], with: {i} }}\n"))
        + $"  - {{ id: join, type: transform, needs: [{string.Join(", ", Enumerable.Range(0, width).Select(i => $"n{i}"))}], reduce: sum, with: \"${{{{ input }}}}\" }}\n"
        + "outputs: { sum: \"${{ nodes.join.output }}\" }\n";

    [Fact]
    public void Split_KeepsEveryChunkWithinTheLimits_AndTheOrder()
    {
        var rows = Enumerable.Range(0, 25).Select(i => (RowOperation)new RowOperation.Upsert($"node|{i}", new string('x', i * 10))).ToList();

        var chunks = RunCommitter.Split(rows, new BatchLimits(10, 1_000));

        chunks.SelectMany(c => c).ShouldBe(rows);
        chunks.ShouldAllBe(c => c.Count <= 7);
        chunks.ShouldAllBe(c => c.Count == 1 || c.Sum(r => r.Key.Length + ((RowOperation.Upsert)r).Value.Length) <= 500);
    }

    [Fact]
    public async Task Runs_WithSmallBatches_CompleteWithTheSameResult()
    {
        await using var fixture = new EngineFixture(decorate: store => new LimitedStore(store, new BatchLimits(10, 20_000)));

        var state = await fixture.RunToEndAsync(await fixture.StartAsync(WideSpec(40)), TimeSpan.FromSeconds(60));

        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["sum"]!.GetValue<long>().ShouldBe(Enumerable.Range(0, 40).Sum());
        var history = await fixture.Engine.GetHistoryAsync(state.RunId);
        history.Count(h => h["to"]!.GetValue<string>() == "Succeeded").ShouldBe(42);
    }

    [Fact]
    public async Task CrashBetweenChunks_TheNextEpisodeFinishesTheCommit()
    {
        var limits = new BatchLimits(10, 20_000);
        var options = new EngineOptions { LeaseDuration = TimeSpan.FromSeconds(1), HousekeepingInterval = TimeSpan.FromMilliseconds(200) };
        await using var fixture = new EngineFixture(options, store => new LimitedStore(store, limits));
        var runId = await fixture.StartAsync(WideSpec(30));
        var done = new RunEvent.ActivitySucceeded("root", 1, 0, JsonValue.Create(1));
        await fixture.Engine.Processor.AppendEventAsync(runId, RunJson.EventId(done), done, default, wake: false);

        // The root's completion readies 30 nodes: a commit of several chunks. This process dies after the first.
        await using (var dying = fixture.Open(store => new LimitedStore(store, limits, crashAfterPendingChunks: 1)))
        {
            await Should.ThrowAsync<IOException>(() => dying.Processor.ProcessAsync(runId, default));
        }

        var header = JsonNode.Parse((await fixture.Engine.Store.Partitions.GetAsync(runId, RunRows.Header, default))!.Value)!;
        header["pendingCommit"].ShouldNotBeNull();

        await using var survivor = fixture.Open(store => new LimitedStore(store, limits));
        var state = await fixture.RunToEndAsync(runId, TimeSpan.FromSeconds(60), survivor);

        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Outputs!["sum"]!.GetValue<long>().ShouldBe(Enumerable.Range(0, 30).Sum());
        JsonNode.Parse((await fixture.Engine.Store.Partitions.GetAsync(runId, RunRows.Header, default))!.Value)!["pendingCommit"].ShouldBeNull();
        var history = await fixture.Engine.GetHistoryAsync(runId);
        history.Count(h => h["nodeId"]!.GetValue<string>() == "root" && h["to"]!.GetValue<string>() == "Succeeded").ShouldBe(1);
        history.Count(h => h["to"]!.GetValue<string>() == "Succeeded").ShouldBe(32);
    }

    /// <summary>A store with a small batch limit that refuses bigger batches, and can die after N chunks of a journal.</summary>
    private sealed class LimitedStore(IFlowStore inner, BatchLimits limits, int? crashAfterPendingChunks = null) : IFlowStore
    {
        private readonly LimitedPartitions _partitions = new(inner.Partitions, limits, crashAfterPendingChunks);

        public IPartitionStore Partitions => _partitions;

        public IWorkQueue Queues => inner.Queues;

        public IArtifactStore Artifacts => inner.Artifacts;

        public IRunIndex Runs => inner.Runs;

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private sealed class LimitedPartitions(IPartitionStore inner, BatchLimits limits, int? crashAfter) : IPartitionStore
        {
            private int _pendingChunks;

            public BatchLimits Limits => limits;

            public Task<StoredRow?> GetAsync(string partition, string key, CancellationToken ct) => inner.GetAsync(partition, key, ct);

            public Task<IReadOnlyList<StoredRow>> QueryAsync(string partition, string prefix, CancellationToken ct) => inner.QueryAsync(partition, prefix, ct);

            public async Task<IReadOnlyList<string>> ExecuteAsync(string partition, IReadOnlyList<RowOperation> operations, CancellationToken ct)
            {
                operations.Count.ShouldBeLessThanOrEqualTo(limits.Operations, "a batch over the store's limit");
                if (crashAfter is { } n && _pendingChunks >= n)
                {
                    throw new IOException("process died between chunks");
                }

                var result = await inner.ExecuteAsync(partition, operations, ct);
                if (operations.OfType<RowOperation.Upsert>().Any(o => o.Key == RunRows.Header && o.Value.Contains("pendingCommit", StringComparison.Ordinal)))
                {
                    _pendingChunks++;
                }

                return result;
            }
        }
    }
}
