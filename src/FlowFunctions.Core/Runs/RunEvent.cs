using System.Text.Json.Nodes;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Runs;

/// <summary>
/// Something that happened to a run. A closed union: the decision function handles each case. Node-addressed events
/// carry the attempt and incarnation they belong to, so a duplicate or late delivery is a no-op.
/// </summary>
public abstract record RunEvent
{
    private RunEvent()
    {
    }

    /// <summary>
    /// Who asked for it, for commands from outside the engine (<c>key:ci-bot</c>, <c>user:ana@contoso.com</c>,
    /// <c>cli:ana</c>); recorded with the history entries and graph revisions the command produces. Null for the
    /// engine's own events (activity results, timers).
    /// </summary>
    public string? Actor { get; init; }

    /// <summary>Starts a run.</summary>
    /// <param name="RunId">The new run's id.</param>
    /// <param name="Spec">The validated spec.</param>
    /// <param name="Inputs">The inputs as given; they are checked and defaulted against the spec.</param>
    /// <param name="SpecSource">The spec document (needed to patch the graph later), when known.</param>
    public sealed record RunStarted(string RunId, FlowSpec Spec, JsonObject? Inputs, JsonObject? SpecSource = null) : RunEvent;

    /// <summary>Starts a rerun of <paramref name="Source"/> from <paramref name="FromNode"/> (see <see cref="RunRerun"/>; check <see cref="RunRerun.Refusal"/> first).</summary>
    /// <param name="RunId">The new run's id.</param>
    /// <param name="Source">The source run's current state.</param>
    /// <param name="FromNode">The top-level node to rerun from.</param>
    public sealed record RunRerunStarted(string RunId, RunState Source, string FromNode) : RunEvent;

    /// <summary>An activity finished with an output.</summary>
    /// <param name="NodeId">The node (or <c>map[i]</c> child).</param>
    /// <param name="Attempt">The attempt token of the work item.</param>
    /// <param name="Incarnation">The node incarnation of the work item.</param>
    /// <param name="Output">The output.</param>
    /// <param name="Executions">How many handler executions the work item performed (inline retries included).</param>
    /// <param name="FromCache">The output came from the step cache (no execution): the node ends <see cref="NodeStatus.Cached"/>.</param>
    public sealed record ActivitySucceeded(string NodeId, int Attempt, int Incarnation, JsonNode? Output, int Executions = 1, bool FromCache = false) : RunEvent;

    /// <summary>An activity failed after the executions its work item allowed.</summary>
    /// <param name="NodeId">The node (or <c>map[i]</c> child).</param>
    /// <param name="Attempt">The attempt token of the work item.</param>
    /// <param name="Incarnation">The node incarnation of the work item.</param>
    /// <param name="Message">What went wrong.</param>
    /// <param name="Class">Whether a retry could help.</param>
    /// <param name="Executions">How many handler executions the work item performed.</param>
    public sealed record ActivityFailed(string NodeId, int Attempt, int Incarnation, string Message, ErrorClass Class, int Executions = 1) : RunEvent
    {
        /// <summary>What kind of failure it was (what <c>retry.retryOn</c> selects on).</summary>
        public ErrorKind Kind { get; init; }

        /// <summary>The HTTP status of an <see cref="ErrorKind.HttpStatus"/> failure.</summary>
        public int? Status { get; init; }

        /// <summary>How long the server asked to wait (<c>Retry-After</c>), measured when the response arrived.</summary>
        public TimeSpan? RetryAfter { get; init; }
    }

    /// <summary>
    /// The node's circuit breaker was open (or another worker held its half-open probe), so the work item stopped before
    /// executing the handler (again): the node waits, without spending an attempt, until <paramref name="RetryAt"/>.
    /// </summary>
    /// <param name="NodeId">The node.</param>
    /// <param name="Attempt">The attempt token of the work item.</param>
    /// <param name="Incarnation">The node incarnation of the work item.</param>
    /// <param name="BreakerKey">The breaker's key, for people (<c>circuit open: &lt;key&gt;</c>).</param>
    /// <param name="RetryAt">When the breaker half-opens (or the probe's lease ends): the node is dispatched again then.</param>
    /// <param name="Executions">Executions the work item performed before it found the breaker open (inline retries).</param>
    public sealed record ActivityParked(string NodeId, int Attempt, int Incarnation, string BreakerKey, DateTimeOffset RetryAt, int Executions = 0) : RunEvent;

