using System.Collections.Immutable;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Validation;

/// <summary>
/// Checks what only the whole graph can tell: needs that name missing nodes, cycles (named), and expressions that
/// read unknown inputs or nodes that are not upstream of the reader.
/// </summary>
internal sealed partial class GraphChecker
{
    private static readonly string[] RunRoots = ["inputs", "nodes", "run"];

    private readonly ImmutableArray<NodeSpec> _nodes;
    private readonly IReadOnlyList<int> _declaredIndexes;
    private readonly HashSet<string> _inputNames;
    private readonly Action<string, string> _error;
    private readonly Dictionary<string, int> _indexById = new(StringComparer.Ordinal);
    private bool _hasCycle;
    private System.Collections.BitArray[]? _ancestors;

    public GraphChecker(ImmutableArray<NodeSpec> nodes, IReadOnlyList<int> declaredIndexes, ImmutableArray<InputDeclaration> inputs, Action<string, string> error)
    {
        _nodes = nodes;
        _declaredIndexes = declaredIndexes;
        _inputNames = inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        _error = error;
        for (var i = 0; i < nodes.Length; i++)
        {
            _indexById[nodes[i].Id] = i;
        }
    }

    public void Check(IEnumerable<ExpressionSite> sites)
    {
        CheckNeeds();
        CheckCycles();
        foreach (var site in sites)
        {
            CheckReferences(site);
        }
    }

    private string NodePath(int index) => JsonPointer.Append("/nodes", _declaredIndexes[index]);

