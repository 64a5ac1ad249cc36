using FlowFunctions.Storage.Tests.Contract;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>The BreakerStore contract against Azurite (or the account in FLOWFUNCTIONS_TEST_AZURE).</summary>
[RequiresEnvironmentVariable(AzuriteStorage.Variable, AzuriteStorage.SkipReason)]
public sealed class AzureBreakerStoreTests : BreakerStoreContract
{
    private readonly AzuriteStorage storage = new();

    /// <inheritdoc />
    protected override Task<IFlowStore> OpenStoreAsync(TimeProvider timeProvider) => Task.FromResult<IFlowStore>(storage.Open());

    /// <inheritdoc />
    protected override Task DeleteStorageAsync() => storage.DeleteAsync();
}
