using FlowFunctions.Engine.Activities;

namespace FlowFunctions.Host.Functions;

/// <summary>Application Insights export of the host's logs, requests and the engine's activities and metrics.</summary>
internal static class FlowTelemetryExtensions
{
    /// <summary>The setting that turns telemetry on (the one the Functions platform sets for its own telemetry).</summary>
    public const string ConnectionStringKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>
    /// Adds Application Insights (WorkerService SDK) when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, collecting
    /// the engine's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>
    /// (<see cref="ActivityTelemetry.Name"/>); without it, nothing is added and nothing is sent. Returns whether it was added.
    /// </summary>
    public static bool AddFlowTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration[ConnectionStringKey] is not { Length: > 0 } connectionString)
        {
            return false;
        }

        services.AddApplicationInsightsTelemetryWorkerService(options => options.ConnectionString = connectionString);
        services.AddHostedService<EngineTelemetryForwarder>();
        return true;
    }
}
