using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>A compiled part of a <see cref="ValueTemplate"/>.</summary>
internal abstract class TemplateNode
{
    public virtual bool IsConstant => false;

    /// <summary>Builds a fresh JSON tree for this part.</summary>
    public abstract JsonNode? Resolve(ExpressionScope scope);
}
