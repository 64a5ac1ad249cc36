namespace FlowFunctions.Host.Api;

/// <summary>The hand-written OpenAPI 3.0 description of the API (embedded <c>Api/openapi.json</c>), served at <c>/api/openapi.json</c>.</summary>
internal static class OpenApiDocument
{
    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("FlowFunctions.Host.Api.openapi.json")
            ?? throw new InvalidOperationException("the OpenAPI document is not embedded in the host assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Json => Text.Value;
}
