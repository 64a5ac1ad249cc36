using Azure.Core;
using Azure.Core.Pipeline;
using FlowFunctions.Storage.Sqlite;

namespace FlowFunctions.Engine.Durable.Tests;

/// <summary>
/// The task hub on an account without key (a deployment's managed identity): DTFx's clients are the store's
/// (<see cref="Storage.Azure.AzureServiceClients"/>), so their requests carry the credential's bearer tokens and pass our
/// policies. Entra ID cannot be reached from here, so a policy records the first request and stops it there.
/// </summary>
public sealed class KeylessTaskHubTests
{
    [Fact]
    public async Task ATaskHubOnAKeylessAccount_SendsTheCredentialsBearerToken_ThroughOurPolicies()
    {
        var dir = Directory.CreateTempSubdirectory("flow-keyless-").FullName;
        try
        {
            await using var engine = FlowEngine.Create(new SqliteFlowStore(Path.Combine(dir, "flow.db"), TimeProvider.System));
            var stop = new StopAtFirstRequest();
            const string keyless = "AccountName=stkeyless;TableEndpoint=https://127.0.0.1:9/t;QueueEndpoint=https://127.0.0.1:9/q;BlobEndpoint=https://127.0.0.1:9/b;NamePrefix=kl";
            var host = DurableRunHost.Create(engine, keyless, startRuns: true, new DurableRunOptions { AdditionalPolicies = [stop] }, credential: new FixedToken("token-from-the-identity"));

            await Should.ThrowAsync<Exception>(host.CreateTaskHubAsync);

            stop.Authorization.ShouldBe("Bearer token-from-the-identity");
            stop.Uri!.Host.ShouldBe("127.0.0.1");
            stop.Uri.AbsolutePath.ShouldContain("klflowfunctions", Case.Insensitive, "the connection string's NamePrefix prefixes the task hub");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ASqliteStore_IsRefusedWithTheReason()
    {
        var dir = Directory.CreateTempSubdirectory("flow-keyless-").FullName;
        try
        {
            var path = Path.Combine(dir, "flow.db");
            await using var engine = FlowEngine.Create(new SqliteFlowStore(path, TimeProvider.System));
            var error = Should.Throw<ArgumentException>(() => DurableRunHost.Create(engine, path, startRuns: true));
            error.Message.ShouldContain("the durable engine needs Azure Storage");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class FixedToken(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }

    /// <summary>Per retry, after the credential's policy: sees the request as it would go out, and fails it (not retried).</summary>
    private sealed class StopAtFirstRequest : HttpPipelinePolicy
    {
        public string? Authorization { get; private set; }

        public Uri? Uri { get; private set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => Record(message);

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Record(message);
            return ValueTask.CompletedTask;
        }

        private void Record(HttpMessage message)
        {
            if (Uri is null)
            {
                Authorization = message.Request.Headers.TryGetValue("Authorization", out var value) ? value : null;
                Uri = message.Request.Uri.ToUri();
            }

            throw new InvalidOperationException("stopped before the network");
        }
    }
}
