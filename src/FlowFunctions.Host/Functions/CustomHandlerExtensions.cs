using FlowFunctions.Engine;
using FlowFunctions.Engine.Worker;
using FlowFunctions.Host.Api;
using FlowFunctions.Storage;
using FlowFunctions.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlowFunctions.Host.Functions;

/// <summary>The Azure Functions custom-handler side of the host: its services and the endpoints the Functions host calls.</summary>
public static class CustomHandlerExtensions
{
    /// <summary>The port the Functions host tells a custom handler to listen on.</summary>
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>
    /// Registers the store, engine and worker (unless already registered, e.g. by the API's wiring), the start-message
    /// handler, the workflow catalog, the dead-letter store, storage creation at start-up, and telemetry.
    /// </summary>
    public static WebApplicationBuilder AddCustomHandler(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Configuration[PortVariable] is { Length: > 0 } port)
        {
            // Under the Functions host: it starts this process and calls it on the port it chose.
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        var services = builder.Services;

        // The store, the engine and the workflow catalog are the API's (AddFlowFunctionsApi); under the Functions host
        // the store defaults to the app's own storage, and no polling worker runs: the triggers deliver the messages,
        // and the Functions host's keys guard the forwarded API.
        services.AddOptions<FlowHostOptions>().PostConfigure<IConfiguration>((options, configuration) =>
        {
            if (IsUnderFunctions(configuration))
            {
                options.Store = string.IsNullOrWhiteSpace(options.Store) ? HandlerStore.Describe(configuration) : options.Store;
                options.NoWorker = true;
            }
        });
        services.TryAddSingleton(sp => sp.GetRequiredService<FlowEngine>().CreateWorker(sp.GetRequiredService<ILoggerFactory>().CreateLogger<FlowWorker>()));
        services.TryAddSingleton<DeadLetterStore>();
        services.TryAddSingleton<StartRunHandler>();
        services.AddHostedService<StorageInitializer>();
        services.AddFlowTelemetry(builder.Configuration);
        return builder;
    }

    /// <summary>Whether the Functions host started this process (it names the port to listen on).</summary>
    public static bool IsUnderFunctions(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[PortVariable]);

    /// <summary>
    /// Maps <c>POST /{function}</c> for each non-HTTP function (the custom-handler convention). The HTTP function
    /// <c>api</c> needs no endpoint here: with <c>enableForwardingHttpRequest</c> the host forwards <c>/api/*</c> as is.
    /// </summary>
    public static WebApplication MapCustomHandler(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/" + FunctionNames.Control, (HttpRequest request, FlowWorker worker, ILogger<FlowWorker> logger, CancellationToken ct) =>
            InvokeAsync(request, FunctionNames.Control, logger, async (invocation, text) =>
            {
                await worker.HandleControlMessageBodyAsync(await QueueBody.ResolveAsync(app.Services.GetRequiredService<IFlowStore>().Artifacts, text, ct), ct);
                return "control message handled";
            }, ct));
        // The work queue and its priority lane (work made ready by commands): the same handling, each poisons to its own name.
        var options = app.Services.GetRequiredService<FlowEngine>().Options;
        foreach (var (function, queue) in new[] { (FunctionNames.Work, options.WorkQueue), (FunctionNames.PriorityWork, options.PriorityWorkQueue) })
        {
            app.MapPost("/" + function, (HttpRequest request, FlowWorker worker, ILogger<FlowWorker> logger, CancellationToken ct) =>
                InvokeAsync(request, function, logger, async (invocation, text) =>
                {
                    await worker.HandleWorkMessageBodyAsync(queue, await QueueBody.ResolveAsync(app.Services.GetRequiredService<IFlowStore>().Artifacts, text, ct), ct);
                    return "work message handled";
                }, ct));
        }

        app.MapPost("/" + FunctionNames.StartRun, (HttpRequest request, StartRunHandler handler, ILogger<StartRunHandler> logger, CancellationToken ct) =>
            InvokeAsync(request, FunctionNames.StartRun, logger, async (invocation, text) =>
            {
                var (outcome, detail) = await handler.HandleAsync(FunctionNames.StartRun, text, invocation.MetadataText("Id"), invocation.Metadata, ct);
                return $"{outcome}: {detail}";
            }, ct));
        app.MapPost("/" + FunctionNames.StartRunServiceBus, (HttpRequest request, StartRunHandler handler, ILogger<StartRunHandler> logger, CancellationToken ct) =>
            InvokeAsync(request, FunctionNames.StartRunServiceBus, logger, async (invocation, text) =>
            {
                var (outcome, detail) = await handler.HandleAsync(FunctionNames.StartRunServiceBus, text, invocation.MetadataText("MessageId"), invocation.Metadata, ct);
                return $"{outcome}: {detail}";
            }, ct));
        app.MapPost("/" + FunctionNames.Housekeeping, (HttpRequest request, FlowWorker worker, ILogger<FlowWorker> logger, CancellationToken ct) =>
            InvokeAsync(request, FunctionNames.Housekeeping, logger, async (_, _) =>
            {
                await worker.SweepAsync(ct);
                return "housekeeping sweep done";
            }, ct, binding: FunctionNames.TimerBinding));
        return app;
    }

    /// <summary>
    /// Reads the documented request payload, runs <paramref name="handle"/> on the trigger value, and answers the
    /// documented response payload: 200 when handled (the host deletes or completes the message), 500 when not (the
    /// host retries it and finally poisons it). A payload that is not the documented shape is a 400: no retry fixes it.
    /// </summary>
    private static async Task<IResult> InvokeAsync(
        HttpRequest request, string function, ILogger logger, Func<InvocationRequest, string, Task<string>> handle, CancellationToken ct, string binding = FunctionNames.MessageBinding)
    {
        var invocation = await InvocationRequest.ReadAsync(request, ct);
        if (invocation is null)
        {
            return InvocationResponse.Failure(StatusCodes.Status400BadRequest, $"{function}: the request is not a custom-handler payload ({{\"Data\": {{...}}, \"Metadata\": {{...}}}})");
        }

        var text = invocation.TriggerText(binding);
        if (text is null && binding == FunctionNames.MessageBinding)
        {
            return InvocationResponse.Failure(StatusCodes.Status400BadRequest, $"{function}: Data has no '{binding}' binding");
        }

        try
        {
            return InvocationResponse.Success(await handle(invocation, text ?? string.Empty));
        }
#pragma warning disable CA1031 // Any failure must become an error status, so that the host retries the message.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            HandlerLog.InvocationFailed(logger, ex, function);
            return InvocationResponse.Failure(StatusCodes.Status500InternalServerError, $"{function} failed: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
