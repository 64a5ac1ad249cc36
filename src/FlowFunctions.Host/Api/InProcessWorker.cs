using FlowFunctions.Engine;
using FlowFunctions.Engine.Durable;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Api;

/// <summary>Works the runs of the host's engine inside the host (<see cref="EngineWorkExtensions.WorkAsync"/>), unless <c>--no-worker</c>.</summary>
internal sealed class InProcessWorker(FlowEngine engine, IOptions<FlowHostOptions> options, ILogger<InProcessWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.NoWorker ? Task.CompletedTask : engine.WorkAsync(logger, stoppingToken);
}
