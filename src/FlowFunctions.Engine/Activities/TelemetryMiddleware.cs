using System.Diagnostics;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Activities;

/// <summary>Outermost stage: one span per work item and the executions, failures and duration metrics.</summary>
internal sealed class TelemetryMiddleware(TimeProvider timeProvider) : IActivityMiddleware
{
    public async Task<ActivityOutcome> InvokeAsync(ActivityInvocation invocation, Func<ActivityInvocation, Task<ActivityOutcome>> next)
    {
        var request = invocation.Request;
        // A child of the span that dispatched the work item, in whatever process: the run's trace survives the queue hop.
        using var span = ActivityTelemetry.Source.StartActivity($"activity {request.NodeType}", ActivityKind.Internal, request.Trace);
        span?.SetTag(ActivityTelemetry.RunIdTag, request.RunId);
        span?.SetTag(ActivityTelemetry.NodeIdTag, request.NodeId);
        span?.SetTag(ActivityTelemetry.NodeTypeTag, request.NodeType);
        span?.SetTag(ActivityTelemetry.AttemptTag, request.Attempt);
        var started = timeProvider.GetTimestamp();
        try
        {
            var outcome = await next(invocation);
            var (label, errorClass) = outcome switch
            {
                ActivityOutcome.Failed failed => ("failed", ClassName(failed.Class)),
                ActivityOutcome.Parked => ("parked", null),
                ActivityOutcome.Succeeded { FromCache: true } => ("cached", null),
                _ => ("succeeded", null),
            };
            Record(span, request, label, errorClass, outcome.Executions, started);
            if (outcome is ActivityOutcome.Failed failure)
            {
                span?.SetStatus(ActivityStatusCode.Error, failure.Message);
            }

            return outcome;
        }
        catch (OperationCanceledException)
        {
            Record(span, request, "cancelled", null, invocation.Executions, started);
            span?.SetStatus(ActivityStatusCode.Error, "cancelled");
            throw;
        }
    }

    private static string ClassName(ErrorClass errorClass) => errorClass == ErrorClass.Transient ? "transient" : "permanent";

    private void Record(Activity? span, ActivityRequest request, string outcome, string? errorClass, int executions, long started)
    {
        span?.SetTag(ActivityTelemetry.OutcomeTag, outcome);
        span?.SetTag(ActivityTelemetry.ExecutionsTag, executions);
        if (errorClass is not null)
        {
            span?.SetTag(ActivityTelemetry.ErrorClassTag, errorClass);
        }

        var tags = new TagList
        {
            { ActivityTelemetry.NodeTypeTag, request.NodeType },
            { ActivityTelemetry.OutcomeTag, outcome },
        };
        ActivityTelemetry.Executions.Add(executions, tags);
        ActivityTelemetry.Duration.Record(timeProvider.GetElapsedTime(started).TotalSeconds, tags);
        if (errorClass is not null)
        {
            ActivityTelemetry.Failures.Add(1, new TagList
            {
                { ActivityTelemetry.NodeTypeTag, request.NodeType },
                { ActivityTelemetry.ErrorClassTag, errorClass },
            });
        }
    }
}
