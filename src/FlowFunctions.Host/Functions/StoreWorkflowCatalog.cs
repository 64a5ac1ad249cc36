using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Storage;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// Reads the workflows registry from the store: partition <c>$workflows</c>, one row per version keyed
/// <c>{name}|{version:D6}</c> (so key order is version order) with value <c>{"hash": "sha256:..", "version": n}</c>,
/// and the spec text in the artifact store under that hash. An assumption to reconcile with the API's registry.
/// </summary>
internal sealed class StoreWorkflowCatalog(IFlowStore store) : IWorkflowCatalog
{
    /// <summary>The partition of the registry.</summary>
    public const string Partition = "$workflows";

    /// <summary>The row key of a version.</summary>
    public static string Key(string name, int version) => string.Create(CultureInfo.InvariantCulture, $"{name}|{version:D6}");

    public async Task<CatalogWorkflow?> FindAsync(string name, int? version, CancellationToken cancellationToken)
    {
        StoredRow? row;
        if (version is { } exact)
        {
            row = await store.Partitions.GetAsync(Partition, Key(name, exact), cancellationToken);
        }
        else
        {
            var versions = await store.Partitions.QueryAsync(Partition, name + "|", cancellationToken);
            row = versions.Count > 0 ? versions[^1] : null;
        }

        if (row is null)
        {
            return null;
        }

        try
        {
            var value = JsonNode.Parse(row.Value)!.AsObject();
            var hash = value["hash"]!.GetValue<string>();
            var number = value["version"]?.GetValue<int>() ?? int.Parse(row.Key[(row.Key.LastIndexOf('|') + 1)..], CultureInfo.InvariantCulture);
            var text = await store.Artifacts.GetAsync(hash, cancellationToken);
            return text is null ? null : new CatalogWorkflow(name, number, Encoding.UTF8.GetString(text));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            // A row we cannot read names no workflow we can start.
            return null;
        }
    }
}
