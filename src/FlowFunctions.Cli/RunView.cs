using System.Globalization;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace FlowFunctions.Cli;

/// <summary>
/// The terminal view of a run: on an interactive terminal a live progress line and node table redrawn in place;
/// otherwise (redirected output, CI logs) nothing until the final summary.
/// </summary>
internal sealed class RunView(TextWriter output)
{
    private readonly IAnsiConsole? _console = Console.IsOutputRedirected || output != Console.Out ? null : AnsiConsole.Console;
    private int _lastLines;

    public bool IsLive => _console is not null;

    public void Update(RunState state)
    {
        if (_console is null)
        {
            return;
        }

        // Redraw in place: move up over the previous frame, then write the new one.
        if (_lastLines > 0)
        {
            _console.Write(new ControlCode($"\u001b[{_lastLines}A\u001b[0J"));
        }

        var table = NodeTable(state);
        var progress = Progress(state);
        _console.Write(progress);
        _console.Write(table);
        _lastLines = 1 + table.Rows.Count + 4;
    }

    /// <summary>Writes the node table (unless a live view already shows it) and the status line.</summary>
    public static async Task WriteSummaryAsync(RunState state, TextWriter output, bool tableShown = false)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = output == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = output == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!tableShown)
        {
            console.Write(NodeTable(state));
        }

        var elapsed = (state.CompletedAt ?? state.StartedAt) - state.StartedAt;
        await output.WriteLineAsync($"Run {state.RunId} {state.Status} in {Format(elapsed)}{(state.Reason is null ? string.Empty : ": " + state.Reason)}");
        if (state.RerunOf is { } source)
        {
            await output.WriteLineAsync($"Rerun of run {source.RunId} from '{source.FromNode}'");
        }

        if (state.Outputs is { Count: > 0 } outputs)
        {
            await output.WriteLineAsync("Outputs: " + outputs.ToJsonString(CliJson.Options));
        }
    }

    private static Markup Progress(RunState state)
    {
        var total = state.Nodes.Count;
        var done = state.TerminalNodes;
        const int width = 30;
        var filled = total == 0 ? width : done * width / total;
        return new Markup($"[bold]{Markup.Escape(state.Spec.Name)}[/] {new string('█', filled)}{new string('░', width - filled)} {done}/{total} nodes  {state.Status}\n");
    }

    private static Table NodeTable(RunState state)
    {
        var table = new Table().AddColumns("node", "type", "status", "attempts", "duration", "detail");
        foreach (var spec in state.Spec.Nodes)
        {
            var node = state.Nodes[spec.Id];
            var type = node.Map is { } map ? $"map {map.Done}/{map.Total}" : spec.Type;
            var duration = node.StartedAt is { } started && node.CompletedAt is { } completed ? Format(completed - started) : string.Empty;
            var detail = node.Status == NodeStatus.Failed && node.Error is { } error ? ErrorDetail(error) : node.Reason;
            table.AddRow(
                Markup.Escape(spec.Id),
                Markup.Escape(type),
                $"[{Colour(node.Status)}]{node.Status}[/]",
                node.Attempts.ToString(CultureInfo.InvariantCulture),
                duration,
                Markup.Escape(detail ?? string.Empty));
        }

        return table;
    }

    /// <summary><c>GET x returned 503 (transient httpStatus 503, attempt 3)</c>: the message with its classification.</summary>
    internal static string ErrorDetail(NodeError error)
    {
        var status = error.Status is { } code ? " " + code.ToString(CultureInfo.InvariantCulture) : string.Empty;
        return $"{error.Message} ({error.Class.ToString().ToLowerInvariant()} {FlowEngine.ErrorKindName(error.Kind)}{status}, attempt {error.Attempt})";
    }

    private static string Colour(NodeStatus status) => status switch
    {
        NodeStatus.Succeeded or NodeStatus.Cached => "green",
        NodeStatus.Failed => "red",
        NodeStatus.Running => "blue",
        NodeStatus.Waiting => "yellow",
        _ => "grey",
    };

    private static string Format(TimeSpan elapsed) => elapsed < TimeSpan.FromSeconds(1)
        ? $"{(int)elapsed.TotalMilliseconds}ms"
        : Duration.Format(TimeSpan.FromMilliseconds(Math.Round(elapsed.TotalMilliseconds / 100) * 100));
}
