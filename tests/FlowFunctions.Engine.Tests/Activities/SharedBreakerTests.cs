using FlowFunctions.Storage;
using FlowFunctions.Storage.Azure;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>The shared breaker scenarios with two workers on one real SQLite file.</summary>
public sealed class SqliteSharedBreakerTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("flow-breaker-").FullName;

    private SharedBreakerScenarios Scenarios => new(() => new SqliteFlowStore(Path.Combine(directory, "flow.db"), TimeProvider.System));

    [Fact]
    public Task OpensAtTheRatio_ThenParksOnEveryWorkerWithoutExecuting() => Scenarios.OpensAtTheRatio_ThenParksOnEveryWorkerWithoutExecuting();

    [Fact]
    public Task PermanentFailures_DoNotCount() => Scenarios.PermanentFailures_DoNotCount();

    [Fact]
    public Task HalfOpen_LetsExactlyOneProbeThrough_AndASuccessCloses() => Scenarios.HalfOpen_LetsExactlyOneProbeThrough_AndASuccessCloses();

    [Fact]
    public Task ProbeFailure_Reopens_ForAnotherBreakDuration() => Scenarios.ProbeFailure_Reopens_ForAnotherBreakDuration();

    [Fact]
    public Task AnInlineRetry_ThatFindsTheBreakerOpen_ParksWithTheExecutionsSoFar() => Scenarios.AnInlineRetry_ThatFindsTheBreakerOpen_ParksWithTheExecutionsSoFar();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}

/// <summary>
/// The shared breaker scenarios with two workers on Azurite (./test.sh sets FLOWFUNCTIONS_TEST_AZURE): each test uses
/// its own table name prefix; the throw-away Azurite of ./test.sh is deleted afterwards.
/// </summary>
public sealed class AzureSharedBreakerTests
{
    private readonly string prefix = "b" + Guid.NewGuid().ToString("N")[..16];

    private SharedBreakerScenarios Scenarios => new(() => new AzureFlowStore(
        Environment.GetEnvironmentVariable(AzuriteFactAttribute.Variable)!, TimeProvider.System, new AzureFlowStoreOptions { NamePrefix = prefix, MaxRetries = 2 }));

    [AzuriteFact]
    public Task OpensAtTheRatio_ThenParksOnEveryWorkerWithoutExecuting() => Scenarios.OpensAtTheRatio_ThenParksOnEveryWorkerWithoutExecuting();

    [AzuriteFact]
    public Task HalfOpen_LetsExactlyOneProbeThrough_AndASuccessCloses() => Scenarios.HalfOpen_LetsExactlyOneProbeThrough_AndASuccessCloses();

    [AzuriteFact]
    public Task ProbeFailure_Reopens_ForAnotherBreakDuration() => Scenarios.ProbeFailure_Reopens_ForAnotherBreakDuration();
}

/// <summary>A fact that needs Azurite: skipped, with the way to run it, when FLOWFUNCTIONS_TEST_AZURE is not set.</summary>
public sealed class AzuriteFactAttribute : FactAttribute
{
    public const string Variable = "FLOWFUNCTIONS_TEST_AZURE";

    public AzuriteFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"needs Azurite: run ./test.sh (it starts Azurite and sets {Variable})";
        }
    }
}
