using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Storage.Tests.Sqlite;

/// <summary>A database file in a fresh temporary directory, deleted with the directory at the end of a test.</summary>
internal sealed class SqliteTestDatabase
{
    public SqliteTestDatabase()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "flowfunctions-tests", Guid.NewGuid().ToString("N"));
        Path = System.IO.Path.Combine(Directory, ".flow", "flow.db");
    }

    public string Directory { get; }

    public string Path { get; }

    public Task<IFlowStore> OpenAsync(TimeProvider timeProvider) => Task.FromResult<IFlowStore>(new SqliteFlowStore(Path, timeProvider));

    public Task DeleteAsync()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        return Task.CompletedTask;
    }
}
