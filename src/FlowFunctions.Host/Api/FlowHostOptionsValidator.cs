using System.Net;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Api;

/// <summary>Checks the options at start-up, with messages that say which switch or setting to fix.</summary>
internal sealed class FlowHostOptionsValidator(IConfiguration configuration, IHostEnvironment? environment = null) : IValidateOptions<FlowHostOptions>
{
    /// <summary>API keys shorter than this are refused: they are guessable.</summary>
    public const int MinimumKeyLength = 16;

    public ValidateOptionsResult Validate(string? name, FlowHostOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Store))
        {
            failures.Add("no store: pass --store <sqlite file | Azure Storage connection string> or set FlowFunctions:Store");
        }

        if (options.Engine is not ("native" or "durable"))
        {
            failures.Add($"--engine (FlowFunctions:Engine) must be native or durable, not '{options.Engine}'");
        }
        else if (options.Engine == "durable" && !string.IsNullOrWhiteSpace(options.Store) && !Storage.FlowStores.IsConnectionString(options.Store))
        {
            failures.Add("--engine durable needs an Azure Storage store (a connection string such as UseDevelopmentStorage=true); the embedded SQLite store runs the native engine only");
        }

        if (options.ApiKeys.Any(k => string.IsNullOrWhiteSpace(k) || k.Trim().Length < MinimumKeyLength))
        {
            failures.Add($"every API key (FlowFunctions:ApiKeys, --api-key) must be at least {MinimumKeyLength} characters");
        }

        foreach (var (keyName, key) in options.Keys)
        {
            if (string.IsNullOrWhiteSpace(key.Key) || key.Key.Trim().Length < MinimumKeyLength)
            {
                failures.Add($"FlowFunctions:Keys:{keyName}:Key must be at least {MinimumKeyLength} characters");
            }

            if (ApiRoles.Parse(key.Role) is null)
            {
                failures.Add($"FlowFunctions:Keys:{keyName}:Role must be reader, operator or admin, not '{key.Role}'");
            }
        }

        var secrets = options.ApiKeys.Concat(options.Keys.Values.Select(k => k.Key)).Select(k => k?.Trim()).Where(k => !string.IsNullOrEmpty(k)).ToList();
        if (secrets.Distinct(StringComparer.Ordinal).Count() != secrets.Count)
        {
            failures.Add("two API keys (FlowFunctions:ApiKeys, FlowFunctions:Keys) have the same value: a key names one caller and one role");
        }

        if (ApiRoles.Parse(options.FunctionKeyRole) is null)
        {
            failures.Add($"FlowFunctions:FunctionKeyRole must be reader, operator or admin, not '{options.FunctionKeyRole}'");
        }

        foreach (var proxy in options.TrustedProxies)
        {
            try
            {
                ApiAuthentication.ParseNetwork(proxy);
            }
            catch (FormatException)
            {
                failures.Add($"FlowFunctions:TrustedProxies: '{proxy}' is not an IP address or CIDR range (10.0.0.4, 10.0.0.0/24)");
            }
        }

        if (options.RunRetention is { } retention && retention <= TimeSpan.Zero)
        {
            failures.Add("FlowFunctions:RunRetention must be positive (a TimeSpan such as 30.00:00:00), or unset to keep runs forever");
        }

        // Chaos is for tests and drills: refused when the host (or the Functions host around it) runs in Production.
        failures.AddRange(options.Chaos.Problems(environment?.EnvironmentName ?? configuration["environment"], configuration[Functions.AppSettings.FunctionsEnvironment]));
        if (options.Dev)
        {
            if (NonLoopbackUrl() is { } url)
            {
                failures.Add($"--dev serves the API without authentication and is only allowed on loopback addresses; '{url}' is not loopback (use --urls http://127.0.0.1:<port>)");
            }
        }
        else if (options.ApiKeys.Count == 0 && options.Keys.Count == 0 && !Functions.CustomHandlerExtensions.IsUnderFunctions(configuration))
        {
            failures.Add("no API key: set FlowFunctions:ApiKeys or FlowFunctions:Keys:<name>:Key and :Role (or pass --api-key <key>), or run with --dev on a loopback address");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The first URL the host would listen on that is not loopback, or null when all are.</summary>
    private string? NonLoopbackUrl()
    {
        // Ports alone (ASPNETCORE_HTTP_PORTS, the container default) listen on every interface.
        foreach (var key in (string[])["http_ports", "https_ports"])
        {
            if (!string.IsNullOrWhiteSpace(configuration[key]) && string.IsNullOrWhiteSpace(configuration["urls"]))
            {
                return $"{key}={configuration[key]}";
            }
        }

        var urls = configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            return null; // Kestrel's default is http://localhost:5000; in-process tests listen on nothing.
        }

        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IsLoopback(url))
            {
                return url;
            }
        }

        return null;
    }

    internal static bool IsLoopback(string url)
    {
        try
        {
            var host = BindingAddress.Parse(url).Host.Trim('[', ']');
            return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
