using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Validation;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>
/// A process that dies between committing a run's last episode and updating the run index must not leave the index
/// saying Running forever: housekeeping finds runs through the index, so nothing else would ever repair it.
/// </summary>
public sealed class RunIndexCrashTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flow-index-crash-").FullName;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task CrashBeforeTheFinalIndexUpdate_HousekeepingOfAnotherWorkerBringsTheIndexToTheTerminalStatus()
    {
        var path = Path.Combine(_dir, "flow.db");
        var options = new EngineOptions { HousekeepingInterval = TimeSpan.FromMilliseconds(100), MaxPollDelay = TimeSpan.FromMilliseconds(50) };
        var text = "name: index-crash\nnodes:\n  - { id: a, type: echo, with: 1 }\n";
        var spec = SpecLoader.Load(text, SpecFormat.Yaml).Spec!;
        string runId;

        // The first "process" dies at the index update that would record the run as Succeeded.
        await using (var store = new CrashingIndexStore(new SqliteFlowStore(path, TimeProvider.System)))
        await using (var engine = FlowEngine.Create(store, options))
        {
            runId = await engine.StartRunAsync(spec, text, null);
            using var stop = new CancellationTokenSource();
            var worker = engine.CreateWorker().RunAsync(stop.Token);
            await WaitUntilAsync(() => store.Crashed);
            await stop.CancelAsync();
            try
            {
                // The worker logs a failed episode and goes on; the store failing under it may or may not fault it.
                await worker;
            }
            catch (SimulatedCrashException)
            {
            }

            (await engine.GetRunAsync(runId))!.Status.ToString().ShouldBe("Succeeded");
        }

        // Another worker over the same store.
        await using (var engine = FlowEngine.Create(new SqliteFlowStore(path, TimeProvider.System), options))
        {
            using var stop = new CancellationTokenSource();
            var worker = engine.CreateWorker().RunAsync(stop.Token);
            try
            {
                await WaitUntilAsync(async () => (await engine.ListRunsAsync(new RunQuery())).Runs.Single().Status == "Succeeded");
            }
            finally
            {
                await stop.CancelAsync();
                await worker;
            }

            var summary = (await engine.ListRunsAsync(new RunQuery())).Runs.ShouldHaveSingleItem();
            summary.RunId.ShouldBe(runId);
            summary.NodesDone.ShouldBe(1);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(limit, "condition not reached in 10 s");
            await Task.Delay(20);
        }
    }

    private sealed class SimulatedCrashException() : Exception("simulated crash");

    /// <summary>A store whose run index fails (like a process dying) on the first write of a terminal status, and on every write after it.</summary>
    private sealed class CrashingIndexStore(IFlowStore inner) : IFlowStore, IRunIndex
    {
        public bool Crashed { get; private set; }

        public IPartitionStore Partitions => inner.Partitions;

        public IWorkQueue Queues => Crashed ? throw new SimulatedCrashException() : inner.Queues;

        public IArtifactStore Artifacts => inner.Artifacts;

        public IRunIndex Runs => this;

        public Task UpsertAsync(RunSummary summary, CancellationToken cancellationToken)
        {
            if (Crashed || summary.Status == "Succeeded")
            {
                Crashed = true;
                throw new SimulatedCrashException();
            }

            return inner.Runs.UpsertAsync(summary, cancellationToken);
        }

        public Task<RunPage> ListAsync(RunQuery query, CancellationToken cancellationToken) => inner.Runs.ListAsync(query, cancellationToken);

        public Task DeleteAsync(string runId, CancellationToken cancellationToken) => inner.Runs.DeleteAsync(runId, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
