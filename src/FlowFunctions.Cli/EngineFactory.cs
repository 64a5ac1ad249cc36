using FlowFunctions.Engine;
using Microsoft.Extensions.Logging;
using FlowFunctions.Storage;

namespace FlowFunctions.Cli;

/// <summary>Opens the engine over the store the CLI commands share: a SQLite file, or an Azure Storage account.</summary>
internal static class EngineFactory
{
    /// <summary>Worker logs for a terminal: one line each, on stderr so that stdout stays the command's output.</summary>
    public static ILoggerFactory Logs(LogLevel minimum) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(minimum)
        .AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss ";
        })
        .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace));

    public static FlowEngine Open(string store, EngineOptions? options = null, IReadOnlyList<string>? allowedHosts = null) =>
        FlowEngine.Create(OpenStore(store), options, configureActivities: activities =>
        {
            foreach (var host in allowedHosts ?? [])
            {
                activities.Http.AllowedHosts.Add(host);
            }
        });

    /// <summary>
    /// <c>--store</c> is an Azure Storage connection string when it has a <c>key=value</c> pair
    /// (<c>UseDevelopmentStorage=true</c>, <c>AccountName=...;AccountKey=...</c>, <c>TableEndpoint=...</c>), else a SQLite file path.
    /// </summary>
    public static IFlowStore OpenStore(string store) => FlowStores.Open(store, TimeProvider.System);

    public static bool IsConnectionString(string store) => FlowStores.IsConnectionString(store);
}
