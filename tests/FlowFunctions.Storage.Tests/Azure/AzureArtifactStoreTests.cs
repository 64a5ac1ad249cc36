using FlowFunctions.Storage.Tests.Contract;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>The ArtifactStore contract against Azurite (or the account in FLOWFUNCTIONS_TEST_AZURE).</summary>
[RequiresEnvironmentVariable(AzuriteStorage.Variable, AzuriteStorage.SkipReason)]
public sealed class AzureArtifactStoreTests : ArtifactStoreContract
{
    private readonly AzuriteStorage storage = new();

    /// <inheritdoc />
    protected override Task<IFlowStore> OpenStoreAsync(TimeProvider timeProvider) => Task.FromResult<IFlowStore>(storage.Open());

    /// <inheritdoc />
    protected override Task DeleteStorageAsync() => storage.DeleteAsync();
}
