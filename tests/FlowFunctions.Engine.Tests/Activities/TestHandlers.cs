using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>A handler of any type whose behaviour a test scripts; it records the execution numbers it saw.</summary>
internal sealed class ScriptedHandler(string nodeType, Func<ActivityExecution, CancellationToken, Task<JsonNode?>> run) : IActivityHandler
{
    public ConcurrentQueue<int> Executions { get; } = new();

    public string NodeType => nodeType;

    public Task<JsonNode?> ExecuteAsync(ActivityExecution execution, CancellationToken cancellationToken)
    {
        Executions.Enqueue(execution.Execution);
        return run(execution, cancellationToken);
    }
}

/// <summary>Builders for requests.</summary>
internal static class Requests
{
    public static ActivityRequest For(
        string nodeType,
        JsonNode? input = null,
        RetryPolicy? retry = null,
        int attempt = 1,
        int? maxExecutions = null,
        TimeSpan? timeout = null,
        string? runId = null)
    {
        retry ??= RetryPolicy.None;
        return new ActivityRequest(
            runId ?? $"run-{Guid.NewGuid():N}",
            "node",
            nodeType,
            attempt,
            1,
            input,
            retry,
            maxExecutions ?? (retry.MaxAttempts - attempt + 1),
            timeout);
    }
}
