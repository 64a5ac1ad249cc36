using FlowFunctions.Storage.Tests.Contract;

namespace FlowFunctions.Storage.Tests.Sqlite;

/// <summary>The BreakerStore contract against a real SQLite file.</summary>
public sealed class SqliteBreakerStoreTests : BreakerStoreContract
{
    private readonly SqliteTestDatabase database = new();

    /// <inheritdoc />
    protected override Task<IFlowStore> OpenStoreAsync(TimeProvider timeProvider) => database.OpenAsync(timeProvider);

    /// <inheritdoc />
    protected override Task DeleteStorageAsync() => database.DeleteAsync();
}
