using FlowFunctions.Storage.Azure;
using FlowFunctions.Storage.Tests.Contract;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>What is particular to Azure Storage: its limits, forbidden key characters and the run index layout.</summary>
[RequiresEnvironmentVariable(AzuriteStorage.Variable, AzuriteStorage.SkipReason)]
public sealed class AzureFlowStoreTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly AzuriteStorage storage = new();
    private AzureFlowStore store = null!;

    [ContractFact]
    public async Task Execute_MoreThanOneHundredOperations_ThrowsArgumentExceptionAndWritesNothing()
    {
        var operations = Enumerable.Range(0, IPartitionStore.MaxBatchOperations + 1)
            .Select(i => (RowOperation)new RowOperation.Insert($"node|{i:D3}", "{}"))
            .ToList();

        var error = await Should.ThrowAsync<ArgumentException>(() => store.Partitions.ExecuteAsync("run-1", operations, None));

        error.Message.ShouldContain("at most 100");
        (await store.Partitions.QueryAsync("run-1", string.Empty, None)).ShouldBeEmpty();
    }

    [ContractTheory]
    [InlineData(70_000)]
    [InlineData(300_000)]
    [InlineData(600_000)]
    public async Task Execute_ValueLargerThanAStringProperty_RoundTripsThroughGetAndQuery(int length)
    {
        // Surrogate pairs straddle every chunk boundary candidate, so a split that breaks a pair would corrupt the text.
        var value = string.Concat(Enumerable.Repeat("ab\U0001F600", length / 4 + 1))[..length];
        if (char.IsHighSurrogate(value[^1]))
        {
            value = value[..^1];
        }

        var etags = await store.Partitions.ExecuteAsync("run-1", [new RowOperation.Insert("node|big", value), new RowOperation.Insert("node|small", "1")], None);

        (await store.Partitions.GetAsync("run-1", "node|big", None)).ShouldBe(new StoredRow("node|big", value, etags[0]));
        (await store.Partitions.QueryAsync("run-1", "node|", None)).Select(row => row.Value).ShouldBe([value, "1"]);
        var replaced = await store.Partitions.ExecuteAsync("run-1", [new RowOperation.Replace("node|big", "small now", etags[0])], None);
        (await store.Partitions.GetAsync("run-1", "node|big", None)).ShouldBe(new StoredRow("node|big", "small now", replaced[0]));
    }

    [ContractFact]
    public async Task Keys_WithCharactersTableStorageForbids_RoundTripAndQueryByPrefix()
    {
        const string Partition = "run/with#odd?chars\\%";
        string[] keys = ["node|a/b", "node|a#1", "node|q?x", "node|back\\slash", "node|pct%41", "node|tab\t", "node|caf\u00e9", "node|it's", "node|~tilde", "other/x"];

        await store.Partitions.ExecuteAsync(Partition, keys.Select(key => (RowOperation)new RowOperation.Insert(key, key)).ToList(), None);

        foreach (var key in keys)
        {
            (await store.Partitions.GetAsync(Partition, key, None)).ShouldNotBeNull().Value.ShouldBe(key);
        }

        var nodes = await store.Partitions.QueryAsync(Partition, "node|", None);
        nodes.Select(row => row.Key).ShouldBe(keys.Where(key => key.StartsWith("node|", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        (await store.Partitions.QueryAsync(Partition, "node|a/", None)).ShouldHaveSingleItem().Key.ShouldBe("node|a/b");
        (await store.Partitions.QueryAsync(Partition, "other/", None)).ShouldHaveSingleItem().Key.ShouldBe("other/x");
    }

    [ContractFact]
    public async Task Query_MoreRowsThanOneServicePage_FollowsContinuations()
    {
        for (var batch = 0; batch < 11; batch++)
        {
            var operations = Enumerable.Range(0, IPartitionStore.MaxBatchOperations)
                .Select(i => (RowOperation)new RowOperation.Insert($"node|{batch:D2}-{i:D3}", "{}"))
                .ToList();
            await store.Partitions.ExecuteAsync("big-run", operations, None);
        }

        (await store.Partitions.QueryAsync("big-run", "node|", None)).Count.ShouldBe(1100);
    }

    [ContractFact]
    public async Task RunIndex_StatusAndCreatedChange_OldListingsNoLongerShowTheRun()
    {
        await store.Runs.UpsertAsync(new RunSummary("r-1", "etl", "Running", T0, T0, 0, 2), None);
        var moved = new RunSummary("r-1", "etl", "Succeeded", T0.AddMinutes(1), T0.AddMinutes(2), 2, 2);

        await store.Runs.UpsertAsync(moved, None);

        (await store.Runs.ListAsync(new RunQuery(Status: "Running"), None)).Runs.ShouldBeEmpty();
        (await store.Runs.ListAsync(new RunQuery(Status: "Running", Workflow: "etl"), None)).Runs.ShouldBeEmpty();
        (await store.Runs.ListAsync(new RunQuery(Status: "Succeeded"), None)).Runs.ShouldBe([moved]);
        (await store.Runs.ListAsync(new RunQuery(Workflow: "etl"), None)).Runs.ShouldBe([moved]);
        (await store.Runs.ListAsync(new RunQuery(), None)).Runs.ShouldBe([moved]);
    }

    [ContractFact]
    public async Task RunIndex_WorkflowAndRunIdsWithForbiddenCharacters_ListAndFilter()
    {
        var summary = new RunSummary("runs/2025#1", "team/etl?", "Running", T0, T0, 0, 1);

        await store.Runs.UpsertAsync(summary, None);

        (await store.Runs.ListAsync(new RunQuery(Workflow: "team/etl?"), None)).Runs.ShouldBe([summary]);
        (await store.Runs.ListAsync(new RunQuery(Workflow: "team/etl?", Status: "Running"), None)).Runs.ShouldBe([summary]);
    }

    [ContractFact]
    public async Task Artifacts_FreshAccount_ContainerIsCreatedOnFirstPut()
    {
        await using var other = storage.Open();

        var hash = await other.Artifacts.PutAsync(new byte[] { 1, 2, 3 }, None);

        (await store.Artifacts.GetAsync(hash, None)).ShouldBe(new byte[] { 1, 2, 3 });
    }

    public Task InitializeAsync()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(AzuriteStorage.Variable)))
        {
            return Task.CompletedTask;
        }

        store = storage.Open();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable(AzuriteStorage.Variable)) ? Task.CompletedTask : storage.DeleteAsync();
}
