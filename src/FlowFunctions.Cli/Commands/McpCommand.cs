using System.CommandLine;
using FlowFunctions.Engine;
using FlowFunctions.Host.Mcp;
using FlowFunctions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// <c>flow mcp [--store s] [--no-worker] [--allow-host h]...</c>: an MCP server over stdio for an agent that starts it
/// as a subprocess. Standard output carries only the protocol; logs go to standard error. Unless <c>--no-worker</c>,
/// an in-process worker works the store's runs, so that a run the agent starts makes progress with nothing else running.
/// </summary>
internal static class McpCommand
{
    public static Command Create(TextWriter stderr)
    {
        var store = CommonOptions.Store();
        var noWorker = new Option<bool>("--no-worker") { Description = "Do not work runs in this process (other workers do)." };
        var allowHost = CommonOptions.AllowHost();
        var command = new Command("mcp", "Serve the MCP tools (validate, start, inspect, explain, plan and apply patches) over stdio for an agent.") { store, noWorker, allowHost };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.AddFilter("ModelContextProtocol", LogLevel.Warning);
            builder.Services.AddSingleton(_ => EngineFactory.Open(parsed.GetValue(store)!, allowedHosts: parsed.GetValue(allowHost)));
            builder.Services.AddFlowMcpStdio();
            if (!parsed.GetValue(noWorker))
            {
                builder.Services.AddHostedService<McpWorker>();
            }

            using var host = builder.Build();
            await stderr.WriteLineAsync($"flow mcp: serving {FlowStores.Describe(parsed.GetValue(store)!)} over stdio{(parsed.GetValue(noWorker) ? string.Empty : " with a worker")}");
            await host.RunAsync(cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Works every run of the store beside the MCP server.</summary>
    private sealed class McpWorker(FlowEngine engine, ILogger<McpWorker> logger) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.CreateWorker(logger).RunAsync(stoppingToken);
    }
}
