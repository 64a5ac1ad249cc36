using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Runs;

/// <summary>A run's state as stored: the state itself, its fencing sequence, and the header's bookkeeping.</summary>
/// <param name="State">The run state.</param>
/// <param name="Sequence">The fencing sequence of the commit that wrote it.</param>
/// <param name="SpecHash">The artifact hash of the spec text.</param>
/// <param name="Trace">The run's trace context (<see cref="RunTrace"/>); none for runs started before it was stored.</param>
/// <param name="PendingCommit">When a writer crashed in the middle of a chunked commit: its journal and progress.</param>
/// <param name="DurableStep">For a run the Durable Task engine drives, the last orchestration step committed; null for a native run.</param>
internal sealed record StoredRun(RunState State, long Sequence, string SpecHash, ActivityContext Trace, JsonObject? PendingCommit = null, long? DurableStep = null)
{
    /// <summary>Which engine drives the run.</summary>
    public RunEngine Engine => DurableStep is null ? RunEngine.Native : RunEngine.Durable;
}

/// <summary>
/// Maps a <see cref="RunState"/> to the rows of its partition and back. Writes are deltas: only nodes and map
/// children whose state object changed are rewritten, and values over the inline threshold go to the artifact
/// store, referenced by hash. The last state committed by this process is cached per run and reused when the
/// stored fencing sequence still matches, so an episode does not re-read a 10,000-node run.
/// </summary>
internal sealed class RunStateStore(IFlowStore store, EngineOptions options)
{
    private readonly ConcurrentDictionary<string, StoredRun> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FlowSpec> _specs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _sources = new(StringComparer.Ordinal);

    public IFlowStore Store => store;

    public async Task<string> PutSpecAsync(string specText, FlowSpec spec, CancellationToken ct)
    {
        var hash = await store.Artifacts.PutAsync(Encoding.UTF8.GetBytes(specText), ct);
        _specs.TryAdd(hash, spec);
        return hash;
    }

    /// <summary>The spec document stored under <paramref name="hash"/> (what graph patches are applied to).</summary>
    public async Task<JsonObject?> GetSpecSourceAsync(string hash, CancellationToken ct)
    {
        if (_sources.TryGetValue(hash, out var cached))
        {
            return cached;
        }

        var bytes = await store.Artifacts.GetAsync(hash, ct) ?? throw new InvalidDataException($"spec {hash} is missing from the artifact store");
        var source = SpecSource(Encoding.UTF8.GetString(bytes));
        return source is null ? null : _sources.GetOrAdd(hash, source);
    }

    /// <summary>The spec text as a document, or null when it does not parse.</summary>
    public static JsonObject? SpecSource(string text)
    {
        try
        {
            return SourceReader.Read(text, SpecFormats.Sniff(text)).Root as JsonObject;
        }
        catch (SourceSyntaxException)
        {
            return null;
        }
    }

    public async Task<FlowSpec> GetSpecAsync(string hash, CancellationToken ct)
    {
        if (_specs.TryGetValue(hash, out var cached))
        {
            return cached;
        }

        var bytes = await store.Artifacts.GetAsync(hash, ct) ?? throw new InvalidDataException($"spec {hash} is missing from the artifact store");
        var text = Encoding.UTF8.GetString(bytes);
        var result = SpecLoader.Load(text, SpecFormats.Sniff(text));
        var spec = result.Spec ?? throw new InvalidDataException($"stored spec {hash} no longer validates: {result.Errors[0]}");
        return _specs.GetOrAdd(hash, spec);
    }

