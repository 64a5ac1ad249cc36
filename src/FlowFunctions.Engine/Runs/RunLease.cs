using System.Text.Json.Nodes;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Runs;

/// <summary>A held lease on a run: the ETag proves it is still ours.</summary>
/// <param name="RunId">The run.</param>
/// <param name="ETag">The lease row's version after our last write.</param>
/// <param name="ExpiresAt">When it expires unless renewed.</param>
internal sealed record HeldLease(string RunId, string ETag, DateTimeOffset ExpiresAt);

/// <summary>
/// Serialises episodes of a run across workers, and across the passes of one worker, with one conditional write on the
/// run's lease row, so that N completions arriving at once do not start N racing episodes. The fencing row remains the real guard: a holder
/// whose lease expired mid-episode loses its commit, it cannot corrupt state.
/// </summary>
internal sealed class RunLease(IPartitionStore partitions, TimeProvider time, TimeSpan duration)
{
    private readonly string _owner = Guid.NewGuid().ToString("N");

    public async Task<HeldLease?> TryAcquireAsync(string runId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var current = await partitions.GetAsync(runId, RunRows.Lease, ct);
        var expires = now + duration;
        var value = Value(expires);
        try
        {
            if (current is null)
            {
                var etags = await partitions.ExecuteAsync(runId, [new RowOperation.Insert(RunRows.Lease, value)], ct);
                return new HeldLease(runId, etags[0], expires);
            }

            // Held by this process too: a worker's control loop, its command loop and local wake-ups each start passes,
            // and two passes of one run side by side are what the lease exists to prevent. One that loaded an older state
            // wrote it to the run index after the other had indexed the newer one (a finished run listed as Running).
            if (JsonNode.Parse(current.Value)!["expires"]!.GetValue<long>() > now.UtcTicks)
            {
                return null;
            }

            var replaced = await partitions.ExecuteAsync(runId, [new RowOperation.Replace(RunRows.Lease, value, current.ETag)], ct);
            return new HeldLease(runId, replaced[0], expires);
        }
        catch (BatchConflictException)
        {
            return null;
        }
    }

    /// <summary>Extends the lease once half of it is used (one write per half-lease, not per episode); null when it was lost.</summary>
    public async Task<HeldLease?> RenewIfDueAsync(HeldLease lease, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (lease.ExpiresAt - now > duration / 2)
        {
            return lease;
        }

        try
        {
            var expires = now + duration;
            var etags = await partitions.ExecuteAsync(lease.RunId, [new RowOperation.Replace(RunRows.Lease, Value(expires), lease.ETag)], ct);
            return lease with { ETag = etags[0], ExpiresAt = expires };
        }
        catch (BatchConflictException)
        {
            return null;
        }
    }

    public async Task ReleaseAsync(HeldLease lease, CancellationToken ct)
    {
        try
        {
            await partitions.ExecuteAsync(lease.RunId, [new RowOperation.Replace(RunRows.Lease, Value(DateTimeOffset.MinValue), lease.ETag)], ct);
        }
        catch (BatchConflictException)
        {
            // Someone took it over after it expired; nothing of ours to release.
        }
    }

    private string Value(DateTimeOffset expires) => new JsonObject { ["owner"] = _owner, ["expires"] = expires.UtcTicks }.ToJsonString();
}
