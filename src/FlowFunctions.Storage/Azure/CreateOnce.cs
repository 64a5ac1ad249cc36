using System.Collections.Concurrent;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Runs an idempotent "create if not exists" once per name and process, so a fresh account works without a set-up
/// step and a warm one pays no extra request. A failed creation is forgotten and tried again by the next caller.
/// </summary>
internal sealed class CreateOnce
{
    private readonly ConcurrentDictionary<string, Lazy<Task>> created = new(StringComparer.Ordinal);

    /// <summary>The names created (or being created) so far.</summary>
    public IReadOnlyCollection<string> Names => created.Keys.ToList();

    public async Task EnsureAsync(string name, Func<string, CancellationToken, Task> create, CancellationToken cancellationToken)
    {
        // The creation runs without the first caller's token: other callers share it and must not see it cancelled.
        var lazy = created.GetOrAdd(name, key => new Lazy<Task>(() => create(key, CancellationToken.None)));
        try
        {
            await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
        {
            created.TryRemove(KeyValuePair.Create(name, lazy));
            throw;
        }
    }
}
