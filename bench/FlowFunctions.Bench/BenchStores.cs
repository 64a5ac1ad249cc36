using FlowFunctions.Storage;
using FlowFunctions.Storage.Azure;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Bench;

/// <summary>
/// The stores of one measured run: the counted one the engine (or baseline) uses, an uncounted one on the same data for
/// polling, and on Azure the HTTP counting policy. SQLite: a fresh temp file, deleted afterwards. Azure: a fresh
/// name prefix (tables, queues and container of their own), so scenarios and repeated runs never see each other's data.
/// </summary>
internal sealed class BenchStores : IAsyncDisposable
{
    private readonly string? _path;

    private BenchStores(CountingFlowStore counted, IFlowStore poll, HttpCountingPolicy? http, string? path, string? azureStore = null)
    {
        Counted = counted;
        Poll = poll;
        Http = http;
        _path = path;
        AzureStore = azureStore;
    }

    /// <summary>On Azure, the store as a connection string with its name prefix (what the durable engine opens its task hub from).</summary>
    public string? AzureStore { get; }

    public CountingFlowStore Counted { get; }

    public IFlowStore Poll { get; }

    public HttpCountingPolicy? Http { get; }

    public static BenchStores Open(bool azure, string tag)
    {
        if (!azure)
        {
            var path = Scenarios.TempDatabase();
            return new BenchStores(new CountingFlowStore(new SqliteFlowStore(path, TimeProvider.System)), new SqliteFlowStore(path, TimeProvider.System), null, path);
        }

        // At most 24 lowercase letters and digits, starting with a letter.
        var prefix = ("b" + new string([.. tag.Where(char.IsAsciiLetterLower)]).PadRight(3, 'x')[..3] + Guid.NewGuid().ToString("N"))[..16];
        var http = new HttpCountingPolicy();
        var counted = new AzureFlowStore(Scenarios.AzureConnectionString, TimeProvider.System, new AzureFlowStoreOptions { NamePrefix = prefix, AdditionalPolicies = [http] });
        var poll = new AzureFlowStore(Scenarios.AzureConnectionString, TimeProvider.System, new AzureFlowStoreOptions { NamePrefix = prefix });
        return new BenchStores(new CountingFlowStore(counted), poll, http, null, Scenarios.AzureConnectionString.TrimEnd(';') + ";NamePrefix=" + prefix);
    }

    public async ValueTask DisposeAsync()
    {
        await Counted.DisposeAsync();
        await Poll.DisposeAsync();
        if (_path is not null)
        {
            Scenarios.DeleteDatabase(_path);
        }
    }
}
