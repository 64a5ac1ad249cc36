using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlowFunctions.Engine;
using FlowFunctions.Storage;

namespace FlowFunctions.Host.Api;

/// <summary>
/// Registered workflows: spec texts in the artifact store (content-addressed), and one row per version in the
/// partition <c>$workflows</c> of the partition store, keyed <c>{name}|{version:D6}</c> so that a prefix query lists a
/// workflow's versions in order.
/// </summary>
internal sealed partial class WorkflowRegistry(FlowEngine engine, TimeProvider time) : Functions.IWorkflowCatalog
{
    public const string Partition = "$workflows";

    private IFlowStore Store => engine.Store;

    /// <summary>Whether <paramref name="name"/> could be a workflow name (spec names are <c>^[a-z0-9][a-z0-9-]{0,63}$</c>).</summary>
    public static bool IsName(string name) => NamePattern().IsMatch(name);

    /// <summary>Registers a spec; <c>Created</c> is false when the same content was already registered for its version.</summary>
    /// <exception cref="WorkflowVersionConflictException">The version is registered with other content.</exception>
    public async Task<(WorkflowVersion Version, bool Created)> RegisterAsync(ResolvedSpec spec, CancellationToken ct)
    {
        var hash = await Store.Artifacts.PutAsync(Encoding.UTF8.GetBytes(spec.Text), ct);
        var entry = new WorkflowVersion(spec.Spec.Name, spec.Spec.Version, hash, time.GetUtcNow(), spec.Spec.Description);
        var key = Key(entry.Name, entry.Version);
        try
        {
            await Store.Partitions.ExecuteAsync(Partition, [new RowOperation.Insert(key, Write(entry).ToJsonString())], ct);
            return (entry, true);
        }
        catch (BatchConflictException ex) when (ex.Kind == ConflictKind.AlreadyExists)
        {
            var existing = Read((await Store.Partitions.GetAsync(Partition, key, ct))!);
            return existing.Hash == hash ? (existing, false) : throw new WorkflowVersionConflictException(existing);
        }
    }

    /// <summary>Every version of every workflow, by name then version.</summary>
    public async Task<IReadOnlyList<WorkflowVersion>> ListAsync(CancellationToken ct) =>
        [.. (await Store.Partitions.QueryAsync(Partition, string.Empty, ct)).Select(Read)];

    /// <summary>The versions of one workflow, oldest first (empty when unknown).</summary>
    public async Task<IReadOnlyList<WorkflowVersion>> VersionsAsync(string name, CancellationToken ct) =>
        IsName(name) ? [.. (await Store.Partitions.QueryAsync(Partition, name + "|", ct)).Select(Read)] : [];

    /// <summary>The spec text of a version (the latest when <paramref name="version"/> is null), or null when unknown.</summary>
    public async Task<(WorkflowVersion Version, string Text)?> GetSpecAsync(string name, int? version, CancellationToken ct)
    {
        var versions = await VersionsAsync(name, ct);
        var entry = version is { } v ? versions.FirstOrDefault(e => e.Version == v) : (versions.Count > 0 ? versions[^1] : null);
        if (entry is null || await Store.Artifacts.GetAsync(entry.Hash, ct) is not { } bytes)
        {
            return null;
        }

        return (entry, Encoding.UTF8.GetString(bytes));
    }

    /// <summary>What a start message naming a workflow runs.</summary>
    public async Task<Functions.CatalogWorkflow?> FindAsync(string name, int? version, CancellationToken cancellationToken) =>
        await GetSpecAsync(name, version, cancellationToken) is { } found ? new Functions.CatalogWorkflow(found.Version.Name, found.Version.Version, found.Text) : null;

    private static string Key(string name, int version) => name + "|" + version.ToString("D6", CultureInfo.InvariantCulture);

    private static JsonObject Write(WorkflowVersion v) => new()
    {
        ["name"] = v.Name,
        ["version"] = v.Version,
        ["hash"] = v.Hash,
        ["registeredAt"] = v.RegisteredAt.ToString("O", CultureInfo.InvariantCulture),
        ["description"] = v.Description,
    };

    private static WorkflowVersion Read(StoredRow row)
    {
        var json = JsonNode.Parse(row.Value)!.AsObject();
        return new WorkflowVersion(
            json["name"]!.GetValue<string>(),
            json["version"]!.GetValue<int>(),
            json["hash"]!.GetValue<string>(),
            DateTimeOffset.Parse(json["registeredAt"]!.GetValue<string>(), CultureInfo.InvariantCulture),
            json["description"]?.GetValue<string>());
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary>A workflow version is already registered with different content.</summary>
internal sealed class WorkflowVersionConflictException(WorkflowVersion existing)
    : Exception($"workflow '{existing.Name}' version {existing.Version} is already registered with other content ({existing.Hash}); register it with a new version")
{
    public WorkflowVersion Existing { get; } = existing;
}
