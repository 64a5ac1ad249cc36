namespace FlowFunctions.Core.Parsing;

/// <summary>A file that is not well-formed YAML or JSON, or that breaks a parsing limit.</summary>
public sealed class SourceSyntaxException(string message, SourcePosition position) : Exception(message)
{
    /// <summary>Where the problem was found.</summary>
    public SourcePosition Position { get; } = position;
}