    /// <summary>A timer armed by an earlier decision fired.</summary>
    /// <param name="NodeId">The node (or <c>map[i]</c> child).</param>
    /// <param name="Attempt">The attempt the timer belongs to.</param>
    /// <param name="Incarnation">The incarnation the timer belongs to.</param>
    /// <param name="Purpose">Why it was armed.</param>
    public sealed record TimerFired(string NodeId, int Attempt, int Incarnation, TimerPurpose Purpose) : RunEvent;

    /// <summary>Someone cancelled one node (and so, under the default trigger, what depends on it).</summary>
    /// <param name="NodeId">The node.</param>
    /// <param name="Reason">Why, for people.</param>
    public sealed record NodeCancelRequested(string NodeId, string? Reason = null) : RunEvent;

    /// <summary>Someone cancelled the whole run.</summary>
    /// <param name="Reason">Why, for people.</param>
    public sealed record RunCancelRequested(string? Reason = null) : RunEvent;

    /// <summary>Someone paused the run: nothing new is dispatched; running work finishes and its results are recorded.</summary>
    public sealed record RunPauseRequested : RunEvent;

    /// <summary>Someone resumed a paused run.</summary>
    public sealed record RunResumeRequested : RunEvent;

    /// <summary>Someone terminated the run (for stuck runs): it ends Cancelled at once with reason <c>terminated: ...</c>.</summary>
    /// <param name="Reason">Why, for people.</param>
    public sealed record RunTerminateRequested(string? Reason = null) : RunEvent;

    /// <summary>Someone redrove a Failed node: it runs again with a fresh attempt budget (and new incarnation).</summary>
    /// <param name="NodeId">The top-level node.</param>
    /// <param name="With">A replacement for the node's <c>with</c> (a template, like the spec's), or null to keep it.</param>
    public sealed record NodeRedriveRequested(string NodeId, JsonNode? With = null) : RunEvent;

    /// <summary>Someone patched the run's graph (checked by <see cref="GraphPatcher"/>); applied exactly once, producing the next revision.</summary>
    /// <param name="Patch">The patch.</param>
    /// <param name="Author">Who, for the mutation log.</param>
    public sealed record GraphPatchRequested(GraphPatch Patch, string? Author = null) : RunEvent;

    /// <summary>
    /// Someone raised a named external event. Delivered to every <c>wait</c> node waiting for <paramref name="Name"/>;
    /// when none is, it is kept and delivered to the next one that starts waiting for it.
    /// </summary>
    /// <param name="Name">The event name.</param>
    /// <param name="Payload">The payload (the waiting nodes' output).</param>
    /// <param name="EventId">An id making a repeated raise a no-op, or null.</param>
    public sealed record ExternalEventRaised(string Name, JsonNode? Payload, string? EventId = null) : RunEvent;

    /// <summary>The previous decision ran out of budget; go on dispatching.</summary>
    public sealed record ContinueRequested : RunEvent;
}

/// <summary>Why a timer was armed.</summary>
public enum TimerPurpose
{
    /// <summary>The backoff before a retry.</summary>
    RetryBackoff,

    /// <summary>A <c>delay</c> node's wait.</summary>
    Delay,

    /// <summary>The per-attempt timeout.</summary>
    AttemptTimeout,

    /// <summary>A <c>wait</c> node's <c>with.timeout</c>.</summary>
    EventTimeout,

    /// <summary>An activity node's <c>deadline</c>: armed with its first attempt, it holds for every attempt of the incarnation.</summary>
    Deadline,

    /// <summary>The circuit breaker that parked the node half-opens: dispatch the node again.</summary>
    BreakerHalfOpen,
}
