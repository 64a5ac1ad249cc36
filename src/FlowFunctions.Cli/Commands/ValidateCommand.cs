using System.CommandLine;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;

namespace FlowFunctions.Cli.Commands;

/// <summary><c>flow validate &lt;file&gt; [--output json] [--format yaml|json]</c>.</summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("file") { Description = "The spec file (.yaml, .yml or .json)." };
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var command = new Command("validate", "Check a workflow spec and report every problem with its location.") { file, output, format };
        command.SetAction(async parsed =>
        {
            var path = parsed.GetValue(file)!;
            var (result, problem) = SpecFile.Load(path, CommonOptions.ParseFormat(parsed.GetValue(format)));
            await SpecFile.ReportAsync(path, problem, result, stderr);
            if (result is null)
            {
                return ExitCodes.Invalid;
            }

            if (parsed.GetValue(output) == "json")
            {
                var errors = new JsonArray([.. result.Errors.Select(e => (JsonNode)new JsonObject
                {
                    ["path"] = e.Path,
                    ["line"] = e.Line,
                    ["column"] = e.Column,
                    ["message"] = e.Message,
                })]);
                await stdout.WriteLineAsync(new JsonObject { ["valid"] = result.IsValid, ["errors"] = errors }.ToJsonString(CliJson.Options));
            }
            else if (result.IsValid)
            {
                await stdout.WriteLineAsync($"{path}: valid ({result.Spec!.Name} v{result.Spec.Version}, {result.Spec.Nodes.Length} nodes)");
            }

            return result.IsValid ? ExitCodes.Ok : ExitCodes.Invalid;
        });
        return command;
    }
}
