using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>
/// <c>&amp;&amp;</c> and <c>||</c>: short-circuit and yield the deciding operand itself (not a boolean),
/// which makes <c>a || 'default'</c> usable as a fallback.
/// </summary>
internal sealed class LogicalNode(bool isAnd, ExpressionNode left, ExpressionNode right, int position)
    : ExpressionNode(position, left, right)
{
    public bool IsAnd { get; } = isAnd;

    public ExpressionNode Left { get; } = left;

    public ExpressionNode Right { get; } = right;

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        JsonNode? left = Left.Evaluate(scope);
        bool truthy = JsonValues.IsTruthy(left);
        if (IsAnd ? !truthy : truthy)
        {
            return left;
        }

        return Right.Evaluate(scope);
    }
}