    /// <summary>Loads a run, or null when it does not exist.</summary>
    public async Task<StoredRun?> LoadAsync(string runId, CancellationToken ct)
    {
        var header = await store.Partitions.GetAsync(runId, RunRows.Header, ct);
        if (header is null)
        {
            return null;
        }

        var head = JsonNode.Parse(header.Value)!.AsObject();
        var sequence = head["seq"]!.GetValue<long>();
        if (_cache.TryGetValue(runId, out var cached) && cached.Sequence == sequence)
        {
            return cached;
        }

        var specHash = head["specHash"]!.GetValue<string>();
        var spec = await GetSpecAsync(specHash, ct);
        var items = new Dictionary<string, ImmutableArray<JsonNode?>>(StringComparer.Ordinal);
        foreach (var row in await store.Partitions.QueryAsync(runId, RunRows.ItemsPrefix, ct))
        {
            var value = await ReadValueAsync(JsonNode.Parse(row.Value)!.AsObject(), "items", ct);
            items[row.Key[RunRows.ItemsPrefix.Length..]] = [.. value!.AsArray().Select(i => i?.DeepClone())];
        }

        var children = new Dictionary<string, ImmutableDictionary<int, NodeState>.Builder>(StringComparer.Ordinal);
        foreach (var row in await store.Partitions.QueryAsync(runId, RunRows.ChildPrefix, ct))
        {
            var key = row.Key[RunRows.ChildPrefix.Length..];
            var bar = key.LastIndexOf('|');
            var mapId = key[..bar];
            if (!children.TryGetValue(mapId, out var builder))
            {
                children[mapId] = builder = ImmutableDictionary.CreateBuilder<int, NodeState>();
            }

            builder[int.Parse(key[(bar + 1)..], System.Globalization.CultureInfo.InvariantCulture)] = await ReadNodeAsync(JsonNode.Parse(row.Value)!.AsObject(), null, ct);
        }

        var nodes = ImmutableDictionary.CreateBuilder<string, NodeState>(StringComparer.Ordinal);
        foreach (var row in await store.Partitions.QueryAsync(runId, RunRows.NodePrefix, ct))
        {
            var json = JsonNode.Parse(row.Value)!.AsObject();
            var id = json["id"]!.GetValue<string>();
            var map = json["map"] is JsonObject mapRow
                ? RunJson.ReadMap(mapRow, items.GetValueOrDefault(id, []), children.TryGetValue(id, out var b) ? b.ToImmutable() : ImmutableDictionary<int, NodeState>.Empty)
                : null;
            nodes[id] = await ReadNodeAsync(json, map, ct);
        }

        foreach (var missing in spec.Nodes.Where(n => !nodes.ContainsKey(n.Id)))
        {
            // Only while a chunked commit is half-applied can a node have no row yet: it reads as not started.
            nodes[missing.Id] = new NodeState { Id = missing.Id, OpenNeeds = missing.Needs.Length };
        }

        var state = new RunState
        {
            RunId = runId,
            Spec = spec,
            SpecSource = await GetSpecSourceAsync(specHash, ct),
            GraphRevision = head["revision"]!.GetValue<int>(),
            Inputs = head["inputs"]!.AsObject().DeepClone().AsObject(),
            Status = Enum.Parse<RunStatus>(head["status"]!.GetValue<string>()),
            Reason = head["reason"]?.GetValue<string>(),
            StartedAt = RunJson.ParseTime(head["startedAt"]),
            CompletedAt = RunJson.ParseOptionalTime(head["completedAt"]),
            Nodes = nodes.ToImmutable(),
            Dispatchable = [.. ReadRanges(head["dispatchable"]!.AsArray())],
            TerminalNodes = head["terminalNodes"]!.GetValue<int>(),
            Outputs = head["outputs"]?.AsObject().DeepClone().AsObject(),
            WithOverrides = head["withOverrides"] is JsonObject overrides
                ? overrides.Where(p => p.Value is not null).ToImmutableDictionary(p => p.Key, p => p.Value!.DeepClone(), StringComparer.Ordinal)
                : ImmutableDictionary<string, JsonNode>.Empty.WithComparers(StringComparer.Ordinal),
            PendingEvents = head["pendingEvents"] is JsonObject kept
                ? kept.Where(p => p.Value is JsonArray).ToImmutableDictionary(p => p.Key, p => p.Value!.AsArray().Select(x => x?.DeepClone()).ToImmutableList(), StringComparer.Ordinal)
                : ImmutableDictionary<string, ImmutableList<JsonNode?>>.Empty.WithComparers(StringComparer.Ordinal),
            SeenEventIds = head["seenEventIds"] is JsonArray seen
                ? seen.Select(x => x!.GetValue<string>()).ToImmutableHashSet(StringComparer.Ordinal)
                : ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal),
            RerunOf = head["rerunOf"] is JsonObject rerunOf ? new RerunSource(rerunOf["runId"]!.GetValue<string>(), rerunOf["fromNode"]!.GetValue<string>()) : null,
        };
        var pending = head["pendingCommit"]?.AsObject().DeepClone().AsObject();
        var loaded = new StoredRun(state, sequence, specHash, RunTrace.Read(head), pending, head["durableStep"]?.GetValue<long>());
        if (pending is null)
        {
            Remember(loaded);
        }

