using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine;

/// <summary>
/// The Durable Task side of a <see cref="FlowEngine"/> (FlowFunctions.Engine.Durable): it starts a durable run's
/// orchestration and delivers commands to it as external events. Without one, a process can read durable runs but not
/// start or change them.
/// </summary>
public interface IDurableRunDriver
{
    /// <summary>Starts the orchestration of a run whose first step is committed (idempotent: an existing orchestration is kept).</summary>
    Task StartAsync(string runId, CancellationToken cancellationToken);

    /// <summary>Delivers a command or raised event to the run's orchestration, which applies it at its next step.</summary>
    Task SendAsync(string runId, RunEvent command, CancellationToken cancellationToken);
}
