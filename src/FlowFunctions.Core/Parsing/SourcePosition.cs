namespace FlowFunctions.Core.Parsing;

/// <summary>A 1-based line and column in a spec file.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    /// <summary>The start of the file.</summary>
    public static SourcePosition Start { get; } = new(1, 1);
}
