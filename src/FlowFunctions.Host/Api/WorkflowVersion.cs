namespace FlowFunctions.Host.Api;

/// <summary>One registered version of a workflow.</summary>
/// <param name="Name">The workflow name.</param>
/// <param name="Version">The spec's <c>version</c>.</param>
/// <param name="Hash">The artifact hash of the spec text.</param>
/// <param name="RegisteredAt">When it was registered.</param>
/// <param name="Description">The spec's description.</param>
internal sealed record WorkflowVersion(string Name, int Version, string Hash, DateTimeOffset RegisteredAt, string? Description);
