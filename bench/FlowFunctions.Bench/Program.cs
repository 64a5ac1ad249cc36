using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Bench;

// Usage: dotnet run -c Release --project bench/FlowFunctions.Bench [-- --quick] [-- --azurite [--large N]] [-- --scenario kind:size [--azurite] [--engine e]]
//        dotnet run -c Release --project bench/FlowFunctions.Bench -- --engine native|durable|both [--quick] [--large N] (EngineComparison.cs)
// (kind: baseline, fanout, map, chain, or latency with size = samples: patch/raise -> activity start, PatchLatency.cs)
// Without --scenario, runs every scenario in its own child process (so that peak memory is per scenario) and prints
// a table and the target verdicts. --json FILE also writes the raw results. --azurite runs the same scenarios on the
// Azure Storage store (FLOWFUNCTIONS_BENCH_AZURE, else a local Azurite: the one already listening on 10000-10002, or
// one this bench starts with scripts/azurite.sh and stops at the end), counting HTTP requests in the store's pipeline.
// Its large size is 3,000, not 10,000: Azurite slows down with queue depth (the bare baseline ran ~300 items/s at
// 1,000 and ~50 items/s at 10,000 queued messages), so 10,000 measures Azurite more than the engine and takes many
// minutes; --large 10000 runs it anyway.
var azure = args.Contains("--azurite");
if (args.Length >= 2 && args[0] == "--scenario")
{
    return await Scenarios.RunChildAsync(args[1], azure, BenchEngine.FromArgs(args));
}

if (args.SkipWhile(a => a != "--engine").Skip(1).FirstOrDefault() is { } engines)
{
    return await EngineComparison.RunAsync(engines, args);
}

var quick = args.Contains("--quick");
var jsonOut = args.SkipWhile(a => a != "--json").Skip(1).FirstOrDefault();
var largeArg = args.SkipWhile(a => a != "--large").Skip(1).FirstOrDefault();
var (small, large, chain) = quick ? (200, 2_000, 50) : azure ? (1_000, 3_000, 50) : (1_000, 10_000, 200);
if (largeArg is not null)
{
    large = int.Parse(largeArg, CultureInfo.InvariantCulture);
}

await using var azurite = azure ? await AzuriteProcess.EnsureAsync() : null;
string[] plan =
[
    $"baseline:{small}", $"fanout:{small}",
    $"baseline:{large}", $"fanout:{large}", $"map:{large}",
    $"baseline:{chain}", $"chain:{chain}",
];

var results = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
foreach (var scenario in plan)
{
    Console.Error.WriteLine($"running {scenario} ...");
    results[scenario] = await ChildScenario.RunAsync(scenario, azure);
}

var latencyScenario = $"latency:{(quick ? 20 : azure ? 30 : 100)}";
Console.Error.WriteLine($"running {latencyScenario} ...");
var latency = await ChildScenario.RunAsync(latencyScenario, azure);
results[latencyScenario] = latency;

