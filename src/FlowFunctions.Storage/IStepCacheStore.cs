namespace FlowFunctions.Storage;

/// <summary>One cached output: scoped to a workflow and node, named by a hash of what the execution depended on.</summary>
/// <param name="Workflow">The workflow name.</param>
/// <param name="NodeId">The node id.</param>
/// <param name="Hash">The key hash (lowercase hex).</param>
/// <param name="Output">The output's JSON text.</param>
/// <param name="ExpiresAt">When the entry stops being used.</param>
public sealed record StepCacheEntry(string Workflow, string NodeId, string Hash, string Output, DateTimeOffset ExpiresAt);

/// <summary>The step cache: successful node outputs kept for reuse until they expire or are cleared.</summary>
public interface IStepCacheStore
{
    /// <summary>Reads an entry, expired or not (the caller compares <see cref="StepCacheEntry.ExpiresAt"/> with its clock), or null.</summary>
    Task<StepCacheEntry?> GetAsync(string workflow, string nodeId, string hash, CancellationToken cancellationToken);

    /// <summary>Writes an entry, replacing any entry of the same workflow, node and hash.</summary>
    Task PutAsync(StepCacheEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the entries of <paramref name="workflow"/> (every workflow when null) and <paramref name="nodeId"/> (every
    /// node when null), expired or not; returns how many were removed.
    /// </summary>
    Task<int> ClearAsync(string? workflow, string? nodeId, CancellationToken cancellationToken);
}
