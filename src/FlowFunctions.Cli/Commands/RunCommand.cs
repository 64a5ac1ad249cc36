using System.CommandLine;
using System.Diagnostics;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine;
using FlowFunctions.Engine.Durable;
using Microsoft.Extensions.Logging;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// <c>flow run &lt;spec&gt; [--input name=value]... [--input-file f.json] [--store path] [--engine native|durable] [--output json] [--detach] [--timeout d]</c>:
/// starts a run and works it to a terminal status with an embedded worker.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("spec") { Description = "The workflow spec (.yaml, .yml or .json)." };
        var input = new Option<string[]>("--input", "-i") { Description = "An input as name=value, read as the declared type; repeatable.", AllowMultipleArgumentsPerToken = false };
        var inputFile = new Option<string?>("--input-file") { Description = "A JSON object of inputs (--input values override it)." };
        var store = CommonOptions.Store();
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var detach = new Option<bool>("--detach") { Description = "Start the run, print its id and return; a 'flow worker' works it." };
        var timeout = new Option<string?>("--timeout") { Description = "Stop waiting after this duration (the run goes on in the store)." };
        var allowHost = CommonOptions.AllowHost();
        var engineKind = CommonOptions.Engine();
        var command = new Command("run", "Run a workflow to completion on the embedded store.") { file, input, inputFile, store, engineKind, output, format, detach, timeout, allowHost };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var path = parsed.GetValue(file)!;
            var (result, problem) = SpecFile.Load(path, CommonOptions.ParseFormat(parsed.GetValue(format)));
            if (problem is not null || !result!.IsValid)
            {
                await SpecFile.ReportAsync(path, problem, result, stderr);
                return ExitCodes.Invalid;
            }

            var spec = result.Spec!;
            var (inputs, inputErrors) = InputArguments.Parse(spec, parsed.GetValue(input) ?? [], parsed.GetValue(inputFile));
            if (inputErrors.Count == 0)
            {
                inputErrors.AddRange(InputBinder.Bind(spec, inputs).Errors);
            }

            if (inputErrors.Count > 0)
            {
                foreach (var error in inputErrors)
                {
                    await stderr.WriteLineAsync($"flow: {error}");
                }

                return ExitCodes.Invalid;
            }

            var (timeoutOk, waitLimit) = await TryParseTimeoutAsync(parsed.GetValue(timeout), stderr);
            if (!timeoutOk)
            {
                return ExitCodes.Invalid;
            }

            if (EngineFactory.EngineProblem(parsed.GetValue(engineKind)!, parsed.GetValue(store)!) is { } engineProblem)
            {
                await stderr.WriteLineAsync($"flow: {engineProblem}");
                return ExitCodes.Invalid;
            }

            using var telemetry = CliTelemetry.Start();
            await using var engine = EngineFactory.Open(parsed.GetValue(store)!, allowedHosts: parsed.GetValue(allowHost), engine: parsed.GetValue(engineKind)!);
            var runId = await engine.StartRunAsync(spec, File.ReadAllText(path), inputs, actor: ControlCommands.CliActor, cancellationToken: cancellationToken);
            return await FollowAsync(engine, runId, parsed.GetValue(detach), parsed.GetValue(output) == "json", waitLimit, stdout, stderr, cancellationToken);
        });
        return command;
    }

    /// <summary>Parses <c>--timeout</c> (absent: no limit); reports a bad value on <paramref name="stderr"/>.</summary>
    internal static async Task<(bool Ok, TimeSpan? Limit)> TryParseTimeoutAsync(string? text, TextWriter stderr)
    {
        if (text is null)
        {
            return (true, null);
        }

        if (!Duration.TryParse(text, out var limit, out var error) || limit <= TimeSpan.Zero)
        {
            await stderr.WriteLineAsync($"flow: --timeout: {error ?? "must be longer than zero"}");
            return (false, null);
        }

        return (true, limit);
    }

    /// <summary>
    /// After a run started: with <paramref name="detach"/> prints its id and returns 0; otherwise works it with an embedded worker
    /// until it is terminal (or paused, or <paramref name="waitLimit"/> passes), prints the summary (or the run document) and
    /// returns 0 when it succeeded, 1 otherwise.
    /// </summary>
    internal static async Task<int> FollowAsync(FlowEngine engine, string runId, bool detach, bool json, TimeSpan? waitLimit, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (detach)
        {
            await stdout.WriteLineAsync(runId);
            return ExitCodes.Ok;
        }

        var view = json ? null : new RunView(stdout);
        var state = await WorkUntilDoneAsync(engine, runId, waitLimit, view, cancellationToken);
        if (json)
        {
            await stdout.WriteLineAsync(FlowEngine.RunDocument(state).ToJsonString(CliJson.Options));
        }
        else
        {
            await RunView.WriteSummaryAsync(state, stdout, tableShown: view!.IsLive);
        }

        if (!state.IsTerminal)
        {
            await stderr.WriteLineAsync($"flow: stopped waiting after {Duration.Format(waitLimit ?? TimeSpan.Zero)}; the run is {state.Status}. Continue it with 'flow worker' and check it with 'flow status {runId}'.");
            return ExitCodes.RunFailed;
        }

        if (state.Status != RunStatus.Succeeded)
        {
            await stderr.WriteLineAsync($"flow: run {runId} {state.Status.ToString().ToLowerInvariant()}: {state.Reason}");
        }

        return state.Status == RunStatus.Succeeded ? ExitCodes.Ok : ExitCodes.RunFailed;
    }

    private static async Task<RunState> WorkUntilDoneAsync(FlowEngine engine, string runId, TimeSpan? waitLimit, RunView? view, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var logs = EngineFactory.Logs(LogLevel.Warning);
        var worker = engine.WorkAsync(logs.CreateLogger("flow.run"), stop.Token);
        var clock = Stopwatch.StartNew();
        RunState state;
        try
        {
            while (true)
            {
                state = (await engine.GetRunAsync(runId, CancellationToken.None))!;
                view?.Update(state);
                if (state.IsTerminal || state.Status == RunStatus.Paused || cancellationToken.IsCancellationRequested
                    || (waitLimit is { } limit && clock.Elapsed >= limit))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await worker;
        }

        return state;
    }
}
