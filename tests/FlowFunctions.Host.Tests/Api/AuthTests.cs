using System.Net;
using System.Net.Http.Headers;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>Outside --dev every /api path but the health probe needs a bearer API key.</summary>
public sealed class AuthTests(AuthApiFactory factory) : IClassFixture<AuthApiFactory>
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key-0123456789abcdef")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    [InlineData("Bearer ")]
    public async Task WithoutAValidKey_Is401ProblemWithChallenge(string? authorization)
    {
        using var client = factory.CreateClient();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var path in (string[])["/api/runs", "/api/runs/x", "/api/workflows", "/api/openapi.json", "/api/nowhere"])
        {
            var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            (await response.JsonAsync(HttpStatusCode.Unauthorized))["type"]!.GetValue<string>().ShouldEndWith("/unauthorized");
            response.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
        }

        (await client.SendAsync(HttpMethod.Post, "/api/runs", "{}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task WithTheKey_Works_AndHealthNeedsNone()
    {
        using var anonymous = factory.CreateClient();
        (await anonymous.GetAsync(new Uri("/api/health", UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuthApiFactory.Key);
        (await client.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var run = await client.StartAsync(new System.Text.Json.Nodes.JsonObject { ["spec"] = "name: auth\nnodes:\n  - id: a\n    type: echo\n    with: 1\n" });
        (await client.WaitAsync(run["runId"]!.GetValue<string>()))["status"]!.GetValue<string>().ShouldBe("Succeeded");
    }
}
