using System.Text.Json.Nodes;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// The step cache, outside retry: for a node with <c>cache</c>, an entry under the work item's key that has not expired
/// is returned as the output (<see cref="ActivityOutcome.Succeeded.FromCache"/>, no execution, no retry); otherwise the
/// work item runs and a successful output is stored with expiry now + ttl. Failures are never cached. The cache is an
/// optimisation: when the store cannot be read or written the work item simply runs.
/// </summary>
internal sealed class StepCacheMiddleware(IStepCacheStore store, TimeProvider time) : IActivityMiddleware
{
    public async Task<ActivityOutcome> InvokeAsync(ActivityInvocation invocation, Func<ActivityInvocation, Task<ActivityOutcome>> next)
    {
        if (invocation.Request.Cache is not { } key)
        {
            return await next(invocation);
        }

        try
        {
            if (await store.GetAsync(key.Workflow, key.NodeId, key.Hash, invocation.CancellationToken) is { } entry && entry.ExpiresAt > time.GetUtcNow())
            {
                return new ActivityOutcome.Succeeded(JsonNode.Parse(entry.Output), 0, FromCache: true);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A miss.
        }

        var outcome = await next(invocation);
        if (outcome is ActivityOutcome.Succeeded succeeded)
        {
            try
            {
                var output = succeeded.Output?.ToJsonString() ?? "null";
                await store.PutAsync(new StepCacheEntry(key.Workflow, key.NodeId, key.Hash, output, time.GetUtcNow() + key.Ttl), invocation.CancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Not cached this time; the output stands.
            }
        }

        return outcome;
    }
}
