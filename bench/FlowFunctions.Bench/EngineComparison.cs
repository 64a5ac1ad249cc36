using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace FlowFunctions.Bench;

/// <summary>
/// <c>--engine native|durable|both</c>: the two engines on the same Azurite (or FLOWFUNCTIONS_BENCH_AZURE), the same specs,
/// one command: fan-out 100, 1,000 and 10,000 (time, peak working set, storage requests per node, counted in both our
/// store's and DTFx's clients), chain 50 and 200 (step latency at steps 5-15 vs the last 11), and patch/raise to the new
/// activity's start. With <c>both</c>, each scenario runs for our engine and then for the durable one, each in a child
/// process of its own on a fresh name prefix (and task hub), and the table puts them side by side with durable/native ratios.
/// <c>--quick</c>: fan-out 100 and 1,000, chain 50, 10 latency samples. <c>--large N</c> replaces 10,000.
/// </summary>
internal static class EngineComparison
{
    public static async Task<int> RunAsync(string engines, string[] args)
    {
        string[] kinds = engines switch
        {
            "both" => [BenchEngine.Native, BenchEngine.Durable],
            BenchEngine.Native or BenchEngine.Durable => [engines],
            _ => throw new ArgumentException($"--engine must be native, durable or both, not '{engines}'"),
        };
        var quick = args.Contains("--quick");
        var large = args.SkipWhile(a => a != "--large").Skip(1).FirstOrDefault() is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : 10_000;
        string[] plan = quick
            ? ["fanout:100", "fanout:1000", "chain:50", "latency:10"]
            : ["fanout:100", "fanout:1000", $"fanout:{large}", "chain:50", "chain:200", "latency:30"];

        await using var azurite = await AzuriteProcess.EnsureAsync();
        var results = new Dictionary<(string Scenario, string Engine), JsonObject>();
        foreach (var scenario in plan)
        {
            foreach (var engine in kinds)
            {
                Console.Error.WriteLine($"running {scenario} on the {engine} engine ...");
                results[(scenario, engine)] = await ChildScenario.RunAsync(scenario, azure: true, engine);
            }
        }

        Console.WriteLine();
        Console.WriteLine(Table(plan.Where(s => !s.StartsWith("latency", StringComparison.Ordinal)), kinds, results));
        Console.WriteLine(LatencyTable(plan.Single(s => s.StartsWith("latency", StringComparison.Ordinal)), kinds, results));
        return 0;
    }

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static double Num(JsonObject o, string key) => o[key]!.GetValue<double>();

    /// <summary>One row per scenario: for each engine time, peak WS, requests/node (and chain step latencies); with two engines, durable/native ratios.</summary>
    private static string Table(IEnumerable<string> scenarios, string[] kinds, Dictionary<(string, string), JsonObject> results)
    {
        var both = kinds.Length == 2;
        string[] metrics = ["time (s)", "peak WS (MB)", "requests/node", "step 5-15 (ms)", "last steps (ms)"];
        var header = new StringBuilder("| scenario | status |");
        var rule = new StringBuilder("|---|---|");
        foreach (var metric in metrics)
        {
            foreach (var engine in kinds)
            {
                header.Append(CultureInfo.InvariantCulture, $" {engine} {metric} |");
                rule.Append("---:|");
            }

            if (both)
            {
                header.Append(" durable/native |");
                rule.Append("---:|");
            }
        }

        var table = new StringBuilder().AppendLine(header.ToString()).AppendLine(rule.ToString());
        foreach (var scenario in scenarios)
        {
            var rows = kinds.Select(k => results[(scenario, k)]).ToList();
            var nodes = Num(rows[0], "nodes");
            var line = new StringBuilder($"| {scenario} | {string.Join(" / ", rows.Select(r => r["status"]!.GetValue<string>()))} |");
            foreach (var value in new Func<JsonObject, double?>[]
            {
                r => Num(r, "seconds"),
                r => Num(r, "peakWorkingSetMB"),
                r => Num(r, "http") / nodes,
                r => r["stepEarlyMs"] is null ? null : Num(r, "stepEarlyMs"),
                r => r["stepLateMs"] is null ? null : Num(r, "stepLateMs"),
            })
            {
                var values = rows.Select(value).ToList();
                foreach (var v in values)
                {
                    line.Append(CultureInfo.InvariantCulture, $" {(v is { } x ? x.ToString(x >= 100 ? "0" : "0.00", Inv) : "")} |");
                }

                if (both)
                {
                    line.Append(CultureInfo.InvariantCulture, $" {(values[0] is > 0 && values[1] is { } d ? (d / values[0]!.Value).ToString("0.00", Inv) + "x" : "")} |");
                }
            }

            table.AppendLine(line.ToString());
        }

        return table.ToString();
    }

    private static string LatencyTable(string scenario, string[] kinds, Dictionary<(string, string), JsonObject> results)
    {
        var table = new StringBuilder($"Accepted -> new activity start ({scenario}, p50 / p99 ms; busy: fan-out runs in flight)\n");
        table.AppendLine("| from | worker | " + string.Join(" | ", kinds.Select(k => $"{k} p50 | {k} p99")) + (kinds.Length == 2 ? " | durable/native p50 |" : " |"));
        table.AppendLine("|---|---|" + string.Concat(kinds.Select(_ => "---:|---:|")) + (kinds.Length == 2 ? "---:|" : ""));
        foreach (var from in new[] { "patch", "raise" })
        {
            foreach (var load in new[] { "idle", "busy" })
            {
                var p50 = kinds.Select(k => Num(results[(scenario, k)][load]![from]!.AsObject(), "p50")).ToList();
                var p99 = kinds.Select(k => Num(results[(scenario, k)][load]![from]!.AsObject(), "p99")).ToList();
                table.Append(CultureInfo.InvariantCulture, $"| {from} | {load} | ");
                table.Append(string.Join(" | ", p50.Zip(p99, (a, b) => $"{a.ToString("0.0", Inv)} | {b.ToString("0.0", Inv)}")));
                table.AppendLine(kinds.Length == 2 ? $" | {(p50[1] / p50[0]).ToString("0.0", Inv)}x |" : " |");
            }
        }

        return table.ToString();
    }
}
