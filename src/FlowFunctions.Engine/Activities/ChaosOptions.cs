namespace FlowFunctions.Engine.Activities;

/// <summary>
/// Chaos for tests and drills (configuration section <c>FlowFunctions:Chaos</c>): rules that make executions of some node
/// types (or keys) fail, slow down or answer an HTTP error on purpose. Off unless a rule is configured, and refused in the
/// Production environment.
/// </summary>
public sealed class ChaosOptions
{
    /// <summary>The rules; the first that matches an execution applies. Empty (the default) = no chaos.</summary>
    public IList<ChaosRule> Rules { get; } = [];

    /// <summary>
    /// The source of numbers in [0, 1) that decides each injection; <see cref="Random.Shared"/> when null. Not bound from
    /// configuration: tests set a seeded source to make a soak deterministic.
    /// </summary>
    public Func<double>? Randomizer { get; set; }

    /// <summary>
    /// Why these options cannot be used, or null. Chaos is refused when rules exist and the environment is Production:
    /// <paramref name="environmentName"/> (the host's <c>IHostEnvironment.EnvironmentName</c>, <c>DOTNET_ENVIRONMENT</c>)
    /// is unset or <c>Production</c> (the .NET default), or <paramref name="functionsEnvironment"/>
    /// (<c>AZURE_FUNCTIONS_ENVIRONMENT</c>) is <c>Production</c>. Each rule is checked too.
    /// </summary>
    public IReadOnlyList<string> Problems(string? environmentName, string? functionsEnvironment)
    {
        var problems = new List<string>();
        if (Rules.Count == 0)
        {
            return problems;
        }

        if (string.IsNullOrWhiteSpace(environmentName) || IsProduction(environmentName) || IsProduction(functionsEnvironment))
        {
            var name = IsProduction(functionsEnvironment) ? $"AZURE_FUNCTIONS_ENVIRONMENT={functionsEnvironment}"
                : string.IsNullOrWhiteSpace(environmentName) ? "no environment set (the default is Production)"
                : $"environment {environmentName}";
            problems.Add($"FlowFunctions:Chaos:Rules is refused in Production ({name}); chaos is for tests and drills: set DOTNET_ENVIRONMENT to Development, Staging or Test, or remove the rules");
        }

        for (var i = 0; i < Rules.Count; i++)
        {
            problems.AddRange(Rules[i].Problems().Select(p => $"FlowFunctions:Chaos:Rules:{i}: {p}"));
        }

        return problems;
    }

    private static bool IsProduction(string? name) => string.Equals(name?.Trim(), "Production", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One chaos rule: which executions it applies to and what it injects into them.</summary>
public sealed class ChaosRule
{
    /// <summary>The node type it applies to (<c>http</c>, <c>echo</c>, ...), or null for any.</summary>
    public string? NodeType { get; set; }

    /// <summary>
    /// The key it applies to, or null for any: for an <c>http</c> node the host of its URL (the default circuit breaker
    /// key), for other nodes the node type.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>Share of executions, 0 … 1, that fail with a transient injected fault (<c>chaos: injected fault</c>).</summary>
    public double FaultRate { get; set; }

    /// <summary>Share of executions, 0 … 1, delayed by <see cref="Latency"/> before the handler runs.</summary>
    public double LatencyRate { get; set; }

    /// <summary>The injected delay. Default 1 s.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Share of executions, 0 … 1, answered with the HTTP status <see cref="Outcome"/> instead of running the handler.</summary>
    public double OutcomeRate { get; set; }

    /// <summary>The HTTP status of an injected outcome (classified like a real one: 503 transient, 400 permanent). Default 503.</summary>
    public int Outcome { get; set; } = 503;

    /// <summary>Whether the rule applies to an execution of <paramref name="nodeType"/> under <paramref name="key"/>.</summary>
    public bool Matches(string nodeType, string key) =>
        (NodeType is null || string.Equals(NodeType, nodeType, StringComparison.Ordinal))
        && (Key is null || string.Equals(Key, key, StringComparison.OrdinalIgnoreCase));

    internal IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(NodeType) && string.IsNullOrWhiteSpace(Key))
        {
            yield return "set NodeType or Key: a rule for every execution is too easy to leave on by mistake";
        }

        foreach (var (name, rate) in new[] { ("FaultRate", FaultRate), ("LatencyRate", LatencyRate), ("OutcomeRate", OutcomeRate) })
        {
            if (rate is < 0 or > 1 || double.IsNaN(rate))
            {
                yield return $"{name} must be between 0 and 1, not {rate}";
            }
        }

        if (Latency < TimeSpan.Zero)
        {
            yield return "Latency must not be negative";
        }

        if (Outcome is < 100 or > 599)
        {
            yield return $"Outcome must be an HTTP status (100-599), not {Outcome}";
        }
    }
}
