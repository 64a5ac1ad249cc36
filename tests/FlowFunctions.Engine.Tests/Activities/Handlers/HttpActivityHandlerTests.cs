using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Engine.Tests.Activities.Handlers;

/// <summary>The <c>http</c> node type against a real server on 127.0.0.1, through the executor built by DI.</summary>
public sealed class HttpActivityHandlerTests
{
    [Fact]
    public async Task Get_ReturnsStatusLowerCaseHeadersAndParsedJson()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(
            context, 200, """{ "ok": true, "items": [1, 2] }""", "application/json; charset=utf-8", ("X-Trace", "abc")));

        var output = await SucceedAsync(new JsonObject { ["url"] = server.Url("/orders?id=1").ToString() });

        ((int)output["status"]!).ShouldBe(200);
        ((string)output["headers"]!["x-trace"]!).ShouldBe("abc");
        ((string)output["headers"]!["content-type"]!).ShouldBe("application/json; charset=utf-8");
        JsonNode.DeepEquals(output["body"], JsonNode.Parse("""{ "ok": true, "items": [1, 2] }""")).ShouldBeTrue();
        var request = server.Requests.ShouldHaveSingleItem();
        request.Method.ShouldBe("GET");
        request.PathAndQuery.ShouldBe("/orders?id=1");
    }

    [Fact]
    public async Task NonJsonResponse_IsReturnedAsAString()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 200, "hello", "text/plain"));

        var output = await SucceedAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() });

        ((string)output["body"]!).ShouldBe("hello");
    }

    [Fact]
    public async Task Post_SendsAJsonBodyAndTheHeaders()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 201, """{ "id": 42 }""", "application/json"));

        var output = await SucceedAsync(new JsonObject
        {
            ["method"] = "POST",
            ["url"] = server.Url("/v1/orders").ToString(),
            ["headers"] = new JsonObject { ["Authorization"] = "Bearer secret", ["X-Request-Id"] = "r-1" },
            ["body"] = new JsonObject { ["id"] = 42, ["tags"] = new JsonArray("a", "b") },
            ["expectStatus"] = new JsonArray(200, 201),
        });

        ((int)output["status"]!).ShouldBe(201);
        var request = server.Requests.ShouldHaveSingleItem();
        request.Method.ShouldBe("POST");
        request.Headers["Content-Type"].ShouldBe("application/json; charset=utf-8");
        request.Headers["Authorization"].ShouldBe("Bearer secret");
        request.Headers["X-Request-Id"].ShouldBe("r-1");
        JsonNode.DeepEquals(JsonNode.Parse(request.Body), JsonNode.Parse("""{ "id": 42, "tags": ["a", "b"] }""")).ShouldBeTrue();
    }

    [Fact]
    public async Task StringBody_IsSentAsPlainText_UnlessAContentTypeHeaderSaysOtherwise()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 204));

        await SucceedAsync(new JsonObject { ["method"] = "PUT", ["url"] = server.BaseUrl.ToString(), ["body"] = "plain words" });
        await SucceedAsync(new JsonObject
        {
            ["method"] = "PUT",
            ["url"] = server.BaseUrl.ToString(),
            ["body"] = "<a/>",
            ["headers"] = new JsonObject { ["Content-Type"] = "application/xml" },
        });

        var requests = server.Requests.ToArray();
        requests[0].Headers["Content-Type"].ShouldBe("text/plain; charset=utf-8");
        requests[0].Body.ShouldBe("plain words");
        requests[1].Headers["Content-Type"].ShouldBe("application/xml");
    }

    [Fact]
    public async Task ExpectStatus_RejectsAStatusOutsideTheList_Permanently()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 201));

        var failed = await FailAsync(new JsonObject { ["method"] = "POST", ["url"] = server.Url("/x").ToString(), ["expectStatus"] = 200 });

        failed.ShouldBe(new ActivityOutcome.Failed($"POST {server.Url("/x")} returned 201 Created", ErrorClass.Permanent, 1) { Kind = ErrorKind.HttpStatus, Status = 201 });
    }

    [Fact]
    public async Task ExpectStatus_CanAcceptAnErrorStatus()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 404, "gone"));

        var output = await SucceedAsync(new JsonObject { ["url"] = server.BaseUrl.ToString(), ["expectStatus"] = new JsonArray(404) });

        ((int)output["status"]!).ShouldBe(404);
    }

    [Fact]
    public async Task NotFound_IsPermanent_AndNotRetried()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 404));

        var failed = await FailAsync(new JsonObject { ["url"] = server.Url("/y").ToString() }, Retry(3));

        failed.ShouldBe(new ActivityOutcome.Failed($"GET {server.Url("/y")} returned 404 Not Found", ErrorClass.Permanent, 1) { Kind = ErrorKind.HttpStatus, Status = 404 });
        server.Requests.Count.ShouldBe(1);
    }

    [Theory]
    [InlineData(503, "Service Unavailable")]
    [InlineData(500, "Internal Server Error")]
    [InlineData(429, "Too Many Requests")]
    [InlineData(408, "Request Timeout")]
    public async Task ServerErrorsAndThrottling_AreTransient_AndRetried(int status, string reason)
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, status));

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() }, Retry(2));

        failed.ShouldBe(new ActivityOutcome.Failed($"GET {server.BaseUrl} returned {status} {reason}", ErrorClass.Transient, 2) { Kind = ErrorKind.HttpStatus, Status = status });
        server.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task BodyOverTheDefaultCap_FailsPermanently()
    {
        var big = new string('x', (1024 * 1024) + 1);
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 200, big, "text/plain"));

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() });

        failed.ShouldBe(new ActivityOutcome.Failed("response body exceeds 1048576 bytes", ErrorClass.Permanent, 1));
    }

    [Fact]
    public async Task ChunkedBodyOverAConfiguredCap_FailsPermanently()
    {
        await using var server = new TestHttpServer(async context =>
        {
            context.Response.SendChunked = true;
            for (var i = 0; i < 10; i++)
            {
                await context.Response.OutputStream.WriteAsync(new byte[50]);
                await context.Response.OutputStream.FlushAsync();
            }
        });

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() }, configure: o => o.Http.MaxResponseBodyBytes = 100);

        failed.ShouldBe(new ActivityOutcome.Failed("response body exceeds 100 bytes", ErrorClass.Permanent, 1));
    }

    [Fact]
    public async Task Redirects_AreFollowed()
    {
        await using var server = new TestHttpServer(context => context.Request.Url!.AbsolutePath switch
        {
            "/old" => TestHttpServer.Reply(context, 301, headers: ("Location", "/new")),
            _ => TestHttpServer.Reply(context, 200, "[1]", "application/json"),
        });

        var output = await SucceedAsync(new JsonObject { ["url"] = server.Url("/old").ToString() });

        JsonNode.DeepEquals(output["body"], new JsonArray(1)).ShouldBeTrue();
        server.Requests.Select(request => request.PathAndQuery).ShouldBe(["/old", "/new"]);
    }

    [Fact]
    public async Task RetryAfterSeconds_IsCarriedByTheFailure()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 429, headers: ("Retry-After", "7")));

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() });

        failed.Status.ShouldBe(429);
        failed.RetryAfter.ShouldBe(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task RetryAfterDate_IsCarriedAsTheWaitFromNow()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(2).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 503, headers: ("Retry-After", at)));

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() });

        failed.Status.ShouldBe(503);
        // The date has whole seconds; the wait is measured when the response arrived.
        failed.RetryAfter!.Value.ShouldBeInRange(TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task RedirectToABlockedAddress_IsRefused_Permanently()
    {
        await using var server = new TestHttpServer(context =>
            TestHttpServer.Reply(context, 302, headers: ("Location", "http://169.254.169.254/latest/meta-data/")));

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() }, Retry(3));

        failed.ShouldBe(new ActivityOutcome.Failed(
            "refused to connect to 169.254.169.254 (link-local address); add it to FlowFunctions:Http:AllowedHosts to allow it",
            ErrorClass.Permanent,
            1));
    }

    [Fact]
    public async Task RedirectToAnotherScheme_IsRefused()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 302, headers: ("Location", "file:///etc/passwd")));

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() });

        failed.Class.ShouldBe(ErrorClass.Permanent);
        failed.Message.ShouldContain("only http and https are allowed");
    }

    [Fact]
    public async Task EndlessRedirects_StopAfterTheLimit()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 307, headers: ("Location", "/again")));

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() });

        failed.ShouldBe(new ActivityOutcome.Failed($"GET {server.BaseUrl} was redirected more than 5 times", ErrorClass.Permanent, 1));
        server.Requests.Count.ShouldBe(6);
    }

    [Fact]
    public async Task CrossOriginRedirect_DropsCredentials()
    {
        await using var target = new TestHttpServer(context => TestHttpServer.Reply(context, 200));
        await using var origin = new TestHttpServer(context => TestHttpServer.Reply(context, 302, headers: ("Location", target.BaseUrl.ToString())));

        await SucceedAsync(new JsonObject
        {
            ["url"] = origin.BaseUrl.ToString(),
            ["headers"] = new JsonObject { ["Authorization"] = "Bearer secret", ["X-Keep"] = "1" },
        });

        origin.Requests.ShouldHaveSingleItem().Headers["Authorization"].ShouldBe("Bearer secret");
        var followed = target.Requests.ShouldHaveSingleItem();
        followed.Headers.ContainsKey("Authorization").ShouldBeFalse();
        followed.Headers["X-Keep"].ShouldBe("1");
    }

    [Fact]
    public async Task Loopback_IsRefusedByDefault_BeforeAnyRequestIsSent()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 200));

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() }, allowLoopback: false);

        failed.ShouldBe(new ActivityOutcome.Failed(
            "refused to connect to 127.0.0.1 (loopback address); add it to FlowFunctions:Http:AllowedHosts to allow it",
            ErrorClass.Permanent,
            1));
        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task ConnectionFailure_IsTransient()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var failed = await FailAsync(new JsonObject { ["url"] = $"http://127.0.0.1:{port}/" });

        failed.Class.ShouldBe(ErrorClass.Transient);
        failed.Kind.ShouldBe(ErrorKind.Connection);
    }

    [Fact]
    public async Task SlowServer_TimesOut_Transiently()
    {
        var release = new TaskCompletionSource();
        await using var server = new TestHttpServer(async context =>
        {
            await release.Task;
            await TestHttpServer.Reply(context, 200);
        });

        var failed = await FailAsync(new JsonObject { ["url"] = server.BaseUrl.ToString() }, timeout: TimeSpan.FromMilliseconds(200));
        release.SetResult();

        failed.ShouldBe(new ActivityOutcome.Failed("timed out after 200ms", ErrorClass.Transient, 1) { Kind = ErrorKind.Timeout });
    }

    [Fact]
    public async Task Head_HasNoBody()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 200));

        var output = await SucceedAsync(new JsonObject { ["method"] = "HEAD", ["url"] = server.BaseUrl.ToString() });

        output["body"].ShouldBeNull();
        server.Requests.ShouldHaveSingleItem().Method.ShouldBe("HEAD");
    }

    [Theory]
    [InlineData("""{ "method": "GET" }""")]
    [InlineData("""{ "url": "ftp://example.com/file" }""")]
    [InlineData("""{ "url": "/relative" }""")]
    [InlineData("""{ "url": "http://example.com", "method": "get" }""")]
    [InlineData("""{ "url": "http://example.com", "headers": { "X": 1 } }""")]
    [InlineData("""{ "url": "http://example.com", "expectStatus": 700 }""")]
    [InlineData("""{ "url": "http://example.com", "expectStatus": [] }""")]
    [InlineData("\"http://example.com\"")]
    public async Task MalformedWith_FailsPermanently_WithoutSending(string with)
    {
        var failed = await FailAsync(JsonNode.Parse(with));

        failed.Class.ShouldBe(ErrorClass.Permanent);
        failed.Message.ShouldStartWith("http: ");
    }

    private static RetryPolicy Retry(int maxAttempts) =>
        new(maxAttempts, BackoffKind.Constant, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1), false);

    private static async Task<ActivityOutcome> RunAsync(
        JsonNode? with, RetryPolicy? retry, TimeSpan? timeout, bool allowLoopback, Action<ActivityExecutorOptions>? configure)
    {
        var services = new ServiceCollection().AddFlowFunctionsActivities(options =>
        {
            if (allowLoopback)
            {
                options.Http.AllowedHosts.Add("127.0.0.1");
            }

            configure?.Invoke(options);
        });
        await using var provider = services.BuildServiceProvider();
        var executor = provider.GetRequiredService<ActivityExecutor>();
        return await executor.ExecuteAsync(Requests.For("http", with, retry, timeout: timeout), CancellationToken.None);
    }

    private static async Task<JsonNode> SucceedAsync(JsonNode with)
    {
        var outcome = await RunAsync(with, null, null, allowLoopback: true, null);
        if (outcome is ActivityOutcome.Failed failed)
        {
            throw new ShouldAssertException($"expected success, got {failed}");
        }

        return outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().Output!;
    }

    private static async Task<ActivityOutcome.Failed> FailAsync(
        JsonNode? with,
        RetryPolicy? retry = null,
        TimeSpan? timeout = null,
        bool allowLoopback = true,
        Action<ActivityExecutorOptions>? configure = null) =>
        (await RunAsync(with, retry, timeout, allowLoopback, configure)).ShouldBeOfType<ActivityOutcome.Failed>();
}
