using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Core.Runs;

/// <summary>What a patch would do to a run's graph.</summary>
/// <param name="NodesAdded">Node ids added.</param>
/// <param name="NodesRemoved">Node ids removed.</param>
/// <param name="NodesChanged">Node ids whose definition changed (needs included).</param>
/// <param name="EdgesAdded">Edges added, as <c>from-&gt;to</c>.</param>
/// <param name="EdgesRemoved">Edges removed, as <c>from-&gt;to</c>.</param>
public sealed record PatchDiff(
    ImmutableArray<string> NodesAdded,
    ImmutableArray<string> NodesRemoved,
    ImmutableArray<string> NodesChanged,
    ImmutableArray<string> EdgesAdded,
    ImmutableArray<string> EdgesRemoved);

/// <summary>The verdict on a patch against a run's state.</summary>
/// <param name="Errors">Every problem (empty when the patch can be applied).</param>
/// <param name="Conflict">Whether the patch was refused because <c>expectedRevision</c> is stale or the run is terminal.</param>
/// <param name="Spec">The patched spec, when valid.</param>
/// <param name="Source">The patched spec document, when valid.</param>
/// <param name="Diff">The graph diff, when the operations could be applied.</param>
public sealed record PatchCheck(ImmutableArray<string> Errors, bool Conflict, FlowSpec? Spec, JsonObject? Source, PatchDiff? Diff)
{
    /// <summary>Whether the patch can be applied.</summary>
    public bool IsValid => Errors.IsEmpty;

    /// <summary>Every error on one line, or null when valid.</summary>
    public string? Refusal => Errors.IsEmpty ? null : string.Join("; ", Errors);
}

/// <summary>The preview a dry run answers.</summary>
/// <param name="Check">The validation result and diff.</param>
/// <param name="ReadinessChanges">Nodes (existing or added) whose status would change when the patch is applied, as <c>id: Old -&gt; New</c>.</param>
public sealed record PatchPreview(PatchCheck Check, ImmutableArray<string> ReadinessChanges);

/// <summary>
/// Checks and applies graph patches (pure). The patch's operations are applied to the run's spec document and the
/// result is validated like a spec, so every problem a spec can have is reported, each mapped to the operation that
/// caused it where possible; in addition, a node that has started cannot be updated, removed or given new needs.
/// </summary>
public static class GraphPatcher
{
    /// <summary>Checks <paramref name="patch"/> against <paramref name="state"/>.</summary>
    public static PatchCheck Check(RunState state, GraphPatch patch)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(patch);
        if (state.IsTerminal)
        {
            return Refused(true, $"the run is {state.Status}; a finished run cannot be patched");
        }

        if (patch.ExpectedRevision is { } expected && expected != state.GraphRevision)
        {
            return Refused(true, $"expectedRevision {expected} is stale: the run's graph is at revision {state.GraphRevision}");
        }

        if (state.SpecSource is not { } source || source["nodes"] is not JsonArray)
        {
            return Refused(false, "the run's spec document is not available, so its graph cannot be patched");
        }

        var doc = (JsonObject)source.DeepClone();
        var nodes = (JsonArray)doc["nodes"]!;
        var errors = new List<string>();
        var touchedBy = new Dictionary<string, int>(StringComparer.Ordinal);

        JsonObject? Find(string id) => nodes.OfType<JsonObject>().FirstOrDefault(n => IdOf(n) == id);
        bool Started(string id) => state.Nodes.TryGetValue(id, out var n) && n.Status is not (NodeStatus.Pending or NodeStatus.Ready);
        string StatusOf(string id) => state.Nodes[id].Status.ToString();

