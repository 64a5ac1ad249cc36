using System.Text.Json.Nodes;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Runs;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowFunctions.Engine.Durable;

/// <summary>
/// The Durable Task engine over one storage account: DTFx's Azure Storage provider (Azurite locally) with our
/// orchestration and activities adapted through the Durable Task SDK's shims. As the engine's
/// <see cref="IDurableRunDriver"/> it starts runs' orchestrations and raises commands on them; <see cref="StartWorkerAsync"/>
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
    private readonly AzureStorageOrchestrationService _service;
    private readonly TaskHubClient _client;
    private TaskHubWorker? _worker;

    private DurableRunHost(FlowEngine engine, AzureStorageOrchestrationService service, DurableRunOptions options, ILoggerFactory loggers)
    {
        _engine = engine;
        _service = service;
        _options = options;
        _loggers = loggers;
        _client = new TaskHubClient(service, loggerFactory: loggers);
    }

    /// <summary>
    /// Creates the task hub in the account of <paramref name="connectionString"/> when it does not exist and makes this
    /// host <paramref name="engine"/>'s durable driver (<see cref="FlowEngine.UseDurable"/>): the engine's new runs are durable.
    /// </summary>
    public static async Task<DurableRunHost> CreateAsync(FlowEngine engine, string connectionString, DurableRunOptions? options = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        options ??= new DurableRunOptions();
        loggers ??= NullLoggerFactory.Instance;
        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.TaskHubName,
            StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
            PartitionCount = options.PartitionCount,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
            LoggerFactory = loggers,
        });
        await service.CreateIfNotExistsAsync();
        var host = new DurableRunHost(engine, service, options, loggers);
        engine.UseDurable(host);
        return host;
    }

    /// <summary>Works the task hub's orchestrations and activities in this process until disposed.</summary>
    public async Task StartWorkerAsync()
    {
        if (_worker is not null)
        {
            return;
        }

        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), _loggers);
        var activities = new FlowActivities(_engine);
        var worker = new TaskHubWorker(_service, _loggers);
        worker.AddTaskOrchestrations(new Creator<TaskOrchestration>(FlowRunOrchestration.Name, () =>
            shims.CreateOrchestration<string, string>(FlowRunOrchestration.Name, (context, input) => FlowRunOrchestration.RunAsync(context, input, _options))));
        worker.AddTaskActivities(
            new Creator<TaskActivity>(FlowActivities.StepName, () => shims.CreateActivity<JsonObject, JsonObject>(FlowActivities.StepName, (_, input) => activities.Step(input))),
            new Creator<TaskActivity>(FlowActivities.ExecuteName, () => shims.CreateActivity<JsonObject, JsonObject>(FlowActivities.ExecuteName, (_, input) => activities.Execute(input))));
        await worker.StartAsync();
        _worker = worker;
    }

    /// <inheritdoc/>
    public async Task StartAsync(string runId, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CreateOrchestrationInstanceAsync(FlowRunOrchestration.Name, string.Empty, runId, new FlowRunOrchestration.Generation(runId, 0, null).ToJson(), tags: null, dedupeStatuses: KeepExisting);
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
                await _client.CreateOrchestrationInstanceAsync(FlowRunOrchestration.Name, string.Empty, runId, restart.ToJson(), tags: null, dedupeStatuses: Unfinished);
                return;
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Restarted meanwhile by another command: that generation takes this one as an event.
            }
        }

        await _client.RaiseEventAsync(new OrchestrationInstance { InstanceId = runId }, FlowRunOrchestration.EventName, RunJson.WriteEvent(command).ToJsonString());
    }

    private async Task WaitUntilFinishedAsync(string runId, CancellationToken cancellationToken)
    {
        var started = _engine.Time.GetTimestamp();
        while ((await _client.GetOrchestrationStateAsync(runId))?.OrchestrationStatus is OrchestrationStatus.Running or OrchestrationStatus.Pending
            && _engine.Time.GetElapsedTime(started) < FinishWait)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), _engine.Time, cancellationToken);
        }
    }

    /// <summary>The orchestration's runtime status (Running, Completed, ContinuedAsNew, ...), or null when there is none.</summary>
    public async Task<string?> GetOrchestrationStatusAsync(string runId) =>
        (await _client.GetOrchestrationStateAsync(runId))?.OrchestrationStatus.ToString();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_worker is { } worker)
        {
            _worker = null;
            await worker.StopAsync(isForced: true);
            worker.Dispose();
        }
    }

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
}
