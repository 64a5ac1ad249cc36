using FlowFunctions.Engine;

namespace FlowFunctions.Host.Api;

/// <summary>The step cache endpoint: <c>DELETE /api/cache?workflow=..&amp;node=..</c>.</summary>
internal static class CacheApi
{
    public static RouteGroupBuilder MapCacheApi(this RouteGroupBuilder api)
    {
        api.MapDelete("/cache", ClearAsync);
        return api;
    }

    /// <summary>Removes the entries of a workflow and/or node id (every entry without parameters): 200 <c>{"removed": n}</c>.</summary>
    private static async Task<IResult> ClearAsync(FlowEngine engine, string? workflow, string? node, CancellationToken ct)
    {
        var removed = await engine.Store.StepCache.ClearAsync(NullIfEmpty(workflow), NullIfEmpty(node), ct);
        return TypedResults.Json(new { removed });
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
