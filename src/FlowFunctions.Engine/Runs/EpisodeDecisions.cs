using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Runs;

/// <summary>
/// What one episode decided, event by event: the state it reached and everything its commit records (effects, history,
/// graph revisions, the nodes whose rows change). Both drivers use it: the native episode over its inbox and the
/// durable step over the events its orchestration collected.
/// </summary>
internal sealed class EpisodeDecisions
{
    private EpisodeDecisions(RunState state) => State = state;

    /// <summary>The run after the events applied so far.</summary>
    public RunState State { get; private set; }

    public List<Effect> Effects { get; } = [];

    public List<NodeTransition> Transitions { get; } = [];

    public List<(RunStatus Status, string Note, int? Revision, string? Actor)> Notes { get; } = [];

    public HashSet<string> Changed { get; } = new(StringComparer.Ordinal);

    public List<GraphMutation> Mutations { get; } = [];

    /// <summary>Decisions that start from a stored run.</summary>
    public static EpisodeDecisions From(RunState state) => new(state);

    /// <summary>The first decision of a new run; who started it is news (a run without an actor starts without a <c>$run</c> entry).</summary>
    public static EpisodeDecisions Started(Decision first, string? actor)
    {
        var decisions = new EpisodeDecisions(first.State);
        decisions.Effects.AddRange(first.Effects);
        decisions.Transitions.AddRange(first.Transitions);
        if (actor is not null)
        {
            decisions.Notes.Add((first.State.Status, "started", null, actor));
        }

        return decisions;
    }

    /// <summary>Applies one event; returns how many dispatches (activities and timers) it spent of the budget.</summary>
    public int Apply(RunEvent evt, DecisionContext context)
    {
        var decision = RunDecider.Decide(State, evt, context);
        State = decision.State;
        Effects.AddRange(decision.Effects);
        Transitions.AddRange(evt.Actor is null ? decision.Transitions : decision.Transitions.Select(t => t with { Actor = evt.Actor }));
        Notes.AddRange(decision.RunNotes.Select(n => (decision.State.Status, n, decision.Mutation?.Revision, evt.Actor)));
        Changed.UnionWith(decision.ChangedNodes);
        if (decision.Mutation is { } mutation)
        {
            Mutations.Add(mutation);
        }

        return decision.Effects.Count(e => e is Effect.ScheduleActivity or Effect.ArmTimer);
    }
}
