using FlowFunctions.Engine;
using FlowFunctions.Engine.Durable;
using FlowFunctions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Functions.Durable;

/// <summary>The services of the durable engine's Functions app.</summary>
public static class DurableFunctionsServices
{
    /// <summary>
    /// The engine over the run store (<c>FlowFunctions:Store</c>, else the <c>AzureWebJobsStorage</c> connection string the
    /// Durable extension's task hub uses too) and the orchestration's activities.
    /// </summary>
    public static IServiceCollection AddFlowDurableFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        var store = configuration["FlowFunctions:Store"] is { Length: > 0 } configured ? configured : configuration["AzureWebJobsStorage"]
            ?? throw new InvalidOperationException("no run store: set FlowFunctions:Store or AzureWebJobsStorage to the storage account's connection string");
        services.AddSingleton(_ => FlowEngine.Create(FlowStores.Open(store, TimeProvider.System)));
        services.AddSingleton(provider => new FlowActivities(provider.GetRequiredService<FlowEngine>()));
        services.AddSingleton(new DurableRunOptions());
        return services;
    }
}
