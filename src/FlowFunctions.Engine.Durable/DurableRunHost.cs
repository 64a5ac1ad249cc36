using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Runs;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Engine.Durable;

/// <summary>
/// The Durable Task engine over one storage account: DTFx's Azure Storage provider (Azurite locally) with our
/// orchestration and activities adapted through the Durable Task SDK's shims. As the engine's
/// <see cref="IDurableRunDriver"/> it starts runs' orchestrations and raises commands on them; <see cref="StartWorkerAsync()"/>
/// also works the task hub's orchestrations and activities in this process.
/// </summary>
public sealed class DurableRunHost : IDurableRunDriver, IAsyncDisposable
{
    private static readonly OrchestrationStatus[] KeepExisting =
        [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.Completed, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Failed, OrchestrationStatus.Terminated, OrchestrationStatus.Canceled, OrchestrationStatus.Suspended];

    private static readonly OrchestrationStatus[] Unfinished = [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Suspended];

    /// <summary>How long a command to a finished run waits for its orchestration to complete before it starts a new generation.</summary>
    private static readonly TimeSpan FinishWait = TimeSpan.FromSeconds(30);

    private readonly FlowEngine _engine;
    private readonly DurableRunOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly Lazy<AzureStorageOrchestrationService> _service;
    private readonly Lazy<TaskHubClient> _client;
    private Task? _taskHub;
    private TaskHubWorker? _worker;

    private DurableRunHost(FlowEngine engine, Func<AzureStorageOrchestrationService> service, DurableRunOptions options, ILoggerFactory loggers)
    {
        _engine = engine;
        _options = options;
        _loggers = loggers;
        _service = new Lazy<AzureStorageOrchestrationService>(service);
        _client = new Lazy<TaskHubClient>(() => new TaskHubClient(_service.Value, loggerFactory: loggers));
    }

