namespace FlowFunctions.Engine.Activities;

/// <summary>Settings of the <c>http</c> node type (configuration section <c>FlowFunctions:Http</c>).</summary>
public sealed class HttpActivityOptions
{
    /// <summary>
    /// Refuse connections to loopback, private, link-local and other non-public addresses (server-side request forgery
    /// guard). On by default; prefer <see cref="AllowedHosts"/> over turning it off.
    /// </summary>
    public bool BlockPrivateNetworks { get; set; } = true;

    /// <summary>
    /// Host names (exact, case-insensitive), IP addresses or CIDR ranges (<c>10.1.0.0/16</c>) that may be reached even
    /// though the guard would block them, e.g. <c>127.0.0.1</c> for local testing.
    /// </summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>The largest response body read, in bytes; a larger one fails the execution permanently. Default 1 MiB.</summary>
    public long MaxResponseBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How many redirects are followed (each target is checked again). Default 5.</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>The limit on one request when the node sets no <c>timeout</c>. Default 100 s, like HttpClient's.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The prefix of the settings that hold secrets: <c>secrets.TOKEN</c> is <c>FlowFunctions:Secrets:TOKEN</c>.</summary>
    public const string SecretsSection = "FlowFunctions:Secrets";

    /// <summary>
    /// Resolves <c>secrets.NAME</c> when an http node sends its request (null: not set). The host reads its configuration
    /// (app settings, where Azure resolves Key Vault references); the default reads the environment variable
    /// <c>FlowFunctions__Secrets__NAME</c>.
    /// </summary>
    public Func<string, string?> Secrets { get; set; } = name => Environment.GetEnvironmentVariable(SecretsSection.Replace(":", "__", StringComparison.Ordinal) + "__" + name);
}
