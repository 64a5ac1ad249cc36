using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>A subtree without expressions; holds a private copy so later changes to the source do not leak in.</summary>
internal sealed class ConstantTemplateNode(JsonNode? value) : TemplateNode
{
    private readonly JsonNode? _value = value?.DeepClone();

    public override bool IsConstant => true;

    public override JsonNode? Resolve(ExpressionScope scope) => _value?.DeepClone();
}
