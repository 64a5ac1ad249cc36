using FlowFunctions.Engine;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Cli;

/// <summary>Opens the engine over the embedded SQLite store that the CLI commands share.</summary>
internal static class EngineFactory
{
    public static FlowEngine Open(string storePath, EngineOptions? options = null) =>
        FlowEngine.Create(new SqliteFlowStore(storePath, TimeProvider.System), options);
}
