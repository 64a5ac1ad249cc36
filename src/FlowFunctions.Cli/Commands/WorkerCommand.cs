using System.CommandLine;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine;
using FlowFunctions.Engine.Durable;
using FlowFunctions.Storage;
using Microsoft.Extensions.Logging;

namespace FlowFunctions.Cli.Commands;

/// <summary>
/// <c>flow worker [--store path] [--engine native|durable] [--visibility d] [--retention d]</c>: works every run of the store
/// (of the chosen engine) until stopped (Ctrl+C or SIGTERM).
/// </summary>
internal static class WorkerCommand
{
    /// <summary>
    /// The shortest DTFx message visibility <c>--visibility</c> sets: DTFx renews a message on its own schedule, and at 2 s
    /// a loaded worker took one message twice at once (PopReceiptMismatch, then 10 s back-offs, and no progress).
    /// </summary>
    private static readonly TimeSpan MinimumDurableMessageVisibility = TimeSpan.FromSeconds(15);

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var store = CommonOptions.Store();
        var visibility = new Option<string?>("--visibility")
        {
            Description = "How long a taken message or run lease lasts before another worker may take it over (default 30s; durable: partition leases, default 30s, and messages, default 5m, at least 15s). Shorter recovers faster from crashed workers.",
        };
        var retention = new Option<string?>("--retention")
        {
            Description = "Delete finished runs (Succeeded, Failed, Cancelled) this long after they finished, e.g. 30d (default: keep forever).",
        };
        var allowHost = CommonOptions.AllowHost();
        var engineKind = CommonOptions.Engine();
        var command = new Command("worker", "Work all runs of the store until stopped.") { store, engineKind, visibility, retention, allowHost };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            if (EngineFactory.EngineProblem(parsed.GetValue(engineKind)!, parsed.GetValue(store)!) is { } problem)
            {
                await stderr.WriteLineAsync($"flow: {problem}");
                return ExitCodes.Invalid;
            }

            var options = new EngineOptions();
            var durable = new DurableRunOptions();
            if (parsed.GetValue(visibility) is { } text)
            {
                if (!Duration.TryParse(text, out var value, out var error) || value < TimeSpan.FromSeconds(1))
                {
                    await stderr.WriteLineAsync($"flow: --visibility: {error ?? "must be at least 1s"}");
                    return ExitCodes.Invalid;
                }

                options.WorkVisibility = options.ControlVisibility = options.LeaseDuration = value;
                options.HousekeepingInterval = value;
                durable.PartitionLease = value;
                durable.MessageVisibility = value < MinimumDurableMessageVisibility ? MinimumDurableMessageVisibility : value;
            }

            if (parsed.GetValue(retention) is { } retentionText)
            {
                if (!Duration.TryParse(retentionText, out var value, out var error) || value <= TimeSpan.Zero)
                {
                    await stderr.WriteLineAsync($"flow: --retention: {error ?? "must be positive"}");
                    return ExitCodes.Invalid;
                }

                options.RunRetention = value;
            }

            using var telemetry = CliTelemetry.Start();
            await using var engine = EngineFactory.Open(parsed.GetValue(store)!, options, parsed.GetValue(allowHost), parsed.GetValue(engineKind)!, durable);
            await stdout.WriteLineAsync($"flow worker: working {parsed.GetValue(engineKind)} runs in {FlowStores.Describe(parsed.GetValue(store)!)} (Ctrl+C to stop)");
            using var logs = EngineFactory.Logs(LogLevel.Information);
            await engine.WorkAsync(logs.CreateLogger("flow.worker"), cancellationToken);
            await stdout.WriteLineAsync("flow worker: stopped");
            return ExitCodes.Ok;
        });
        return command;
    }
}
