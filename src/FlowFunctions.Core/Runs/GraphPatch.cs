using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace FlowFunctions.Core.Runs;

/// <summary>A graph patch: operations applied atomically to a running run's graph, producing its next revision.</summary>
/// <param name="ExpectedRevision">The revision the patch was written against, or null to apply it to whatever is current.</param>
/// <param name="Operations">The operations, applied in order.</param>
/// <param name="Reason">Why, for people.</param>
/// <param name="DryRun">Whether only the diff is wanted.</param>
public sealed record GraphPatch(int? ExpectedRevision, ImmutableArray<PatchOperation> Operations, string? Reason = null, bool DryRun = false)
{
    /// <summary>The patch as a document that <see cref="Parse"/> reads back.</summary>
    public JsonObject ToJson() => new()
    {
        ["expectedRevision"] = ExpectedRevision,
        ["reason"] = Reason,
        ["dryRun"] = DryRun,
        ["operations"] = new JsonArray([.. Operations.Select(o => (JsonNode)o.ToJson())]),
    };

    /// <summary>Reads a patch document; every problem in it is reported.</summary>
    public static (GraphPatch? Patch, ImmutableArray<string> Errors) Parse(JsonNode? document)
    {
        var errors = new List<string>();
        if (document is not JsonObject root)
        {
            return (null, ["the patch must be a JSON object"]);
        }

        int? expected = null;
        if (root["expectedRevision"] is { } rev && rev.GetValueKind() != System.Text.Json.JsonValueKind.Null)
        {
            if (rev is JsonValue v && v.TryGetValue<int>(out var n) && n >= 1)
            {
                expected = n;
            }
            else
            {
                errors.Add("/expectedRevision: must be a positive integer");
            }
        }

        string? reason = null;
        if (root["reason"] is { } r && r.GetValueKind() != System.Text.Json.JsonValueKind.Null)
        {
            if (r is JsonValue rv && rv.TryGetValue<string>(out var s))
            {
                reason = s;
            }
            else
            {
                errors.Add("/reason: must be a string");
            }
        }

        var dryRun = false;
        if (root["dryRun"] is { } d)
        {
            if (d is JsonValue dv && dv.TryGetValue<bool>(out var b))
            {
                dryRun = b;
            }
            else
            {
                errors.Add("/dryRun: must be true or false");
            }
        }

        foreach (var key in root.Select(p => p.Key))
        {
            if (key is not ("expectedRevision" or "reason" or "dryRun" or "operations"))
            {
                errors.Add($"/{key}: unknown field");
            }
        }

        var operations = ImmutableArray.CreateBuilder<PatchOperation>();
        if (root["operations"] is not JsonArray ops || ops.Count == 0)
        {
            errors.Add("/operations: must be a non-empty array");
        }
        else
        {
            for (var i = 0; i < ops.Count; i++)
            {
                if (PatchOperation.Parse(ops[i], $"/operations/{i}", errors) is { } op)
                {
                    operations.Add(op);
                }
            }
        }

        return errors.Count > 0 ? (null, [.. errors]) : (new GraphPatch(expected, operations.ToImmutable(), reason, dryRun), []);
    }
}

/// <summary>One operation of a <see cref="GraphPatch"/>.</summary>
public abstract record PatchOperation
{
    private PatchOperation()
    {
    }

    /// <summary>Adds a node (a spec node object).</summary>
    public sealed record AddNode(JsonObject Node) : PatchOperation;

    /// <summary>Adds <paramref name="From"/> to the needs of <paramref name="To"/>.</summary>
    public sealed record AddEdge(string From, string To) : PatchOperation;

    /// <summary>Removes <paramref name="From"/> from the needs of <paramref name="To"/>.</summary>
    public sealed record RemoveEdge(string From, string To) : PatchOperation;

    /// <summary>Replaces fields of a node (typically <c>with</c>).</summary>
    public sealed record UpdateNode(string Id, JsonObject Fields) : PatchOperation;

    /// <summary>Removes a node.</summary>
    public sealed record RemoveNode(string Id) : PatchOperation;

    /// <summary>The operation's name as written in a patch.</summary>
    public string Name => this switch
    {
        AddNode => "addNode",
        AddEdge => "addEdge",
        RemoveEdge => "removeEdge",
        UpdateNode => "updateNode",
        _ => "removeNode",
    };

    /// <summary>The operation as written in a patch.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["op"] = Name };
        switch (this)
        {
            case AddNode a:
                o["node"] = a.Node.DeepClone();
                break;
            case AddEdge e:
                o["from"] = e.From;
                o["to"] = e.To;
                break;
            case RemoveEdge e:
                o["from"] = e.From;
                o["to"] = e.To;
                break;
            case UpdateNode u:
                o["id"] = u.Id;
                foreach (var (key, value) in u.Fields)
                {
                    o[key] = value?.DeepClone();
                }

                break;
            case RemoveNode r:
                o["id"] = r.Id;
                break;
        }

        return o;
    }

    internal static PatchOperation? Parse(JsonNode? node, string path, List<string> errors)
    {
        if (node is not JsonObject o)
        {
            errors.Add($"{path}: must be an object");
            return null;
        }

        string? Str(string key)
        {
            if (o[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0)
            {
                return s;
            }

            errors.Add($"{path}/{key}: must be a non-empty string");
            return null;
        }

        var op = o["op"] is JsonValue ov && ov.TryGetValue<string>(out var name) ? name : null;
        switch (op)
        {
            case "addNode":
                if (o["node"] is JsonObject n)
                {
                    return new AddNode((JsonObject)n.DeepClone());
                }

                errors.Add($"{path}/node: must be a node object");
                return null;
            case "addEdge" or "removeEdge":
                var from = Str("from");
                var to = Str("to");
                return from is null || to is null ? null : op == "addEdge" ? new AddEdge(from, to) : new RemoveEdge(from, to);
            case "updateNode":
                var id = Str("id");
                var fields = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (key is not ("op" or "id"))
                    {
                        fields[key] = value?.DeepClone();
                    }
                }

                if (fields.Count == 0)
                {
                    errors.Add($"{path}: updateNode changes nothing (give e.g. 'with')");
                    return null;
                }

                return id is null ? null : new UpdateNode(id, fields);
            case "removeNode":
                var rid = Str("id");
                return rid is null ? null : new RemoveNode(rid);
            default:
                errors.Add($"{path}/op: must be one of addNode, addEdge, removeEdge, updateNode, removeNode");
                return null;
        }
    }
}
