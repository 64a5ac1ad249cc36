using FlowFunctions.Engine;
using FlowFunctions.Engine.Durable;
using FlowFunctions.Storage;
using FlowFunctions.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Functions.Durable;

/// <summary>The services of the durable engine's Functions app.</summary>
public static class DurableFunctionsServices
{
    /// <summary>
    /// The engine over the run store (<c>FlowFunctions:Store</c>, else the app's own storage, <c>AzureWebJobsStorage</c>,
    /// which the Durable extension's task hub uses too: a connection string, or the identity-based settings of a keyless
    /// deployment, see <see cref="WebJobsStorage"/>), the orchestration's activities, and the engine's telemetry when an
    /// exporter is configured (<see cref="FlowTelemetryExtensions.AddFlowTelemetry"/>: Application Insights in Azure), so
    /// that the steps and activities this app runs are spans of their runs' traces.
    /// </summary>
    /// <exception cref="InvalidOperationException">No store is configured, or the identity-based settings are incomplete.</exception>
    public static IServiceCollection AddFlowDurableFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var store = WebJobsStorage.DescribeStore(key => configuration[key])
            ?? throw new InvalidOperationException(
                $"no run store: set {WebJobsStorage.Setting} (a connection string, or {WebJobsStorage.BlobServiceUriSetting}, {WebJobsStorage.QueueServiceUriSetting} and {WebJobsStorage.TableServiceUriSetting}) or {WebJobsStorage.StoreKey}");
        var credential = WebJobsStorage.Credential(key => configuration[key]);
        services.AddSingleton(_ => FlowEngine.Create(FlowStores.Open(store, TimeProvider.System, credential)));
        services.AddSingleton(provider => new FlowActivities(provider.GetRequiredService<FlowEngine>()));
        services.AddSingleton(new DurableRunOptions());
        services.AddFlowTelemetry(configuration);
        return services;
    }
}
