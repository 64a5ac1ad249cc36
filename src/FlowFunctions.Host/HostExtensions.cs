using FlowFunctions.Host.Api;
using FlowFunctions.Host.Dashboard;
using FlowFunctions.Host.Functions;
using FlowFunctions.Host.Mcp;

namespace FlowFunctions.Host;

/// <summary>Wiring of the host: services from configuration and command-line switches, then the endpoints.</summary>
public static class HostExtensions
{
    /// <summary>Registers the engine, the store and the API services.</summary>
    public static WebApplicationBuilder AddFlowFunctionsHost(this WebApplicationBuilder builder, string[] args)
    {
        ArgumentNullException.ThrowIfNull(builder);
        _ = args;
        builder.Services.AddFlowFunctionsApi();
        builder.Services.AddFlowMcpHttp();
        builder.AddCustomHandler();
        return builder;
    }

    /// <summary>Maps the HTTP API, the custom-handler endpoints and the dashboard's files.</summary>
    public static WebApplication MapFlowFunctions(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapFlowFunctionsApi();
        app.MapFlowMcp();
        app.MapCustomHandler();
        app.UseDashboard();
        return app;
    }

    /// <summary>The host's switches (<c>--dev</c>, <c>--no-worker</c>, <c>--store</c>, <c>--api-key</c>, <c>--allow-host</c>) as configuration arguments.</summary>
    public static string[] NormalizeArguments(string[] args) => HostCommandLine.Normalize(args);
}
