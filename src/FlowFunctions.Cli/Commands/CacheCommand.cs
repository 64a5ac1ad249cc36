using System.CommandLine;
using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// <c>flow cache clear [--workflow name] [--node id] [--output json] [--store path]</c>: removes step cache entries (every
/// one without flags) and prints how many; exit 0.
/// </summary>
internal static class CacheCommand
{
    public static Command Create(TextWriter stdout)
    {
        var workflow = new Option<string?>("--workflow") { Description = "Only entries of this workflow." };
        var node = new Option<string?>("--node") { Description = "Only entries of nodes with this id." };
        var output = CommonOptions.Output();
        var store = CommonOptions.Store();
        var clear = new Command("clear", "Remove step cache entries: all of them, or those of a workflow and/or node id.") { workflow, node, output, store };
        clear.SetAction(async (parsed, cancellationToken) =>
        {
            await using var opened = EngineFactory.OpenStore(parsed.GetValue(store)!);
            var removed = await opened.StepCache.ClearAsync(parsed.GetValue(workflow), parsed.GetValue(node), cancellationToken);
            await stdout.WriteLineAsync(parsed.GetValue(output) == "json"
                ? new JsonObject { ["removed"] = removed }.ToJsonString()
                : $"Removed {removed} cache {(removed == 1 ? "entry" : "entries")}.");
            return ExitCodes.Ok;
        });
        return new Command("cache", "Manage the step cache.") { clear };
    }
}