        for (var i = 0; i < patch.Operations.Length; i++)
        {
            var op = patch.Operations[i];
            var at = $"operations/{i} ({op.Name})";
            switch (op)
            {
                case PatchOperation.AddNode a:
                    var id = IdOf(a.Node);
                    if (id is not null && Find(id) is not null)
                    {
                        errors.Add($"{at}: node '{id}' already exists");
                        break;
                    }

                    nodes.Add(a.Node.DeepClone());
                    if (id is not null)
                    {
                        touchedBy[id] = i;
                    }

                    break;
                case PatchOperation.AddEdge e:
                    if (Find(e.To) is not { } to)
                    {
                        errors.Add($"{at}: there is no node '{e.To}'");
                        break;
                    }

                    if (Started(e.To))
                    {
                        errors.Add($"{at}: node '{e.To}' has started ({StatusOf(e.To)}) and cannot gain new needs");
                        break;
                    }

                    var needs = Needs(to);
                    if (needs.Any(n => n is JsonValue nv && nv.TryGetValue<string>(out var ns) && ns == e.From))
                    {
                        errors.Add($"{at}: '{e.To}' already needs '{e.From}'");
                        break;
                    }

                    needs.Add(e.From);
                    touchedBy[e.To] = i;
                    break;
                case PatchOperation.RemoveEdge e:
                    if (Find(e.To) is not { } target)
                    {
                        errors.Add($"{at}: there is no node '{e.To}'");
                        break;
                    }

                    if (Started(e.To))
                    {
                        errors.Add($"{at}: node '{e.To}' has started ({StatusOf(e.To)}) and cannot be updated");
                        break;
                    }

                    var list = Needs(target);
                    var edge = list.FirstOrDefault(n => n is JsonValue v && v.TryGetValue<string>(out var s) && s == e.From);
                    if (edge is null)
                    {
                        errors.Add($"{at}: '{e.To}' does not need '{e.From}'");
                        break;
                    }

                    list.Remove(edge);
                    touchedBy[e.To] = i;
                    break;
                case PatchOperation.UpdateNode u:
                    if (Find(u.Id) is not { } node)
                    {
                        errors.Add($"{at}: there is no node '{u.Id}'");
                        break;
                    }

                    if (Started(u.Id))
                    {
                        errors.Add($"{at}: node '{u.Id}' has started ({StatusOf(u.Id)}) and cannot be updated");
                        break;
                    }

                    if (u.Fields["id"] is not null)
                    {
                        errors.Add($"{at}: a node's id cannot be changed");
                        break;
                    }

                    foreach (var (key, value) in u.Fields)
                    {
                        node[key] = value?.DeepClone();
                    }

                    touchedBy[u.Id] = i;
                    break;
                case PatchOperation.RemoveNode r:
                    if (Find(r.Id) is not { } removed)
                    {
                        errors.Add($"{at}: there is no node '{r.Id}'");
                        break;
                    }

                    if (Started(r.Id))
                    {
                        errors.Add($"{at}: node '{r.Id}' has started ({StatusOf(r.Id)}) and cannot be removed");
                        break;
                    }

                    nodes.Remove(removed);
                    touchedBy[r.Id] = i;
                    break;
            }
        }

        var loaded = SpecLoader.Load(doc.ToJsonString(), SpecFormat.Json);
        foreach (var error in loaded.Errors)
        {
            errors.Add(Locate(error, nodes, touchedBy, patch));
        }

        if (errors.Count > 0)
        {
            return new PatchCheck([.. errors], false, null, null, null);
        }