    /// <summary>
    /// The durable engine over the Azure store <paramref name="store"/> (the connection string the engine's store was
    /// opened with; its <c>NamePrefix=</c>, when there is one, prefixes the task hub's name) as <paramref name="engine"/>'s
    /// durable driver (<see cref="FlowEngine.UseDurable"/>; disposing the engine disposes this host): commands to durable
    /// runs go through it, and with <paramref name="startRuns"/> the engine's new runs are durable. Nothing is sent until
    /// used. The task hub's clients are built as the store's are (<see cref="AzureServiceClients"/>): account key or
    /// <paramref name="credential"/>, the same retries, and their requests counted in the storage telemetry.
    /// </summary>
    /// <param name="engine">The engine whose durable runs this host drives.</param>
    /// <param name="store">The Azure store's connection string.</param>
    /// <param name="startRuns">Whether the engine's new runs start on the durable engine.</param>
    /// <param name="options">Task hub and worker settings; null for the defaults.</param>
    /// <param name="loggers">DTFx's loggers; null for none.</param>
    /// <param name="credential">
    /// The Entra ID credential of an account without AccountKey (the app's managed identity); null means
    /// <c>DefaultAzureCredential</c>. Ignored when the connection string has a key.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="store"/> is a SQLite file: the durable engine needs Azure Storage.</exception>
    /// <exception cref="FormatException">The connection string is malformed.</exception>
    public static DurableRunHost Create(FlowEngine engine, string store, bool startRuns, DurableRunOptions? options = null, ILoggerFactory? loggers = null, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(store);
        if (!FlowStores.IsConnectionString(store))
        {
            throw new ArgumentException("the store is a SQLite file, not an Azure Storage connection string: the durable engine needs Azure Storage", nameof(store));
        }

        options ??= new DurableRunOptions();
        loggers ??= NullLoggerFactory.Instance;
        var clients = AzureServiceClients.ForStore(store, new AzureFlowStoreOptions { Credential = credential, AdditionalPolicies = options.AdditionalPolicies });

        // Built on first use: a process that only reads runs never opens the task hub.
        AzureStorageOrchestrationService Service() => new(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = clients.NamePrefix + options.TaskHubName,
            StorageAccountClientProvider = new StorageAccountClientProvider(
                new ClientProvider<BlobServiceClient, BlobClientOptions>(clients.BlobOptions, clients.Blobs),
                new ClientProvider<QueueServiceClient, QueueClientOptions>(clients.QueueOptions, clients.Queues),
                new ClientProvider<TableServiceClient, TableClientOptions>(clients.TableOptions, clients.Tables)),
            PartitionCount = options.PartitionCount,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
            ControlQueueVisibilityTimeout = options.MessageVisibility,
            WorkItemQueueVisibilityTimeout = options.MessageVisibility,

            // The table partition manager (Durable Functions' default since 3.x) takes leases of any length, where blob
            // leases are 15-60 s.
            UseTablePartitionManagement = true,
            LeaseInterval = options.PartitionLease,
            LeaseRenewInterval = options.PartitionLease / 3,
            LeaseAcquireInterval = options.PartitionLease / 3,
            LoggerFactory = loggers,
        });
        var host = new DurableRunHost(engine, Service, options, loggers);
        engine.UseDurable(host, startRuns);
        return host;
    }

    /// <summary>Creates the task hub's queues, tables and containers when they do not exist (once per process).</summary>
    public Task CreateTaskHubAsync()
    {
        // A failed creation (storage unreachable) is tried again by the next caller; creating twice is harmless.
        var creation = _taskHub;
        if (creation is null || creation.IsFaulted || creation.IsCanceled)
        {
            _taskHub = creation = _service.Value.CreateIfNotExistsAsync();
        }

        return creation;
    }

    /// <summary>Works the task hub's orchestrations and activities in this process until disposed.</summary>
    public Task StartWorkerAsync()
    {
        var activities = new FlowActivities(_engine);
        return StartWorkerAsync((context, input) => FlowRunOrchestration.RunAsync(context, input, _options), activities.Step, activities.Execute);
    }

    /// <summary>Works the task hub with these implementations of the run orchestration and its activities (the Functions app's, in its tests).</summary>
    internal async Task StartWorkerAsync(Func<TaskOrchestrationContext, string?, Task<string?>> orchestration, Func<JsonObject?, Task<JsonObject?>> step, Func<JsonObject?, Task<JsonObject?>> execute)
    {
        if (_worker is not null)
        {
            return;
        }

        await CreateTaskHubAsync();
        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), _loggers);
        var worker = new TaskHubWorker(_service.Value, _loggers);
        worker.AddTaskOrchestrations(new Creator<TaskOrchestration>(FlowRunOrchestration.Name, () => shims.CreateOrchestration<string, string>(FlowRunOrchestration.Name, orchestration)));
        worker.AddTaskActivities(
            new Creator<TaskActivity>(FlowActivities.StepName, () => shims.CreateActivity<JsonObject, JsonObject>(FlowActivities.StepName, (_, input) => step(input))),
            new Creator<TaskActivity>(FlowActivities.ExecuteName, () => shims.CreateActivity<JsonObject, JsonObject>(FlowActivities.ExecuteName, (_, input) => execute(input))));
        await worker.StartAsync();
        _worker = worker;
    }

    /// <inheritdoc/>
    public async Task StartAsync(string runId, CancellationToken cancellationToken)
    {
        // A process that only starts runs (the API with --no-worker) may be the first to use the task hub.
        await CreateTaskHubAsync();
        try
        {
            await _client.Value.CreateOrchestrationInstanceAsync(FlowRunOrchestration.Name, string.Empty, runId, new FlowRunOrchestration.Generation(runId, 0, null).ToJson(), tags: null, dedupeStatuses: KeepExisting);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            // Started before (a repeated start of the same run id keeps the first orchestration).
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A finished run's orchestration has completed, and events raised on it would be dropped; the one command a finished
    /// run takes (a redrive) starts a new generation of its orchestration instead, which applies it as its first step.
    /// </remarks>
    public async Task SendAsync(string runId, RunEvent command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (await _engine.Processor.States.LoadAsync(runId, cancellationToken) is { State.IsTerminal: true, DurableStep: { } step })
        {
            // The orchestration returns right after the step that finished the run; an event raised before it has would be lost.
            await WaitUntilFinishedAsync(runId, cancellationToken);
            var restart = new FlowRunOrchestration.Generation(runId, step, null) { Events = [command] };
            try
            {
                await _client.Value.CreateOrchestrationInstanceAsync(FlowRunOrchestration.Name, string.Empty, runId, restart.ToJson(), tags: null, dedupeStatuses: Unfinished);
                return;
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Restarted meanwhile by another command: that generation takes this one as an event.
            }
        }

        await _client.Value.RaiseEventAsync(new OrchestrationInstance { InstanceId = runId }, FlowRunOrchestration.EventName, RunJson.WriteEvent(command).ToJsonString());
    }

    private async Task WaitUntilFinishedAsync(string runId, CancellationToken cancellationToken)
    {
        var started = _engine.Time.GetTimestamp();
        while ((await _client.Value.GetOrchestrationStateAsync(runId))?.OrchestrationStatus is OrchestrationStatus.Running or OrchestrationStatus.Pending
            && _engine.Time.GetElapsedTime(started) < FinishWait)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), _engine.Time, cancellationToken);
        }
    }

    /// <summary>The task hub's DTFx client (tests look at orchestration histories through it).</summary>
    internal TaskHubClient Client => _client.Value;

    /// <summary>The orchestration's runtime status (Running, Completed, ContinuedAsNew, ...), or null when there is none.</summary>
    public async Task<string?> GetOrchestrationStatusAsync(string runId) =>
        (await _client.Value.GetOrchestrationStateAsync(runId))?.OrchestrationStatus.ToString();

    /// <summary>Stops working the task hub in this process (what is in flight is abandoned to its lock timeout, as in a crash).</summary>
    public async Task StopWorkerAsync()
    {
        if (_worker is { } worker)
        {
            _worker = null;
            await worker.StopAsync(isForced: true);
            worker.Dispose();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopWorkerAsync();

    private sealed class Creator<T> : ObjectCreator<T>
    {
        private readonly Func<T> _create;

        public Creator(string name, Func<T> create)
        {
            Name = name;
            Version = string.Empty;
            _create = create;
        }

        // A new shim per call: DTFx keeps per-execution state in the object it is given.
        public override T Create() => _create();
    }

    /// <summary>DTFx's way in for clients built by <see cref="AzureServiceClients"/>: DTFx adds its own policies to the options, then asks for the client.</summary>
    private sealed class ClientProvider<TClient, TOptions>(Func<TOptions> createOptions, Func<TOptions, TClient> createClient) : IStorageServiceClientProvider<TClient, TOptions>
        where TOptions : ClientOptions
    {
        public TOptions CreateOptions() => createOptions();

        public TClient CreateClient(TOptions options) => createClient(options);
    }
}
