namespace FlowFunctions.Core.Expressions;

/// <summary>
/// Thrown when a syntactically valid expression cannot be evaluated against a scope, for example
/// because an operator receives values of the wrong type. The message is meant for the workflow author.
/// </summary>
public sealed class ExpressionEvaluationException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ExpressionEvaluationException()
        : base("expression evaluation failed")
    {
    }

    /// <summary>Creates an exception with the given user-facing message.</summary>
    /// <param name="message">User-facing description of the problem.</param>
    public ExpressionEvaluationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given user-facing message and cause.</summary>
    /// <param name="message">User-facing description of the problem.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ExpressionEvaluationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
