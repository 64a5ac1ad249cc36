using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Validation;
using FlowFunctions.Host.Api;
using FlowFunctions.Host.Functions;
using FlowFunctions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Host.Tests.Functions;

/// <summary>
/// Start-run messages through the Storage queue trigger (<c>start-run</c>) and the Service Bus trigger
/// (<c>start-run-servicebus</c>), replaying the documented payloads (see <see cref="Payloads"/>).
/// </summary>
public sealed class StartRunFunctionTests
{
    [Fact]
    public async Task QueueStart_WithSpecObject_StartsTheRunNamedAfterTheMessageId()
    {
        await using var app = HandlerApp.Sqlite();
        var message = new JsonObject { ["spec"] = Payloads.HelloSpec(), ["inputs"] = new JsonObject { ["who"] = "ada" } };

        var (response, payload) = await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue(message.ToJsonString(), id: "msg-1"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        payload["Outputs"].ShouldBeOfType<JsonObject>();
        payload["Logs"]!.AsArray().Count.ShouldBe(1);
        var runs = await app.RunsAsync();
        runs.Count.ShouldBe(1);
        runs[0].RunId.ShouldBe(StartRunHandler.RunIdFor(null, "msg-1"));
        (await app.Engine.GetRunAsync(runs[0].RunId))!.Inputs!["who"]!.GetValue<string>().ShouldBe("ada");
    }

    [Fact]
    public async Task ServiceBusStart_RedeliveredMessage_StartsOneRun()
    {
        await using var app = HandlerApp.Sqlite();
        var body = new JsonObject { ["spec"] = Payloads.HelloSpec() }.ToJsonString();

        var first = await app.InvokeAsync(FunctionNames.StartRunServiceBus, Payloads.ServiceBus(body, messageId: "sb-7", deliveryCount: 1));
        var second = await app.InvokeAsync(FunctionNames.StartRunServiceBus, Payloads.ServiceBus(body, messageId: "sb-7", deliveryCount: 2));

        first.Response.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.Response.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.Payload["Logs"]![0]!.GetValue<string>().ShouldStartWith(nameof(StartOutcome.AlreadyStarted));
        (await app.RunsAsync()).Count.ShouldBe(1);
    }

    [Fact]
    public async Task IdempotencyKey_SameKeyOnBothTriggers_StartsOneRun()
    {
        await using var app = HandlerApp.Sqlite();
        var body = new JsonObject { ["spec"] = Payloads.HelloSpec(), ["idempotencyKey"] = "order-17", ["correlationId"] = "c-1" }.ToJsonString();

        await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue(body, id: "queue-id"));
        await app.InvokeAsync(FunctionNames.StartRunServiceBus, Payloads.ServiceBus(body, messageId: "other-id"));

        var runs = await app.RunsAsync();
        runs.Count.ShouldBe(1);
        runs[0].RunId.ShouldBe(StartRunHandler.RunIdFor("order-17", null));
    }

    [Fact]
    public async Task QueueStart_WithYamlSpecText_StartsTheRun()
    {
        await using var app = HandlerApp.Sqlite();
        var yaml = "name: hello-yaml\nnodes:\n  - id: greet\n    type: echo\n    with: { to: you }\n";

        var (response, _) = await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue(new JsonObject { ["spec"] = yaml }.ToJsonString()));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.RunsAsync()).Single().Workflow.ShouldBe("hello-yaml");
    }

    [Fact]
    public async Task QueueStart_WithRegisteredWorkflow_StartsItsLatestVersion()
    {
        await using var app = HandlerApp.Sqlite();
        await RegisterAsync(app, Payloads.HelloSpec().ToJsonString());
        var v2 = Payloads.HelloSpec();
        v2["version"] = 2;
        await RegisterAsync(app, v2.ToJsonString());

        var (response, _) = await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue(new JsonObject { ["workflow"] = "hello" }.ToJsonString()));
        await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue(new JsonObject { ["workflow"] = "hello", ["version"] = 1 }.ToJsonString(), id: "second"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var versions = new List<int>();
        foreach (var run in await app.RunsAsync())
        {
            run.Workflow.ShouldBe("hello");
            versions.Add((await app.Engine.GetRunAsync(run.RunId))!.Spec.Version);
        }

        versions.Order().ShouldBe([1, 2]);
    }

    public static TheoryData<string, string, string> PermanentProblems => new()
    {
        { FunctionNames.StartRunServiceBus, "this is not json", "not JSON" },
        { FunctionNames.StartRun, """{"workflow": "nobody-registered-this"}""", "unknown workflow 'nobody-registered-this'" },
        { FunctionNames.StartRunServiceBus, """{"spec": {"name": "broken", "nodes": [{"id": "a", "type": "no-such-type"}]}}""", "invalid spec" },
        { FunctionNames.StartRun, """{"spec": {"name": "x", "nodes": [{"id": "a", "type": "echo"}]}, "inputs": {"surprise": 1}}""", "invalid inputs" },
        { FunctionNames.StartRun, """{"inputs": {}}""", "exactly one of 'workflow' and 'spec'" },
    };

    [Theory]
    [MemberData(nameof(PermanentProblems))]
    public async Task PermanentProblem_IsDeadLetteredWithReasonBodyAndMetadata_AndAnswersSuccess(string function, string body, string reason)
    {
        await using var app = HandlerApp.Sqlite();
        var payload = function == FunctionNames.StartRun ? Payloads.Queue(body, id: "bad-1") : Payloads.ServiceBus(body, messageId: "bad-1");

        var (response, answer) = await app.InvokeAsync(function, payload);

        // Success, so that the host does not retry (and, for Service Bus, completes the message): the verdict is final.
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        answer["Logs"]![0]!.GetValue<string>().ShouldStartWith(nameof(StartOutcome.DeadLettered));
        (await app.RunsAsync()).ShouldBeEmpty();
        var letter = (await app.DrainAsync(DeadLetterStore.Queue)).ShouldHaveSingleItem();
        letter["reason"]!.GetValue<string>().ShouldContain(reason);
        letter["body"]!.GetValue<string>().ShouldBe(body);
        letter["function"]!.GetValue<string>().ShouldBe(function);
        letter["metadata"]![function == FunctionNames.StartRun ? "Id" : "MessageId"]!.GetValue<string>().ShouldBe("bad-1");
    }

    [Fact]
    public async Task StoreFailure_AnswersServerError_SoTheHostRetries()
    {
        await using var app = HandlerApp.Sqlite(services => services.AddSingleton<IFlowStore>(new FailingStore()));

        var (response, payload) = await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue(new JsonObject { ["spec"] = Payloads.HelloSpec() }.ToJsonString()));

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        payload["Logs"]![0]!.GetValue<string>().ShouldContain("store is down");
    }

    [Fact]
    public async Task PayloadWithoutData_IsBadRequest()
    {
        await using var app = HandlerApp.Sqlite();

        var (response, _) = await app.InvokeAsync(FunctionNames.StartRun, new JsonObject { ["message"] = "{}" });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    /// <summary>Registers a spec the way POST /api/workflows does: through the host's workflow registry.</summary>
    internal static async Task RegisterAsync(HandlerApp app, string specText)
    {
        var spec = SpecLoader.Load(specText, SpecFormats.Sniff(specText)).Spec!;
        await app.Services.GetRequiredService<WorkflowRegistry>().RegisterAsync(new ResolvedSpec(spec, specText), CancellationToken.None);
    }
}
