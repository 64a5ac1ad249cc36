using System.Net;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine;
using FlowFunctions.Engine.Worker;
using FlowFunctions.Host.Functions;

namespace FlowFunctions.Host.Tests.Functions;

/// <summary>
/// The control queue, work queue and timer functions, replaying the documented payloads (see <see cref="Payloads"/>)
/// with bodies taken from the engine's own queues, and checking the effects in the store.
/// </summary>
public sealed class EngineFunctionTests
{
    [Fact]
    public async Task WorkFunction_RunsTheActivity_AndTheRunCompletes()
    {
        await using var app = HandlerApp.Sqlite();
        var runId = await StartHelloAsync(app);
        var work = (await app.DrainAsync(app.Engine.Options.WorkQueue)).ShouldHaveSingleItem();

        var (response, payload) = await app.InvokeAsync(FunctionNames.Work, Payloads.Queue(work.ToJsonString()));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        payload["ReturnValue"]!.GetValue<string>().ShouldBe("ok");
        var state = (await app.Engine.GetRunAsync(runId))!;
        state.Status.ShouldBe(RunStatus.Succeeded);
        state.Nodes["greet"].Output!["to"]!.GetValue<string>().ShouldBe("world");
    }

    [Fact]
    public async Task WorkFunction_Redelivered_DoesNotRunTheNodeTwice()
    {
        await using var app = HandlerApp.Sqlite();
        var runId = await StartHelloAsync(app);
        var work = (await app.DrainAsync(app.Engine.Options.WorkQueue)).ShouldHaveSingleItem().ToJsonString();

        await app.InvokeAsync(FunctionNames.Work, Payloads.Queue(work, dequeueCount: 1));
        var (again, _) = await app.InvokeAsync(FunctionNames.Work, Payloads.Queue(work, dequeueCount: 2));

        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Engine.GetRunAsync(runId))!.Nodes["greet"].Attempts.ShouldBe(1);
    }

    [Fact]
    public async Task PriorityWorkFunction_RunsTheWorkAPatchMadeReady()
    {
        await using var app = HandlerApp.Sqlite();
        var runId = await StartHelloAsync(app);
        var patch = GraphPatch.Parse(JsonNode.Parse("""{ "operations": [ { "op": "addNode", "node": { "id": "extra", "type": "echo", "with": 1 } } ] }""")).Patch!;
        (await app.Engine.PatchRunAsync(runId, patch, "tester")).Outcome.ShouldBe(PatchOutcome.Accepted);
        var wake = (await app.DrainAsync(app.Engine.Options.ControlQueue)).ShouldHaveSingleItem().ToJsonString();
        (await app.InvokeAsync(FunctionNames.Control, Payloads.Queue(wake))).Response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var work = (await app.DrainAsync(app.Engine.Options.PriorityWorkQueue)).ShouldHaveSingleItem().ToJsonString();

        var (response, _) = await app.InvokeAsync(FunctionNames.PriorityWork, Payloads.Queue(work));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Engine.GetRunAsync(runId))!.Nodes["extra"].Status.ShouldBe(NodeStatus.Succeeded);
    }

    [Fact]
    public async Task ControlFunction_Wake_RunsTheEpisodeForEventsInTheInbox()
    {
        await using var app = HandlerApp.Sqlite();
        var runId = await StartHelloAsync(app);
        await app.Engine.Processor.AppendEventAsync(runId, "cancel:test", new RunEvent.RunCancelRequested("test"), CancellationToken.None, wake: false);
        var wake = new JsonObject { ["kind"] = "wake", ["runId"] = runId }.ToJsonString();

        var (response, _) = await app.InvokeAsync(FunctionNames.Control, Payloads.Queue(wake));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Engine.GetRunAsync(runId))!.Status.ShouldBe(RunStatus.Cancelled);
    }

    [Fact]
    public async Task ControlFunction_TimerNotDue_IsRearmedAsANewMessage()
    {
        await using var app = HandlerApp.Sqlite();
        var timer = new JsonObject
        {
            ["kind"] = "timer", ["runId"] = "r1", ["nodeId"] = "wait", ["attempt"] = 1, ["incarnation"] = 0, ["purpose"] = "Delay",
            ["dueAt"] = app.Engine.Time.GetUtcNow().AddHours(1).ToString("O"),
        }.ToJsonString();

        var (response, _) = await app.InvokeAsync(FunctionNames.Control, Payloads.Queue(timer));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Store.Queues.CountAsync(app.Engine.Options.ControlQueue, CancellationToken.None)).ShouldBe(1);
    }

    [Theory]
    [InlineData(FunctionNames.Control, "not json at all")]
    [InlineData(FunctionNames.Control, """{"kind": "reboot", "runId": "r1"}""")]
    [InlineData(FunctionNames.Work, """{"runId": "r1"}""")]
    [InlineData(FunctionNames.PriorityWork, """{"runId": "r1"}""")]
    public async Task MalformedEngineMessage_GoesToThePoisonQueue_AndAnswersSuccess(string function, string body)
    {
        await using var app = HandlerApp.Sqlite();

        var (response, _) = await app.InvokeAsync(function, Payloads.Queue(body));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.DrainAsync(FlowWorker.PoisonQueue)).ShouldHaveSingleItem()["body"]!.GetValue<string>().ShouldBe(body);
    }

    [Fact]
    public async Task ControlFunction_StoreFailure_AnswersServerError()
    {
        await using var app = HandlerApp.Sqlite(services => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<FlowFunctions.Storage.IFlowStore>(services, new FailingStore()));

        var (response, _) = await app.InvokeAsync(FunctionNames.Control, Payloads.Queue("""{"kind": "wake", "runId": "r1"}"""));

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
    }

    [Fact]
    public async Task HousekeepingTimer_WakesRunsWithUnappliedEvents()
    {
        await using var app = HandlerApp.Sqlite();
        var runId = await StartHelloAsync(app);
        await app.DrainAsync(app.Engine.Options.WorkQueue);
        await app.DrainAsync(app.Engine.Options.ControlQueue);
        await app.Engine.Processor.AppendEventAsync(runId, "cancel:lost-wake", new RunEvent.RunCancelRequested(null), CancellationToken.None, wake: false);

        var (response, _) = await app.InvokeAsync(FunctionNames.Housekeeping, Payloads.Timer(isPastDue: true));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.DrainAsync(app.Engine.Options.ControlQueue)).ShouldHaveSingleItem()["runId"]!.GetValue<string>().ShouldBe(runId);
    }

    private static async Task<string> StartHelloAsync(HandlerApp app)
    {
        var (response, _) = await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue(new JsonObject { ["spec"] = Payloads.HelloSpec() }.ToJsonString(), id: Guid.NewGuid().ToString()));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await app.RunsAsync()).Single().RunId;
    }
}
