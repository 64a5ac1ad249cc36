using System.Collections.Immutable;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Validation;

/// <summary>The outcome of loading a spec: the spec when it is valid, otherwise every problem found.</summary>
/// <param name="Spec">The validated spec, or null when <see cref="Errors"/> is not empty.</param>
/// <param name="Errors">Every problem, ordered by position in the file.</param>
public sealed record SpecLoadResult(FlowSpec? Spec, ImmutableArray<SpecError> Errors)
{
    /// <summary>Whether the spec is valid.</summary>
    public bool IsValid => Spec is not null;
}
