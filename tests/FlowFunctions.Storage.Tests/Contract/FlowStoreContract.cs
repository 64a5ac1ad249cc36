namespace FlowFunctions.Storage.Tests.Contract;

/// <summary>
/// The lifecycle every store contract shares: each test gets fresh, empty storage and a fake clock; an implementation
/// says how to open a client on that storage and how to remove it afterwards.
/// </summary>
public abstract class FlowStoreContract : IAsyncLifetime
{
    private readonly List<IFlowStore> opened = [];
    private IFlowStore? store;

    /// <summary>The clock every store of the test reads; it starts at a fixed instant and moves only by Advance.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The store opened for the test.</summary>
    protected IFlowStore Store => store ?? throw new InvalidOperationException("the store opens in InitializeAsync");

    /// <summary>
    /// Opens a client on this test's storage. The first call sees empty storage; later calls open further instances
    /// over the same storage (as a second process would).
    /// </summary>
    protected abstract Task<IFlowStore> OpenStoreAsync(TimeProvider timeProvider);

    /// <summary>Removes this test's storage; every store opened for the test is disposed first.</summary>
    protected abstract Task DeleteStorageAsync();

    /// <summary>Opens another instance over the same storage, disposed with the test.</summary>
    protected async Task<IFlowStore> OpenAnotherStoreAsync()
    {
        var another = await OpenStoreAsync(Time);
        opened.Add(another);
        return another;
    }

    /// <inheritdoc />
    public async Task InitializeAsync() => store = await OpenAnotherStoreAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var instance in opened)
        {
            await instance.DisposeAsync();
        }

        await DeleteStorageAsync();
    }
}
