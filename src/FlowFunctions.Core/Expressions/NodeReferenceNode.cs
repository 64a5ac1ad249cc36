using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Expressions;

/// <summary><c>nodes.&lt;id&gt;.output</c> or <c>nodes.&lt;id&gt;.status</c>; the id is always static.</summary>
internal sealed class NodeReferenceNode(string nodeId, bool isStatus, int position) : ExpressionNode(position)
{
    public string NodeId { get; } = nodeId;

    public bool IsStatus { get; } = isStatus;

    public override JsonNode? Evaluate(ExpressionScope scope)
    {
        if (IsStatus)
        {
            string? status = scope.NodeStatus?.Invoke(NodeId);
            return status is null ? null : JsonValue.Create(status);
        }

        return JsonValues.Adopt(scope.NodeOutput?.Invoke(NodeId));
    }
}
