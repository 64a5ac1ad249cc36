namespace FlowFunctions.Storage;

/// <summary>
/// Counts the requests a store sends to its storage service within one asynchronous flow (an episode, say), for
/// telemetry. The Azure store counts every HTTP attempt, retries included; the SQLite store sends none.
/// </summary>
public static class StorageRequests
{
    private static readonly AsyncLocal<StorageRequestCount?> Current = new();

    /// <summary>
    /// Starts counting the requests of this flow and of what it starts. Only the calling async method and its callees see
    /// it: the runtime restores the caller's flow when that method returns, so no scope needs closing.
    /// </summary>
    public static StorageRequestCount StartCounting() => Current.Value = new StorageRequestCount();

    /// <summary>Counts one request against the flow's count, if it has one.</summary>
    internal static void Sent() => Current.Value?.Add();
}

/// <summary>The requests counted since <see cref="StorageRequests.StartCounting"/>.</summary>
public sealed class StorageRequestCount
{
    private long _value;

    /// <summary>How many so far.</summary>
    public long Value => Interlocked.Read(ref _value);

    internal void Add() => Interlocked.Increment(ref _value);
}
