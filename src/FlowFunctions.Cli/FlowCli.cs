using System.CommandLine;
using FlowFunctions.Cli.Commands;

namespace FlowFunctions.Cli;

/// <summary>The <c>flow</c> command line: builds the command tree and maps parse errors to exit code 2.</summary>
internal static class FlowCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("FlowFunctions: data-defined DAG workflows for Azure.")
        {
            ValidateCommand.Create(stdout, stderr),
            RunCommand.Create(stdout, stderr),
            StatusCommand.Create(stdout, stderr),
            RunsCommand.Create(stdout, stderr),
            EventsCommand.Create(stdout, stderr),
            WorkerCommand.Create(stdout, stderr),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await stderr.WriteLineAsync($"flow: {error.Message}");
            }

            await stderr.WriteLineAsync("Run 'flow --help' for usage.");
            return ExitCodes.Invalid;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
