using FlowFunctions.Engine;
using FlowFunctions.Engine.Durable;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowFunctions.Bench;

/// <summary>The engine a scenario measures: <c>native</c> (our worker) or <c>durable</c> (a DTFx task hub on the same store, its requests counted too).</summary>
internal static class BenchEngine
{
    public const string Native = "native";
    public const string Durable = "durable";

    /// <summary>The <c>--engine</c> of a child's arguments (native when absent).</summary>
    public static string FromArgs(string[] args) => args.SkipWhile(a => a != "--engine").Skip(1).FirstOrDefault() ?? Native;

    public static FlowEngine Create(BenchStores stores, string engine)
    {
        var flow = FlowEngine.Create(stores.Counted);
        if (engine == Durable)
        {
            var store = stores.AzureStore ?? throw new InvalidOperationException("the durable engine runs on Azure Storage: add --azurite");
            DurableRunHost.Create(flow, store, startRuns: true, new DurableRunOptions { AdditionalPolicies = stores.Http is { } http ? [http] : [] });
        }

        return flow;
    }

    /// <summary>
    /// Readies the engine before anything is measured: a durable worker creates its task hub and takes the hub's
    /// partitions (leases the table partition manager hands out within seconds) here, so that a scenario measures runs,
    /// not a cold start. Our worker needs nothing.
    /// </summary>
    public static async Task PrepareAsync(FlowEngine engine)
    {
        if (engine.Durable is DurableRunHost durable)
        {
            await durable.StartWorkerAsync();
            await Task.Delay(PartitionWarmUp);
        }
    }

    private static readonly TimeSpan PartitionWarmUp = TimeSpan.FromSeconds(3);

    /// <summary>Works the runs until <paramref name="stop"/>: our worker, or the task hub's orchestrations and activities.</summary>
    public static Task WorkAsync(FlowEngine engine, CancellationToken stop) => Task.Run(() => engine.WorkAsync(NullLogger.Instance, stop));
}
