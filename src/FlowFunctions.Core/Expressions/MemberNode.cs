using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary><c>target.name</c>: null-safe property read.</summary>
internal sealed class MemberNode(ExpressionNode target, string name, int position) : ExpressionNode(position, target)
{
    public ExpressionNode Target { get; } = target;

    public string Name { get; } = name;

    public override JsonNode? Evaluate(ExpressionScope scope) => ReadProperty(Target.Evaluate(scope), Name);

    public static JsonNode? ReadProperty(JsonNode? target, string name)
    {
        target = JsonValues.Adopt(target);
        if (target is null)
        {
            return null;
        }

        if (target is JsonObject obj)
        {
            return obj.TryGetPropertyValue(name, out JsonNode? value) ? JsonValues.Adopt(value) : null;
        }

        string hint = JsonValues.KindOf(target) == JsonValueKind.Array
            ? " (arrays are read with [index] or length(...))"
            : string.Empty;
        throw new ExpressionEvaluationException($"cannot read property '{name}' of {JsonValues.TypeNameWithArticle(target)}{hint}");
    }
}
