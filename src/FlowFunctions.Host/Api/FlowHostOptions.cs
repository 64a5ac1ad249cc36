using System.ComponentModel.DataAnnotations;

namespace FlowFunctions.Host.Api;

/// <summary>The host's settings: configuration section <c>FlowFunctions</c>, and the switches <c>--store</c>, <c>--engine</c>, <c>--dev</c>, <c>--no-worker</c>, <c>--api-key</c>.</summary>
public sealed class FlowHostOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "FlowFunctions";

    /// <summary>A SQLite file path, or an Azure Storage connection string (anything with <c>name=value</c>).</summary>
    public string Store { get; set; } = string.Empty;

    /// <summary>
    /// The engine of the runs this host starts and of its in-process worker: <c>native</c> (default) or <c>durable</c>
    /// (Durable Task orchestrations; an Azure Storage store). Commands reach runs of either engine.
    /// </summary>
    public string Engine { get; set; } = "native";

    /// <summary>Bearer keys the API accepts with the admin role (actor <c>key:ApiKeys[i]</c>). A key (here or in <see cref="Keys"/>) is required unless <see cref="Dev"/> or under the Functions host.</summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>Named bearer keys with a role: <c>FlowFunctions:Keys:&lt;name&gt;:Key</c> and <c>...:Role</c> (reader, operator, admin); the actor is <c>key:&lt;name&gt;</c>.</summary>
    public IDictionary<string, ApiKeyOptions> Keys { get; } = new Dictionary<string, ApiKeyOptions>(StringComparer.Ordinal);

    /// <summary>
    /// The role of a request that the Functions host let through with a function key and nothing else (no bearer key,
    /// no EasyAuth principal): admin by default; set <c>reader</c> to make changes need a role-carrying key or app role.
    /// </summary>
    public string FunctionKeyRole { get; set; } = "admin";

    /// <summary>Addresses or CIDR ranges of reverse proxies (EasyAuth in front of a self-hosted host) whose <c>X-MS-CLIENT-PRINCIPAL</c> headers are read.</summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>Development mode: no authentication; only allowed when every URL the host listens on is loopback.</summary>
    public bool Dev { get; set; }

    /// <summary>Do not run the in-process worker (other processes work the runs).</summary>
    public bool NoWorker { get; set; }

    /// <summary>The largest request body accepted; larger ones are 413 before they are parsed.</summary>
    [Range(1024, 64 * 1024 * 1024, ErrorMessage = "FlowFunctions:MaxRequestBodyBytes must be between 1024 and 67108864")]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long finished runs (Succeeded, Failed, Cancelled) are kept after they finished before housekeeping deletes
    /// them (<see cref="FlowFunctions.Engine.EngineOptions.RunRetention"/>); a TimeSpan such as <c>30.00:00:00</c>.
    /// Unset (the default) keeps runs forever.
    /// </summary>
    public TimeSpan? RunRetention { get; set; }

    /// <summary>Hosts (names, addresses, CIDR ranges) that <c>http</c> nodes may reach although the SSRF guard refuses them by default.</summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>
    /// Chaos rules for tests and drills (<c>FlowFunctions:Chaos:Rules:0:NodeType</c>, <c>...:FaultRate</c>, ...); refused
    /// at start-up in the Production environment. See docs/resilience.md.
    /// </summary>
    public FlowFunctions.Engine.Activities.ChaosOptions Chaos { get; } = new();

    /// <summary>
    /// The folder of the built dashboard served at <c>/</c>; unset means the <c>dashboard</c> folder next to the host's
    /// assembly, where the build puts it.
    /// </summary>
    public string? DashboardPath { get; set; }
}

/// <summary>A named API key: its secret and its role.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The bearer key, at least 16 characters.</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary><c>reader</c>, <c>operator</c> or <c>admin</c>.</summary>
    public string Role { get; set; } = string.Empty;
}
