using System.Net.Http.Headers;
using System.Net.Sockets;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using Polly.Timeout;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// The one place that decides whether a handler failure could go away on retry, and what kind of failure it was.
/// Transient: timeouts, connection failures, HTTP 408, 429 and 5xx. Permanent: every other HTTP status, bad input,
/// expression errors, anything unrecognised. Messages carry no stack trace: they end up in run state and in front of
/// spec authors.
/// </summary>
internal static class ErrorClassifier
{
    /// <summary>
    /// Classifies an exception a handler (or the timeout stage) threw, as the outcome of the work item so far. The
    /// caller has already ruled out cancellation through its own token, so a cancellation seen here came from
    /// somewhere else (e.g. an HttpClient timeout).
    /// </summary>
    public static ActivityOutcome.Failed Classify(Exception exception, int executions)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            return Classify(aggregate.InnerExceptions[0], executions);
        }

        return exception switch
        {
            ActivityException activity => new(activity.Message, activity.Class, executions)
            {
                Kind = activity.Kind,
                Status = activity.Status,
                RetryAfter = activity.RetryAfter,
            },
            TimeoutRejectedException timeout => TimedOutFailure(timeout.Timeout, executions),
            HttpRequestException { StatusCode: { } status } => new(MessageOf(exception), ClassOf((int)status), executions)
            {
                Kind = ErrorKind.HttpStatus,
                Status = (int)status,
            },
            OperationCanceledException => new(MessageOf(exception), ErrorClass.Transient, executions) { Kind = ErrorKind.Timeout },
            HttpRequestException or IOException or SocketException => new(MessageOf(exception), ErrorClass.Transient, executions) { Kind = ErrorKind.Connection },
            _ => new(MessageOf(exception), ErrorClass.Permanent, executions),
        };
    }

    /// <summary>An unexpected HTTP status: 408, 429 and 5xx are transient, every other status permanent.</summary>
    public static ErrorClass ClassOf(int status) => RetryOn.IsRetryableStatus(status) ? ErrorClass.Transient : ErrorClass.Permanent;

    /// <summary>
    /// The wait a response asks for in <c>Retry-After</c>: seconds, or an HTTP date measured against
    /// <paramref name="now"/> (a date in the past means no wait). Null when absent.
    /// </summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>The failure of an execution that ran out of time (<c>timed out after 30s</c>).</summary>
    public static ActivityOutcome.Failed TimedOutFailure(TimeSpan timeout, int executions) =>
        new(TimedOut(timeout), ErrorClass.Transient, executions) { Kind = ErrorKind.Timeout };

    /// <summary>The message of a timed-out execution, with the duration as specs write it (<c>timed out after 30s</c>).</summary>
    public static string TimedOut(TimeSpan timeout) => $"timed out after {Duration.Format(timeout)}";

    private static string MessageOf(Exception exception) =>
        string.IsNullOrWhiteSpace(exception.Message) ? exception.GetType().Name : exception.Message;
}
