using FlowFunctions.Engine;
using Microsoft.Extensions.Logging;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Cli;

/// <summary>Opens the engine over the embedded SQLite store that the CLI commands share.</summary>
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

    public static FlowEngine Open(string storePath, EngineOptions? options = null, IReadOnlyList<string>? allowedHosts = null) =>
        FlowEngine.Create(new SqliteFlowStore(storePath, TimeProvider.System), options, configureActivities: activities =>
        {
            foreach (var host in allowedHosts ?? [])
            {
                activities.Http.AllowedHosts.Add(host);
            }
        });
}
