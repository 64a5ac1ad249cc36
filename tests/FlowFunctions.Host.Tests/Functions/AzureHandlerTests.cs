using System.Net;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Host.Functions;

namespace FlowFunctions.Host.Tests.Functions;

/// <summary>
/// The handler on Azure Storage (the Azurite that test.sh starts, FLOWFUNCTIONS_TEST_AZURE), under a fresh name prefix:
/// the app creates its storage at start-up, and start, work and dead-letter paths behave as on SQLite.
/// </summary>
public sealed class AzureHandlerTests
{
    private static readonly string? Connection = Environment.GetEnvironmentVariable("FLOWFUNCTIONS_TEST_AZURE");

    [Fact]
    public async Task OnAzurite_FreshAccount_StartRunWorkAndDeadLetter()
    {
        if (string.IsNullOrEmpty(Connection))
        {
            return; // test.sh always sets it; a bare `dotnet test` without Azurite skips this check.
        }

        await using var app = HandlerApp.Azure(Connection + ";NamePrefix=h" + Guid.NewGuid().ToString("N")[..12]);
        var body = new JsonObject { ["spec"] = Payloads.HelloSpec(), ["idempotencyKey"] = "azure-1" }.ToJsonString();

        var (started, _) = await app.InvokeAsync(FunctionNames.StartRunServiceBus, Payloads.ServiceBus(body));
        var (again, _) = await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue(body));
        var work = (await app.DrainAsync(app.Engine.Options.WorkQueue)).ShouldHaveSingleItem();
        var (worked, _) = await app.InvokeAsync(FunctionNames.Work, Payloads.Queue(work.ToJsonString()));
        var (dead, _) = await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue("""{"workflow": "missing"}""", id: "m-1"));

        started.StatusCode.ShouldBe(HttpStatusCode.OK);
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        worked.StatusCode.ShouldBe(HttpStatusCode.OK);
        dead.StatusCode.ShouldBe(HttpStatusCode.OK);
        var run = (await app.RunsAsync()).ShouldHaveSingleItem();
        (await app.Engine.GetRunAsync(run.RunId))!.Status.ShouldBe(RunStatus.Succeeded);
        (await app.DrainAsync(DeadLetterStore.Queue)).ShouldHaveSingleItem()["reason"]!.GetValue<string>().ShouldContain("unknown workflow");
    }
}
