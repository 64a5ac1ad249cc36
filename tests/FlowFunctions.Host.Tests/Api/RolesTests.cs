using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>
/// Roles on the real host (issue 15): named keys with reader, operator and admin roles, an unnamed admin key, EasyAuth
/// principals read only from a trusted proxy, and under the Functions host a function-key request with its configured
/// role; every change records its actor in the run's events and the revision log.
/// </summary>
public sealed class RolesTests(RolesTests.Host fixture) : IClassFixture<RolesTests.Host>
{
    public const string ReaderKey = "reader-key-0123456789abcdef";
    public const string OperatorKey = "operator-key-0123456789abcdef";
    public const string AdminKey = "admin-key-0123456789abcdef";
    public const string LegacyKey = "legacy-key-0123456789abcdef";

    private const string WaitSpec = "name: roles\nnodes:\n  - { id: gate, type: wait, with: { event: go } }\n  - { id: after, type: echo, needs: [gate], with: 1 }\n";

    /// <summary>Each mutating route with the least role it needs; reads need reader.</summary>
    public static TheoryData<string, string, string, string> Routes => new()
    {
        { "POST", "/api/runs", """{"spec": "name: r\nnodes:\n  - { id: a, type: echo, with: 1 }\n"}""", "operator" },
        { "POST", "/api/runs/{run}/events/go", "{}", "operator" },
        { "POST", "/api/runs/{run}/pause", "", "operator" },
        { "POST", "/api/runs/{run}/cancel", "", "operator" },
        { "POST", "/api/runs/{run}/nodes/gate/redrive", "", "operator" },
        { "POST", "/api/runs/{run}/rerun", """{"from": "gate"}""", "operator" },
        { "POST", "/api/runs/{run}/patch", """{"operations": [{"op": "removeNode", "id": "after"}]}""", "admin" },
        { "POST", "/api/runs/{run}/terminate", "", "admin" },
        { "DELETE", "/api/cache", "", "admin" },
        { "POST", "/api/workflows", """{"spec": "name: w\nnodes:\n  - { id: a, type: echo, with: 1 }\n"}""", "admin" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_Role_Below_The_Routes_Is_403_Naming_The_Missing_Role(string method, string path, string body, string needed)
    {
        using var admin = fixture.Client(AdminKey);
        var runId = (await admin.StartAsync(new JsonObject { ["spec"] = WaitSpec }))["runId"]!.GetValue<string>();
        foreach (var (key, role) in new[] { (ReaderKey, "reader"), (OperatorKey, "operator") })
        {
            if (Rank(role) >= Rank(needed))
            {
                continue;
            }

            using var client = fixture.Client(key);
            var response = await client.SendAsync(new HttpMethod(method), path.Replace("{run}", runId, StringComparison.Ordinal), body.Length == 0 ? null : body);
            var problem = await response.JsonAsync(HttpStatusCode.Forbidden);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            problem["type"]!.GetValue<string>().ShouldBe("https://flowfunctions.dev/problems/forbidden");
            problem["requiredRole"]!.GetValue<string>().ShouldBe(needed);
            problem["role"]!.GetValue<string>().ShouldBe(role);
            problem["actor"]!.GetValue<string>().ShouldBe("key:" + role + "s");
            problem["detail"]!.GetValue<string>().ShouldContain($"needs the {needed} role");
        }

        // Nothing was changed by the refused requests: the run still waits.
        (await admin.GetJsonAsync($"/api/runs/{runId}"))["status"]!.GetValue<string>().ShouldBe("Running");
    }

    [Fact]
    public async Task Reader_Reads_And_Previews_Operator_Operates_Admin_Patches_And_Each_Change_Names_Its_Actor()
    {
        using var reader = fixture.Client(ReaderKey);
        using var @operator = fixture.Client(OperatorKey);
        using var admin = fixture.Client(AdminKey);
        using var legacy = fixture.Client(LegacyKey);

        var runId = (await @operator.StartAsync(new JsonObject { ["spec"] = WaitSpec }))["runId"]!.GetValue<string>();
        foreach (var path in (string[])["/api/runs", $"/api/runs/{runId}", $"/api/runs/{runId}/graph", $"/api/runs/{runId}/events", $"/api/runs/{runId}/revisions", $"/api/runs/{runId}/nodes/gate", "/api/workflows", "/api/openapi.json"])
        {
            (await reader.GetAsync(new Uri(path, UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.OK, path);
        }

        const string patch = """{"reason": "one more", "operations": [{"op": "addNode", "node": {"id": "extra", "type": "echo", "with": 2}}]}""";
        var preview = JsonNode.Parse(patch)!.AsObject();
        preview["dryRun"] = true;
        (await (await reader.PostJsonAsync($"/api/runs/{runId}/patch", preview)).JsonAsync(HttpStatusCode.OK))["nodesAdded"]!.ToJsonString().ShouldBe("""["extra"]""");
        var refused = await (await @operator.PostJsonAsync($"/api/runs/{runId}/patch", JsonNode.Parse(patch)!)).JsonAsync(HttpStatusCode.Forbidden);
        refused["requiredRole"]!.GetValue<string>().ShouldBe("admin");

        (await admin.PostJsonAsync($"/api/runs/{runId}/patch", JsonNode.Parse(patch)!)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await @operator.PostJsonAsync($"/api/runs/{runId}/pause", new JsonObject())).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(admin, runId, "Paused");
        (await legacy.PostJsonAsync($"/api/runs/{runId}/resume", new JsonObject())).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(admin, runId, "Running");
        (await @operator.PostJsonAsync($"/api/runs/{runId}/events/go", new JsonObject { ["ok"] = true })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await reader.WaitAsync(runId))["status"]!.GetValue<string>().ShouldBe("Succeeded");

        var events = (await reader.GetJsonAsync($"/api/runs/{runId}/events"))["events"]!.AsArray().Select(e => e!.AsObject()).ToList();
        string? ActorOf(string nodeId, string detailOrTo) => events.FirstOrDefault(e => e["nodeId"]!.GetValue<string>() == nodeId
            && (e["detail"]?.GetValue<string>() == detailOrTo || e["to"]!.GetValue<string>() == detailOrTo))?["actor"]?.GetValue<string>();
        ActorOf("$run", "started").ShouldBe("key:operators");
        ActorOf("$run", "paused").ShouldBe("key:operators");
        ActorOf("$run", "resumed").ShouldBe("key:ApiKeys[0]");
        events.Single(e => e["revision"] is not null)["actor"]!.GetValue<string>().ShouldBe("key:admins");
        ActorOf("gate", "Succeeded").ShouldBe("key:operators"); // the raised event completed the wait
        ActorOf("after", "Succeeded").ShouldBeNull(); // the engine's own work has no actor

        var revision = (await reader.GetJsonAsync($"/api/runs/{runId}/revisions"))["revisions"]!.AsArray().Single()!;
        revision["author"]!.GetValue<string>().ShouldBe("key:admins");
        revision["reason"]!.GetValue<string>().ShouldBe("one more");
    }

    [Fact]
    public async Task A_Principal_From_A_Trusted_Proxy_Gets_The_Role_Of_Its_App_Roles()
    {
        using var client = fixture.Client(key: null);
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Principal(("roles", "Reader"), ("roles", "operator"), ("name", "ana@contoso.com")));
        var runId = (await client.StartAsync(new JsonObject { ["spec"] = WaitSpec }))["runId"]!.GetValue<string>();
        var events = await client.GetJsonAsync($"/api/runs/{runId}/events");
        events["events"]!.AsArray().Single(e => e!["detail"]?.GetValue<string>() == "started")!["actor"]!.GetValue<string>().ShouldBe("user:ana@contoso.com");
        (await (await client.PostJsonAsync($"/api/runs/{runId}/terminate", new JsonObject())).JsonAsync(HttpStatusCode.Forbidden))["actor"]!.GetValue<string>().ShouldBe("user:ana@contoso.com");

        using var roleless = fixture.Client(key: null);
        roleless.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Principal(("name", "bob@contoso.com"), ("roles", "Flow.Unknown")));
        roleless.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL-NAME", "bob@contoso.com");
        var problem = await (await roleless.GetAsync(new Uri("/api/runs", UriKind.Relative))).JsonAsync(HttpStatusCode.Forbidden);
        problem["role"].ShouldBeNull();
        problem["detail"]!.GetValue<string>().ShouldContain("user:bob@contoso.com has no FlowFunctions role");

        using var garbled = fixture.Client(key: null);
        garbled.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", "not base64 json");
        (await garbled.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_Principal_Header_From_An_Untrusted_Address_Is_Ignored()
    {
        await using var host = await HostProcess.StartAsync([$"--FlowFunctions:ApiKeys:0={LegacyKey}"]);
        using var client = host.Client();
        client.DefaultRequestHeaders.Add("X-MS-CLIENT-PRINCIPAL", Principal(("roles", "admin"), ("name", "mallory")));
        (await client.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LegacyKey);
        (await client.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.OK);
        host.Output.ShouldContain("Ignored an X-MS-CLIENT-PRINCIPAL header");
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Accepted)]
    [InlineData("reader", HttpStatusCode.Forbidden)]
    public async Task Under_The_Functions_Host_A_Function_Key_Request_Has_The_FunctionKeyRole(string? role, HttpStatusCode start)
    {
        // The Functions host names the port and forwards /api/* after checking the function key: no API key is configured.
        var port = HostProcess.FreePort();
        var environment = new Dictionary<string, string> { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        await using var host = await HostProcess.StartAsync(role is null ? [] : [$"--FlowFunctions:FunctionKeyRole={role}"], environment, port);
        using var client = host.Client();
        (await client.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var response = await client.PostJsonAsync("/api/runs", new JsonObject { ["spec"] = WaitSpec });
        response.StatusCode.ShouldBe(start, await response.Content.ReadAsStringAsync());
        if (start == HttpStatusCode.Accepted)
        {
            var runId = (await response.JsonAsync(HttpStatusCode.Accepted))["runId"]!.GetValue<string>();
            (await client.GetJsonAsync($"/api/runs/{runId}/events"))["events"]!.ToJsonString().ShouldContain("\"actor\":\"function-key\"");
        }
    }

    private static int Rank(string role) => role switch { "reader" => 1, "operator" => 2, _ => 3 };

    private static string Principal(params (string Type, string Value)[] claims) => Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
    {
        ["auth_typ"] = "aad",
        ["name_typ"] = "name",
        ["role_typ"] = "roles",
        ["claims"] = new JsonArray([.. claims.Select(c => (JsonNode)new JsonObject { ["typ"] = c.Type, ["val"] = c.Value })]),
    }.ToJsonString()));

    private static async Task WaitForAsync(HttpClient client, string runId, string status)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while ((await client.GetJsonAsync($"/api/runs/{runId}"))["status"]!.GetValue<string>() != status)
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, $"run {runId} never became {status}");
            await Task.Delay(50);
        }
    }

    /// <summary>One real host with three named keys, an unnamed key, and 127.0.0.1 as a trusted proxy.</summary>
    public sealed class Host : IAsyncLifetime
    {
        private HostProcess? _host;

        public HttpClient Client(string? key)
        {
            var client = _host!.Client();
            if (key is not null)
            {
                client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            }

            return client;
        }

        public async Task InitializeAsync() => _host = await HostProcess.StartAsync(
        [
            $"--FlowFunctions:Keys:readers:Key={ReaderKey}", "--FlowFunctions:Keys:readers:Role=reader",
            $"--FlowFunctions:Keys:operators:Key={OperatorKey}", "--FlowFunctions:Keys:operators:Role=Operator",
            $"--FlowFunctions:Keys:admins:Key={AdminKey}", "--FlowFunctions:Keys:admins:Role=admin",
            $"--api-key={LegacyKey}", "--FlowFunctions:TrustedProxies:0=127.0.0.1",
        ]);

        public async Task DisposeAsync()
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }
        }
    }
}
