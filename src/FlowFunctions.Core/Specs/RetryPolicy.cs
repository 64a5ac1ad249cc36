using FlowFunctions.Core.Runs;

namespace FlowFunctions.Core.Specs;

/// <summary>How often and how patiently a node's handler is retried after a transient failure.</summary>
/// <param name="MaxAttempts">Total executions allowed, the first included (1 = no retry).</param>
/// <param name="Backoff">How the delay grows between attempts.</param>
/// <param name="Delay">The base delay.</param>
/// <param name="MaxDelay">The cap on any single delay.</param>
/// <param name="Jitter">Whether delays are spread by ±25% to avoid retry storms.</param>
public sealed record RetryPolicy(int MaxAttempts, BackoffKind Backoff, TimeSpan Delay, TimeSpan MaxDelay, bool Jitter)
{
    /// <summary>Which transient failures are retried (<c>retryOn</c>); every transient failure by default.</summary>
    public RetryOn RetryOn { get; init; } = RetryOn.Transient;

    /// <summary>The largest <see cref="MaxAttempts"/> a spec may ask for.</summary>
    public const int MaxAttemptsLimit = 100;

    /// <summary>
    /// The longest retry wait an executor may spend inside one work item (its inline-retry threshold is refused above
    /// this). <c>Decide()</c> uses it to bound how long a work item of several executions may take.
    /// </summary>
    public static readonly TimeSpan InlineWaitLimit = TimeSpan.FromSeconds(10);

    /// <summary>One attempt, no retry.</summary>
    public static RetryPolicy None { get; } = new(1, BackoffKind.Exponential, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), false);

    /// <summary>
    /// The delay before the attempt after <paramref name="failedAttempt"/> (1-based). <paramref name="jitter"/> is a
    /// number in [0, 1) supplied by the caller, which keeps this function deterministic.
    /// </summary>
    public TimeSpan DelayAfter(int failedAttempt, double jitter)
    {
        var baseTicks = (double)Delay.Ticks;
        var ticks = Backoff switch
        {
            BackoffKind.Constant => baseTicks,
            BackoffKind.Linear => baseTicks * failedAttempt,
            _ => baseTicks * Math.Pow(2, Math.Min(failedAttempt - 1, 62)),
        };
        if (Jitter)
        {
            ticks *= 0.75 + (0.5 * jitter);
        }

        return TimeSpan.FromTicks((long)Math.Min(ticks, MaxDelay.Ticks));
    }

    /// <summary>
    /// The delay before the attempt after <paramref name="failedAttempt"/> when the failure carried a
    /// <c>Retry-After</c>: the longer of the backoff and what the server asked for, capped by <see cref="MaxDelay"/>.
    /// </summary>
    public TimeSpan DelayAfter(int failedAttempt, double jitter, TimeSpan? retryAfter)
    {
        var backoff = DelayAfter(failedAttempt, jitter);
        return retryAfter is { } asked && asked > backoff ? (asked < MaxDelay ? asked : MaxDelay) : backoff;
    }

    /// <summary>
    /// Whether a failure of <paramref name="failedAttempt"/> (1-based) may be retried: it is transient, selected by
    /// <see cref="RetryOn"/>, and attempts remain.
    /// </summary>
    public bool Retries(int failedAttempt, ErrorClass errorClass, ErrorKind kind, int? status) =>
        failedAttempt < MaxAttempts && RetryOn.Matches(errorClass, kind, status);
}

/// <summary>How retry delays grow.</summary>
public enum BackoffKind
{
    /// <summary>Every delay is the base delay.</summary>
    Constant,

    /// <summary>delay × attempt.</summary>
    Linear,

    /// <summary>delay × 2^(attempt-1) (default).</summary>
    Exponential,
}
