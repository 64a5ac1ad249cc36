using System.Globalization;
using System.Text;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;

namespace FlowFunctions.Core.Tests.Runs;

/// <summary>One node of a generated spec, kept as a model so that tests can mutate the graph (add a cycle) and re-emit the text.</summary>
internal sealed class GeneratedNode
{
    public required string Id { get; init; }

    public required string Type { get; init; }

    public List<string> Needs { get; } = [];

    public string? Trigger { get; set; }

    public string? OnFailure { get; set; }

    public int? MaxAttempts { get; set; }

    public string? RetryDelay { get; set; }

    public bool RetryJitter { get; set; }

    public string? Timeout { get; set; }

    /// <summary>YAML text of the <c>when</c> value (<c>true</c>, <c>false</c> or a quoted expression).</summary>
    public string? When { get; set; }

    public string? Reduce { get; set; }

    /// <summary><c>fail</c>: how many executions fail before it succeeds; null = always fails.</summary>
    public int? FailTimes { get; set; }

    /// <summary><c>delay</c>: the duration text.</summary>
    public string? Duration { get; set; }

    /// <summary><c>map</c>: the literal items.</summary>
    public List<int> Items { get; } = [];

    public int? MaxConcurrency { get; set; }

    public string? TemplateType { get; set; }
}

/// <summary>A generated spec: the model, its YAML text and the loaded spec.</summary>
internal sealed record GeneratedSpec(int Seed, IReadOnlyList<GeneratedNode> Nodes, string Yaml, FlowSpec Spec)
{
    public GeneratedNode Node(string id) => Nodes.First(n => n.Id == id);

    public override string ToString() => $"seed {Seed}:\n{Yaml}";
}

/// <summary>
/// Random acyclic FlowSpec v1 documents built as text, so they go through the same reader, binder and graph
/// checker as a user's file. Needs only point at earlier nodes, which makes every generated graph acyclic.
/// </summary>
internal static class SpecGenerator
{
    private static readonly string[] Types = ["echo", "echo", "transform", "fail", "delay", "map"];
    private static readonly string[] Triggers = ["all-succeeded", "all-done", "any-succeeded"];
    private static readonly string[] Delays = ["0s", "0s", "500ms", "1s", "2s"];
    private static readonly string[] Durations = ["0s", "100ms", "1s", "2s"];

    /// <summary>Generates a valid acyclic spec from <paramref name="seed"/> (same seed, same spec).</summary>
    public static GeneratedSpec Generate(int seed)
    {
        var random = new Random(seed);
        var nodes = GenerateNodes(random);
        var yaml = ToYaml(seed, nodes);
        var result = SpecLoader.Load(yaml, SpecFormat.Yaml);
        if (result.Spec is null)
        {
            throw new InvalidOperationException($"generated spec (seed {seed}) is invalid: {string.Join("; ", result.Errors)}\n{yaml}");
        }

        return new GeneratedSpec(seed, nodes, yaml, result.Spec);
    }

