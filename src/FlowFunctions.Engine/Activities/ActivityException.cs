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
}
