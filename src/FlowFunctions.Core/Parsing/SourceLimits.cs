namespace FlowFunctions.Core.Parsing;

/// <summary>Limits that protect the parser and everything after it from hostile or runaway specs.</summary>
public static class SourceLimits
{
    /// <summary>The largest spec text accepted, in UTF-8 bytes (1 MiB).</summary>
    public const int MaxSpecBytes = 1024 * 1024;

    /// <summary>The deepest nesting of objects and arrays accepted.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// How many values YAML aliases may add in total. A "billion laughs" document expands exponentially;
    /// this cap stops it long before memory is at risk while leaving ordinary anchors usable.
    /// </summary>
    public const int MaxAliasExpansion = 100_000;
}
