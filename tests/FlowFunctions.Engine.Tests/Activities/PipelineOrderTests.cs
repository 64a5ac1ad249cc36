using FlowFunctions.Engine.Activities;
using FlowFunctions.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

public sealed class PipelineOrderTests
{
    [Fact]
    public async Task StandardPipeline_WithAStore_IsTelemetryCacheRetryBreakerTimeout_AndWithoutOneHasNoCacheOrBreaker()
    {
        var directory = Directory.CreateTempSubdirectory("flow-pipeline-").FullName;
        try
        {
            await using var store = new SqliteFlowStore(Path.Combine(directory, "flow.db"), TimeProvider.System);
            var options = Options.Create(new ActivityExecutorOptions());

            new ActivityExecutor([], options, TimeProvider.System, () => 0, store).Middleware.Select(m => m.GetType()).ShouldBe(
                [typeof(TelemetryMiddleware), typeof(StepCacheMiddleware), typeof(RetryMiddleware), typeof(CircuitBreakerMiddleware), typeof(TimeoutMiddleware)]);
            new ActivityExecutor([], options, TimeProvider.System, () => 0).Middleware.Select(m => m.GetType()).ShouldBe(
                [typeof(TelemetryMiddleware), typeof(RetryMiddleware), typeof(TimeoutMiddleware)]);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