if (jsonOut is not null)
{
    var all = new JsonObject();
    foreach (var (k, v) in results)
    {
        all[k] = v.DeepClone();
    }

    await File.WriteAllTextAsync(jsonOut, all.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
}

double Num(JsonObject o, string key) => o[key]!.GetValue<double>();
double Rate(JsonObject o) => Num(o, "nodes") / Num(o, "seconds");
JsonObject BaselineFor(int n) => results[$"baseline:{n}"];

var inv = CultureInfo.InvariantCulture;
var table = new StringBuilder();
table.AppendLine("| scenario | nodes | status | time (s) | nodes/s | ms/node | baseline items/s | engine/baseline | overhead vs baseline (ms/node) | store calls/node |" + (azure ? " HTTP requests/node |" : "") + " rows written/node | rows deleted/node | episodes | peak WS (MB) | allocated (MB) |");
table.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|" + (azure ? "---:|" : "") + "---:|---:|---:|---:|---:|");
foreach (var scenario in plan)
{
    var r = results[scenario];
    var n = Num(r, "nodes");
    var isBaseline = scenario.StartsWith("baseline", StringComparison.Ordinal);
    var size = int.Parse(scenario.Split(':')[1], inv);
    var b = isBaseline ? null : BaselineFor(size);
    var ratio = b is null ? "" : (Rate(r) / Rate(b)).ToString("0.00", inv);
    var overhead = b is null ? "" : (((Num(r, "seconds") / n) - (Num(b, "seconds") / Num(b, "nodes"))) * 1000).ToString("0.000", inv);
    table.AppendLine(string.Join(" | ", [
        "| " + scenario,
        n.ToString("0", inv),
        r["status"]?.GetValue<string>() ?? "-",
        Num(r, "seconds").ToString("0.000", inv),
        Rate(r).ToString("0", inv),
        (Num(r, "seconds") * 1000 / n).ToString("0.000", inv),
        b is null ? "" : Rate(b).ToString("0", inv),
        ratio,
        overhead,
        (Num(r, "calls") / n).ToString("0.00", inv),
        .. azure ? [(Num(r, "http") / n).ToString("0.00", inv)] : Array.Empty<string>(),
        (Num(r, "rowsWritten") / n).ToString("0.00", inv),
        (Num(r, "rowsDeleted") / n).ToString("0.00", inv),
        r["episodes"]?.ToString() ?? "-",
        Num(r, "peakWorkingSetMB").ToString("0", inv),
        Num(r, "allocatedMB").ToString("0", inv) + " |",
    ]));
}

Console.WriteLine();
Console.WriteLine(table);

if (azure)
{
    // HTTP requests per node by kind, one column per scenario.
    var kinds = plan.SelectMany(p => results[p]["httpByKind"]!.AsObject().Select(kv => kv.Key)).Distinct().Order(StringComparer.Ordinal).ToList();
    var byKind = new StringBuilder();
    byKind.AppendLine("| HTTP requests/node | " + string.Join(" | ", plan) + " |");
    byKind.AppendLine("|---|" + string.Concat(plan.Select(_ => "---:|")));
    foreach (var kind in kinds)
    {
        byKind.AppendLine("| " + kind + " | " + string.Join(" | ", plan.Select(p =>
            results[p]["httpByKind"]![kind] is { } v ? (v.GetValue<long>() / Num(results[p], "nodes")).ToString("0.000", inv) : "")) + " |");
    }

    byKind.AppendLine("| **total** | " + string.Join(" | ", plan.Select(p => "**" + (Num(results[p], "http") / Num(results[p], "nodes")).ToString("0.00", inv) + "**")) + " |");
    Console.WriteLine(byKind);
}

var chainResult = results[$"chain:{chain}"];
Console.WriteLine($"chain step latency: {chainResult["stepWindows"]}: median {Num(chainResult, "stepEarlyMs"):0.00} ms vs {Num(chainResult, "stepLateMs"):0.00} ms");
foreach (var scenario in plan.Where(s => !s.StartsWith("baseline", StringComparison.Ordinal)))
{
    Console.WriteLine($"{scenario}: storage detail {results[scenario]["counters"]!.ToJsonString()}");
}

Console.WriteLine();
Console.WriteLine($"Latency to the new node's activity start ({latency["samples"]} samples each; busy: {latency["busyInFlightRuns"]} fan-out runs in flight, {Num(latency, "busyBackgroundNodesPerSecond"):0} background nodes/s):");
Console.WriteLine("| from | worker | p50 (ms) | p99 (ms) | max (ms) | to the dispatching decision: p50 | p99 |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
foreach (var from in new[] { "patch", "raise" })
{
    foreach (var load in new[] { "idle", "busy" })
    {
        var p = latency[load]![from]!.AsObject();
        var d = latency[load]![from + "ToDispatch"]!.AsObject();
        Console.WriteLine($"| {from} accepted | {load} | {Num(p, "p50"):0.0} | {Num(p, "p99"):0.0} | {Num(p, "max"):0.0} | {Num(d, "p50"):0.0} | {Num(d, "p99"):0.0} |");
    }
}

Console.WriteLine();
Console.WriteLine("Targets" + (azure ? " (Azure Storage store)" : string.Empty) + (quick ? " (quick run: sizes reduced, verdicts indicative only)" : string.Empty) + ":");
var verdicts = new List<(string Name, bool Pass, string Detail)>();
var peak = Num(results[$"fanout:{large}"], "peakWorkingSetMB");
verdicts.Add(($"fan-out {large} peak working set < 400 MB", peak < 400, $"{peak:0} MB ({400 - peak:+0;-0} MB margin)"));
var scale = Num(results[$"fanout:{large}"], "seconds") / Num(results[$"fanout:{small}"], "seconds");
verdicts.Add(($"time({large})/time({small}) <= 12", scale <= 12, $"{scale:0.00} (limit 12, {(12 - scale) / 12:+0%;-0%} margin)"));
var steps = Num(chainResult, "stepLateMs") / Num(chainResult, "stepEarlyMs");
verdicts.Add(($"chain step {chain} latency <= 1.2x step 10", steps <= 1.2, $"{steps:0.00}x ({Num(chainResult, "stepLateMs"):0.00} vs {Num(chainResult, "stepEarlyMs"):0.00} ms)"));
foreach (var scenario in plan.Where(s => !s.StartsWith("baseline", StringComparison.Ordinal)))
{
    var size = int.Parse(scenario.Split(':')[1], inv);
    var ratio = Rate(results[scenario]) / Rate(BaselineFor(size));
    verdicts.Add(($"{scenario} throughput >= 0.5x baseline", ratio >= 0.5, $"{ratio:0.00}x ({Rate(results[scenario]):0} vs {Rate(BaselineFor(size)):0} per s)"));
}

if (azure)
{
    foreach (var scenario in new[] { $"fanout:{small}", $"fanout:{large}", $"map:{large}" })
    {
        var perNode = Num(results[scenario], "http") / Num(results[scenario], "nodes");
        verdicts.Add(($"{scenario} HTTP requests/node <= 4", perNode <= 4, $"{perNode:0.00} ({(4 - perNode) / 4:+0%;-0%} margin)"));
    }
}

var busyPatch = Num(latency["busy"]!["patch"]!.AsObject(), "p50");
verdicts.Add(("patch accepted -> activity start p50 < 100 ms, busy worker", busyPatch < 100, $"{busyPatch:0.0} ms"));

foreach (var (name, pass, detail) in verdicts)
{
    Console.WriteLine($"  [{(pass ? "PASS" : "MISS")}] {name}: {detail}");
}

return 0;
