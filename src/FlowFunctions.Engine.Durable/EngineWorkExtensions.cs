using Microsoft.Extensions.Logging;

namespace FlowFunctions.Engine.Durable;

/// <summary>Working the runs of a process's engine, whichever it is.</summary>
public static class EngineWorkExtensions
{
    /// <summary>
    /// Works the runs of the engine <paramref name="engine"/> starts runs on until <paramref name="stop"/>: a
    /// <see cref="Worker.FlowWorker"/> for the native engine, the task hub's orchestrations and activities for the durable one.
    /// </summary>
    public static async Task WorkAsync(this FlowEngine engine, ILogger logger, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (engine is not { DefaultEngine: RunEngine.Durable, Durable: DurableRunHost durable })
        {
            await engine.CreateWorker(logger).RunAsync(stop);
            return;
        }

        await durable.StartWorkerAsync();
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        await durable.StopWorkerAsync();
    }
}
