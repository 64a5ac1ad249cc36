using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary><c>target[expr]</c>: array element by integer (negative counts from the end) or property by string.</summary>
internal sealed class IndexNode(ExpressionNode target, ExpressionNode index, int position) : ExpressionNode(position, target, index)
{
    public ExpressionNode Target { get; } = target;

    public ExpressionNode Index { get; } = index;

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        JsonNode? target = JsonValues.Adopt(Target.Evaluate(scope));
        JsonNode? index = JsonValues.Adopt(Index.Evaluate(scope));
        if (target is null || index is null)
        {
            return null;
        }

        if (JsonValues.TryGetString(index, out string? key))
        {
            return MemberNode.ReadProperty(target, key);
        }

        if (!JsonValues.TryGetNumber(index, out JsonNumber number))
        {
            throw new ExpressionEvaluationException($"an index must be a number or a string, got {JsonValues.TypeName(index)}");
        }

        if (target is not JsonArray array)
        {
            string hint = JsonValues.KindOf(target) == JsonValueKind.Object ? " (use ['key'] to read a property)" : string.Empty;
            throw new ExpressionEvaluationException($"cannot index {JsonValues.TypeNameWithArticle(target)} with a number{hint}");
        }

        long position;
        if (number.IsIntegral)
        {
            position = number.Integral;
        }
        else if (double.IsInteger(number.Real) && Math.Abs(number.Real) < 1e15)
        {
            position = (long)number.Real;
        }
        else
        {
            throw new ExpressionEvaluationException($"an array index must be an integer, got {JsonValues.ToText(index)}");
        }

        if (position < 0)
        {
            position += array.Count;
        }

        return position >= 0 && position < array.Count ? JsonValues.Adopt(array[(int)position]) : null;
    }
}
