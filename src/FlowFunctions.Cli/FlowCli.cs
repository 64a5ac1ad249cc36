using System.CommandLine;
using FlowFunctions.Cli.Commands;

namespace FlowFunctions.Cli;

/// <summary>The <c>flow</c> command line: builds the command tree and maps parse errors to exit code 2.</summary>
internal static class FlowCli
{
    /// <summary>How long a command may take to stop after Ctrl+C or SIGTERM before the process exits anyway.</summary>
    internal static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("FlowFunctions: data-defined DAG workflows for Azure.")
        {
            ValidateCommand.Create(stdout, stderr),
            RunCommand.Create(stdout, stderr),
            RerunCommand.Create(stdout, stderr),
            StatusCommand.Create(stdout, stderr),
            RunsCommand.Create(stdout, stderr),
            EventsCommand.Create(stdout, stderr),
            WorkerCommand.Create(stdout, stderr),
            DevCommand.Create(stdout, stderr),
            CacheCommand.Create(stdout),
            McpCommand.Create(stderr),
        };
        foreach (var command in ControlCommands.Create(stdout, stderr))
        {
            root.Subcommands.Add(command);
        }

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

        // Ctrl+C and SIGTERM cancel the command's token; System.CommandLine's default of 2 s before it gives up on the
        // command is shorter than a worker's graceful stop (activities get 10 s) plus stopping flow dev's Azurite.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = TerminationGrace });
    }
}
