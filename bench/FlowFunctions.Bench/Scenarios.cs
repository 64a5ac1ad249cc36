using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Engine;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Azure;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Bench;

/// <summary>One scenario, run inside a child process; the result is one JSON line on stdout.</summary>
internal static class Scenarios
{
    public const string ResultPrefix = "RESULT ";

    /// <summary>The Azure Storage account of <c>--azurite</c> runs: FLOWFUNCTIONS_BENCH_AZURE, else the local Azurite.</summary>
    public static string AzureConnectionString =>
        Environment.GetEnvironmentVariable("FLOWFUNCTIONS_BENCH_AZURE") is { Length: > 0 } value ? value : AzuriteProcess.ConnectionString;

    public static async Task<int> RunChildAsync(string scenario, bool azure, string engine)
    {
        var parts = scenario.Split(':');
        var kind = parts[0];
        var size = int.Parse(parts[1], CultureInfo.InvariantCulture);
        if (kind == "latency")
        {
            return await PatchLatency.RunChildAsync(size, azure, engine);
        }

        if (kind == "storeops")
        {
            return azure ? await StoreOps.RunChildAsync(AzureConnectionString, size) : throw new ArgumentException("storeops measures the Azure store: add --azurite");
        }

        // Warm-up: the same shape at a small size in its own file (or name prefix), so that JIT and first-use costs do
        // not land in the measured run (they would flatter the larger size's ratio otherwise).
        var warmSize = kind == "chain" ? 20 : 100;
        _ = kind == "baseline" ? await BaselineAsync(warmSize, azure) : await EngineAsync(kind, warmSize, azure, engine);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var result = kind == "baseline" ? await BaselineAsync(size, azure) : await EngineAsync(kind, size, azure, engine);
        result["scenario"] = scenario;
        result["engine"] = engine;
        result["store"] = azure ? "azure" : "sqlite";
        result["peakWorkingSetMB"] = PeakWorkingSetBytes() / (1024.0 * 1024.0);
        Console.WriteLine(ResultPrefix + result.ToJsonString());
        return 0;
    }

    private static async Task<JsonObject> EngineAsync(string kind, int size, bool azure, string engineKind)
    {
        var text = kind switch
        {
            "fanout" => SpecText.FanOut(size),
            "map" => SpecText.Map(size),
            "chain" => SpecText.Chain(size),
            _ => throw new ArgumentException("unknown scenario " + kind),
        };
        var nodes = kind == "map" ? size + 2 : size;

        await using var stores = BenchStores.Open(azure, kind);
        {
            var loadWatch = Stopwatch.StartNew();
            var loaded = SpecLoader.Load(text, SpecFormat.Yaml);
            var spec = loaded.Spec ?? throw new InvalidOperationException("bench spec does not validate: " + string.Join("; ", loaded.Errors));
            loadWatch.Stop();

            var counting = stores.Counted;
            await using var engine = BenchEngine.Create(stores, engineKind);
            await BenchEngine.PrepareAsync(engine);

            // Polling goes through a second, uncounted store on the same file (or prefix): a cheap header read, not engine work.
            var poll = stores.Poll;

            using var stop = new CancellationTokenSource();
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            var before = counting.Counters.Snapshot();
            var httpBefore = stores.Http?.Snapshot();
            var watch = Stopwatch.StartNew();
            var worker = BenchEngine.WorkAsync(engine, stop.Token);
            var runId = await engine.StartRunAsync(spec, text, null);
            string status;
            while (true)
            {
                var header = await poll.Partitions.GetAsync(runId, "run", CancellationToken.None);
                status = header is null ? "?" : JsonNode.Parse(header.Value)!["status"]!.GetValue<string>();
                if (Enum.TryParse<RunStatus>(status, out var s) && s.IsTerminal())
                {
                    break;
                }

                await Task.Delay(20);
            }

            watch.Stop();
            var after = counting.Counters.Snapshot();
            var httpAfter = stores.Http?.Snapshot();
            var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
            await stop.CancelAsync();
            await worker;

            var state = await engine.GetRunAsync(runId) ?? throw new InvalidOperationException("run vanished");
            var result = Common(watch.Elapsed, nodes, before, after);
            AddHttp(result, httpBefore, httpAfter);
            result["status"] = status;
            result["specLoadSeconds"] = loadWatch.Elapsed.TotalSeconds;
            result["engineSeconds"] = ((state.CompletedAt ?? state.StartedAt) - state.StartedAt).TotalSeconds;
            result["episodes"] = engine.Processor.Episodes;
            result["allocatedMB"] = allocated / (1024.0 * 1024.0);
            result["output"] = state.Outputs?.ToJsonString();
            if (kind == "chain")
            {
                AddStepLatencies(result, state, size);
            }

            return result;
        }
    }

    /// <summary>Per-step latency: time between consecutive node completions in the chain, median of an early and a late window.</summary>
    private static void AddStepLatencies(JsonObject result, RunState state, int length)
    {
        var done = Enumerable.Range(0, length).Select(i => state.Nodes["c" + i.ToString(CultureInfo.InvariantCulture)].CompletedAt!.Value).ToArray();

        // step k (1-based) = completion of node k-1 minus completion of node k-2; step 1 is the first node's own latency.
        double Step(int k) => (done[k - 1] - (k == 1 ? state.StartedAt : done[k - 2])).TotalMilliseconds;
        var early = Median(Enumerable.Range(5, 11).Where(k => k <= length).Select(Step));
        var late = Median(Enumerable.Range(length - 10, 11).Where(k => k >= 1).Select(Step));
        result["stepEarlyMs"] = early;
        result["stepLateMs"] = late;
        result["stepWindows"] = $"steps 5-15 vs {length - 10}-{length}";
        result["steps"] = new JsonArray([.. Enumerable.Range(1, length).Select(k => (JsonNode)Math.Round(Step(k), 2))]);
    }

