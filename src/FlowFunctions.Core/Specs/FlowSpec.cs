using System.Collections.Immutable;

namespace FlowFunctions.Core.Specs;

/// <summary>A validated FlowSpec v1 workflow: the graph a run executes.</summary>
/// <param name="Name">The workflow name (<c>^[a-z0-9][a-z0-9-]{0,63}$</c>).</param>
/// <param name="Version">The workflow version, default 1.</param>
/// <param name="Description">Free text.</param>
/// <param name="Inputs">Declared run inputs, in declared order.</param>
/// <param name="Defaults">Policies applied to every node that does not set its own.</param>
/// <param name="Nodes">The nodes, in declared order (which is also the tie-break order everywhere).</param>
/// <param name="Outputs">Run outputs, evaluated when the run completes.</param>
public sealed record FlowSpec(
    string Name,
    int Version,
    string? Description,
    ImmutableArray<InputDeclaration> Inputs,
    NodeDefaults Defaults,
    ImmutableArray<NodeSpec> Nodes,
    ImmutableArray<OutputDeclaration> Outputs)
{
    /// <summary>The node with the given id, or null.</summary>
    public NodeSpec? FindNode(string id)
    {
        foreach (var node in Nodes)
        {
            if (node.Id == id)
            {
                return node;
            }
        }

        return null;
    }
}
