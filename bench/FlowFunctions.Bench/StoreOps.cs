using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Bench;

/// <summary>
/// <c>--scenario storeops:N --azurite</c>: what one store operation costs on the Azure store, one at a time on one
/// store: bytes allocated by the process, HTTP requests (counted in the pipeline, retries included) and milliseconds,
/// per operation, over N repetitions after five warm-up ones. The operations are the engine's: a commit-like
/// transaction of 10 upserts, a point read, a prefix query of 80 rows, a read of 8 keys, a work message put, a take
/// of 32, a delete, an empty take and a small artifact. Only the store's public API is used, so this file builds
/// against any version of the store (that is how the REST store of b78e98e was measured, docs/benchmarks.md).
/// </summary>
internal static class StoreOps
{
    private static readonly CancellationToken None = CancellationToken.None;

    public static async Task<int> RunChildAsync(string connectionString, int repetitions)
    {
        var http = new HttpCountingPolicy();
        var options = new AzureFlowStoreOptions { NamePrefix = "bops" + Guid.NewGuid().ToString("N")[..12], AdditionalPolicies = [http] };
        await using var store = new AzureFlowStore(connectionString, TimeProvider.System, options);
        var partitions = store.Partitions;
        var queues = store.Queues;
        var body = "{\"run\":\"r1\",\"items\":[" + string.Join(",", Enumerable.Range(0, 8).Select(i => "{\"node\":\"n" + i + "\",\"attempt\":1}")) + "]}";
        var result = new JsonObject();

        async Task MeasureAsync(string name, int count, Func<int, Task> operation)
        {
            // Negative indexes are the warm-up: first use creates the table, queue or container.
            for (var i = -5; i < 0; i++)
            {
                await operation(i);
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            var requests = Requests(http);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                await operation(i);
            }

            var kilobytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / count;
            var perOperation = (Requests(http) - requests) / (double)count;
            var milliseconds = clock.Elapsed.TotalMilliseconds / count;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-22} {kilobytes,8:0.0} KB/op {perOperation,6:0.00} requests/op {milliseconds,7:0.00} ms/op"));
            result[name] = new JsonObject { ["kbPerOp"] = kilobytes, ["requestsPerOp"] = perOperation, ["msPerOp"] = milliseconds };
        }

        await MeasureAsync("transaction 10 upserts", repetitions, i => partitions.ExecuteAsync("run1", [.. Enumerable.Range(0, 10).Select(k => (RowOperation)new RowOperation.Upsert($"node|{k}|{i & 7}", NodeValue(k)))], None));
        await MeasureAsync("point read", repetitions, _ => partitions.GetAsync("run1", "node|3|0", None));
        await MeasureAsync("query 80 rows", Math.Max(1, repetitions / 4), _ => partitions.QueryAsync("run1", "node|", None));
        await MeasureAsync("read 8 keys", repetitions, _ => partitions.GetManyAsync("run1", [.. Enumerable.Range(0, 8).Select(k => $"node|{k}|0")], None));
        await MeasureAsync("put message", repetitions, _ => queues.EnqueueAsync("work", body, TimeSpan.Zero, None));

        // The messages put above (and those of the warm-up) are taken 32 at a time, then deleted one by one.
        var taken = new Queue<QueueMessage>();
        await MeasureAsync("take 32 messages", Math.Max(1, (repetitions - 32) / 32), async i =>
        {
            foreach (var message in await queues.DequeueAsync("work", 32, TimeSpan.FromMinutes(5), None))
            {
                taken.Enqueue(message);
            }
        });
        await MeasureAsync("delete message", Math.Max(1, taken.Count - 5), _ => taken.TryDequeue(out var message) ? queues.DeleteAsync("work", message, None) : Task.CompletedTask);
        await MeasureAsync("take from empty queue", repetitions, _ => queues.DequeueAsync("empty", 32, TimeSpan.FromSeconds(30), None));
        await MeasureAsync("put artifact 2 KB", Math.Max(1, repetitions / 2), _ => store.Artifacts.PutAsync(Encoding.UTF8.GetBytes(Guid.NewGuid().ToString("N") + new string('y', 2000)), None));

        Console.WriteLine(Scenarios.ResultPrefix + new JsonObject { ["scenario"] = "storeops:" + repetitions, ["store"] = "azure", ["operations"] = result }.ToJsonString());
        return 0;
    }

    /// <summary>A node row's value of about 300 characters, like the engine's.</summary>
    private static string NodeValue(int index) =>
        "{\"status\":\"Succeeded\",\"attempt\":1,\"output\":{\"name\":\"item-" + index + "\",\"data\":\"" + new string('x', 200) + "\"},\"at\":\"2026-12-06T22:00:00Z\"}";

    private static long Requests(HttpCountingPolicy http) => http.Snapshot().Values.Sum();
}
