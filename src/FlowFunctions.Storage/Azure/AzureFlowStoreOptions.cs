using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>Settings of <see cref="AzureFlowStore"/> beyond the connection string.</summary>
public sealed class AzureFlowStoreOptions
{
    /// <summary>
    /// Prepended to every table, queue and container name, so that several stores (tests, environments) share one
    /// account without seeing each other's data. Lowercase letters and digits, starting with a letter; empty by default.
    /// </summary>
    public string NamePrefix { get; init; } = string.Empty;

    /// <summary>
    /// The Entra ID credential used when the connection string has no AccountKey; null means
    /// <c>DefaultAzureCredential</c> (managed identity in Azure, developer sign-in locally).
    /// </summary>
    public TokenCredential? Credential { get; init; }

    /// <summary>How many times a throttled (429/503), failed (5xx) or timed-out request is retried.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>How long one attempt may take before it is abandoned and retried.</summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>The HTTP transport; null uses Azure.Core's default. Tests pass a fake one.</summary>
    public HttpPipelineTransport? Transport { get; init; }

    /// <summary>
    /// Extra policies added to every service's pipeline after the retry policy, so they see each HTTP request the
    /// store sends, retries included (benchmarks count storage operations this way). Empty by default.
    /// </summary>
    public IReadOnlyList<HttpPipelinePolicy> AdditionalPolicies { get; init; } = [];
}
