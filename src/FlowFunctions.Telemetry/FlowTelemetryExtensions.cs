using Azure.Monitor.OpenTelemetry.Exporter;
using FlowFunctions.Engine.Activities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FlowFunctions.Telemetry;

/// <summary>
/// OpenTelemetry for the host, the CLI's commands that run the engine and the durable engine's Functions app: the engine's spans and metrics (<see cref="ActivityTelemetry.Name"/>),
/// ASP.NET Core's request spans (the API request that starts a run is the parent of the run's trace) and the logs,
/// exported to Azure Monitor and/or the console. Without an exporter nothing is collected: no exporter, no cost.
/// </summary>
public static class FlowTelemetryExtensions
{
    /// <summary>The standard variables that pick exporters per signal; we honour <c>console</c> (and <c>none</c>).</summary>
    public const string TracesExporter = "OTEL_TRACES_EXPORTER";

    /// <inheritdoc cref="TracesExporter"/>
    public const string MetricsExporter = "OTEL_METRICS_EXPORTER";

    /// <inheritdoc cref="TracesExporter"/>
    public const string LogsExporter = "OTEL_LOGS_EXPORTER";

    /// <summary>Turns telemetry export to Azure Monitor on (the Functions host's and ours).</summary>
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary><c>Authorization=AAD;ClientId=...</c>: telemetry is sent with the identity's tokens (local auth disabled).</summary>
    public const string AuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>The service name telemetry is sent under (Application Insights' cloud role) unless <c>OTEL_SERVICE_NAME</c> says otherwise.</summary>
    public const string ServiceName = "FlowFunctions";

    /// <summary>The span sources collected: the engine's, and ASP.NET Core's incoming requests.</summary>
    public static IReadOnlyList<string> Sources { get; } = [ActivityTelemetry.Name, "Microsoft.AspNetCore"];

    /// <summary>
    /// Adds OpenTelemetry when an exporter is asked for: Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is
    /// set (with <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> = <c>Authorization=AAD;ClientId=...</c>, keyless: the
    /// managed identity's Entra ID tokens, as a resource with local authentication disabled requires), the console for
    /// each signal whose <c>OTEL_*_EXPORTER</c> variable lists <c>console</c>. Otherwise adds nothing and returns false.
    /// </summary>
    /// <exception cref="FormatException">The authentication string is not one of the documented forms.</exception>
    public static bool AddFlowTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration[ConnectionStringSetting];
        var credential = configuration[AuthenticationSetting] is { Length: > 0 } authentication ? TelemetryAuthentication.Parse(authentication) : null;
        var (traces, metrics, logs) = (ToConsole(configuration, TracesExporter), ToConsole(configuration, MetricsExporter), ToConsole(configuration, LogsExporter));
        if (string.IsNullOrEmpty(connectionString) && !traces && !metrics && !logs)
        {
            return false;
        }

        var telemetry = services.AddFlowOpenTelemetry(configuration["OTEL_SERVICE_NAME"] ?? ServiceName);
        if (traces)
        {
            telemetry.WithTracing(tracing => tracing.AddConsoleExporter());
        }

        if (metrics)
        {
            telemetry.WithMetrics(meters => meters.AddConsoleExporter());
        }

        if (logs)
        {
            telemetry.WithLogging(logging => logging.AddConsoleExporter());
        }

        if (!string.IsNullOrEmpty(connectionString))
        {
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                options.Credential = credential;

                // Whole traces or none: a run's spans come from several processes, and a rate-limited sampler decides per
                // process, so it would keep some activities of a run and drop their episode. Ratio sampling hashes the
                // trace id, the same verdict everywhere; 1.0 keeps every run (set a lower ratio here to sample runs).
                options.SamplingRatio = 1.0F;
                options.TracesPerSecond = null;
            });
        }

        return true;
    }

    /// <summary>
    /// Registers what is collected (<see cref="Sources"/>, the engine's meter, logs with their scopes) without an exporter;
    /// callers add exporters to the returned builder (tests add an in-memory one).
    /// </summary>
    public static IOpenTelemetryBuilder AddFlowOpenTelemetry(this IServiceCollection services, string serviceName = ServiceName) =>
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing.AddSource([.. Sources]))
            .WithMetrics(meters => meters.AddMeter(ActivityTelemetry.Name))
            .WithLogging(configureBuilder: null, configureOptions: options => options.IncludeScopes = true);

    private static bool ToConsole(IConfiguration configuration, string variable) =>
        (configuration[variable] ?? string.Empty).Split(',', StringSplitOptions.TrimEntries).Contains("console", StringComparer.OrdinalIgnoreCase);
}
