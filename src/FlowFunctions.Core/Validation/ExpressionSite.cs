using FlowFunctions.Core.Expressions;

namespace FlowFunctions.Core.Validation;

/// <summary>An expression found in a spec, where it stands and whose it is, for reference checks.</summary>
/// <param name="Path">The path of the string holding the expression.</param>
/// <param name="Expression">The parsed expression.</param>
/// <param name="Owner">The node (or the run's outputs) the expression belongs to.</param>
/// <param name="InMapTemplate">Whether it is inside a map's node template, where item and index exist.</param>
/// <param name="InputUnavailable">Why <c>input</c> is always null here, or null when the engine sets it.</param>
internal sealed record ExpressionSite(string Path, Expression Expression, ExpressionOwner Owner, bool InMapTemplate, string? InputUnavailable = null);

/// <summary>Whose expression it is: a node (by id, null when the id itself is invalid) or the run's outputs.</summary>
/// <param name="NodeId">The owning node, or null.</param>
/// <param name="IsRunOutput">True for the spec's <c>outputs</c>, which may read any node.</param>
internal sealed record ExpressionOwner(string? NodeId, bool IsRunOutput = false)
{
    public static ExpressionOwner RunOutputs { get; } = new(null, IsRunOutput: true);
}
