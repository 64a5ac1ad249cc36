namespace FlowFunctions.Storage.Azure;

/// <summary>Where a storage account's three services live and how requests to them are authorized.</summary>
/// <param name="AccountName">The account name; needed to sign with Shared Key, optional with Entra ID tokens.</param>
/// <param name="AccountKey">The decoded account key, or null to authorize with Entra ID bearer tokens.</param>
/// <param name="TableEndpoint">The Table service root, e.g. <c>https://acct.table.core.windows.net</c> or Azurite's path-style <c>http://127.0.0.1:10002/devstoreaccount1</c>.</param>
/// <param name="QueueEndpoint">The Queue service root.</param>
/// <param name="BlobEndpoint">The Blob service root.</param>
internal sealed record StorageAccount(string? AccountName, byte[]? AccountKey, Uri TableEndpoint, Uri QueueEndpoint, Uri BlobEndpoint)
{
    /// <summary>The connection string's own <c>NamePrefix=</c> setting (ours, not Azure's), or empty; see <see cref="AzureFlowStoreOptions.NamePrefix"/>.</summary>
    public string NamePrefix { get; init; } = string.Empty;

    /// <summary>Azurite's well-known development account (documented; not a secret).</summary>
    internal const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>The development account's documented key.</summary>
    internal const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly string[] KnownSettings =
    [
        "UseDevelopmentStorage", "DefaultEndpointsProtocol", "AccountName", "AccountKey", "EndpointSuffix",
        "TableEndpoint", "QueueEndpoint", "BlobEndpoint", NamePrefixSetting,
    ];

    /// <summary>
    /// Our addition to Azure's connection string syntax: the <see cref="AzureFlowStoreOptions.NamePrefix"/> of the store,
    /// so that every CLI command (which takes only <c>--store</c>) can address one isolated set of tables and queues.
    /// </summary>
    internal const string NamePrefixSetting = "NamePrefix";

    /// <summary>True when requests are signed with the account key; false when they carry Entra ID tokens.</summary>
    public bool UsesAccountKey => AccountKey is not null;

    /// <summary>
    /// Parses the connection string forms we support: <c>UseDevelopmentStorage=true</c>;
    /// <c>DefaultEndpointsProtocol=https;AccountName=..;AccountKey=..;EndpointSuffix=..</c> (key optional: without it
    /// requests use Entra ID); and explicit <c>TableEndpoint=</c>/<c>QueueEndpoint=</c>/<c>BlobEndpoint=</c> with
    /// <c>AccountName</c> and optionally <c>AccountKey</c>. Any form may add <c>NamePrefix=xyz</c>, which goes to
    /// <see cref="NamePrefix"/> (the store checks its syntax).
    /// </summary>
    /// <exception cref="FormatException">The string is malformed or incomplete; the message says what is wrong.</exception>
    public static StorageAccount Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new FormatException("the storage connection string is empty");
        }

        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var rawSegment in connectionString.Split(';'))
        {
            var segment = rawSegment.Trim();
            if (segment.Length == 0)
            {
                continue;
            }

            var equals = segment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"the storage connection string has a segment without 'name=value': '{Redact(segment)}'");
            }

            var name = segment[..equals].Trim();
            var value = segment[(equals + 1)..].Trim();
            if (name.Equals("SharedAccessSignature", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException("SharedAccessSignature connection strings are not supported; use an account key or Entra ID (omit AccountKey)");
            }

            if (!KnownSettings.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new FormatException($"the storage connection string has an unknown setting '{name}'; known: {string.Join(", ", KnownSettings)}");
            }

            if (!settings.TryAdd(name, value))
            {
                throw new FormatException($"the storage connection string sets '{name}' twice");
            }
        }

        // Not an account setting: take it out so that the rules below (e.g. UseDevelopmentStorage alone) see only Azure's.
        var namePrefix = settings.Remove(NamePrefixSetting, out var prefixValue) ? prefixValue : string.Empty;
        if (settings.Count == 0)
        {
            throw new FormatException("the storage connection string names no account, only a NamePrefix");
        }

        return ParseAccount(settings) with { NamePrefix = namePrefix };
    }

    private static StorageAccount ParseAccount(Dictionary<string, string> settings)
    {
        if (settings.TryGetValue("UseDevelopmentStorage", out var development))
        {
            if (!development.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException("UseDevelopmentStorage must be 'true' (remove it to use a real account)");
            }

            if (settings.Count > 1)
            {
                throw new FormatException("UseDevelopmentStorage=true cannot be combined with other settings; give explicit endpoints and the devstoreaccount1 key instead (NamePrefix may be added)");
            }

            return Development("127.0.0.1");
        }

        var accountName = settings.GetValueOrDefault("AccountName");
        if (accountName is { Length: 0 })
        {
            throw new FormatException("AccountName is empty");
        }

        byte[]? key = null;
        if (settings.TryGetValue("AccountKey", out var keyText))
        {
            if (accountName is null)
            {
                throw new FormatException("AccountKey needs AccountName: Shared Key signatures name the account");
            }

            try
            {
                key = Convert.FromBase64String(keyText);
            }
            catch (FormatException)
            {
                throw new FormatException("AccountKey is not valid base64");
            }

            if (key.Length == 0)
            {
                throw new FormatException("AccountKey is empty");
            }
        }

        var protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol");
        if (protocol is not null && protocol != "https" && protocol != "http")
        {
            throw new FormatException($"DefaultEndpointsProtocol must be 'https' or 'http', not '{protocol}'");
        }

        var suffix = settings.GetValueOrDefault("EndpointSuffix") ?? "core.windows.net";
        Uri Endpoint(string setting, string service)
        {
            if (settings.TryGetValue(setting, out var explicitEndpoint))
            {
                if (!Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                {
                    throw new FormatException($"{setting} '{explicitEndpoint}' is not an absolute http(s) URL");
                }

                return uri;
            }

            if (accountName is null || protocol is null)
            {
                throw new FormatException(
                    $"the storage connection string gives no {setting}: give it explicitly, or give DefaultEndpointsProtocol and AccountName (with EndpointSuffix outside the public cloud)");
            }

            return new Uri($"{protocol}://{accountName}.{service}.{suffix}");
        }

        return new StorageAccount(accountName, key, Endpoint("TableEndpoint", "table"), Endpoint("QueueEndpoint", "queue"), Endpoint("BlobEndpoint", "blob"));
    }

    /// <summary>Azurite's development account on <paramref name="host"/>, with its path-style endpoints.</summary>
    public static StorageAccount Development(string host) => new(
        DevelopmentAccountName,
        Convert.FromBase64String(DevelopmentAccountKey),
        new Uri($"http://{host}:10002/{DevelopmentAccountName}"),
        new Uri($"http://{host}:10001/{DevelopmentAccountName}"),
        new Uri($"http://{host}:10000/{DevelopmentAccountName}"));

    /// <summary>Keeps keys out of error messages.</summary>
    private static string Redact(string segment) => segment.Length > 12 ? segment[..12] + "..." : segment;
}
