using FlowFunctions.Engine;
using FlowFunctions.Engine.Durable;
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

    /// <summary>
    /// The engine over <paramref name="store"/>. On an Azure store it delivers commands to durable runs through their
    /// orchestrations, and with <paramref name="engine"/> <c>durable</c> it starts its runs on the durable engine (check
    /// <see cref="EngineProblem"/> first).
    /// </summary>
    public static FlowEngine Open(string store, EngineOptions? options = null, IReadOnlyList<string>? allowedHosts = null, string engine = NativeEngine, DurableRunOptions? durable = null)
    {
        var flow = FlowEngine.Create(OpenStore(store), options, configureActivities: activities =>
        {
            foreach (var host in allowedHosts ?? [])
            {
                activities.Http.AllowedHosts.Add(host);
            }
        });
        if (IsConnectionString(store))
        {
            DurableRunHost.Create(flow, store, startRuns: engine == DurableEngine, durable, DurableTaskLogs);
        }

        return flow;
    }

    public const string NativeEngine = "native";

    public const string DurableEngine = "durable";

    /// <summary>Why <paramref name="engine"/> cannot run on <paramref name="store"/>, or null.</summary>
    public static string? EngineProblem(string engine, string store) =>
        engine == DurableEngine && !IsConnectionString(store)
            ? "--engine durable needs an Azure Storage store (e.g. --store UseDevelopmentStorage=true with Azurite); the embedded SQLite store runs the native engine only"
            : null;

    /// <summary>The Durable Task Framework's own logs: warnings and errors only (it narrates every work item at Information).</summary>
    private static readonly ILoggerFactory DurableTaskLogs = Logs(LogLevel.Warning);

    /// <summary>
    /// <c>--store</c> is an Azure Storage connection string when it has a <c>key=value</c> pair
    /// (<c>UseDevelopmentStorage=true</c>, <c>AccountName=...;AccountKey=...</c>, <c>TableEndpoint=...</c>), else a SQLite file path.
    /// </summary>
    public static IFlowStore OpenStore(string store) => FlowStores.Open(store, TimeProvider.System);

    public static bool IsConnectionString(string store) => FlowStores.IsConnectionString(store);
}
