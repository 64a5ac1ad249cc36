using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Graph;

/// <summary>
/// Indexes derived from a spec's nodes: declared positions and the dependents of each node. Computed once per
/// spec instance and cached, so the decision function does not rebuild them for every event.
/// </summary>
public sealed class RunGraph
{
    private static readonly ConditionalWeakTable<FlowSpec, RunGraph> Cache = [];

    private readonly Dictionary<string, int> _indexById;
    private readonly ImmutableArray<ImmutableArray<int>> _dependents;

    private RunGraph(FlowSpec spec)
    {
        Nodes = spec.Nodes;
        _indexById = new Dictionary<string, int>(spec.Nodes.Length, StringComparer.Ordinal);
        for (var i = 0; i < spec.Nodes.Length; i++)
        {
            _indexById[spec.Nodes[i].Id] = i;
        }

        var dependents = Enumerable.Range(0, spec.Nodes.Length).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < spec.Nodes.Length; i++)
        {
            foreach (var need in spec.Nodes[i].Needs)
            {
                if (_indexById.TryGetValue(need, out var j))
                {
                    dependents[j].Add(i);
                }
            }
        }

        _dependents = [.. dependents.Select(d => d.ToImmutableArray())];
    }

    /// <summary>The nodes in declared order.</summary>
    public ImmutableArray<NodeSpec> Nodes { get; }

    /// <summary>The graph of a spec.</summary>
    public static RunGraph Of(FlowSpec spec) => Cache.GetValue(spec, s => new RunGraph(s));

    /// <summary>The declared index of a node, or -1.</summary>
    public int IndexOf(string id) => _indexById.GetValueOrDefault(id, -1);

    /// <summary>The nodes that list <paramref name="index"/> in their needs, in declared order.</summary>
    public ImmutableArray<int> DependentsOf(int index) => _dependents[index];
}
