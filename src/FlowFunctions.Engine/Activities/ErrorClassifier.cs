using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using Polly.Timeout;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// The one place that decides whether a handler failure could go away on retry. Messages carry no stack trace: they
/// end up in run state and in front of spec authors.
/// </summary>
internal static class ErrorClassifier
{
    /// <summary>
    /// Classifies an exception a handler (or the timeout stage) threw. The caller has already ruled out cancellation
    /// through its own token, so a cancellation seen here came from somewhere else (e.g. an HttpClient timeout).
    /// </summary>
    public static (string Message, ErrorClass Class) Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            return Classify(aggregate.InnerExceptions[0]);
        }

        return exception switch
        {
            ActivityException activity => (activity.Message, activity.Class),
            TimeoutRejectedException timeout => (TimedOut(timeout.Timeout), ErrorClass.Transient),
            OperationCanceledException or HttpRequestException or IOException => (MessageOf(exception), ErrorClass.Transient),
            _ => (MessageOf(exception), ErrorClass.Permanent),
        };
    }

    /// <summary>The message of a timed-out execution, with the duration as specs write it (<c>timed out after 30s</c>).</summary>
    public static string TimedOut(TimeSpan timeout) => $"timed out after {Duration.Format(timeout)}";

    private static string MessageOf(Exception exception) =>
        string.IsNullOrWhiteSpace(exception.Message) ? exception.GetType().Name : exception.Message;
}
