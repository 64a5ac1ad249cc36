using FlowFunctions.Engine.Activities;
using Microsoft.ApplicationInsights.Extensibility;

namespace FlowFunctions.Host.Functions;

/// <summary>Application Insights export of the host's logs, requests and the engine's activities and metrics.</summary>
internal static class FlowTelemetryExtensions
{
    /// <summary>
    /// Adds Application Insights (WorkerService SDK) when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, collecting
    /// the engine's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>
    /// (<see cref="ActivityTelemetry.Name"/>); without it, nothing is added and nothing is sent. With
    /// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> (<c>Authorization=AAD;ClientId=...</c>) telemetry is sent with the
    /// managed identity's Entra ID tokens, as the resource requires when its local authentication is disabled.
    /// Returns whether telemetry was added.
    /// </summary>
    /// <exception cref="FormatException">The authentication string is not one of the documented forms.</exception>
    public static bool AddFlowTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration[AppSettings.TelemetryConnectionString] is not { Length: > 0 } connectionString)
        {
            return false;
        }

        services.AddApplicationInsightsTelemetryWorkerService(options => options.ConnectionString = connectionString);
        if (configuration[AppSettings.TelemetryAuthentication] is { Length: > 0 } authentication)
        {
            var credential = TelemetryAuthentication.Parse(authentication);
            services.Configure<TelemetryConfiguration>(telemetry => telemetry.SetAzureTokenCredential(credential));
        }

        services.AddHostedService<EngineTelemetryForwarder>();
        return true;
    }
}
