namespace FlowFunctions.Host.Functions;

/// <summary>A registered workflow version: its number and its spec text.</summary>
/// <param name="Name">The workflow name.</param>
/// <param name="Version">The version number.</param>
/// <param name="SpecText">The spec text (YAML or JSON) as registered.</param>
internal sealed record CatalogWorkflow(string Name, int Version, string SpecText);

/// <summary>Where a start message's <c>workflow</c> name is looked up (the workflows registry the API maintains).</summary>
internal interface IWorkflowCatalog
{
    /// <summary>The workflow's given version, or its latest when <paramref name="version"/> is null; null when unknown.</summary>
    Task<CatalogWorkflow?> FindAsync(string name, int? version, CancellationToken cancellationToken);
}
