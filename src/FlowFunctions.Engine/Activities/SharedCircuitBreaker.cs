using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Specs;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// Circuit breakers whose state every worker shares through an <see cref="IBreakerStore"/> row per key, changed only by
/// conditional writes (read, decide, write if unchanged, else read again), so no lock or leader is needed.
/// </summary>
/// <remarks>
/// <para>
/// Why not Polly's breaker: Polly.Core keeps breaker state in the process, and a workflow's executions of one service
/// are spread over every worker. The states and thresholds are Polly's (closed, open, half-open; failure ratio over a
/// sampling window with a minimum throughput; break duration), kept in the store instead of in memory.
/// </para>
/// <para>
/// Closed: each execution's result is counted in the current window (a window older than the sampling duration starts
/// over). When failures / executions reaches the failure ratio with at least the minimum throughput, the breaker opens
/// until now + break duration. Open: nothing is admitted. After the break, the first execution that claims the probe
/// (a conditional write, so exactly one worker wins) runs alone; the probe holds a lease of the break duration (or
/// the execution timeout, if longer), after which another execution may claim it. A probe that succeeds closes the
/// breaker with an empty window; a probe that fails transiently opens it again for a break duration.
/// </para>
/// <para>
/// Only transient failures count as failures. A permanent one (a 4xx, bad input) shows that the service answered, so
/// it counts as a success, as Polly counts outcomes its predicate does not handle.
/// </para>
/// <para>
/// Each worker keeps what it last read or wrote of a key for <see cref="CacheFor"/>, so an open or closed breaker costs
/// no read per execution; another worker's change is seen within that time. Results are always written with the row's
/// ETag, so counts are never lost to a stale cache (a conflict rereads). The breaker is advisory: when the store
/// cannot be reached, executions are admitted and results not counted.
/// </para>
/// </remarks>
internal sealed class SharedCircuitBreaker(IBreakerStore store, TimeProvider time)
{
    /// <summary>How long a worker trusts what it last read or wrote of a breaker.</summary>
    internal static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    private const int MaxConflicts = 16;

    private readonly ConcurrentDictionary<string, Cached> cache = new(StringComparer.Ordinal);

    /// <summary>Whether an execution may go through now; a probe when it claimed the half-open probe.</summary>
    public Task<Admission> AdmitAsync(CircuitBreakerPolicy policy, TimeSpan? executionTimeout, CancellationToken ct) =>
        ChangeAsync(policy.Key!, Admission.Admitted, (state, now) =>
        {
            switch (state.Phase)
            {
                case Phase.Closed:
                    return (null, Admission.Admitted);
                case Phase.Open when now < state.Until:
                case Phase.HalfOpen when now < state.Until:
                    return (null, Admission.Reject(state.Until));
            }

            // Open and the break is over, or a probe's lease ran out: claim the probe.
            var lease = executionTimeout is { } t && t > policy.BreakDuration ? t : policy.BreakDuration;
            return (state with { Phase = Phase.HalfOpen, Until = now + lease }, Admission.Probe);
        }, ct);

    /// <summary>Counts an execution's result (<paramref name="failed"/>: a transient failure) and opens or closes the breaker.</summary>
    public Task RecordAsync(CircuitBreakerPolicy policy, bool probe, bool failed, CancellationToken ct) =>
        ChangeAsync(policy.Key!, true, (state, now) =>
        {
            if (state.Phase == Phase.HalfOpen && probe)
            {
                return (failed ? BreakerState.OpenUntil(now + policy.BreakDuration, now) : BreakerState.Closed(now), true);
            }

            if (state.Phase != Phase.Closed)
            {
                // A result of an execution admitted before the breaker opened (or of a probe that lost its lease): the
                // breaker has already decided.
                return (null, true);
            }

            var window = now - state.WindowStart >= policy.SamplingDuration ? BreakerState.Closed(now) : state;
            var failures = window.Failures + (failed ? 1 : 0);
            var total = window.Successes + window.Failures + 1;
            var next = total >= policy.MinimumThroughput && failures >= policy.FailureRatio * total
                ? BreakerState.OpenUntil(now + policy.BreakDuration, now)
                : window with { Successes = window.Successes + (failed ? 0 : 1), Failures = failures };
            return (next, true);
        }, ct);

