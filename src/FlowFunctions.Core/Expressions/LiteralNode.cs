using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

internal sealed class LiteralNode(JsonNode? value, int position) : ExpressionNode(position)
{
    public JsonNode? Value { get; } = value;

    // A fresh copy each time so that the parsed tree is never attached to someone else's tree.
    public override JsonNode? Evaluate(ExpressionScope scope) => Value?.DeepClone();
}