        return loaded;
    }

    /// <summary>Reads the header only (cheap), or null.</summary>
    public async Task<JsonObject?> LoadHeaderAsync(string runId, CancellationToken ct) =>
        await store.Partitions.GetAsync(runId, RunRows.Header, ct) is { } row ? JsonNode.Parse(row.Value)!.AsObject() : null;

    public void Remember(StoredRun run)
    {
        // A small bound: the cache exists for the runs this process is actively working on.
        if (_cache.Count > options.StateCacheSize)
        {
            _cache.Clear();
        }

        _cache[run.State.RunId] = run;
    }

    public void Forget(string runId) => _cache.TryRemove(runId, out _);

    /// <summary>The state this process last committed or loaded for the run, without reading the store; null when not cached.</summary>
    public StoredRun? Cached(string runId) => _cache.GetValueOrDefault(runId);

    /// <summary>
    /// The row writes that turn <paramref name="before"/> (null for a new run) into <paramref name="after"/>, looking
    /// only at <paramref name="changed"/> nodes (all of them for a new run), so an episode costs what it changed.
    /// The header keeps the run's <paramref name="trace"/>.
    /// </summary>
    public async Task<(JsonObject Header, List<RowOperation> Rows)> DiffAsync(RunState? before, RunState after, IEnumerable<string>? changed, string specHash, ActivityContext trace, CancellationToken ct)
    {
        var ops = new List<RowOperation>();
        if (before is not null && !ReferenceEquals(before.Spec, after.Spec))
        {
            // A graph patch: rows of removed nodes go, added nodes get theirs (and recomputed counters are written).
            foreach (var removed in before.Nodes.Keys.Where(id => !after.Nodes.ContainsKey(id)))
            {
                ops.Add(new RowOperation.Delete(RunRows.Node(removed)));
            }

            changed = after.Nodes.Keys;
        }

        foreach (var id in before is null ? after.Nodes.Keys : changed ?? after.Nodes.Keys)
        {
            var node = after.Nodes[id];
            var old = before?.Nodes.GetValueOrDefault(id);
            if (ReferenceEquals(old, node))
            {
                continue;
            }

            ops.Add(new RowOperation.Upsert(RunRows.Node(id), (await WriteNodeAsync(node, ct)).ToJsonString()));
            var restarted = old is not null && old.Incarnation != node.Incarnation;
            if (restarted && old!.Map is { } oldMap)
            {
                // A redriven map starts over: the children of its old incarnation go (those the new one has are rewritten below).
                foreach (var index in oldMap.Children.Keys.Where(i => node.Map?.Children.ContainsKey(i) != true))
                {
                    ops.Add(new RowOperation.Delete(RunRows.Child(id, index)));
                }

                if (node.Map is null)
                {
                    ops.Add(new RowOperation.Delete(RunRows.Items(id)));
                }
            }

            if (node.Map is not { } map)
            {
                continue;
            }

            if (old?.Map is null || restarted)
            {
                var itemsRow = new JsonObject();
                await WriteValueAsync(itemsRow, "items", new JsonArray([.. map.Items.Select(i => i?.DeepClone())]), ct);
                ops.Add(new RowOperation.Upsert(RunRows.Items(id), itemsRow.ToJsonString()));
            }

            if (!restarted && ReferenceEquals(old?.Map?.Children, map.Children))
            {
                continue;
            }

            foreach (var (index, child) in map.Children)
            {
                if (!restarted && old?.Map?.Children.GetValueOrDefault(index) is { } oldChild && ReferenceEquals(oldChild, child))
                {
                    continue;
                }

                ops.Add(new RowOperation.Upsert(RunRows.Child(id, index), (await WriteNodeAsync(child, ct)).ToJsonString()));
            }
        }

        return (RunTrace.Write(WriteHeader(after, specHash), trace), ops);
    }

    /// <summary>The header row's value; the committer adds the fencing sequence (<c>seq</c>).</summary>
    private static JsonObject WriteHeader(RunState state, string specHash) => new()
    {
        ["runId"] = state.RunId,
        ["workflow"] = state.Spec.Name,
        ["specHash"] = specHash,
        ["revision"] = state.GraphRevision,
        ["inputs"] = state.Inputs.DeepClone(),
        ["status"] = state.Status.ToString(),
        ["reason"] = state.Reason,
        ["startedAt"] = RunJson.Time(state.StartedAt),
        ["completedAt"] = state.CompletedAt is { } c ? RunJson.Time(c) : null,
        ["dispatchable"] = WriteRanges(state.Dispatchable),
        ["terminalNodes"] = state.TerminalNodes,
        ["nodeCount"] = state.Nodes.Count,
        ["outputs"] = state.Outputs?.DeepClone(),
        ["withOverrides"] = state.WithOverrides.IsEmpty ? null : new JsonObject(state.WithOverrides.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value.DeepClone()))),
        ["pendingEvents"] = state.PendingEvents.IsEmpty ? null : new JsonObject(state.PendingEvents.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonArray([.. p.Value.Select(x => x?.DeepClone())])))),
        ["seenEventIds"] = state.SeenEventIds.IsEmpty ? null : new JsonArray([.. state.SeenEventIds.Order(StringComparer.Ordinal).Select(x => (JsonNode)x)]),
        ["rerunOf"] = RunJson.WriteRerunSource(state.RerunOf),
    };

    /// <summary>
    /// The ready set as [first, last] ranges: a wide fan-out's ready nodes are mostly consecutive, so a 10,000-node
    /// set is a handful of pairs instead of 10,000 numbers rewritten by every episode.
    /// </summary>
    private static JsonArray WriteRanges(ImmutableSortedSet<int> set)
    {
        var ranges = new JsonArray();
        int? first = null, last = null;
        foreach (var i in set)
        {
            if (last is { } l && i == l + 1)
            {
                last = i;
                continue;
            }

            if (first is { } f)
            {
                ranges.Add(new JsonArray(f, last!.Value));
            }

            first = last = i;
        }

        if (first is { } start)
        {
            ranges.Add(new JsonArray(start, last!.Value));
        }

        return ranges;
    }

    private static IEnumerable<int> ReadRanges(JsonArray ranges) =>
        ranges.SelectMany(r => Enumerable.Range(r![0]!.GetValue<int>(), r[1]!.GetValue<int>() - r[0]!.GetValue<int>() + 1));

    private async Task<JsonObject> WriteNodeAsync(NodeState node, CancellationToken ct)
    {
        var row = RunJson.WriteNode(node);
        await WriteValueAsync(row, "input", node.Input, ct);
        await WriteValueAsync(row, "output", node.Output, ct);
        return row;
    }

    private async Task<NodeState> ReadNodeAsync(JsonObject row, MapProgress? map, CancellationToken ct) =>
        RunJson.ReadNode(row, await ReadValueAsync(row, "input", ct), await ReadValueAsync(row, "output", ct), map);

    /// <summary>Writes a value inline, or, above the inline threshold, to the artifact store as <c>{field}Ref</c>.</summary>
    private async Task WriteValueAsync(JsonObject row, string field, JsonNode? value, CancellationToken ct)
    {
        if (value is null)
        {
            return;
        }

        var json = value.ToJsonString();
        if (json.Length <= options.InlineValueLimitBytes)
        {
            row[field] = value.DeepClone();
            return;
        }

        row[field + "Ref"] = await store.Artifacts.PutAsync(Encoding.UTF8.GetBytes(json), ct);
    }

    public async Task<JsonNode?> ReadValueAsync(JsonObject row, string field, CancellationToken ct)
    {
        if (row[field + "Ref"] is { } reference)
        {
            var bytes = await store.Artifacts.GetAsync(reference.GetValue<string>(), ct)
                ?? throw new InvalidDataException($"artifact {reference} is missing");
            return JsonNode.Parse(bytes);
        }

        return row[field]?.DeepClone();
    }
}
