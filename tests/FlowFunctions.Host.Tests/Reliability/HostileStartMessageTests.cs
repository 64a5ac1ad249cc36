using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FlowFunctions.Host.Functions;
using FlowFunctions.Host.Tests.Functions;

namespace FlowFunctions.Host.Tests.Reliability;

/// <summary>
/// Hostile start messages on both start triggers (Storage queue and Service Bus), each delivered twice as a host that
/// did not see the first answer would: dead-lettered once with a reason, no run started, the handler answers success
/// (the verdict is final, so the host must not retry) and keeps serving good messages.
/// </summary>
public sealed class HostileStartMessageTests
{
    public static TheoryData<string, string, string> Messages
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var function in (string[])[FunctionNames.StartRun, FunctionNames.StartRunServiceBus])
            {
                foreach (var (name, body, reason) in Corpus())
                {
                    data.Add(function, name, reason);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public async Task HostileMessage_DeliveredTwice_IsDeadLetteredOnce_AndStartsNoRun(string function, string name, string reason)
    {
        var body = Corpus().Single(entry => entry.Name == name).Body;
        await using var app = HandlerApp.Sqlite();

        foreach (var delivery in (int[])[1, 2])
        {
            var payload = function == FunctionNames.StartRun
                ? Payloads.Queue(body, id: "hostile-1", dequeueCount: delivery)
                : Payloads.ServiceBus(body, messageId: "hostile-1", deliveryCount: delivery);
            var (response, delivered) = await app.InvokeAsync(function, payload);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, delivered.ToJsonString());
        }

        (await app.RunsAsync()).ShouldBeEmpty();
        var letter = (await app.DrainAsync(DeadLetterStore.Queue)).ShouldHaveSingleItem();
        letter["reason"]!.GetValue<string>().ShouldContain(reason);
        letter["body"]!.GetValue<string>().ShouldBe(body);

        var (good, answer) = await app.InvokeAsync(function, function == FunctionNames.StartRun
            ? Payloads.Queue(new JsonObject { ["spec"] = Payloads.HelloSpec() }.ToJsonString(), id: "good-1")
            : Payloads.ServiceBus(new JsonObject { ["spec"] = Payloads.HelloSpec() }.ToJsonString(), messageId: "good-1"));
        good.StatusCode.ShouldBe(HttpStatusCode.OK, answer.ToJsonString());
        (await app.RunsAsync()).Count.ShouldBe(1);
    }

    [Fact]
    public async Task TwoHostileMessages_WithDifferentIds_AreTwoLetters()
    {
        await using var app = HandlerApp.Sqlite();

        await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue("not json", id: "a"));
        await app.InvokeAsync(FunctionNames.StartRun, Payloads.Queue("not json", id: "b"));

        (await app.DrainAsync(DeadLetterStore.Queue)).Count.ShouldBe(2);
    }

    /// <summary>Each entry: a name, the message text, and a part of the dead letter's reason.</summary>
    private static IEnumerable<(string Name, string Body, string Reason)> Corpus()
    {
        yield return ("empty", string.Empty, "empty message");
        yield return ("blank", " \r\n\t ", "empty message");
        yield return ("null", "null", "not a JSON object");
        yield return ("array", """[{"spec": {}}]""", "not a JSON object");
        yield return ("number", "42", "not a JSON object");
        yield return ("truncated", """{"spec": {"name": "x", "nodes": [""", "not JSON");
        yield return ("deep", new string('[', 100_000) + new string(']', 100_000), "not JSON");
        yield return ("deep-object", """{"spec": """ + string.Concat(Enumerable.Repeat("""{"a":""", 5_000)) + "1" + new string('}', 5_000) + "}", "not JSON");
        yield return ("lone-surrogate", """{"spec": "\ud800"}""", "surrogate pair");
        yield return ("replacement-characters", Encoding.UTF8.GetString([0x7b, 0xc3, 0x28, 0xff, 0xfe, 0x7d]), "not JSON");
        yield return ("nul-bytes", "{\"spec\u0000\": 1}", "not JSON");
        yield return ("duplicate-keys", """{"spec": {"name": "x", "nodes": []}, "spec": {"name": "y", "nodes": []}}""", "not JSON");
        yield return ("alias-bomb", new JsonObject { ["spec"] = AliasBomb() }.ToJsonString(), "alias bomb");
        yield return ("yaml-deep", new JsonObject { ["spec"] = "name: x\nnodes:\n" + string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', i + 2) + "- \n")) }.ToJsonString(), "invalid spec");
        yield return ("wrong-types", """{"spec": {"name": "x", "nodes": [{"id": "a", "type": "echo"}]}, "inputs": [1, 2]}""", "'inputs' must be an object");
        yield return ("both", """{"spec": {"name": "x", "nodes": []}, "workflow": "x"}""", "exactly one of 'workflow' and 'spec'");
        yield return ("huge-key", new JsonObject { ["spec"] = Payloads.HelloSpec(), ["idempotencyKey"] = new string('k', 10_000) }.ToJsonString(), "'idempotencyKey' must be 1-256 visible ASCII characters");
    }

    /// <summary>The billion laughs in YAML: ten levels of ten aliases each.</summary>
    private static string AliasBomb()
    {
        var text = new StringBuilder("name: bomb\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var level = 1; level < 10; level++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"x{level}: &a{level} [");
            text.Append(string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10)));
            text.Append("]\n");
        }

        return text.Append("nodes: [{ id: a, type: echo, with: *a9 }]\n").ToString();
    }
}
