using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using static FlowFunctions.Core.Tests.Runs.Decisions;

namespace FlowFunctions.Core.Tests.Runs;

/// <summary>
/// <c>${{ secrets.NAME }}</c> in the decision function (issue 15): it never sees a value. A secret evaluates to its marker,
/// and an http execution's input lists the names its spec reads, whatever upstream data says.
/// </summary>
public sealed class SecretDecisionTests
{
    private const string Spec = """
        name: secrets
        nodes:
          - id: source
            type: echo
            with: 1
          - id: call
            type: http
            needs: [source]
            with:
              url: https://api.example.com/orders
              headers: { Authorization: "Bearer ${{ secrets.TOKEN }}" }
              body: { key: "${{ secrets.KEY }}", copied: "${{ nodes.source.output }}" }
          - id: each
            type: map
            items: [1, 2]
            node: { type: http, with: { url: https://api.example.com/each, headers: { X-Key: "${{ secrets.KEY }}" } } }
          - id: forwarded
            type: http
            needs: [source]
            with: { url: "${{ nodes.source.output.url }}", headers: "${{ nodes.source.output.headers }}" }
        """;

    [Fact]
    public void An_Http_Input_Has_The_Markers_And_The_Names_Its_Spec_Reads()
    {
        var started = Start(Spec);
        var input = Input(started, "each[0]");
        input["headers"]!["X-Key"]!.GetValue<string>().ShouldBe("${{ secrets.KEY }}");
        input[SecretNames.Property]!.ToJsonString().ShouldBe("""["KEY"]""");

        var upstream = new JsonObject { ["url"] = "https://evil.example", ["headers"] = new JsonObject { ["a"] = "${{ secrets.OTHER }}" }, [SecretNames.Property] = new JsonArray("OTHER") };
        var next = Succeed(started, "source", upstream);
        var call = Input(next, "call");
        call["headers"]!["Authorization"]!.GetValue<string>().ShouldBe("Bearer ${{ secrets.TOKEN }}");
        call[SecretNames.Property]!.ToJsonString().ShouldBe("""["TOKEN","KEY"]""");

        // Upstream data that holds a marker gets no secret: the names come from the spec, not the data.
        var forwarded = Input(next, "forwarded");
        forwarded["headers"]!["a"]!.GetValue<string>().ShouldBe("${{ secrets.OTHER }}");
        forwarded.ContainsKey(SecretNames.Property).ShouldBeFalse();
    }

    [Fact]
    public void A_Non_Http_Input_Is_Left_As_It_Is()
    {
        var next = Succeed(Start(Spec), "source", new JsonObject { [SecretNames.Property] = new JsonArray("X") });
        next.State.Nodes["source"].Output!.ToJsonString().ShouldBe("""{"$secrets":["X"]}""");
    }

    [Fact]
    public void A_Redrive_Whose_With_Reads_A_Secret_Is_Refused()
    {
        var failed = Fail(Succeed(Start(Spec), "source", new JsonObject { ["url"] = "https://api.example.com/x" }), "call", Core.Runs.ErrorClass.Permanent);
        var redrive = new RunEvent.NodeRedriveRequested("call", JsonNode.Parse("""{ "url": "https://elsewhere.example", "headers": { "a": "${{ secrets.TOKEN }}" } }"""));
        RunControl.Refusal(failed.State, redrive).ShouldNotBeNull().ShouldContain("cannot read secrets");
        RunControl.Refusal(failed.State, redrive with { With = JsonNode.Parse("""{ "url": "https://api.example.com/orders" }""") }).ShouldBeNull();
    }

    private static JsonObject Input(Decision decision, string nodeId) =>
        decision.Effects.OfType<Effect.ScheduleActivity>().Single(e => e.NodeId == nodeId).Input!.AsObject();
}
