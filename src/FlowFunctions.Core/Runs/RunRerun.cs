using System.Collections.Immutable;
using System.Globalization;
using FlowFunctions.Core.Graph;

namespace FlowFunctions.Core.Runs;

/// <summary>Where a rerun came from: the source run and the node it was rerun from.</summary>
/// <param name="RunId">The source run.</param>
/// <param name="FromNode">The node the rerun starts at.</param>
public sealed record RerunSource(string RunId, string FromNode);

/// <summary>
/// Seeding a rerun: a new run of a source run's current graph (patches included) and inputs, starting at one node.
/// The node and everything downstream of it run again; every other node is copied with its status and output (not
/// executed again) when it ended Succeeded, Cached or Skipped and nothing upstream of it runs again; the rest (nodes
/// that failed, were cancelled or never finished, and what depends on them) run again too. A rerun is refused when a
/// node upstream of the chosen one cannot be copied: the chosen node would have nothing to start from. Pure.
/// </summary>
public static class RunRerun
{
    /// <summary>Why <paramref name="source"/> cannot be rerun from <paramref name="fromNode"/> (no such top-level node, or an upstream node that cannot be copied), or null when it can.</summary>
    public static string? Refusal(RunState source, string fromNode)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(fromNode);
        var graph = RunGraph.Of(source.Spec);
        var from = graph.IndexOf(fromNode);
        if (from < 0)
        {
            return MapChildId.TryParse(fromNode, out var mapId, out _)
                ? $"'{fromNode}' is a map child; rerun from the map '{mapId}' instead"
                : $"run {source.RunId} has no node '{fromNode}'";
        }

        // Every upstream node that is not copied is downstream of one that cannot be copied, itself upstream.
        return Ancestors(graph, from).Select(i => source.Nodes[graph.Nodes[i].Id]).FirstOrDefault(n => !Copyable(n.Status)) is { } blocking
            ? $"cannot rerun run {source.RunId} from '{fromNode}': its upstream node '{blocking.Id}' is {blocking.Status}; only Succeeded, Cached or Skipped upstream nodes can be copied (redrive it, or rerun from '{blocking.Id}')"
            : null;
    }

    /// <summary>
    /// The first decision of the rerun: copied nodes keep their state, the others start fresh and are evaluated.
    /// Throws <see cref="ArgumentException"/> when <see cref="Refusal"/> refuses it (callers check first).
    /// </summary>
    internal static Decision Start(RunEvent.RunRerunStarted started, DecisionContext context)
    {
        var source = started.Source;
        if (Refusal(source, started.FromNode) is { } refusal)
        {
            throw new ArgumentException(refusal, nameof(started));
        }

        var graph = RunGraph.Of(source.Spec);
        var rerun = RerunSet(source, graph, graph.IndexOf(started.FromNode));
        var nodes = ImmutableDictionary.CreateBuilder<string, NodeState>(StringComparer.Ordinal);
        var copied = new List<NodeTransition>();
        for (var i = 0; i < graph.Nodes.Length; i++)
        {
            var spec = graph.Nodes[i];
            if (!rerun.Contains(i))
            {
                var node = source.Nodes[spec.Id];
                nodes[spec.Id] = node;
                copied.Add(new NodeTransition(spec.Id, NodeStatus.Pending, node.Status, node.Attempt, $"copied from run {source.RunId}"));
                continue;
            }

            var open = 0;
            var unsuccessful = 0;
            foreach (var need in spec.Needs)
            {
                var needIndex = graph.IndexOf(need);
                open += rerun.Contains(needIndex) ? 1 : 0;
                unsuccessful += !rerun.Contains(needIndex) && !source.Nodes[need].Status.IsSuccess() ? 1 : 0;
            }

            nodes[spec.Id] = new NodeState
            {
                Id = spec.Id,
                OpenNeeds = open,
                UnsuccessfulNeeds = unsuccessful,
                Reason = i == graph.IndexOf(started.FromNode) ? "rerun from here" : null,
            };
        }

        var state = new RunState
        {
            RunId = started.RunId,
            Spec = source.Spec,
            SpecSource = source.SpecSource,
            Inputs = source.Inputs.DeepClone().AsObject(),
            StartedAt = context.Now,
            Nodes = nodes.ToImmutable(),
            TerminalNodes = graph.Nodes.Length - rerun.Count,
            WithOverrides = source.WithOverrides.Where(o => rerun.Contains(graph.IndexOf(o.Key))).ToImmutableDictionary(StringComparer.Ordinal),
            RerunOf = new RerunSource(source.RunId, started.FromNode),
        };

        // Evaluating every pending node is what a graph patch does after recomputing counters, and what a rerun needs.
        var transition = new RunTransition(state, context);
        transition.AfterPatch(string.Create(CultureInfo.InvariantCulture, $"rerun of run {source.RunId} from '{started.FromNode}': {copied.Count} node(s) copied, {rerun.Count} to run"));
        var decision = transition.Finish();
        return decision with { Transitions = [.. copied, .. decision.Transitions] };
    }

    /// <summary>Whether a node in this status can be copied into a rerun.</summary>
    private static bool Copyable(NodeStatus status) => status.IsSuccess() || status == NodeStatus.Skipped;

    /// <summary>The chosen node, every node that cannot be copied, and everything downstream of them.</summary>
    private static HashSet<int> RerunSet(RunState source, RunGraph graph, int from)
    {
        var work = new Queue<int>();
        var set = new HashSet<int>();
        for (var i = 0; i < graph.Nodes.Length; i++)
        {
            if ((i == from || !Copyable(source.Nodes[graph.Nodes[i].Id].Status)) && set.Add(i))
            {
                work.Enqueue(i);
            }
        }

        while (work.TryDequeue(out var index))
        {
            foreach (var dependent in graph.DependentsOf(index))
            {
                if (set.Add(dependent))
                {
                    work.Enqueue(dependent);
                }
            }
        }

        return set;
    }

    /// <summary>Every node upstream of <paramref name="index"/>, in declared order.</summary>
    private static IEnumerable<int> Ancestors(RunGraph graph, int index)
    {
        var seen = new HashSet<int>();
        var work = new Stack<int>([index]);
        while (work.TryPop(out var current))
        {
            foreach (var need in graph.Nodes[current].Needs)
            {
                var needIndex = graph.IndexOf(need);
                if (needIndex >= 0 && seen.Add(needIndex))
                {
                    work.Push(needIndex);
                }
            }
        }

        return seen.Order();
    }
}
