using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Engine.Tests.Activities.Handlers;

/// <summary>
/// <c>${{ secrets.NAME }}</c> in the http handler (issue 15), against real servers on 127.0.0.1: the value goes into the
/// request where the spec put its marker and nowhere else, and comes back as <c>***</c> in everything the execution returns.
/// </summary>
public sealed class HttpSecretsTests
{
    private const string Token = "tok-3f9a1c77e2b54d0e";
    private const string Key = "key-81d2aa0c44f9";

    [Fact]
    public async Task The_Request_Carries_The_Values_And_The_Output_Shows_Them_Redacted()
    {
        // The server echoes what it got: headers, body, and the token in a response header.
        await using var server = new TestHttpServer(async context =>
        {
            var body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
            var echo = new JsonObject { ["authorization"] = context.Request.Headers["Authorization"], ["body"] = body }.ToJsonString();
            await TestHttpServer.Reply(context, 200, echo, "application/json", ("X-Echo", "seen " + Token));
        });

        var outcome = await RunAsync(new JsonObject
        {
            ["method"] = "POST",
            ["url"] = server.Url("/orders").ToString(),
            ["headers"] = new JsonObject { ["Authorization"] = "Bearer ${{ secrets.TOKEN }}" },
            ["body"] = new JsonObject { ["key"] = "${{ secrets.KEY }}", ["note"] = "from data: ${{ secrets.OTHER }}" },
            [SecretNames.Property] = new JsonArray("TOKEN", "KEY"),
        });

        var output = outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().Output!.ToJsonString();
        var request = server.Requests.ShouldHaveSingleItem();
        request.Headers["Authorization"].ShouldBe("Bearer " + Token);
        request.Body.ShouldContain(Key);
        request.Body.ShouldContain("from data: ${{ secrets.OTHER }}"); // a marker the spec did not list stays text
        request.Body.ShouldNotContain(SecretNames.Property);
        output.ShouldNotContain(Token);
        output.ShouldNotContain(Key);
        output.ShouldContain("Bearer ***");
        output.ShouldContain("seen ***");
    }

    [Fact]
    public async Task An_Unset_Secret_Fails_Permanently_Without_A_Request()
    {
        await using var server = new TestHttpServer(context => TestHttpServer.Reply(context, 200));
        var outcome = await RunAsync(new JsonObject
        {
            ["url"] = server.BaseUrl.ToString(),
            ["headers"] = new JsonObject { ["X-Key"] = "${{ secrets.MISSING }}" },
            [SecretNames.Property] = new JsonArray("MISSING"),
        });

        var failed = outcome.ShouldBeOfType<ActivityOutcome.Failed>();
        failed.Class.ShouldBe(ErrorClass.Permanent);
        failed.Message.ShouldBe("http: secret 'MISSING' is not set (app setting FlowFunctions__Secrets__MISSING)");
        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_Redirect_To_Another_Origin_Drops_Secret_Headers_And_Refuses_To_Resend_A_Secret_Body()
    {
        await using var elsewhere = new TestHttpServer(context => TestHttpServer.Reply(context, 200, "ok", "text/plain"));
        await using var origin = new TestHttpServer(context => TestHttpServer.Reply(context, 307, headers: ("Location", elsewhere.Url("/landing").ToString())));

        var moved = await RunAsync(new JsonObject
        {
            ["url"] = origin.BaseUrl.ToString(),
            ["headers"] = new JsonObject { ["X-Api-Key"] = "${{ secrets.KEY }}", ["X-Plain"] = "kept" },
            [SecretNames.Property] = new JsonArray("KEY"),
        });
        moved.ShouldBeOfType<ActivityOutcome.Succeeded>();
        origin.Requests.ShouldHaveSingleItem().Headers["X-Api-Key"].ShouldBe(Key);
        var landed = elsewhere.Requests.ShouldHaveSingleItem();
        landed.Headers.ContainsKey("X-Api-Key").ShouldBeFalse();
        landed.Headers["X-Plain"].ShouldBe("kept");

        var refused = await RunAsync(new JsonObject
        {
            ["method"] = "PUT",
            ["url"] = origin.BaseUrl.ToString(),
            ["body"] = new JsonObject { ["key"] = "${{ secrets.KEY }}" },
            [SecretNames.Property] = new JsonArray("KEY"),
        });
        var failed = refused.ShouldBeOfType<ActivityOutcome.Failed>();
        failed.Message.ShouldContain("it would send the body, which holds a secret, to another origin");
        elsewhere.Requests.Count.ShouldBe(1);
    }

    private static async Task<ActivityOutcome> RunAsync(JsonNode with)
    {
        var services = new ServiceCollection().AddFlowFunctionsActivities(options =>
        {
            options.Http.AllowedHosts.Add("127.0.0.1");
            options.Http.Secrets = name => name switch { "TOKEN" => Token, "KEY" => Key, _ => null };
        });
        await using var provider = services.BuildServiceProvider();
        return await provider.GetRequiredService<ActivityExecutor>().ExecuteAsync(Requests.For("http", with), CancellationToken.None);
    }
}