    public static List<GeneratedNode> GenerateNodes(Random random)
    {
        var count = 1 + random.Next(25);
        var nodes = new List<GeneratedNode>(count);
        for (var i = 0; i < count; i++)
        {
            var node = new GeneratedNode { Id = "n" + i.ToString(CultureInfo.InvariantCulture), Type = Types[random.Next(Types.Length)] };
            if (i > 0 && random.Next(4) > 0)
            {
                var needCount = 1 + random.Next(Math.Min(3, i));
                while (node.Needs.Count < needCount)
                {
                    var need = "n" + random.Next(i).ToString(CultureInfo.InvariantCulture);
                    if (!node.Needs.Contains(need))
                    {
                        node.Needs.Add(need);
                    }
                }
            }

            if (random.Next(3) == 0)
            {
                node.Trigger = Triggers[random.Next(Triggers.Length)];
            }

            // Pause parks the run; these properties treat only Succeeded/Failed/Cancelled as the end.
            node.OnFailure = random.Next(3) switch
            {
                0 => "fail",
                1 => "continue",
                _ => null,
            };

            // Fail nodes get a retry budget more often, so that recoveries (times below the budget) are common.
            if (random.Next(node.Type == "fail" ? 4 : 2) != 1)
            {
                node.MaxAttempts = 1 + random.Next(3);
                node.RetryDelay = Delays[random.Next(Delays.Length)];
                node.RetryJitter = random.Next(2) == 0;
            }

            if (node.Type is "echo" or "fail" or "map" && random.Next(6) == 0)
            {
                node.Timeout = random.Next(2) == 0 ? "5s" : "30s";
            }

            if (random.Next(4) == 0)
            {
                node.When = (node.Needs.Count == 0 ? random.Next(2) : random.Next(4)) switch
                {
                    0 => "true",
                    1 => "false",
                    2 => $"\"${{{{ nodes.{node.Needs[0]}.status == 'Succeeded' }}}}\"",
                    _ => $"\"${{{{ nodes.{node.Needs[^1]}.output != null }}}}\"",
                };
            }

            switch (node.Type)
            {
                case "fail":
                    node.FailTimes = random.Next(5) == 0 ? null : random.Next((node.MaxAttempts ?? 1) + 1);
                    break;
                case "delay":
                    node.Duration = Durations[random.Next(Durations.Length)];
                    break;
                case "map":
                    var items = random.Next(7);
                    for (var k = 0; k < items; k++)
                    {
                        node.Items.Add(random.Next(100));
                    }

                    node.MaxConcurrency = 1 + random.Next(3);
                    node.TemplateType = random.Next(3) == 0 ? "transform" : "echo";
                    node.Reduce = random.Next(4) switch
                    {
                        0 => "append",
                        1 => "sum",
                        2 => "first",
                        _ => null,
                    };
                    break;
            }

            // Reduce on a multi-need node; sum can fail (non-numeric outputs), which exercises the permanent-failure path.
            if (node.Type != "map" && node.Needs.Count > 1 && random.Next(2) == 0)
            {
                string[] strategies = node.Type == "fail" ? ["append", "first", "last"] : ["append", "first", "last", "sum"];
                node.Reduce = strategies[random.Next(strategies.Length)];
            }

            nodes.Add(node);
        }

        return nodes;
    }

    public static string ToYaml(int seed, IReadOnlyList<GeneratedNode> nodes)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"name: prop-{seed}\n");
        text.Append("nodes:\n");
        foreach (var node in nodes)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - id: {node.Id}\n");
            text.Append(CultureInfo.InvariantCulture, $"    type: {node.Type}\n");
            if (node.Needs.Count > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"    needs: [{string.Join(", ", node.Needs)}]\n");
            }

            Line(text, "trigger", node.Trigger);
            Line(text, "onFailure", node.OnFailure);
            if (node.MaxAttempts is { } max)
            {
                text.Append(CultureInfo.InvariantCulture, $"    retry: {{ maxAttempts: {max}, backoff: constant, delay: {node.RetryDelay}, jitter: {(node.RetryJitter ? "true" : "false")} }}\n");
            }

            Line(text, "timeout", node.Timeout);
            Line(text, "when", node.When);
            Line(text, "reduce", node.Reduce);
            var upstream = node.Needs.Count > 0 ? $", up: \"${{{{ nodes.{node.Needs[0]}.output }}}}\"" : string.Empty;
            var reduced = node.Reduce is not null && node.Type != "map" ? ", reduced: \"${{ input }}\"" : string.Empty;
            switch (node.Type)
            {
                case "echo":
                case "transform":
                    text.Append(CultureInfo.InvariantCulture, $"    with: {{ node: {node.Id}{upstream}{reduced} }}\n");
                    break;
                case "fail":
                    var times = node.FailTimes is { } t ? $", times: {t}" : string.Empty;
                    text.Append(CultureInfo.InvariantCulture, $"    with: {{ message: boom {node.Id}{times}, output: {{ ok: {node.Id} }} }}\n");
                    break;
                case "delay":
                    text.Append(CultureInfo.InvariantCulture, $"    with: {{ duration: {node.Duration} }}\n");
                    break;
                case "map":
                    text.Append(CultureInfo.InvariantCulture, $"    items: [{string.Join(", ", node.Items)}]\n");
                    text.Append(CultureInfo.InvariantCulture, $"    maxConcurrency: {node.MaxConcurrency}\n");
                    text.Append(CultureInfo.InvariantCulture, $"    node: {{ type: {node.TemplateType}, with: {{ item: \"${{{{ item }}}}\", index: \"${{{{ index }}}}\" }} }}\n");
                    break;
            }
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string field, string? value)
    {
        if (value is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {field}: {value}\n");
        }
    }
}
