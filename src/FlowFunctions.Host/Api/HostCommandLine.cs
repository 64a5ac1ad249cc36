using System.Globalization;

namespace FlowFunctions.Host.Api;

/// <summary>
/// Turns the host's switches into configuration arguments before the web host reads them: <c>--dev</c> and
/// <c>--no-worker</c> take no value, which the standard command-line provider cannot express (it would take the next
/// switch as their value).
/// </summary>
internal static class HostCommandLine
{
    public static string[] Normalize(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new List<string>();
        var keys = 0;
        var hosts = 0;
        for (var i = 0; i < args.Length; i++)
        {
            var (name, inlineValue) = Split(args[i]);
            switch (name)
            {
                case "--dev":
                    result.Add($"--{FlowHostOptions.Section}:Dev={inlineValue ?? "true"}");
                    break;
                case "--no-worker":
                    result.Add($"--{FlowHostOptions.Section}:NoWorker={inlineValue ?? "true"}");
                    break;
                case "--store" or "--api-key" or "--allow-host" or "--engine":
                    var value = inlineValue ?? (i + 1 < args.Length ? args[++i] : string.Empty);
                    var key = name switch
                    {
                        "--store" => "Store",
                        "--engine" => "Engine",
                        "--api-key" => "ApiKeys:" + (keys++).ToString(CultureInfo.InvariantCulture),
                        _ => "AllowedHosts:" + (hosts++).ToString(CultureInfo.InvariantCulture),
                    };
                    result.Add($"--{FlowHostOptions.Section}:{key}={value}");
                    break;
                default:
                    result.Add(args[i]);
                    break;
            }
        }

        return [.. result];
    }

    private static (string Name, string? Value) Split(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
    }
}
