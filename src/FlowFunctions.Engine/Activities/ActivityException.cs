using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Activities;

/// <summary>A handler failure with its classification: transient failures are retried, permanent ones never.</summary>
public sealed class ActivityException : Exception
{
    /// <summary>Creates a failure of the given class.</summary>
    public ActivityException(string message, ErrorClass errorClass, Exception? inner = null)
        : base(message, inner) => Class = errorClass;

    /// <summary>Whether a retry could help.</summary>
    public ErrorClass Class { get; }

    /// <summary>What kind of failure it is (what <c>retry.retryOn</c> selects on).</summary>
    public ErrorKind Kind { get; init; }

    /// <summary>The HTTP status of an <see cref="ErrorKind.HttpStatus"/> failure.</summary>
    public int? Status { get; init; }

    /// <summary>How long the server asked to wait before the next attempt, if it said.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
