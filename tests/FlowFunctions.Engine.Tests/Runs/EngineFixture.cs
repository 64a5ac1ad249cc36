using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Engine.Tests.Runs;

/// <summary>
/// A real engine over a real SQLite file in a temp directory, or, with <c>store: "azurite"</c>, over Azure Storage (the
/// account of FLOWFUNCTIONS_TEST_AZURE, Azurite under ./test.sh) in a name prefix of its own.
/// </summary>
internal sealed class EngineFixture : IAsyncDisposable
{
    /// <summary>The <c>FLOWFUNCTIONS_TEST_AZURE</c> variable: an Azure Storage connection string, set by ./test.sh.</summary>
    public const string AzureVariable = "FLOWFUNCTIONS_TEST_AZURE";

    private readonly string _dir = Directory.CreateTempSubdirectory("flow-engine-").FullName;
    private readonly string? _azure;

    public EngineFixture(EngineOptions? options = null, Func<IFlowStore, IFlowStore>? decorate = null, string store = "sqlite")
    {
        Options = options ?? new EngineOptions();
        _azure = store switch
        {
            "sqlite" => null,
            "azurite" => (Environment.GetEnvironmentVariable(AzureVariable) ?? throw new InvalidOperationException($"{AzureVariable} is not set"))
                .TrimEnd(';') + ";NamePrefix=eng" + Guid.NewGuid().ToString("N")[..12],
            _ => throw new ArgumentOutOfRangeException(nameof(store), store, "sqlite or azurite"),
        };
        Engine = Open(decorate);
    }

    /// <summary>
    /// The stores the end-to-end scenarios run on: SQLite always, Azurite when FLOWFUNCTIONS_TEST_AZURE is set (./test.sh
    /// sets it; without it the Azurite cases are not generated).
    /// </summary>
    public static TheoryData<string> Stores =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable(AzureVariable)) ? ["sqlite"] : ["sqlite", "azurite"];

    public string StorePath => Path.Combine(_dir, "flow.db");

    public EngineOptions Options { get; }

    public FlowEngine Engine { get; }

    /// <summary>Another engine on the same file, like a second process.</summary>
    public FlowEngine Open(Func<IFlowStore, IFlowStore>? decorate = null)
    {
        var store = _azure is null ? new SqliteFlowStore(StorePath, TimeProvider.System) : FlowStores.Open(_azure, TimeProvider.System);
        return FlowEngine.Create(decorate is null ? store : decorate(store), Options);
    }

    public static (FlowSpec Spec, string Text) Spec(string yaml)
    {
        var result = SpecLoader.Load(yaml, SpecFormat.Yaml);
        result.Errors.ShouldBeEmpty(string.Join("\n", result.Errors));
        return (result.Spec!, yaml);
    }

    public Task<string> StartAsync(string yaml, string? runId = null)
    {
        var (spec, text) = Spec(yaml);
        return Engine.StartRunAsync(spec, text, null, runId);
    }

    /// <summary>Works the store with a real worker until the run is terminal (bounded).</summary>
    public async Task<RunState> RunToEndAsync(string runId, TimeSpan? limit = null, FlowEngine? engine = null)
    {
        engine ??= Engine;
        using var stop = new CancellationTokenSource();
        var worker = engine.CreateWorker().RunAsync(stop.Token);
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var state = (await engine.GetRunAsync(runId))!;
                if (state.IsTerminal)
                {
                    return state;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"run {runId} is still {state.Status}: {string.Join(", ", state.Nodes.Values.Select(n => $"{n.Id}={n.Status}"))}");
                }

                await Task.Delay(20);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await worker;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
