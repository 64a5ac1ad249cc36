namespace FlowFunctions.Core.Specs;

/// <summary>How several outputs combine into one value.</summary>
/// <param name="Strategy">The reducer.</param>
/// <param name="Conflict">For <see cref="ReduceStrategy.Merge"/>: what a conflicting scalar does.</param>
public sealed record ReduceSpec(ReduceStrategy Strategy, MergeConflict Conflict = MergeConflict.Error)
{
    /// <summary>The default reducer of a map node.</summary>
    public static ReduceSpec Append { get; } = new(ReduceStrategy.Append);
}

/// <summary>The reducers.</summary>
public enum ReduceStrategy
{
    /// <summary>Concatenate lists; a non-list value is one element.</summary>
    Append,

    /// <summary>Deep-merge objects.</summary>
    Merge,

    /// <summary>Add numbers.</summary>
    Sum,

    /// <summary>The smallest number.</summary>
    Min,

    /// <summary>The largest number.</summary>
    Max,

    /// <summary>The first value in declared order.</summary>
    First,

    /// <summary>The last value in declared order.</summary>
    Last,
}

/// <summary>What <see cref="ReduceStrategy.Merge"/> does when two values disagree on a scalar.</summary>
public enum MergeConflict
{
    /// <summary>The reduction fails (default).</summary>
    Error,

    /// <summary>The earlier value (in declared order) wins.</summary>
    First,

    /// <summary>The later value wins.</summary>
    Last,
}