    /// <summary>
    /// The raw baseline: the same number of items through the bare work queue (enqueue all, dequeue in batches of 32,
    /// one partition upsert and one message delete each), on the same store type, sequentially, no engine.
    /// </summary>
    private static async Task<JsonObject> BaselineAsync(int items, bool azure)
    {
        await using var stores = BenchStores.Open(azure, "baseline");
        {
            var counting = stores.Counted;
            var store = counting;
            const string queue = "bench-work";
            const string partition = "baseline";
            var ct = CancellationToken.None;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            var before = counting.Counters.Snapshot();
            var httpBefore = stores.Http?.Snapshot();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < items; i++)
            {
                // About the size of an engine work item.
                var body = new JsonObject { ["runId"] = partition, ["nodeId"] = "e" + i.ToString(CultureInfo.InvariantCulture), ["attempt"] = 1, ["incarnation"] = 0, ["type"] = "echo", ["input"] = 1 };
                await store.Queues.EnqueueAsync(queue, body.ToJsonString(), TimeSpan.Zero, ct);
            }

            var processed = 0;
            while (processed < items)
            {
                var batch = await store.Queues.DequeueAsync(queue, 32, TimeSpan.FromSeconds(30), ct);
                foreach (var message in batch)
                {
                    var nodeId = JsonNode.Parse(message.Body)!["nodeId"]!.GetValue<string>();
                    var row = new JsonObject { ["id"] = nodeId, ["status"] = "Succeeded", ["output"] = 1 };
                    await store.Partitions.ExecuteAsync(partition, [new RowOperation.Upsert("node|" + nodeId, row.ToJsonString())], ct);
                    await store.Queues.DeleteAsync(queue, message, ct);
                    processed++;
                }
            }

            watch.Stop();
            var after = counting.Counters.Snapshot();
            var result = Common(watch.Elapsed, items, before, after);
            AddHttp(result, httpBefore, stores.Http?.Snapshot());
            result["allocatedMB"] = (GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore) / (1024.0 * 1024.0);
            return result;
        }
    }

    /// <summary>HTTP requests by kind during the measured window (Azure store only): "http" total and "httpByKind".</summary>
    private static void AddHttp(JsonObject result, IReadOnlyDictionary<string, long>? before, IReadOnlyDictionary<string, long>? after)
    {
        if (before is null || after is null)
        {
            return;
        }

        var byKind = after.Select(kv => KeyValuePair.Create(kv.Key, kv.Value - before.GetValueOrDefault(kv.Key))).Where(kv => kv.Value > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        result["http"] = byKind.Sum(kv => kv.Value);
        result["httpByKind"] = new JsonObject([.. byKind.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]);
    }

    private static JsonObject Common(TimeSpan elapsed, int nodes, StorageCounters before, StorageCounters after)
    {
        long D(Func<StorageCounters, long> f) => f(after) - f(before);
        return new JsonObject
        {
            ["nodes"] = nodes,
            ["seconds"] = elapsed.TotalSeconds,
            ["calls"] = D(c => c.Calls),
            ["rowsWritten"] = D(c => c.RowsWritten),
            ["rowsDeleted"] = D(c => c.RowsDeleted),
            ["counters"] = new JsonObject
            {
                ["partitionGets"] = D(c => c.PartitionGets),
                ["partitionGetManys"] = D(c => c.PartitionGetManys),
                ["partitionQueries"] = D(c => c.PartitionQueries),
                ["partitionRowsRead"] = D(c => c.PartitionRowsRead),
                ["partitionBatches"] = D(c => c.PartitionBatches),
                ["rowsWritten"] = D(c => c.RowsWritten),
                ["rowsDeleted"] = D(c => c.RowsDeleted),
                ["enqueues"] = D(c => c.Enqueues),
                ["dequeues"] = D(c => c.Dequeues),
                ["messagesDequeued"] = D(c => c.MessagesDequeued),
                ["queueDeletes"] = D(c => c.QueueDeletes),
                ["visibilityUpdates"] = D(c => c.VisibilityUpdates),
                ["artifactPuts"] = D(c => c.ArtifactPuts),
                ["artifactGets"] = D(c => c.ArtifactGets),
                ["indexUpserts"] = D(c => c.IndexUpserts),
                ["indexLists"] = D(c => c.IndexLists),
            },
            ["rowsReadByPrefix"] = new JsonObject([.. after.RowsReadByPrefix.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)(kv.Value - before.RowsReadByPrefix.GetValueOrDefault(kv.Key))))]),
        };
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static long PeakWorkingSetBytes()
    {
        // VmHWM is the resident set's high-water mark, what Process.PeakWorkingSet64 reports on Linux.
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Not Linux.
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    internal static string TempDatabase() => Path.Combine(Path.GetTempPath(), $"flowbench-{Guid.NewGuid():N}.db");

    internal static void DeleteDatabase(string path)
    {
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            try
            {
                File.Delete(path + suffix);
            }
            catch (IOException)
            {
                // Best effort: it is a temp file.
            }
        }
    }
}
