namespace FlowFunctions.Host.Api;

/// <summary>A kind of error the API answers with <c>application/problem+json</c>; its <see cref="Uri"/> is stable (docs/api.md).</summary>
/// <param name="Slug">The last segment of the type URI.</param>
/// <param name="Title">The problem's title, the same for every occurrence.</param>
/// <param name="Status">The HTTP status.</param>
internal sealed record ProblemType(string Slug, string Title, int Status)
{
    public const string BaseUri = "https://flowfunctions.dev/problems/";

    public string Uri => BaseUri + Slug;
}
