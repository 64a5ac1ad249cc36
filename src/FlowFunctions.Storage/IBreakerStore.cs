namespace FlowFunctions.Storage;

/// <summary>
/// The shared state of circuit breakers, one row per breaker key, written with optimistic concurrency so that any
/// number of workers can count executions and claim the half-open probe without a lock. The store keeps the state as
/// opaque JSON text; the engine's breaker decides what it means.
/// </summary>
public interface IBreakerStore
{
    /// <summary>Reads a breaker's row (its JSON state and ETag), or null when the key was never written.</summary>
    Task<StoredRow?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a breaker's state if nobody wrote it since <paramref name="etag"/> was read (null: only if the row does not
    /// exist yet). Returns the new ETag, or null when the condition failed (read again and redo the change).
    /// </summary>
    Task<string?> TryWriteAsync(string key, string state, string? etag, CancellationToken cancellationToken);
}
