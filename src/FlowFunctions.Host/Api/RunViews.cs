using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine;
using FlowFunctions.Storage;

namespace FlowFunctions.Host.Api;

/// <summary>The JSON the run endpoints answer with.</summary>
internal static class RunViews
{
    public static string RunPath(string runId) => "/api/runs/" + Uri.EscapeDataString(runId);

    public static string ArtifactPath(string hash) => "/api/artifacts/" + Uri.EscapeDataString(hash);

    /// <summary>The run document of <c>flow run --output json</c>, plus timestamps, graph revision and spec hash.</summary>
    public static JsonObject Document(RunSnapshot snapshot)
    {
        var state = snapshot.State;
        var document = FlowEngine.RunDocument(state);
        document["workflow"] = state.Spec.Name;
        document["workflowVersion"] = state.Spec.Version;
        document["reason"] = state.Reason;
        document["startedAt"] = Time(state.StartedAt);
        document["completedAt"] = Time(state.CompletedAt);
        document["graphRevision"] = state.GraphRevision;
        document["specHash"] = snapshot.SpecHash;
        document["engine"] = snapshot.Engine == RunEngine.Durable ? "durable" : "native";
        document["specUrl"] = ArtifactPath(snapshot.SpecHash);
        document["inputs"] = state.Inputs.DeepClone();
        return document;
    }

    /// <summary>What a client of the asynchronous request-reply pattern needs: the id and where to go next.</summary>
    public static JsonObject Accepted(string baseUrl, string runId, RunStatus status)
    {
        var run = baseUrl + RunPath(runId);
        return new JsonObject
        {
            ["runId"] = runId,
            ["status"] = status.ToString(),
            ["statusQueryUri"] = run,
            ["graphUri"] = run + "/graph",
            ["historyUri"] = run + "/events",
            ["sendEventUri"] = run + "/events/{eventName}",
            ["cancelUri"] = run + "/cancel",
        };
    }

    public static JsonObject Summary(RunSummary run) => new()
    {
        ["runId"] = run.RunId,
        ["workflow"] = run.Workflow,
        ["status"] = run.Status,
        ["createdAt"] = Time(run.CreatedAt),
        ["updatedAt"] = Time(run.UpdatedAt),
        ["nodesDone"] = run.NodesDone,
        ["nodesTotal"] = run.NodesTotal,
        ["url"] = RunPath(run.RunId),
    };

    /// <summary>Nodes with live statuses and the edges from each need to its dependent: what the dashboard draws.</summary>
    public static JsonObject Graph(RunState state)
    {
        var nodes = new JsonArray();
        var edges = new JsonArray();
        foreach (var spec in state.Spec.Nodes)
        {
            var node = state.Nodes[spec.Id];
            var item = new JsonObject
            {
                ["id"] = spec.Id,
                ["type"] = spec.Type,
                ["status"] = node.Status.ToString(),
                ["attempts"] = node.Attempts,
                ["needs"] = new JsonArray([.. spec.Needs.Select(n => (JsonNode)n)]),
            };
            if (spec.Description is { } description)
            {
                item["description"] = description;
            }

            if (node.Map is { } map)
            {
                item["map"] = MapProgress(map);
            }

            nodes.Add(item);
            foreach (var need in spec.Needs)
            {
                edges.Add(new JsonObject { ["from"] = need, ["to"] = spec.Id });
            }
        }

        return new JsonObject
        {
            ["runId"] = state.RunId,
            ["status"] = state.Status.ToString(),
            ["graphRevision"] = state.GraphRevision,
            ["nodes"] = nodes,
            ["edges"] = edges,
        };
    }

    /// <summary>A node, or a map child (<c>each[3]</c>), or null when the run has no such node.</summary>
    public static JsonObject? Node(RunState state, string nodeId, IReadOnlyDictionary<string, string> refs)
    {
        NodeState? node;
        string type;
        string? mapId = null;
        if (state.Spec.FindNode(nodeId) is { } spec)
        {
            node = state.Nodes[nodeId];
            type = spec.Type;
        }
        else if (MapChildId.TryParse(nodeId, out var parent, out var index)
            && state.Spec.FindNode(parent) is { Map: { } template }
            && state.Nodes[parent].Map is { } progress
            && index < progress.Total)
        {
            // A child not yet dispatched has no state: it reads as pending.
            node = progress.Children.GetValueOrDefault(index) ?? new NodeState { Id = nodeId };
            type = template.Template.Type;
            mapId = parent;
        }
        else
        {
            return null;
        }

        var detail = new JsonObject
        {
            ["runId"] = state.RunId,
            ["id"] = nodeId,
            ["type"] = type,
            ["status"] = node.Status.ToString(),
            ["attempts"] = node.Attempts,
            ["reason"] = node.Reason,
            ["startedAt"] = Time(node.StartedAt),
            ["completedAt"] = Time(node.CompletedAt),
            ["error"] = node.Error is { } e ? FlowEngine.ErrorDocument(e) : null,
        };
        if (mapId is not null)
        {
            detail["map"] = mapId;
        }

        foreach (var (field, value) in (ReadOnlySpan<(string, JsonNode?)>)[("input", node.Input), ("output", node.Output)])
        {
            if (refs.TryGetValue(field, out var hash))
            {
                // Large values are stored as artifacts: link them rather than inline megabytes.
                detail[field] = null;
                detail[field + "Ref"] = new JsonObject { ["hash"] = hash, ["url"] = ArtifactPath(hash) };
            }
            else
            {
                detail[field] = value?.DeepClone();
            }
        }

        if (node.Map is { } map)
        {
            var children = new JsonArray();
            foreach (var (index, child) in map.Children.OrderBy(c => c.Key))
            {
                children.Add(new JsonObject
                {
                    ["id"] = child.Id,
                    ["index"] = index,
                    ["status"] = child.Status.ToString(),
                    ["attempts"] = child.Attempts,
                    ["url"] = RunPath(state.RunId) + "/nodes/" + Uri.EscapeDataString(child.Id),
                });
            }

            detail["mapProgress"] = MapProgress(map);
            detail["children"] = children;
        }

        return detail;
    }

    /// <summary>Adds a valid patch's diff to an answer (the API's and MCP's): nodes and edges added, removed and changed, and the readiness changes.</summary>
    public static JsonObject WithPatchDiff(this JsonObject answer, PatchResult result)
    {
        static JsonArray Strings(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode)i)]);
        var diff = result.Diff!;
        answer["nodesAdded"] = Strings(diff.NodesAdded);
        answer["nodesRemoved"] = Strings(diff.NodesRemoved);
        answer["nodesChanged"] = Strings(diff.NodesChanged);
        answer["edgesAdded"] = Strings(diff.EdgesAdded);
        answer["edgesRemoved"] = Strings(diff.EdgesRemoved);
        answer["readinessChanges"] = Strings(result.ReadinessChanges ?? []);
        return answer;
    }

    private static JsonObject MapProgress(MapProgress map) => new()
    {
        ["total"] = map.Total,
        ["done"] = map.Done,
        ["failed"] = map.Children.Values.Count(c => c.Status == NodeStatus.Failed),
        ["running"] = map.Active,
    };

    private static string? Time(DateTimeOffset? time) => time?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
