using System.Globalization;
using System.Text;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>
/// The workflow the crash test kills workers under: 20 nodes plus a 30-child map (50 in all) mixing echo activities,
/// inline transforms, two durable delays, http activities against the test's server, a join and run outputs that
/// read all of it. Every http node names itself in an <c>X-Flow-Node</c> header, which is how executions are counted.
/// </summary>
internal static class CrashSafetySpec
{
    public const int Items = 30;
    public const int Preps = 6;
    public const int Shapes = 4;

    /// <summary>The ids of every http node and map child: each must execute at least once.</summary>
    public static IReadOnlyList<string> HttpNodes { get; } = ["ping", .. Enumerable.Range(0, Items).Select(i => $"fetch[{i}]"), "notify"];

    public static string Yaml(int port)
    {
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var items = string.Join(", ", Enumerable.Range(1, Items));
        var yaml = new StringBuilder();
        yaml.Append($$$"""
            name: crash-safety
            description: killed and restarted workers must not lose, duplicate or change anything
            nodes:
              - id: seed
                type: echo
                with: { items: [{{{items}}}], tag: crash }
              - id: ping
                type: http
                needs: [seed]
                with:
                  method: GET
                  url: "{{{url}}}/ping"
                  headers: { X-Flow-Node: ping }
                  expectStatus: 200
              - id: wait-short
                type: delay
                needs: [seed]
                with: { duration: 300ms }
              - id: wait-long
                type: delay
                needs: [ping]
                with: { duration: 1s }

            """);
        for (var i = 0; i < Preps; i++)
        {
            yaml.Append($$$"""
                  - id: prep-{{{i}}}
                    type: echo
                    needs: [seed]
                    with: { n: {{{i}}}, first: "${{ nodes.seed.output.items[{{{i}}}] }}" }

                """);
        }

        for (var i = 0; i < Shapes; i++)
        {
            yaml.Append($$$"""
                  - id: shape-{{{i}}}
                    type: transform
                    needs: [prep-{{{i}}}, prep-{{{i + 2}}}]
                    reduce: append
                    with: { shape: {{{i}}}, parts: "${{ input }}", label: "shape ${{ nodes['prep-{{{i}}}'].output.first }}" }

                """);
        }

        var preps = string.Join(", ", Enumerable.Range(0, Preps).Select(i => $"prep-{i}"));
        var shapes = string.Join(", ", Enumerable.Range(0, Shapes).Select(i => $"shape-{i}"));
        yaml.Append($$$"""
              - id: audit
                type: echo
                needs: [{{{shapes}}}]
                reduce: append
                with: { shapes: "${{ input }}" }
              - id: fetch
                type: map
                needs: [seed, wait-short, ping]
                items: ${{ nodes.seed.output.items }}
                maxConcurrency: 4
                node:
                  type: http
                  with:
                    method: POST
                    url: "{{{url}}}/fetch/${{ index }}?item=${{ item }}"
                    headers: { X-Flow-Node: "fetch[${{ index }}]" }
                    body: { item: "${{ item }}", index: "${{ index }}", tag: "${{ nodes.seed.output.tag }}" }
                    expectStatus: 200
              - id: join
                type: transform
                needs: [fetch, audit, wait-long, {{{preps}}}]
                reduce: append
                with: { parts: "${{ input }}", fetched: "${{ length(nodes.fetch.output) }}" }
              - id: tally
                type: echo
                needs: [join]
                with: { count: "${{ length(nodes.join.output.parts) }}", fetched: "${{ nodes.join.output.fetched }}" }
              - id: notify
                type: http
                needs: [tally]
                with:
                  method: POST
                  url: "{{{url}}}/notify"
                  headers: { X-Flow-Node: notify }
                  body: { count: "${{ nodes.tally.output.count }}", fetched: "${{ nodes.tally.output.fetched }}" }
                  expectStatus: 200
              - id: done
                type: echo
                needs: [notify]
                with: { notified: "${{ nodes.notify.output.body }}" }
            outputs:
              join: ${{ nodes.join.output }}
              fetched: ${{ nodes.fetch.output }}
              notified: ${{ nodes.done.output }}
              summary: "${{ nodes.tally.output.count }} parts, ${{ nodes.tally.output.fetched }} fetched"

            """);
        return yaml.ToString();
    }

    /// <summary>The ids of a <see cref="Chain"/> of <paramref name="steps"/> steps, all http nodes.</summary>
    public static IReadOnlyList<string> ChainNodes(int steps) => [.. Enumerable.Range(0, steps).Select(i => $"step-{i}")];

    /// <summary>
    /// <paramref name="steps"/> http nodes in sequence, each sending what its predecessor got back (so a step that ran
    /// out of order or from a lost input changes the outputs): the chain the local fast path serves.
    /// </summary>
    public static string Chain(int port, int steps)
    {
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var yaml = new StringBuilder("""
            name: crash-chain
            description: a sequential chain under killed workers
            nodes:

            """);
        for (var i = 0; i < steps; i++)
        {
            var needs = i == 0 ? string.Empty : $"needs: [step-{i - 1}]";
            var previous = i == 0 ? "start" : $"${{{{ nodes['step-{i - 1}'].output.body.path }}}}";
            yaml.Append($$$"""
                  - id: step-{{{i}}}
                    type: http
                    {{{needs}}}
                    with:
                      method: POST
                      url: "{{{url}}}/step/{{{i}}}"
                      headers: { X-Flow-Node: step-{{{i}}} }
                      body: { step: {{{i}}}, after: "{{{previous}}}" }
                      expectStatus: 200

                """);
        }

        yaml.Append($$$"""
            outputs:
              last: ${{ nodes['step-{{{steps - 1}}}'].output.body }}
              middle: ${{ nodes['step-{{{steps / 2}}}'].output.body }}

            """);
        return yaml.ToString();
    }
}
