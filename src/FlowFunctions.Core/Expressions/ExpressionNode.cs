using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// A node of a parsed expression. Evaluation may return values owned by the scope; the public
/// <see cref="Expression.Evaluate"/> clones the final result so callers get a tree of their own.
/// </summary>
internal abstract class ExpressionNode
{
    protected ExpressionNode(int position, params ReadOnlySpan<ExpressionNode> children)
    {
        Position = position;
        int height = 0;
        foreach (ExpressionNode child in children)
        {
            height = Math.Max(height, child.Height);
        }

        Height = height + 1;
    }

    /// <summary>0-based offset in the source of the token that introduced this node.</summary>
    public int Position { get; }

    /// <summary>Longest path to a leaf; bounded by the parser so evaluation cannot exhaust the stack.</summary>
    public int Height { get; }

    public abstract JsonNode? Evaluate(ExpressionScope scope);
}
