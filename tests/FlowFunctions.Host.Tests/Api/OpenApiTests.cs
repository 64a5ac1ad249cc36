using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Host.Tests.Api;

public sealed class OpenApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task OpenApiDocument_Parses_AndDescribesEveryMappedApiRoute()
    {
        using var client = factory.CreateClient();
        var document = await client.GetJsonAsync("/api/openapi.json");

        document["openapi"]!.GetValue<string>().ShouldStartWith("3.0");
        var paths = document["paths"]!.AsObject();
        var routes = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal) && !e.RoutePattern.RawText.Contains("**", StringComparison.Ordinal))
            // Routing matches a trailing slash either way (MapMcp's pattern is "/api/mcp/"); the document names the path without it.
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Path: e.RoutePattern.RawText!.TrimEnd('/'), Method: m.ToLowerInvariant())))
            .ToList();

        routes.Count.ShouldBeGreaterThanOrEqualTo(14, string.Join(", ", factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.Select(e => (e as RouteEndpoint)?.RoutePattern.RawText)));
        foreach (var (path, method) in routes)
        {
            paths.ContainsKey(path).ShouldBeTrue($"{path} is not in the OpenAPI document");
            var operation = paths[path]![method].ShouldNotBeNull($"{method} {path} is not in the OpenAPI document");
            operation["responses"].ShouldNotBeNull();
            foreach (var parameter in path.Split('/').Where(s => s.StartsWith('{')))
            {
                var name = parameter.Trim('{', '}');
                var declared = (operation["parameters"] ?? paths[path]!["parameters"])?.AsArray() ?? [];
                declared.ShouldContain(p => p!["$ref"] != null || p["name"]!.GetValue<string>() == name, $"{method} {path} does not declare {name}");
            }
        }

        // Every $ref resolves.
        foreach (var reference in Refs(document))
        {
            var target = reference.TrimStart('#', '/').Split('/').Aggregate((JsonNode?)document, (node, segment) => node?[segment]);
            target.ShouldNotBeNull($"{reference} does not resolve");
        }
    }

    private static IEnumerable<string> Refs(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "$ref" ? [p.Value!.GetValue<string>()] : Refs(p.Value)),
        JsonArray a => a.SelectMany(Refs),
        _ => [],
    };
}
