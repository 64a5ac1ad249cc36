using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary>A call of a built-in function; name and arity were checked by the parser.</summary>
internal sealed class CallNode(FunctionDefinition function, IReadOnlyList<ExpressionNode> arguments, int position)
    : ExpressionNode(position, arguments.ToArray())
{
    public FunctionDefinition Function { get; } = function;

    public IReadOnlyList<ExpressionNode> Arguments { get; } = arguments;

    public override JsonNode? Evaluate(ExpressionScope scope) => Function.Invoke(Arguments, scope);
}
