using Azure.Identity;
using FlowFunctions.Engine;
using FlowFunctions.Storage;
using FlowFunctions.Storage.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace FlowFunctions.Functions.Durable.Tests;

/// <summary>Which run store the durable app opens: the one the Durable extension's task hub uses, keyless in Azure.</summary>
public sealed class StoreSettingsTests
{
    /// <summary>The storage settings infra/app/function-app.bicep gives the durable app.</summary>
    private static Dictionary<string, string?> Deployed() => new()
    {
        [WebJobsStorage.CredentialSetting] = "managedidentity",
        [WebJobsStorage.ClientIdSetting] = "00000000-0000-0000-0000-000000000001",
        [WebJobsStorage.BlobServiceUriSetting] = "https://stdurable.blob.core.windows.net/",
        [WebJobsStorage.QueueServiceUriSetting] = "https://stdurable.queue.core.windows.net/",
        [WebJobsStorage.TableServiceUriSetting] = "https://stdurable.table.core.windows.net/",
    };

    [Fact]
    public async Task TheDeployedIdentitySettings_OpenTheAccountsAzureStore_WithoutAKey()
    {
        await using var services = Services(Deployed());

        var engine = services.GetRequiredService<FlowEngine>();

        engine.Store.ShouldBeOfType<AzureFlowStore>();
        WebJobsStorage.Credential(key => Configuration(Deployed())[key]).ShouldBeOfType<ManagedIdentityCredential>();
        services.GetService<TracerProvider>().ShouldBeNull("no exporter configured, no telemetry");
    }

    [Fact]
    public async Task AnExporter_TurnsTheEnginesTelemetryOn()
    {
        var settings = Deployed();
        settings["OTEL_TRACES_EXPORTER"] = "console";
        await using var services = Services(settings);

        services.GetService<TracerProvider>().ShouldNotBeNull("the steps and activities this app runs are spans of their runs");
    }

    [Fact]
    public void IncompleteIdentitySettings_NameWhatIsMissing()
    {
        var settings = Deployed();
        settings.Remove(WebJobsStorage.QueueServiceUriSetting);
        settings.Remove(WebJobsStorage.TableServiceUriSetting);

        var error = Should.Throw<InvalidOperationException>(() => Services(settings));

        error.Message.ShouldContain(WebJobsStorage.QueueServiceUriSetting);
        error.Message.ShouldContain(WebJobsStorage.TableServiceUriSetting);
    }

    [Fact]
    public void NoStorageAtAll_IsRefusedWithTheSettingsToSet()
    {
        var error = Should.Throw<InvalidOperationException>(() => Services([]));

        error.Message.ShouldBe(
            "no run store: set AzureWebJobsStorage (a connection string, or AzureWebJobsStorage__blobServiceUri, AzureWebJobsStorage__queueServiceUri and AzureWebJobsStorage__tableServiceUri) or FlowFunctions:Store");
    }

    [Fact]
    public void AnotherCredentialKind_IsRefused()
    {
        var error = Should.Throw<InvalidOperationException>(() => Services(new() { [WebJobsStorage.Setting] = "UseDevelopmentStorage=true", [WebJobsStorage.CredentialSetting] = "connectionstring" }));

        error.Message.ShouldContain("must be 'managedidentity'");
    }

    /// <summary>The app's services over these app settings (named as environment variables).</summary>
    private static ServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddFlowDurableFunctions(Configuration(settings)).BuildServiceProvider();

    private static IConfiguration Configuration(Dictionary<string, string?> settings) => new ConfigurationBuilder()
        .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(WebJobsStorage.Key(s.Key), s.Value)))
        .Build();
}
