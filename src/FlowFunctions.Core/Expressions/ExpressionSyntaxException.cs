namespace FlowFunctions.Core.Expressions;

/// <summary>
/// Thrown when the text of a <c>${{ }}</c> expression is not valid. The message is meant for the
/// author of the workflow spec and already names the position of the problem.
/// </summary>
public sealed class ExpressionSyntaxException : Exception
{
    /// <summary>Creates an exception with a generic message and position 0.</summary>
    public ExpressionSyntaxException()
        : this("invalid expression", 0)
    {
    }

    /// <summary>Creates an exception with the given message and position 0.</summary>
    /// <param name="message">User-facing description of the problem.</param>
    public ExpressionSyntaxException(string message)
        : this(message, 0)
    {
    }

    /// <summary>Creates an exception with the given message, wrapping another exception, at position 0.</summary>
    /// <param name="message">User-facing description of the problem.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ExpressionSyntaxException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a problem at a known offset of the expression text.</summary>
    /// <param name="message">User-facing description of the problem, including the position.</param>
    /// <param name="position">0-based offset into the expression source.</param>
    public ExpressionSyntaxException(string message, int position)
        : base(message)
    {
        Position = position;
    }

    /// <summary>0-based offset into <see cref="Expression.Source"/> where the problem was found.</summary>
    public int Position { get; }
}
