namespace FlowFunctions.Core.Runs;

/// <summary>
/// The decision function: given a run's state and one event, the next state and the effects to carry out.
/// Pure: no I/O, no clock, no randomness except through <see cref="DecisionContext"/>. Applying an event that
/// no longer applies (a duplicate, a late result of an old attempt, a stale timer) returns the state unchanged.
/// </summary>
public static class RunDecider
{
    /// <summary>Decides what <paramref name="evt"/> does to the run.</summary>
    /// <param name="state">The run's state, or null before <see cref="RunEvent.RunStarted"/>.</param>
    /// <param name="evt">What happened.</param>
    /// <param name="context">Time, jitter and budget.</param>
    public static Decision Decide(RunState? state, RunEvent evt, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(context);
        if (evt is RunEvent.RunStarted started)
        {
            return state is null ? RunTransition.Start(started, context) : new Decision(state, []);
        }

        if (evt is RunEvent.RunRerunStarted rerun)
        {
            return state is null ? RunRerun.Start(rerun, context) : new Decision(state, []);
        }

        if (state is null)
        {
            throw new ArgumentException($"{evt.GetType().Name} arrived for a run that has not started", nameof(state));
        }

        if (evt is RunEvent.GraphPatchRequested patch)
        {
            var check = GraphPatcher.Check(state, patch.Patch);
            if (check.Refusal is { } refused)
            {
                return new Decision(state, []) { Refusal = refused, RunNotes = [$"patch refused: {refused}"] };
            }

            return patch.Patch.DryRun
                ? new Decision(state, []) { RunNotes = ["dry-run patch: nothing applied"] }
                : GraphPatcher.Apply(state, check, patch.Patch, patch.Author, context);
        }

        if (RunControl.Refusal(state, evt) is { } refusal)
        {
            return new Decision(state, []) { Refusal = refusal, RunNotes = [$"{RunControl.Name(evt)} refused: {refusal}"] };
        }

        if (state.IsTerminal && evt is not RunEvent.NodeRedriveRequested)
        {
            return new Decision(state, []);
        }

        var transition = new RunTransition(state, context);
        if (!transition.Apply(evt))
        {
            // An event that no longer applies must leave the run exactly as it was: dispatching here would let a
            // duplicate delivery do work (spend a budget, emit effects) that belongs to the pending ContinueRun.
            return new Decision(state, []);
        }

        return transition.Finish();
    }
}
