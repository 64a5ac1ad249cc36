namespace FlowFunctions.Storage;

/// <summary>What the run list shows about a run.</summary>
/// <param name="RunId">The run id.</param>
/// <param name="Workflow">The workflow name.</param>
/// <param name="Status">The run status name.</param>
/// <param name="CreatedAt">When the run was created.</param>
/// <param name="UpdatedAt">When the summary last changed.</param>
/// <param name="NodesDone">Top-level nodes in a terminal status.</param>
/// <param name="NodesTotal">Top-level nodes.</param>
public sealed record RunSummary(string RunId, string Workflow, string Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int NodesDone, int NodesTotal);

/// <summary>Filters for listing runs; null fields do not filter.</summary>
/// <param name="Status">Only runs with this status.</param>
/// <param name="Workflow">Only runs of this workflow.</param>
/// <param name="CreatedFrom">Created at or after.</param>
/// <param name="CreatedTo">Created before.</param>
/// <param name="Limit">Page size.</param>
/// <param name="ContinuationToken">Where the previous page ended.</param>
public sealed record RunQuery(string? Status = null, string? Workflow = null, DateTimeOffset? CreatedFrom = null, DateTimeOffset? CreatedTo = null, int Limit = 50, string? ContinuationToken = null);

/// <summary>A page of runs, newest first.</summary>
/// <param name="Runs">The runs.</param>
/// <param name="ContinuationToken">Pass to get the next page; null on the last page.</param>
public sealed record RunPage(IReadOnlyList<RunSummary> Runs, string? ContinuationToken);

/// <summary>The list of runs across partitions, kept up to date by the engine after each episode.</summary>
public interface IRunIndex
{
    /// <summary>Adds or replaces a run's summary.</summary>
    Task UpsertAsync(RunSummary summary, CancellationToken cancellationToken);

    /// <summary>Lists runs newest first.</summary>
    Task<RunPage> ListAsync(RunQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a run's summary from every listing. Idempotent: deleting a run that is not listed (or was already deleted)
    /// does nothing. A later <see cref="UpsertAsync"/> of the same run lists it again.
    /// </summary>
    Task DeleteAsync(string runId, CancellationToken cancellationToken);
}
