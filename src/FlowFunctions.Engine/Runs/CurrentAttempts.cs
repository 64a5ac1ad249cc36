using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Storage;

namespace FlowFunctions.Engine.Runs;

/// <summary>Which work items are still wanted: their node is Running with the same attempt and incarnation.</summary>
internal static class CurrentAttempts
{
    /// <summary>
    /// The requests whose attempt is the one their run is waiting for. The node rows of one run are read with one
    /// <see cref="IPartitionStore.GetManyAsync"/> (one request on Azure for up to 14 items, where a point read per item
    /// was most of the requests per node on a wide fan-out).
    /// </summary>
    public static async Task<HashSet<ActivityRequest>> FindAsync(IPartitionStore partitions, IEnumerable<ActivityRequest> requests, CancellationToken ct)
    {
        var current = new HashSet<ActivityRequest>(ReferenceEqualityComparer.Instance);
        foreach (var run in requests.GroupBy(r => r.RunId, StringComparer.Ordinal))
        {
            var rows = await partitions.GetManyAsync(run.Key, [.. run.Select(Key)], ct);
            foreach (var request in run)
            {
                if (rows.TryGetValue(Key(request), out var row))
                {
                    var node = JsonNode.Parse(row.Value)!;
                    if (node["status"]!.GetValue<string>() == nameof(NodeStatus.Running)
                        && node["attempt"]!.GetValue<int>() == request.Attempt
                        && node["incarnation"]!.GetValue<int>() == request.Incarnation)
                    {
                        current.Add(request);
                    }
                }
            }
        }

        return current;
    }

    private static string Key(ActivityRequest r) => MapChildId.TryParse(r.NodeId, out var mapId, out var index) ? RunRows.Child(mapId, index) : RunRows.Node(r.NodeId);
}
