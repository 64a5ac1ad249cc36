using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

internal sealed class ObjectTemplateNode(IReadOnlyList<KeyValuePair<string, TemplateNode>> properties) : TemplateNode
{
    public override JsonNode? Resolve(ExpressionScope scope)
    {
        var result = new JsonObject();
        foreach (KeyValuePair<string, TemplateNode> property in properties)
        {
            result[property.Key] = property.Value.Resolve(scope);
        }

        return result;
    }
}
