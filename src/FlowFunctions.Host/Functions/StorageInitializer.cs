using FlowFunctions.Engine;
using FlowFunctions.Engine.Worker;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// Creates the tables, queues and container the app needs when it starts, idempotently, so it runs against a fresh
/// Azurite or a fresh account: the Functions host polls the trigger queues but does not create them. SQLite creates its
/// schema when opened.
/// </summary>
internal sealed partial class StorageInitializer(IFlowStore store, FlowEngine engine, ILogger<StorageInitializer> logger) : IHostedService
{
    /// <summary>Every queue the app reads or writes (without the name prefix).</summary>
    public IReadOnlyList<string> Queues =>
        [engine.Options.ControlQueue, engine.Options.WorkQueue, engine.Options.PriorityWorkQueue, FunctionNames.StartQueue, FlowWorker.PoisonQueue, DeadLetterStore.Queue];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (store is AzureFlowStore azure)
        {
            await azure.EnsureCreatedAsync(cancellationToken);
            await azure.EnsureQueuesAsync(Queues, cancellationToken);
            Log.Created(logger, Queues.Count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Storage ready: tables, artifact container and {QueueCount} queues")]
        public static partial void Created(ILogger logger, int queueCount);
    }
}
