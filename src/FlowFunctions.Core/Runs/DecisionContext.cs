namespace FlowFunctions.Core.Runs;

/// <summary>
/// Everything outside the run that a decision may depend on. Passing these in keeps
/// <see cref="RunDecider.Decide"/> pure and replayable.
/// </summary>
/// <param name="Now">The current time (timestamps, timer due times).</param>
/// <param name="Jitter">A random number in [0, 1) for retry jitter.</param>
/// <param name="MaxDispatches">
/// The episode's budget: how many activities, timers and inline evaluations one decision may start. When work
/// remains, the decision emits <see cref="Effect.ContinueRun"/> and the next decision goes on.
/// </param>
public sealed record DecisionContext(DateTimeOffset Now, double Jitter = 0.5, int MaxDispatches = int.MaxValue);

/// <summary>The result of a decision: the new state and the effects to carry out.</summary>
/// <param name="State">The run after the event.</param>
/// <param name="Effects">What to do: schedule activities, arm timers, complete the run.</param>
public sealed record Decision(RunState State, IReadOnlyList<Effect> Effects)
{
    /// <summary>The status changes the decision made, in order (the run's history).</summary>
    public IReadOnlyList<NodeTransition> Transitions { get; init; } = [];

    /// <summary>The top-level nodes whose state the decision replaced (a store writes only these).</summary>
    public IReadOnlyCollection<string> ChangedNodes { get; init; } = [];

    /// <summary>Why a control command (pause, resume, terminate, redrive) was refused, or null; a refused command changes nothing.</summary>
    public string? Refusal { get; init; }

    /// <summary>The graph revision this decision applied, for the run's mutation log.</summary>
    public GraphMutation? Mutation { get; init; }

    /// <summary>Run-level history: control commands applied or refused, for people.</summary>
    public IReadOnlyList<string> RunNotes { get; init; } = [];
}

/// <summary>A node (or map child) changed status.</summary>
/// <param name="NodeId">The node (or <c>map[i]</c> child).</param>
/// <param name="From">The status before.</param>
/// <param name="To">The status after.</param>
/// <param name="Attempt">The node's attempt token after the change.</param>
/// <param name="Detail">The error message or reason, if any.</param>
public sealed record NodeTransition(string NodeId, NodeStatus From, NodeStatus To, int Attempt, string? Detail)
{
    /// <summary>Who caused it: the <see cref="RunEvent.Actor"/> of the command that made the transition, when one did.</summary>
    public string? Actor { get; init; }
}
