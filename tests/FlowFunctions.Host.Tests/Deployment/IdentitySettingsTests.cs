using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using FlowFunctions.Host.Functions;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Azure;
using FlowFunctions.Telemetry;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Tests.Deployment;

/// <summary>The identity-based settings the deployment sets (infra/main.bicep, apiAppSettings), as the app reads them.</summary>
public sealed class IdentitySettingsTests
{
    private const string Blob = "https://stabc.blob.core.windows.net/";
    private const string Queue = "https://stabc.queue.core.windows.net/";
    private const string Table = "https://stabc.table.core.windows.net/";

    [Fact]
    public void Describe_ServiceUris_AreAKeylessConnectionStringTheAzureStoreOpens()
    {
        var configuration = Configuration(new()
        {
            [AppSettings.StorageBlobServiceUri] = Blob,
            [AppSettings.StorageQueueServiceUri] = Queue,
            [AppSettings.StorageTableServiceUri] = Table,
        });

        var store = HandlerStore.Describe(configuration);

        store.ShouldBe($"TableEndpoint={Table};QueueEndpoint={Queue};BlobEndpoint={Blob}");
        store.ShouldNotContain("AccountKey");
        FlowStores.Open(store, TimeProvider.System, new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)).ShouldBeOfType<AzureFlowStore>();
    }

    [Fact]
    public void Describe_AccountName_DerivesTheEndpoints_AndExplicitUrisWin()
    {
        var configuration = Configuration(new()
        {
            [AppSettings.StorageAccountName] = "stxyz",
            [AppSettings.StorageQueueServiceUri] = Queue,
        });

        HandlerStore.Describe(configuration).ShouldBe(
            $"AccountName=stxyz;TableEndpoint=https://stxyz.table.core.windows.net;QueueEndpoint={Queue};BlobEndpoint=https://stxyz.blob.core.windows.net");
    }

    [Fact]
    public void Describe_SomeServiceUrisOnly_NamesTheMissingSettings()
    {
        var configuration = Configuration(new() { [AppSettings.StorageBlobServiceUri] = Blob });

        var error = Should.Throw<InvalidOperationException>(() => HandlerStore.Describe(configuration));

        error.Message.ShouldContain(AppSettings.StorageQueueServiceUri);
        error.Message.ShouldContain(AppSettings.StorageTableServiceUri);
        error.Message.ShouldNotContain(AppSettings.StorageBlobServiceUri + ",");
    }

    [Fact]
    public void Describe_ConnectionStringOrStoreSetting_WinsOverIdentitySettings()
    {
        HandlerStore.Describe(Configuration(new() { [AppSettings.Storage] = "UseDevelopmentStorage=true", [AppSettings.StorageBlobServiceUri] = Blob }))
            .ShouldBe("UseDevelopmentStorage=true");
        HandlerStore.Describe(Configuration(new() { ["FlowFunctions__Store"] = "x.db", [AppSettings.StorageBlobServiceUri] = Blob })).ShouldBe("x.db");
        HandlerStore.Describe(Configuration([])).ShouldBe(Path.Combine(".flow", "flow.db"));
    }

    [Theory]
    [InlineData("managedidentity", "7f0c2c35-1111-4d3e-9a55-0c1d2e3f4a5b")]
    [InlineData("ManagedIdentity", null)]
    public void Credential_ManagedIdentity_IsTheManagedIdentityCredential(string kind, string? clientId)
    {
        var values = new Dictionary<string, string?> { [AppSettings.StorageCredential] = kind, [AppSettings.StorageClientId] = clientId };

        HandlerStore.Credential(Configuration(values)).ShouldBeOfType<ManagedIdentityCredential>();
    }

    [Fact]
    public void Credential_Unset_IsNull_SoTheStoreUsesDefaultAzureCredential()
    {
        HandlerStore.Credential(Configuration(new() { [AppSettings.StorageBlobServiceUri] = Blob })).ShouldBeNull();
    }

    [Fact]
    public void Credential_OtherValue_IsRefusedWithTheSettingName()
    {
        var error = Should.Throw<InvalidOperationException>(() => HandlerStore.Credential(Configuration(new() { [AppSettings.StorageCredential] = "connectionstring" })));

        error.Message.ShouldContain(AppSettings.StorageCredential);
        error.Message.ShouldContain("connectionstring");
    }

    [Theory]
    [InlineData("Authorization=AAD;ClientId=7f0c2c35-1111-4d3e-9a55-0c1d2e3f4a5b")]
    [InlineData("Authorization=AAD")]
    [InlineData(" clientid = abc ; authorization = aad ")]
    public void TelemetryAuthentication_DocumentedForms_AreTheManagedIdentity(string value)
    {
        TelemetryAuthentication.Parse(value).ShouldBeOfType<ManagedIdentityCredential>();
    }

    [Theory]
    [InlineData("")]
    [InlineData("ClientId=abc")]
    [InlineData("Authorization=Key")]
    [InlineData("Authorization=AAD;Secret=x")]
    [InlineData("Authorization=AAD;ClientId=")]
    public void TelemetryAuthentication_OtherForms_AreRefused(string value)
    {
        Should.Throw<FormatException>(() => TelemetryAuthentication.Parse(value)).Message.ShouldContain(AppSettings.TelemetryAuthentication);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Host_WithTheAuthenticationString_SendsTelemetryWithTheIdentity(bool withAuthentication)
    {
        var directory = Path.Combine(Path.GetTempPath(), "flowfunctions-identity-" + System.Guid.NewGuid().ToString("N"));
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting(WebJobsStorage.StoreKey, Path.Combine(directory, "flow.db"));
            builder.UseSetting(CustomHandlerExtensions.PortVariable, "7071");
            builder.UseSetting(AppSettings.TelemetryConnectionString, "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/");
            if (withAuthentication)
            {
                builder.UseSetting(AppSettings.TelemetryAuthentication, "Authorization=AAD;ClientId=7f0c2c35-1111-4d3e-9a55-0c1d2e3f4a5b");
            }
        });
        try
        {
            var exporter = factory.Services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);

            exporter.ConnectionString.ShouldStartWith("InstrumentationKey=00000000");
            if (withAuthentication)
            {
                exporter.Credential.ShouldBeOfType<ManagedIdentityCredential>();
            }
            else
            {
                exporter.Credential.ShouldBeNull();
            }
        }
        finally
        {
            await factory.DisposeAsync();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(AppSettings.Key(s.Key), s.Value))).Build();
}
