using global::Azure.Core;
using global::Azure.Core.Pipeline;
using global::Azure.Data.Tables;
using global::Azure.Identity;
using global::Azure.Storage;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Queues;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Builds the official SDK clients of one account's Table, Queue and Blob services the way the Azure store builds its own:
/// the account key (Shared Key, Azurite) or an Entra ID credential, our retry settings, request counting for telemetry
/// (<see cref="StorageRequests"/>) and <see cref="AzureFlowStoreOptions.AdditionalPolicies"/> once per attempt. Public for
/// components that open the account's services themselves (the durable engine's task hub), so that everything talking to
/// the account authenticates, retries and is counted alike. Options come first so that a caller can add to them.
/// </summary>
public sealed class AzureServiceClients
{
    /// <summary>Counts each attempt for <see cref="StorageRequests"/> (telemetry: storage requests per episode).</summary>
    private static readonly HttpPipelinePolicy RequestCounting = new RequestCountingPolicy();

    private readonly StorageAccount _account;
    private readonly TokenCredential? _credential;
    private readonly AzureFlowStoreOptions _options;

    internal AzureServiceClients(StorageAccount account, AzureFlowStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        _options = WithPrefixOf(account, options);
        ValidatePrefix(_options.NamePrefix);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries, nameof(options));
        _account = account;
        _credential = account.UsesAccountKey ? null : options.Credential ?? new DefaultAzureCredential();
    }

    /// <summary>The clients of the account a store's connection string names (the <c>--store</c> value).</summary>
    /// <param name="connectionString">An Azure store's connection string, as <see cref="AzureFlowStore"/> takes it.</param>
    /// <param name="options">Credential (for an account without key; default <c>DefaultAzureCredential</c>), retries, policies.</param>
    /// <exception cref="FormatException">The connection string is malformed.</exception>
    public static AzureServiceClients ForStore(string connectionString, AzureFlowStoreOptions? options = null) =>
        new(StorageAccount.Parse(connectionString), options ?? new AzureFlowStoreOptions());

    /// <summary>The name prefix in force: the options', else the connection string's <c>NamePrefix=</c>, else empty.</summary>
    public string NamePrefix => _options.NamePrefix;

    /// <summary>Table client options with our retry settings and policies.</summary>
    public TableClientOptions TableOptions() => Configure(new TableClientOptions());

    /// <summary>Queue client options with our retry settings and policies.</summary>
    public QueueClientOptions QueueOptions() => Configure(new QueueClientOptions());

    /// <summary>Blob client options with our retry settings and policies.</summary>
    public BlobClientOptions BlobOptions() => Configure(new BlobClientOptions());

    /// <summary>The Table service client, signed with the account key or carrying the credential's tokens.</summary>
    public TableServiceClient Tables(TableClientOptions options) => _account.AccountKey is { } key
        ? new TableServiceClient(_account.TableEndpoint, new TableSharedKeyCredential(_account.AccountName!, Convert.ToBase64String(key)), options)
        : new TableServiceClient(_account.TableEndpoint, _credential, options);

    /// <summary>The Queue service client.</summary>
    public QueueServiceClient Queues(QueueClientOptions options) => SharedKey() is { } shared
        ? new QueueServiceClient(_account.QueueEndpoint, shared, options)
        : new QueueServiceClient(_account.QueueEndpoint, _credential, options);

    /// <summary>The Blob service client.</summary>
    public BlobServiceClient Blobs(BlobClientOptions options) => SharedKey() is { } shared
        ? new BlobServiceClient(_account.BlobEndpoint, shared, options)
        : new BlobServiceClient(_account.BlobEndpoint, _credential, options);

    private StorageSharedKeyCredential? SharedKey() =>
        _account.AccountKey is { } key ? new StorageSharedKeyCredential(_account.AccountName!, Convert.ToBase64String(key)) : null;

    private T Configure<T>(T clientOptions)
        where T : ClientOptions
    {
        // The back-off we used before the SDKs (exponential from 200 ms, at most 30 s), and the caller's retry count.
        clientOptions.Retry.MaxRetries = _options.MaxRetries;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(30);
        clientOptions.Retry.NetworkTimeout = _options.NetworkTimeout;
        clientOptions.Diagnostics.IsTelemetryEnabled = false;
        if (_options.Transport is not null)
        {
            clientOptions.Transport = _options.Transport;
        }

        // Per retry, so a counting policy sees every attempt the service receives (the benchmark counts requests so).
        clientOptions.AddPolicy(RequestCounting, HttpPipelinePosition.PerRetry);
        foreach (var policy in _options.AdditionalPolicies)
        {
            clientOptions.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        }

        return clientOptions;
    }

    /// <summary>
    /// The connection string's <c>NamePrefix=</c> applies when the options give none (that is how CLI commands, which take
    /// only a connection string, address a prefixed store); two different prefixes are a mistake, not a choice.
    /// </summary>
    private static AzureFlowStoreOptions WithPrefixOf(StorageAccount account, AzureFlowStoreOptions options)
    {
        if (account.NamePrefix.Length == 0 || account.NamePrefix == options.NamePrefix)
        {
            return options;
        }

        if (options.NamePrefix.Length > 0)
        {
            throw new ArgumentException(
                $"the connection string's NamePrefix '{account.NamePrefix}' differs from the options' name prefix '{options.NamePrefix}'", nameof(options));
        }

        return new AzureFlowStoreOptions
        {
            NamePrefix = account.NamePrefix,
            Credential = options.Credential,
            MaxRetries = options.MaxRetries,
            NetworkTimeout = options.NetworkTimeout,
            Transport = options.Transport,
            AdditionalPolicies = options.AdditionalPolicies,
        };
    }

    private static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);

        // Table names allow only letters and digits and must start with a letter; queues and containers only lowercase.
        var valid = prefix.Length == 0
            || (prefix.Length <= 24 && char.IsAsciiLetterLower(prefix[0]) && prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)));
        if (!valid)
        {
            throw new ArgumentException($"the name prefix '{prefix}' must be at most 24 lowercase letters and digits, starting with a letter", nameof(prefix));
        }
    }

    private sealed class RequestCountingPolicy : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) => StorageRequests.Sent();
    }
}
