using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Runs;

/// <summary>
/// Commits an episode's row changes with the fencing check. When they fit one batch of the store (always on SQLite),
/// that is one atomic batch: rows + header + delete <c>seq|n</c> + insert <c>seq|n+1</c>. When they do not (Azure
/// Tables holds 100 operations per batch), the change is first written whole to the artifact store as a journal,
/// then applied chunk by chunk; every chunk is itself atomic with a header that says how far the journal got and
/// with its own fencing step. A crash between chunks leaves a header pointing at the journal, and the next episode
/// finishes the remaining chunks before it does anything else. Two writers still collide on a fencing insert.
/// </summary>
internal sealed class RunCommitter(IFlowStore store)
{
    /// <summary>Room left in every batch for the header and the two fencing operations.</summary>
    private const int ReservedOperations = 3;

    /// <summary>
    /// Commits <paramref name="rows"/> and <paramref name="header"/> on top of fencing sequence <paramref name="from"/>
    /// (0 for a new run) and returns the sequence committed. Throws <see cref="BatchConflictException"/> when another
    /// writer committed first (nothing of ours was written).
    /// </summary>
    public async Task<long> CommitAsync(string runId, long from, JsonObject header, IReadOnlyList<RowOperation> rows, CancellationToken ct)
    {
        var chunks = Split(rows, store.Partitions.Limits);
        if (chunks.Count <= 1)
        {
            await ApplyChunkAsync(runId, from, header, chunks.Count == 0 ? [] : chunks[0], pending: null, ct);
            return from + 1;
        }

        var journal = new JsonObject
        {
            ["header"] = header.DeepClone(),
            ["chunks"] = new JsonArray([.. chunks.Select(c => (JsonNode)new JsonArray([.. c.Select(WriteOperation)]))]),
        };
        var hash = await store.Artifacts.PutAsync(Encoding.UTF8.GetBytes(journal.ToJsonString()), ct);
        return await ApplyFromAsync(runId, from, header, chunks, hash, 0, ct);
    }

    /// <summary>Finishes a commit that a crashed writer left half-applied (its header names the journal); returns the sequence reached.</summary>
    public async Task<long> FinishPendingAsync(string runId, long sequence, JsonObject pending, CancellationToken ct)
    {
        var hash = pending["journal"]!.GetValue<string>();
        var bytes = await store.Artifacts.GetAsync(hash, ct) ?? throw new InvalidDataException($"commit journal {hash} of run {runId} is missing");
        var journal = JsonNode.Parse(bytes)!.AsObject();
        var chunks = journal["chunks"]!.AsArray().Select(c => (IReadOnlyList<RowOperation>)[.. c!.AsArray().Select(o => ReadOperation(o!.AsObject()))]).ToList();
        return await ApplyFromAsync(runId, sequence, journal["header"]!.AsObject(), chunks, hash, pending["next"]!.GetValue<int>(), ct);
    }

    private async Task<long> ApplyFromAsync(string runId, long sequence, JsonObject header, List<IReadOnlyList<RowOperation>> chunks, string hash, int next, CancellationToken ct)
    {
        for (var i = next; i < chunks.Count; i++)
        {
            var pending = i == chunks.Count - 1 ? null : new JsonObject { ["journal"] = hash, ["next"] = i + 1, ["chunks"] = chunks.Count };
            await ApplyChunkAsync(runId, sequence, header, chunks[i], pending, ct);
            sequence++;
        }

        return sequence;
    }

    private async Task ApplyChunkAsync(string runId, long from, JsonObject header, IReadOnlyList<RowOperation> chunk, JsonObject? pending, CancellationToken ct)
    {
        var stamped = (JsonObject)header.DeepClone();
        stamped["seq"] = from + 1;
        if (pending is not null)
        {
            stamped["pendingCommit"] = pending;
        }

        var batch = new List<RowOperation>(chunk.Count + ReservedOperations) { new RowOperation.Upsert(RunRows.Header, stamped.ToJsonString()) };
        batch.AddRange(chunk);
        if (from > 0)
        {
            batch.Add(new RowOperation.Delete(RunRows.Sequence(from)));
        }

        batch.Add(new RowOperation.Insert(RunRows.Sequence(from + 1), "{}"));
        await store.Partitions.ExecuteAsync(runId, batch, ct);
    }

    /// <summary>Splits rows into chunks that fit a batch together with the header and the fencing operations.</summary>
    internal static List<IReadOnlyList<RowOperation>> Split(IReadOnlyList<RowOperation> rows, BatchLimits limits)
    {
        var maxOperations = Math.Max(limits.Operations - ReservedOperations, 1);
        var chunks = new List<IReadOnlyList<RowOperation>>();
        var current = new List<RowOperation>();
        long characters = 0;
        foreach (var row in rows)
        {
            var size = Size(row);
            if (current.Count > 0 && (current.Count >= maxOperations || characters + size > limits.Characters / 2))
            {
                chunks.Add(current);
                current = [];
                characters = 0;
            }

            current.Add(row);
            characters += size;
        }

        if (current.Count > 0)
        {
            chunks.Add(current);
        }

        return chunks;
    }

    // Half the character budget per chunk leaves room for the header, which is rewritten in every chunk.
    private static long Size(RowOperation row) => row.Key.Length + row switch
    {
        RowOperation.Insert i => i.Value.Length,
        RowOperation.Upsert u => u.Value.Length,
        RowOperation.Replace r => r.Value.Length,
        _ => 0,
    };

    private static JsonNode WriteOperation(RowOperation row) => row switch
    {
        RowOperation.Insert i => new JsonObject { ["op"] = "insert", ["key"] = i.Key, ["value"] = i.Value },
        RowOperation.Upsert u => new JsonObject { ["op"] = "upsert", ["key"] = u.Key, ["value"] = u.Value },
        RowOperation.Replace r => new JsonObject { ["op"] = "replace", ["key"] = r.Key, ["value"] = r.Value, ["etag"] = r.ETag },
        RowOperation.Delete d => new JsonObject { ["op"] = "delete", ["key"] = d.Key, ["etag"] = d.ETag },
        _ => throw new ArgumentException($"unknown row operation {row.GetType().Name}", nameof(row)),
    };

    private static RowOperation ReadOperation(JsonObject o)
    {
        var key = o["key"]!.GetValue<string>();
        return o["op"]!.GetValue<string>() switch
        {
            "insert" => new RowOperation.Insert(key, o["value"]!.GetValue<string>()),
            "upsert" => new RowOperation.Upsert(key, o["value"]!.GetValue<string>()),
            "replace" => new RowOperation.Replace(key, o["value"]!.GetValue<string>(), o["etag"]!.GetValue<string>()),
            "delete" => new RowOperation.Delete(key, o["etag"]!.GetValue<string>()),
            var op => throw new InvalidDataException($"unknown journal operation '{op}'"),
        };
    }
}
