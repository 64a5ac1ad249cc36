using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Bench;

// Usage: dotnet run -c Release --project bench/FlowFunctions.Bench [-- --quick] [-- --scenario kind:size]
// Without --scenario, runs every scenario in its own child process (so that peak memory is per scenario) and prints
// a table and the target verdicts. --json FILE also writes the raw results.
if (args.Length >= 2 && args[0] == "--scenario")
{
    return await Scenarios.RunChildAsync(args[1]);
}

var quick = args.Contains("--quick");
var jsonOut = args.SkipWhile(a => a != "--json").Skip(1).FirstOrDefault();
var (small, large, chain) = quick ? (200, 2_000, 50) : (1_000, 10_000, 200);
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
    results[scenario] = await RunChildAsync(scenario);
}

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
table.AppendLine("| scenario | nodes | status | time (s) | nodes/s | ms/node | baseline items/s | engine/baseline | overhead vs baseline (ms/node) | store calls/node | rows written/node | rows deleted/node | episodes | peak WS (MB) | allocated (MB) |");
table.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
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
        (Num(r, "rowsWritten") / n).ToString("0.00", inv),
        (Num(r, "rowsDeleted") / n).ToString("0.00", inv),
        r["episodes"]?.ToString() ?? "-",
        Num(r, "peakWorkingSetMB").ToString("0", inv),
        Num(r, "allocatedMB").ToString("0", inv) + " |",
    ]));
}

Console.WriteLine();
Console.WriteLine(table);

var chainResult = results[$"chain:{chain}"];
Console.WriteLine($"chain step latency: {chainResult["stepWindows"]}: median {Num(chainResult, "stepEarlyMs"):0.00} ms vs {Num(chainResult, "stepLateMs"):0.00} ms");
foreach (var scenario in plan.Where(s => !s.StartsWith("baseline", StringComparison.Ordinal)))
{
    Console.WriteLine($"{scenario}: storage detail {results[scenario]["counters"]!.ToJsonString()}");
}

Console.WriteLine();
Console.WriteLine("Targets" + (quick ? " (quick run: sizes reduced, verdicts indicative only)" : string.Empty) + ":");
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

foreach (var (name, pass, detail) in verdicts)
{
    Console.WriteLine($"  [{(pass ? "PASS" : "MISS")}] {name}: {detail}");
}

return 0;

static async Task<JsonObject> RunChildAsync(string scenario)
{
    var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
    var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
    {
        // Launched as `dotnet FlowFunctions.Bench.dll`: re-invoke the same way.
        start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
    }

    start.ArgumentList.Add("--scenario");
    start.ArgumentList.Add(scenario);
    using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start child");
    var output = await child.StandardOutput.ReadToEndAsync();
    await child.WaitForExitAsync();
    var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(Scenarios.ResultPrefix, StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"scenario {scenario} failed (exit {child.ExitCode}):\n{output}");
    return JsonNode.Parse(line[Scenarios.ResultPrefix.Length..])!.AsObject();
}
