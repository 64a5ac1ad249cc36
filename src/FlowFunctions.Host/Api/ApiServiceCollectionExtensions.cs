using FlowFunctions.Engine;
using FlowFunctions.Engine.Durable;
using FlowFunctions.Storage;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Api;

/// <summary>Registers and maps the HTTP API.</summary>
internal static class ApiServiceCollectionExtensions
{
    /// <summary>Options (validated at start-up), the engine over the configured store, the registry, the in-process worker.</summary>
    public static IServiceCollection AddFlowFunctionsApi(this IServiceCollection services)
    {
        services.AddOptions<FlowHostOptions>()
            .BindConfiguration(FlowHostOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FlowHostOptions>, FlowHostOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(provider => FlowStores.Open(
            provider.GetRequiredService<IOptions<FlowHostOptions>>().Value.Store,
            provider.GetRequiredService<TimeProvider>(),
            Functions.HandlerStore.Credential(provider.GetRequiredService<IConfiguration>())));
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<FlowHostOptions>>().Value;
            var configuration = provider.GetRequiredService<IConfiguration>();
            var engineOptions = new EngineOptions { RunRetention = options.RunRetention };
            var engine = FlowEngine.Create(provider.GetRequiredService<IFlowStore>(), engineOptions, time: provider.GetRequiredService<TimeProvider>(), configureActivities: activities =>
            {
                foreach (var host in options.AllowedHosts)
                {
                    activities.Http.AllowedHosts.Add(host);
                }

                activities.EnvironmentName = provider.GetService<IHostEnvironment>()?.EnvironmentName;
                activities.Chaos = options.Chaos;
                activities.Http.Secrets = name => configuration[Engine.Activities.HttpActivityOptions.SecretsSection + ":" + name];
            });
            if (FlowStores.IsConnectionString(options.Store))
            {
                // Commands reach durable runs through their orchestrations whichever engine this host starts runs on.
                DurableRunHost.Create(
                    engine,
                    options.Store,
                    startRuns: options.Engine == "durable",
                    loggers: provider.GetRequiredService<ILoggerFactory>(),
                    credential: Functions.HandlerStore.Credential(configuration));
            }

            return engine;
        });
        services.AddSingleton<WorkflowRegistry>();
        services.AddSingleton<Functions.IWorkflowCatalog>(provider => provider.GetRequiredService<WorkflowRegistry>());
        services.AddHostedService<InProcessWorker>();
        services.AddProblemDetails(options => options.CustomizeProblemDetails = Problems.Customize);
        return services;
    }

    /// <summary>Error handling and authentication for <c>/api</c>, then every API endpoint.</summary>
    public static WebApplication MapFlowFunctionsApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<ApiAuthentication>();
        var api = app.MapGroup("/api");
        api.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        api.MapGet("/openapi.json", () => Results.Text(OpenApiDocument.Json, "application/json"));
        api.MapRunApi();
        api.MapWorkflowApi();
        api.MapCacheApi();
        return app;
    }
}
