using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>
/// One test's slice of the storage account named by <see cref="Variable"/> (Azurite under ./test.sh): a unique name
/// prefix, so tests running in parallel never see each other's tables, queues or blobs.
/// </summary>
internal sealed class AzuriteStorage
{
    /// <summary>The connection string of the account the Azure tests use; ./test.sh sets it after starting Azurite.</summary>
    public const string Variable = "FLOWFUNCTIONS_TEST_AZURE";

    /// <summary>Why the tests are skipped without it.</summary>
    public const string SkipReason =
        "the Azure store tests need Azurite: run ./test.sh (it installs and starts Azurite), or start it with scripts/azurite.sh start and set FLOWFUNCTIONS_TEST_AZURE=UseDevelopmentStorage=true";

    /// <summary>The queue names the contract suites use, deleted at the end of each test whoever created them.</summary>
    private static readonly string[] ContractQueues = ["work", "control", "empty", "flow-control"];

    public string Prefix { get; } = "t" + Guid.NewGuid().ToString("N")[..16];

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(SkipReason);

    /// <summary>
    /// Opens a store on this test's prefix. The clock is always the real one: the service decides visibility by its own
    /// clock, and Shared Key request dates must be current.
    /// </summary>
    public AzureFlowStore Open() => new(ConnectionString, TimeProvider.System, new AzureFlowStoreOptions { NamePrefix = Prefix, MaxRetries = 2 });

    public async Task DeleteAsync()
    {
        await using var store = Open();
        await store.DeleteStorageAsync(ContractQueues, CancellationToken.None);
    }
}
