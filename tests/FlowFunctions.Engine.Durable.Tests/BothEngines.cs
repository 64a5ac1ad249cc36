using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Engine.Worker;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Engine.Durable.Tests;

/// <summary>
/// One engine of each kind over a real store, for scenarios that must behave the same on both: <c>native</c> (our engine
/// with a <see cref="FlowWorker"/>) and <c>durable</c> (a <see cref="DurableRunHost"/> working its own task hub), both on
/// the Azure Storage account of FLOWFUNCTIONS_TEST_AZURE (Azurite under ./test.sh) in a name prefix of their own. Without
/// that variable only the native engine runs, on a SQLite file.
/// </summary>
internal sealed class BothEngines : IAsyncDisposable
{
    public const string AzureVariable = "FLOWFUNCTIONS_TEST_AZURE";

    private readonly CancellationTokenSource _stop = new();
    private readonly string? _dir;
    private Task? _worker;

    private BothEngines(FlowEngine engine, DurableRunHost? host, string? dir)
    {
        Engine = engine;
        Host = host;
        _dir = dir;
    }

    /// <summary>The engines the scenarios run on: both with Azurite, the native one alone without.</summary>
    public static TheoryData<string> Kinds => Account is null ? ["native"] : ["native", "durable"];

    private static string? Account => Environment.GetEnvironmentVariable(AzureVariable) is { Length: > 0 } account ? account : null;

    public FlowEngine Engine { get; }

    /// <summary>The durable host, for the durable kind.</summary>
    public DurableRunHost? Host { get; }

    /// <summary>Opens the <paramref name="kind"/> engine on a fresh store and starts its worker.</summary>
    public static async Task<BothEngines> StartAsync(string kind, EngineOptions? options = null, DurableRunOptions? durable = null, Action<Activities.ActivityExecutorOptions>? activities = null)
    {
        var prefix = "e" + Guid.NewGuid().ToString("N")[..12];
        string? dir = null;
        IFlowStore store;
        string? azure = null;
        if (Account is { } account)
        {
            azure = account.TrimEnd(';') + ";NamePrefix=" + prefix;
            store = FlowStores.Open(azure, TimeProvider.System);
        }
        else
        {
            dir = Directory.CreateTempSubdirectory("flow-both-").FullName;
            store = new SqliteFlowStore(Path.Combine(dir, "flow.db"), TimeProvider.System);
        }

        var engine = FlowEngine.Create(store, options ?? new EngineOptions { MaxPollDelay = TimeSpan.FromMilliseconds(200) }, configureActivities: activities);
        var host = kind switch
        {
            "native" => null,
            "durable" => DurableRunHost.Create(engine, azure!, startRuns: true, durable ?? new DurableRunOptions { MaxQueuePollingInterval = TimeSpan.FromMilliseconds(200) }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "native or durable"),
        };
        var both = new BothEngines(engine, host, dir);
        if (host is null)
        {
            both._worker = engine.CreateWorker().RunAsync(both._stop.Token);
        }
        else
        {
            await host.StartWorkerAsync();
        }

        return both;
    }

    public Task<string> StartRunAsync(string yaml, JsonObject? inputs = null)
    {
        var result = SpecLoader.Load(yaml, SpecFormat.Yaml);
        result.Errors.ShouldBeEmpty(string.Join("\n", result.Errors));
        return Engine.StartRunAsync(result.Spec!, yaml, inputs);
    }

    /// <summary>Waits (bounded) until the run satisfies <paramref name="condition"/>, and returns its state then.</summary>
    public async Task<RunState> WaitAsync(string runId, Func<RunState, bool> condition, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var state = (await Engine.GetRunAsync(runId))!;
            if (condition(state))
            {
                return state;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"run {runId} is {state.Status}: {string.Join(", ", state.Nodes.Values.Select(n => $"{n.Id}={n.Status}"))}");
            }

            await Task.Delay(50);
        }
    }

    public Task<RunState> RunToEndAsync(string runId) => WaitAsync(runId, s => s.IsTerminal);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_worker is not null)
        {
            await _worker;
        }

        await Engine.DisposeAsync();
        _stop.Dispose();
        if (_dir is not null)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}

/// <summary>A fact that needs an Azure Storage account (the durable engine does): skipped, with the way to run it, when none is configured.</summary>
public sealed class AzureFactAttribute : FactAttribute
{
    public AzureFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(BothEngines.AzureVariable)))
        {
            Skip = $"needs Azurite: run ./test.sh (it starts Azurite and sets {BothEngines.AzureVariable})";
        }
    }
}