    private void CheckNeeds()
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            var node = _nodes[i];
            for (var j = 0; j < node.Needs.Length; j++)
            {
                var need = node.Needs[j];
                var path = NodePath(i) + "/needs/" + j;
                if (need == node.Id)
                {
                    _error(path, $"node '{node.Id}' needs itself");
                }
                else if (!_indexById.ContainsKey(need))
                {
                    _error(path, $"node '{node.Id}' needs '{need}', which is not a node{Suggestions.Hint(need, _indexById.Keys)}");
                }
            }
        }
    }

    /// <summary>Finds strongly connected components (iterative Tarjan, so a 10,000-node chain cannot overflow the stack) and names one cycle in each.</summary>
    private void CheckCycles()
    {
        var count = _nodes.Length;
        var index = new int[count];
        var low = new int[count];
        var onStack = new bool[count];
        Array.Fill(index, -1);
        var stack = new Stack<int>();
        var next = 0;
        var needs = _nodes.Select(n => n.Needs.Where(_indexById.ContainsKey).Select(id => _indexById[id]).Where(j => j != _indexById[n.Id]).ToArray()).ToArray();

        for (var start = 0; start < count; start++)
        {
            if (index[start] >= 0)
            {
                continue;
            }

            var work = new Stack<(int Node, int Edge)>();
            work.Push((start, 0));
            index[start] = low[start] = next++;
            stack.Push(start);
            onStack[start] = true;
            while (work.Count > 0)
            {
                var (v, edge) = work.Pop();
                if (edge < needs[v].Length)
                {
                    work.Push((v, edge + 1));
                    var w = needs[v][edge];
                    if (index[w] < 0)
                    {
                        index[w] = low[w] = next++;
                        stack.Push(w);
                        onStack[w] = true;
                        work.Push((w, 0));
                    }
                    else if (onStack[w])
                    {
                        low[v] = Math.Min(low[v], index[w]);
                    }

                    continue;
                }

                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[v]);
                }

                if (low[v] == index[v])
                {
                    var component = new List<int>();
                    int w;
                    do
                    {
                        w = stack.Pop();
                        onStack[w] = false;
                        component.Add(w);
                    }
                    while (w != v);
                    if (component.Count > 1)
                    {
                        _hasCycle = true;
                        ReportCycle(component, needs);
                    }
                }
            }
        }
    }

    private void ReportCycle(List<int> component, int[][] needs)
    {
        // Name the shortest cycle through the first declared node of the component, in run order (a need before its dependent).
        var members = component.ToHashSet();
        var first = component.Min();
        var previous = new Dictionary<int, int>();
        var queue = new Queue<int>([first]);
        while (queue.Count > 0)
        {
            var v = queue.Dequeue();
            foreach (var w in needs[v].Where(members.Contains))
            {
                if (w == first)
                {
                    var path = new List<int> { first };
                    for (var at = v; at != first; at = previous[at])
                    {
                        path.Add(at);
                    }

                    path.Add(first);
                    path.Reverse();
                    var names = string.Join(" -> ", Enumerable.Reverse(path).Select(i => _nodes[i].Id));
                    _error(NodePath(first) + "/needs", $"cycle: {names}");
                    return;
                }

                if (previous.TryAdd(w, v))
                {
                    queue.Enqueue(w);
                }
            }
        }
    }

    private void CheckReferences(ExpressionSite site)
    {
        var roots = site.Expression.Roots;
        foreach (var root in roots)
        {
            if (root == "secrets")
            {
                if (SecretRefusal(site) is { } refusal)
                {
                    _error(site.Path, refusal);
                }
            }
            else if (root is "item" or "index" && !site.InMapTemplate)
            {
                _error(site.Path, $"'{root}' is only available inside a map's node template");
            }
            else if (site.Owner.IsRunOutput && !RunRoots.Contains(root))
            {
                _error(site.Path, $"'{root}' is not available in run outputs; use inputs, nodes or run");
            }
            else if (root == "input" && !site.Owner.IsRunOutput && site.InputUnavailable is { } reason)
            {
                _error(site.Path, reason);
            }
        }

        foreach (var input in site.Expression.ReferencedInputs.Where(i => !_inputNames.Contains(i)))
        {
            _error(site.Path, _inputNames.Count == 0
                ? $"unknown input '{input}': the spec declares no inputs"
                : $"unknown input '{input}'{Suggestions.Hint(input, _inputNames)}");
        }

        foreach (var target in site.Expression.ReferencedNodes)
        {
            if (!_indexById.TryGetValue(target, out var targetIndex))
            {
                _error(site.Path, $"unknown node '{target}'{Suggestions.Hint(target, _indexById.Keys)}");
            }
            else if (site.Owner.NodeId is { } owner && _indexById.TryGetValue(owner, out var ownerIndex))
            {
                if (ownerIndex == targetIndex)
                {
                    _error(site.Path, $"node '{owner}' cannot read its own output or status");
                }
                else if (!IsAncestor(targetIndex, ownerIndex) && !HasMissingNeedUpstream(ownerIndex))
                {
                    _error(site.Path, $"node '{owner}' reads nodes.{target}, which is not upstream of it; add '{target}' to its needs (directly or through another need)");
                }
            }
        }
    }

    /// <summary>
    /// Why a secret may not be read where <paramref name="site"/> stands, or null: only as a whole <c>${{ secrets.NAME }}</c>
    /// (alone or inside a string) in an <c>http</c> node's (or http map template's) <c>with.headers</c> or <c>with.body</c>,
    /// where the http handler replaces it when it sends the request; anywhere else its value would end up in run state.
    /// </summary>
    private string? SecretRefusal(ExpressionSite site)
    {
        const string Where = "a secret may only be used in an http node's with.headers or with.body";
        if (site.Owner.IsRunOutput || site.Owner.NodeId is not { } owner || !_indexById.TryGetValue(owner, out var index))
        {
            return Where;
        }

        var node = _nodes[index];
        var type = site.InMapTemplate ? node.Map?.Template.Type : node.Type;
        if (type != "http" || !SecretSite().IsMatch(site.Path))
        {
            return Where + (type == "http" ? string.Empty : $", and '{owner}' is {(site.InMapTemplate ? "a map of " : "")}'{type}'");
        }

        return site.Expression.IsSecretReference
            ? null
            : $"a secret is used as ${{{{ secrets.NAME }}}} on its own (in a string such as 'Bearer ${{{{ secrets.TOKEN }}}}'), not inside an expression: '{site.Expression.Source}'";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^/nodes/\d+(/node)?/with/(headers/[^/]+|body(/.*)?)$")]
    private static partial System.Text.RegularExpressions.Regex SecretSite();

    /// <summary>
    /// Whether <paramref name="node"/> or one of its ancestors needs a node that does not exist. Its ancestry is then
    /// unknown: the reported need is most likely a misspelling of the node read, so "not upstream" would only cascade.
    /// </summary>
    private bool HasMissingNeedUpstream(int node)
    {
        var seen = new HashSet<int> { node };
        var queue = new Queue<int>([node]);
        while (queue.Count > 0)
        {
            foreach (var need in _nodes[queue.Dequeue()].Needs)
            {
                if (!_indexById.TryGetValue(need, out var j))
                {
                    return true;
                }

                if (seen.Add(j))
                {
                    queue.Enqueue(j);
                }
            }
        }

        return false;
    }

    private bool IsAncestor(int ancestor, int node)
    {
        if (!_hasCycle)
        {
            _ancestors ??= ComputeAncestors();
            return _ancestors[node][ancestor];
        }

        // With a cycle there is no topological order; a search per question is fine for a spec that is rejected anyway.
        return IsAncestorBySearch(ancestor, node);
    }

    /// <summary>
    /// Every node's ancestors as a bit set, built in topological order. One search per expression would cost
    /// O(nodes²) on a 10,000-node chain where every node reads the first; bit sets make it about a million word operations.
    /// </summary>
    private System.Collections.BitArray[] ComputeAncestors()
    {
        var count = _nodes.Length;
        var result = new System.Collections.BitArray[count];
        var pending = new int[count];
        var dependents = new List<int>[count];
        for (var i = 0; i < count; i++)
        {
            dependents[i] = [];
        }

        for (var i = 0; i < count; i++)
        {
            foreach (var need in _nodes[i].Needs)
            {
                if (_indexById.TryGetValue(need, out var j) && j != i)
                {
                    dependents[j].Add(i);
                    pending[i]++;
                }
            }
        }

        var ready = new Queue<int>(Enumerable.Range(0, count).Where(i => pending[i] == 0));
        while (ready.Count > 0)
        {
            var v = ready.Dequeue();
            var ancestors = new System.Collections.BitArray(count);
            foreach (var need in _nodes[v].Needs)
            {
                if (_indexById.TryGetValue(need, out var j) && j != v)
                {
                    ancestors.Or(result[j]);
                    ancestors[j] = true;
                }
            }

            result[v] = ancestors;
            foreach (var dependent in dependents[v])
            {
                if (--pending[dependent] == 0)
                {
                    ready.Enqueue(dependent);
                }
            }
        }

        return result;
    }

    private bool IsAncestorBySearch(int ancestor, int node)
    {
        var seen = new HashSet<int> { node };
        var queue = new Queue<int>([node]);
        while (queue.Count > 0)
        {
            foreach (var need in _nodes[queue.Dequeue()].Needs)
            {
                if (!_indexById.TryGetValue(need, out var j))
                {
                    continue;
                }

                if (j == ancestor)
                {
                    return true;
                }

                if (seen.Add(j))
                {
                    queue.Enqueue(j);
                }
            }
        }

        return false;
    }
}
