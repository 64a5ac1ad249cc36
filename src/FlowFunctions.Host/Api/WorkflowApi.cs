using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Api;

/// <summary>The workflow registry endpoints.</summary>
internal static class WorkflowApi
{
    public static RouteGroupBuilder MapWorkflowApi(this RouteGroupBuilder api)
    {
        api.MapPost("/workflows", RegisterAsync);
        api.MapGet("/workflows", ListAsync);
        api.MapGet("/workflows/{name}", GetAsync);
        return api;
    }

    /// <summary>Body: <c>{"spec": object | "yaml or json text"}</c> as application/json, or the spec text itself as application/yaml.</summary>
    private static async Task<IResult> RegisterAsync(HttpRequest request, WorkflowRegistry registry, IOptions<FlowHostOptions> options, CancellationToken ct)
    {
        var (bytes, problem) = await RequestBodies.ReadAsync(request, options.Value.MaxRequestBodyBytes, acceptYaml: true, optional: false, ct);
        if (problem is not null)
        {
            return problem;
        }

        ResolvedSpec? spec;
        if (RequestBodies.IsYaml(request.ContentType))
        {
            (spec, problem) = SpecSources.FromText(Encoding.UTF8.GetString(bytes!));
        }
        else
        {
            var (parsedRoot, malformed) = RequestBodies.ParseObject(bytes!);
            if (malformed is not null)
            {
                return malformed;
            }

            var root = parsedRoot!;
            if (root.Select(p => p.Key).FirstOrDefault(k => k != "spec") is { } unknown)
            {
                return Problems.Result(Problems.InvalidRequest, $"unknown property '{unknown}'; a registration is {{\"spec\": <spec object or text>}}");
            }

            if (!root.ContainsKey("spec"))
            {
                return Problems.Result(Problems.InvalidRequest, "'spec' is required: the spec as an object, or YAML or JSON text");
            }

            (spec, problem) = SpecSources.FromJsonProperty(bytes!, "spec", root["spec"]);
        }

        if (problem is not null)
        {
            return problem;
        }

        try
        {
            var (version, created) = await registry.RegisterAsync(spec!, ct);
            var body = Describe(version);
            var location = RunApi.BaseUrl(request) + "/api/workflows/" + Uri.EscapeDataString(version.Name);
            return new AcceptedWithLocation(location, TypedResults.Json(body, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK));
        }
        catch (WorkflowVersionConflictException ex)
        {
            return Problems.Result(Problems.WorkflowVersionConflict, ex.Message, new Dictionary<string, object?>
            {
                ["name"] = ex.Existing.Name,
                ["version"] = ex.Existing.Version,
                ["hash"] = ex.Existing.Hash,
            });
        }
    }

    private static async Task<IResult> ListAsync(WorkflowRegistry registry, CancellationToken ct) =>
        TypedResults.Json(List(await registry.ListAsync(ct)));

    /// <summary>The workflows document of <c>GET /api/workflows</c> (and the MCP tool list_workflows): each name with its latest version.</summary>
    public static JsonObject List(IEnumerable<WorkflowVersion> versions)
    {
        var workflows = new JsonArray();
        foreach (var group in versions.GroupBy(v => v.Name, StringComparer.Ordinal))
        {
            var latest = group.MaxBy(v => v.Version)!;
            workflows.Add(new JsonObject
            {
                ["name"] = group.Key,
                ["latestVersion"] = latest.Version,
                ["description"] = latest.Description,
                ["versions"] = group.Count(),
                ["url"] = "/api/workflows/" + Uri.EscapeDataString(group.Key),
            });
        }

        return new JsonObject { ["workflows"] = workflows };
    }

    private static async Task<IResult> GetAsync(string name, WorkflowRegistry registry, CancellationToken ct)
    {
        var versions = await registry.VersionsAsync(name, ct);
        if (versions.Count == 0)
        {
            return Problems.Result(Problems.WorkflowNotFound, $"no workflow '{name}' is registered");
        }

        return TypedResults.Json(new JsonObject
        {
            ["name"] = name,
            ["latestVersion"] = versions[^1].Version,
            ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)Describe(v))]),
        });
    }

    private static JsonObject Describe(WorkflowVersion v) => new()
    {
        ["name"] = v.Name,
        ["version"] = v.Version,
        ["hash"] = v.Hash,
        ["registeredAt"] = v.RegisteredAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
        ["description"] = v.Description,
        ["specUrl"] = RunViews.ArtifactPath(v.Hash),
    };
}
