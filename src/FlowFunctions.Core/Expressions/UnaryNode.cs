using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary><c>!x</c> (logical not by truthiness) or <c>-x</c> (numeric negation).</summary>
internal sealed class UnaryNode(bool isNot, ExpressionNode operand, int position) : ExpressionNode(position, operand)
{
    public bool IsNot { get; } = isNot;

    public ExpressionNode Operand { get; } = operand;

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        JsonNode? value = Operand.Evaluate(scope);
        if (IsNot)
        {
            return JsonValue.Create(!JsonValues.IsTruthy(value));
        }

        if (!JsonValues.TryGetNumber(value, out JsonNumber number))
        {
            throw new ExpressionEvaluationException($"operator '-' needs a number, got {JsonValues.TypeName(value)}");
        }

        if (!number.IsIntegral)
        {
            return JsonNumber.FromDouble(-number.Real).ToNode();
        }

        // -long.MinValue does not fit a long; fall back to double like other overflows.
        return number.Integral == long.MinValue
            ? JsonNumber.FromDouble(-(double)number.Integral).ToNode()
            : JsonNumber.FromLong(-number.Integral).ToNode();
    }
}
