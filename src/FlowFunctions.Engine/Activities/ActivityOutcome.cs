using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Activities;

/// <summary>The result of a work item: what goes into the run's inbox.</summary>
public abstract record ActivityOutcome
{
    private ActivityOutcome(int executions) => Executions = executions;

    /// <summary>How many times the handler ran for this work item (inline retries included).</summary>
    public int Executions { get; }

    /// <summary>The run event that reports this outcome of <paramref name="request"/> to its run.</summary>
    public RunEvent ToEvent(ActivityRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return this switch
        {
            Succeeded s => new RunEvent.ActivitySucceeded(request.NodeId, request.Attempt, request.Incarnation, s.Output, s.Executions, s.FromCache),
            Parked p => new RunEvent.ActivityParked(request.NodeId, request.Attempt, request.Incarnation, p.BreakerKey, p.RetryAt, p.Executions),
            Failed f => new RunEvent.ActivityFailed(request.NodeId, request.Attempt, request.Incarnation, f.Message, f.Class, f.Executions)
            {
                Kind = f.Kind,
                Status = f.Status,
                RetryAfter = f.RetryAfter,
            },
            _ => throw new InvalidOperationException("unknown outcome"),
        };
    }

    /// <summary>The handler produced an output, or the step cache had one (<paramref name="FromCache"/>, no execution).</summary>
    public sealed record Succeeded(JsonNode? Output, int ExecutionCount, bool FromCache = false) : ActivityOutcome(ExecutionCount);

    /// <summary>
    /// The node's circuit breaker is open (or another worker holds its half-open probe): the handler was not executed
    /// (again). The engine parks the node until <paramref name="RetryAt"/> without spending an attempt.
    /// </summary>
    public sealed record Parked(string BreakerKey, DateTimeOffset RetryAt, int ExecutionCount) : ActivityOutcome(ExecutionCount);

    /// <summary>The last execution failed and no inline retry remains (a durable retry may still follow).</summary>
    public sealed record Failed(string Message, ErrorClass Class, int ExecutionCount) : ActivityOutcome(ExecutionCount)
    {
        /// <summary>What kind of failure it was (what <c>retry.retryOn</c> selects on).</summary>
        public ErrorKind Kind { get; init; }

        /// <summary>The HTTP status of an <see cref="ErrorKind.HttpStatus"/> failure.</summary>
        public int? Status { get; init; }

        /// <summary>How long the server asked to wait before the next attempt (<c>Retry-After</c>), if it said.</summary>
        public TimeSpan? RetryAfter { get; init; }
    }
}