        return new PatchCheck([], false, loaded.Spec, doc, Diff(state.Spec, loaded.Spec!, source, doc));
    }

    /// <summary>What applying <paramref name="patch"/> would do, without applying it.</summary>
    public static PatchPreview Preview(RunState state, GraphPatch patch, DecisionContext context)
    {
        var check = Check(state, patch);
        if (!check.IsValid)
        {
            return new PatchPreview(check, []);
        }

        var after = Apply(state, check, patch, "preview", context).State;
        var changes = ImmutableArray.CreateBuilder<string>();
        foreach (var node in after.Spec.Nodes)
        {
            var now = after.Nodes[node.Id].Status;
            if (!state.Nodes.TryGetValue(node.Id, out var before))
            {
                changes.Add($"{node.Id}: (new) -> {now}");
            }
            else if (before.Status != now)
            {
                changes.Add($"{node.Id}: {before.Status} -> {now}");
            }
        }

        return new PatchPreview(check, changes.ToImmutable());
    }

    /// <summary>Applies a checked patch: the next graph revision, with counters recomputed and pending nodes evaluated.</summary>
    internal static Decision Apply(RunState state, PatchCheck check, GraphPatch patch, string? author, DecisionContext context)
    {
        var spec = check.Spec!;
        var nodes = ImmutableDictionary.CreateBuilder<string, NodeState>(StringComparer.Ordinal);
        foreach (var node in spec.Nodes)
        {
            var current = state.Nodes.TryGetValue(node.Id, out var existing) ? existing : new NodeState { Id = node.Id, Reason = "added by a graph patch" };
            if (current.Status is NodeStatus.Pending or NodeStatus.Ready)
            {
                var open = 0;
                var unsuccessful = 0;
                foreach (var need in node.Needs)
                {
                    var status = state.Nodes.TryGetValue(need, out var n) ? n.Status : NodeStatus.Pending;
                    open += status.IsTerminal() ? 0 : 1;
                    unsuccessful += status.IsTerminal() && !status.IsSuccess() ? 1 : 0;
                }

                // Only a node whose counters change gets a new state: the store rewrites the rows of new states, and a
                // patch that touches one corner of a large run should not rewrite every pending node.
                if (current.Status != NodeStatus.Pending || current.OpenNeeds != open || current.UnsuccessfulNeeds != unsuccessful)
                {
                    current = current with { Status = NodeStatus.Pending, OpenNeeds = open, UnsuccessfulNeeds = unsuccessful };
                }
            }

            nodes[node.Id] = current;
        }

        // Running maps below their concurrency stay dispatchable, under their index in the patched spec.
        var dispatchable = ImmutableSortedSet.CreateBuilder<int>();
        var newIndex = spec.Nodes.Select((n, i) => (n.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        foreach (var oldIndex in state.Dispatchable)
        {
            var id = state.Spec.Nodes[oldIndex].Id;
            if (newIndex.TryGetValue(id, out var index) && nodes[id].Status == NodeStatus.Running)
            {
                dispatchable.Add(index);
            }
        }

        var overrides = state.WithOverrides;
        foreach (var id in check.Diff!.NodesRemoved.Concat(check.Diff.NodesChanged))
        {
            overrides = overrides.Remove(id);
        }

        var patched = state with
        {
            Spec = spec,
            SpecSource = check.Source,
            GraphRevision = state.GraphRevision + 1,
            Nodes = nodes.ToImmutable(),
            Dispatchable = dispatchable.ToImmutable(),
            TerminalNodes = nodes.Values.Count(n => n.Status.IsTerminal()),
            WithOverrides = overrides,
        };
        var transition = new RunTransition(patched, context);
        var note = string.Create(CultureInfo.InvariantCulture, $"graph revision {patched.GraphRevision}")
            + (author is null ? "" : $" by {author}") + (patch.Reason is null ? "" : $": {patch.Reason}");
        transition.AfterPatch(note);
        var decision = transition.Finish();
        return decision with
        {
            Mutation = new GraphMutation(patched.GraphRevision, author, context.Now, patch.Reason, patch, check.Diff),
        };
    }

    private static PatchCheck Refused(bool conflict, string message) => new([message], conflict, null, null, null);

    private static string? IdOf(JsonObject node) => node["id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static JsonArray Needs(JsonObject node)
    {
        if (node["needs"] is JsonArray a)
        {
            return a;
        }

        var created = new JsonArray();
        node["needs"] = created;
        return created;
    }

    private static string Locate(SpecError error, JsonArray nodes, Dictionary<string, int> touchedBy, GraphPatch patch)
    {
        var path = error.Path.Length == 0 ? "/" : error.Path;
        if (error.Path.StartsWith("/nodes/", StringComparison.Ordinal))
        {
            var rest = error.Path["/nodes/".Length..];
            var end = rest.IndexOf('/', StringComparison.Ordinal);
            if (int.TryParse(end < 0 ? rest : rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index < nodes.Count && nodes[index] is JsonObject node && IdOf(node) is { } id)
            {
                var where = $"node '{id}'" + (end < 0 ? "" : $" {rest[end..]}");
                return touchedBy.TryGetValue(id, out var op)
                    ? $"operations/{op} ({patch.Operations[op].Name}): {where}: {error.Message}"
                    : $"{where}: {error.Message}";
            }
        }

        return $"{path}: {error.Message}";
    }

    private static PatchDiff Diff(FlowSpec before, FlowSpec after, JsonObject beforeDoc, JsonObject afterDoc)
    {
        var oldJson = ((JsonArray)beforeDoc["nodes"]!).OfType<JsonObject>().Where(n => IdOf(n) is not null).ToDictionary(n => IdOf(n)!, StringComparer.Ordinal);
        var newJson = ((JsonArray)afterDoc["nodes"]!).OfType<JsonObject>().Where(n => IdOf(n) is not null).ToDictionary(n => IdOf(n)!, StringComparer.Ordinal);
        var old = before.Nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var now = after.Nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var edgesBefore = before.Nodes.SelectMany(n => n.Needs.Select(x => $"{x}->{n.Id}")).ToHashSet(StringComparer.Ordinal);
        var edgesAfter = after.Nodes.SelectMany(n => n.Needs.Select(x => $"{x}->{n.Id}")).ToHashSet(StringComparer.Ordinal);
        return new PatchDiff(
            [.. after.Nodes.Where(n => !old.ContainsKey(n.Id)).Select(n => n.Id)],
            [.. before.Nodes.Where(n => !now.ContainsKey(n.Id)).Select(n => n.Id)],
            [.. after.Nodes.Where(n => old.ContainsKey(n.Id) && !JsonNode.DeepEquals(oldJson[n.Id], newJson[n.Id])).Select(n => n.Id)],
            [.. edgesAfter.Where(e => !edgesBefore.Contains(e)).Order(StringComparer.Ordinal)],
            [.. edgesBefore.Where(e => !edgesAfter.Contains(e)).Order(StringComparer.Ordinal)]);
    }

}

/// <summary>One applied graph revision, for the run's mutation log.</summary>
/// <param name="Revision">The new revision.</param>
/// <param name="Author">Who applied it.</param>
/// <param name="At">When.</param>
/// <param name="Reason">Why.</param>
/// <param name="Patch">The patch.</param>
/// <param name="Diff">What it changed.</param>
public sealed record GraphMutation(int Revision, string? Author, DateTimeOffset At, string? Reason, GraphPatch Patch, PatchDiff Diff);
