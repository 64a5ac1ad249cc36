using FlowFunctions.Engine;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Api;

/// <summary>Works every run of the store inside the host, unless <c>--no-worker</c>.</summary>
internal sealed class InProcessWorker(FlowEngine engine, IOptions<FlowHostOptions> options, ILogger<InProcessWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.NoWorker ? Task.CompletedTask : engine.CreateWorker(logger).RunAsync(stoppingToken);
}
