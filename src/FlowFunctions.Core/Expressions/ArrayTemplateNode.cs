using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

internal sealed class ArrayTemplateNode(IReadOnlyList<TemplateNode> elements) : TemplateNode
{
    public override JsonNode? Resolve(ExpressionScope scope)
    {
        var result = new JsonArray();
        foreach (TemplateNode element in elements)
        {
            result.Add(element.Resolve(scope));
        }

        return result;
    }
}
