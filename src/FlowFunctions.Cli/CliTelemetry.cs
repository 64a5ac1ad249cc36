using FlowFunctions.Host.Functions;
using FlowFunctions.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FlowFunctions.Cli;

/// <summary>The host's telemetry for a command that runs the engine without a web host (<c>flow worker</c>, <c>flow run</c>, <c>flow rerun</c>).</summary>
internal static class CliTelemetry
{
    /// <summary>
    /// Starts exporting the engine's spans and metrics as the host does, from the same environment variables
    /// (<c>APPLICATIONINSIGHTS_*</c>, <c>OTEL_TRACES_EXPORTER=console</c>, ...); disposing flushes them. Null when no
    /// exporter is asked for.
    /// </summary>
    public static ServiceProvider? Start()
    {
        var services = new ServiceCollection();
        if (!services.AddFlowTelemetry(new ConfigurationBuilder().AddEnvironmentVariables().Build()))
        {
            return null;
        }

        var telemetry = services.BuildServiceProvider();
        _ = telemetry.GetService<TracerProvider>();
        _ = telemetry.GetService<MeterProvider>();
        return telemetry;
    }
}
