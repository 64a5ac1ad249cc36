using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace FlowFunctions.Bench;

/// <summary>Runs one scenario in a child process of this bench (so that peak memory is per scenario) and returns its result.</summary>
internal static class ChildScenario
{
    public static async Task<JsonObject> RunAsync(string scenario, bool azure, string engine = BenchEngine.Native)
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
        if (azure)
        {
            start.ArgumentList.Add("--azurite");
        }

        start.ArgumentList.Add("--engine");
        start.ArgumentList.Add(engine);
        using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start child");
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(Scenarios.ResultPrefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"scenario {scenario} ({engine}) failed (exit {child.ExitCode}):\n{output}");
        return JsonNode.Parse(line[Scenarios.ResultPrefix.Length..])!.AsObject();
    }
}
