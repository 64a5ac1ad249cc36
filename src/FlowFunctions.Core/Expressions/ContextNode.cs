using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>One of the plain roots: <c>inputs</c>, <c>input</c>, <c>item</c> or <c>index</c>.</summary>
internal sealed class ContextNode(string name, int position) : ExpressionNode(position)
{
    public const string Inputs = "inputs";
    public const string Input = "input";
    public const string Item = "item";
    public const string Index = "index";

    public string Name { get; } = name;

    public override JsonNode? Evaluate(ExpressionScope scope) => Name switch
    {
        Inputs => scope.Inputs,
        Input => JsonValues.Adopt(scope.Input),
        Item => JsonValues.Adopt(scope.Item),
        Index => scope.Index is long index ? JsonValue.Create(index) : null,
        _ => throw new ExpressionEvaluationException($"unknown context '{Name}'"),
    };
}
