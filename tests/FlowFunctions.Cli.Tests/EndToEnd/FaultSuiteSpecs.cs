using System.Globalization;
using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>
/// The mixed workload of the fault suite: four kinds of run, each with the outputs it must end with. <c>map</c> fans
/// out http activities and joins them; <c>retry</c> fails twice and succeeds after durable retry timers; <c>wait</c>
/// finishes with the payload of an event the test raises; <c>patch</c> gets a node added mid-run by a graph patch and
/// then an event. Every http activity names itself (<c>X-Flow-Node</c>) so that executions can be counted.
/// </summary>
internal sealed record FaultSuiteRun(int Number, string Kind, string Yaml)
{
    public const int MapItems = 6;

    /// <summary>The event the wait and patch kinds wait for.</summary>
    public const string Event = "go";

    public string Name => $"fault-{Kind}-{Number.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The payload raised for the wait and patch kinds.</summary>
    public JsonObject Payload => new() { ["run"] = Number, ["approved"] = true };

    /// <summary>Whether the test raises <see cref="Event"/> on the run.</summary>
    public bool Raises => Kind is "wait" or "patch";

    /// <summary>The patch the test applies to a run of the patch kind: a node that reads the run's start.</summary>
    public JsonObject Patch => new()
    {
        ["reason"] = "fault suite",
        ["operations"] = new JsonArray(new JsonObject
        {
            ["op"] = "addNode",
            ["node"] = new JsonObject
            {
                ["id"] = "extra",
                ["type"] = "echo",
                ["needs"] = new JsonArray("start"),
                ["with"] = new JsonObject { ["added"] = "${{ nodes.start.output.n }}" },
            },
        }),
    };

    /// <summary>The run outputs the run must end with.</summary>
    public JsonNode ExpectedOutputs => Kind switch
    {
        "map" => new JsonObject { ["count"] = MapItems, ["n"] = Number },
        "retry" => new JsonObject { ["value"] = new JsonObject { ["n"] = Number, ["after"] = "two failures" } },
        _ => new JsonObject { ["got"] = Payload, ["n"] = Number },
    };

    /// <summary>The http activities of the run, by the name they send: each must execute at least once.</summary>
    public IReadOnlyList<string> HttpNodes => Kind == "map"
        ? [.. Enumerable.Range(0, MapItems).Select(i => $"{Name}/each[{i.ToString(CultureInfo.InvariantCulture)}]"), $"{Name}/notify"]
        : [$"{Name}/notify"];

    public static IReadOnlyList<FaultSuiteRun> Mixed(int count, int port)
    {
        string[] kinds = ["map", "retry", "wait", "patch"];
        return [.. Enumerable.Range(0, count).Select(i => Create(i, kinds[i % kinds.Length], port))];
    }

    private static FaultSuiteRun Create(int number, string kind, int port)
    {
        var name = $"fault-{kind}-{number.ToString(CultureInfo.InvariantCulture)}";
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var n = number.ToString(CultureInfo.InvariantCulture);
        var notify = $$$"""
              - id: notify
                type: http
                needs: [{{{(kind == "map" ? "total" : kind == "retry" ? "flaky" : "gate")}}}]
                with:
                  method: POST
                  url: "{{{url}}}/notify/{{{name}}}"
                  headers: { X-Flow-Node: "{{{name}}}/notify" }
                  body: { run: {{{n}}} }
                  expectStatus: 200
            """;
        var body = kind switch
        {
            "map" => $$$"""
                  - id: start
                    type: echo
                    with: { n: {{{n}}}, items: [{{{string.Join(", ", Enumerable.Range(1, MapItems))}}}] }
                  - id: each
                    type: map
                    needs: [start]
                    items: ${{ nodes.start.output.items }}
                    maxConcurrency: 3
                    node:
                      type: http
                      with:
                        method: POST
                        url: "{{{url}}}/each/{{{name}}}/${{ index }}"
                        headers: { X-Flow-Node: "{{{name}}}/each[${{ index }}]" }
                        body: { item: "${{ item }}" }
                        expectStatus: 200
                  - id: total
                    type: transform
                    needs: [each]
                    with: { count: "${{ length(nodes.each.output) }}" }
                {{{notify}}}
                outputs:
                  count: ${{ nodes.total.output.count }}
                  n: ${{ nodes.start.output.n }}
                """,
            "retry" => $$$"""
                  - id: start
                    type: echo
                    with: { n: {{{n}}} }
                  - id: flaky
                    type: fail
                    needs: [start]
                    with: { times: 2, message: "not yet", output: { n: "${{ nodes.start.output.n }}", after: "two failures" } }
                    retry: { maxAttempts: 4, backoff: constant, delay: 2s }
                {{{notify}}}
                outputs:
                  value: ${{ nodes.flaky.output }}
                """,
            _ => $$$"""
                  - id: start
                    type: echo
                    with: { n: {{{n}}} }
                  - id: gate
                    type: wait
                    needs: [start]
                    with: { event: {{{Event}}} }
                {{{notify}}}
                outputs:
                  got: ${{ nodes.gate.output }}
                  n: ${{ nodes.start.output.n }}
                """,
        };
        return new FaultSuiteRun(number, kind, $"name: {name}\nnodes:\n{body}");
    }
}
