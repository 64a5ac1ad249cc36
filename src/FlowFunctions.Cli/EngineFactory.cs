using FlowFunctions.Engine;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Cli;

/// <summary>Opens the engine over the embedded SQLite store that the CLI commands share.</summary>
internal static class EngineFactory
{
    public static FlowEngine Open(string storePath, EngineOptions? options = null, IReadOnlyList<string>? allowedHosts = null) =>
        FlowEngine.Create(new SqliteFlowStore(storePath, TimeProvider.System), options, configureActivities: activities =>
        {
            foreach (var host in allowedHosts ?? [])
            {
                activities.Http.AllowedHosts.Add(host);
            }
        });
}