    /// <summary>
    /// One optimistic change of a breaker: <paramref name="decide"/> gets the state (the cached copy first, a fresh read
    /// after a lost write) and the time, and returns the state to write (null: nothing to write) with the result. A lost
    /// conditional write decides again; after <see cref="MaxConflicts"/> losses <paramref name="giveUp"/> is returned.
    /// </summary>
    private async Task<T> ChangeAsync<T>(string key, T giveUp, Func<BreakerState, DateTimeOffset, (BreakerState? Next, T Result)> decide, CancellationToken ct)
    {
        var fresh = false;
        for (var conflicts = 0; conflicts < MaxConflicts; conflicts++)
        {
            var (state, etag) = fresh ? await ReadAsync(key, ct) : await ReadCachedAsync(key, ct);
            fresh = true;
            var (next, result) = decide(state, time.GetUtcNow());
            if (next is null || await WriteAsync(key, next, etag, ct))
            {
                return result;
            }
        }

        return giveUp;
    }

    private async Task<(BreakerState State, string? ETag)> ReadCachedAsync(string key, CancellationToken ct)
    {
        if (cache.TryGetValue(key, out var cached) && time.GetElapsedTime(cached.ReadAt) < CacheFor)
        {
            return (cached.State, cached.ETag);
        }

        return await ReadAsync(key, ct);
    }

    private async Task<(BreakerState State, string? ETag)> ReadAsync(string key, CancellationToken ct)
    {
        var row = await store.GetAsync(key, ct);
        var state = row is null ? BreakerState.Closed(time.GetUtcNow()) : BreakerState.Parse(row.Value);
        cache[key] = new Cached(state, row?.ETag, time.GetTimestamp());
        return (state, row?.ETag);
    }

    private async Task<bool> WriteAsync(string key, BreakerState state, string? etag, CancellationToken ct)
    {
        if (await store.TryWriteAsync(key, state.ToJson(), etag, ct) is not { } written)
        {
            cache.TryRemove(key, out _);
            return false;
        }

        cache[key] = new Cached(state, written, time.GetTimestamp());
        return true;
    }

    /// <summary>What the breaker said about one execution.</summary>
    /// <param name="Allowed">Whether the execution may go through.</param>
    /// <param name="IsProbe">Whether it is the half-open probe.</param>
    /// <param name="RetryAt">When to come back if not allowed.</param>
    internal sealed record Admission(bool Allowed, bool IsProbe, DateTimeOffset RetryAt)
    {
        public static Admission Admitted { get; } = new(true, false, default);

        public static Admission Probe { get; } = new(true, true, default);

        public static Admission Reject(DateTimeOffset retryAt) => new(false, false, retryAt);
    }

    private enum Phase
    {
        Closed,
        Open,
        HalfOpen,
    }

    private sealed record Cached(BreakerState State, string? ETag, long ReadAt);

    /// <summary>A breaker's stored state: the phase, the counting window (closed) and until when it holds (open, half-open).</summary>
    private sealed record BreakerState(Phase Phase, DateTimeOffset WindowStart, int Successes, int Failures, DateTimeOffset Until)
    {
        public static BreakerState Closed(DateTimeOffset now) => new(Phase.Closed, now, 0, 0, default);

        public static BreakerState OpenUntil(DateTimeOffset until, DateTimeOffset now) => new(Phase.Open, now, 0, 0, until);

        public static BreakerState Parse(string json)
        {
            var o = JsonNode.Parse(json)!.AsObject();
            return new BreakerState(
                Enum.Parse<Phase>(o["phase"]!.GetValue<string>()),
                Time(o["windowStart"]),
                o["successes"]!.GetValue<int>(),
                o["failures"]!.GetValue<int>(),
                Time(o["until"]));
        }

        public string ToJson() => new JsonObject
        {
            ["phase"] = Phase.ToString(),
            ["windowStart"] = WindowStart.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["successes"] = Successes,
            ["failures"] = Failures,
            ["until"] = Until.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        }.ToJsonString();

        private static DateTimeOffset Time(JsonNode? node) =>
            DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
    }
}
