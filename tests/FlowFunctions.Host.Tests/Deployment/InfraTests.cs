using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlowFunctions.Host.Api;
using FlowFunctions.Host.Functions;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace FlowFunctions.Host.Tests.Deployment;

/// <summary>
/// Static checks of the azd project (azure.yaml, infra/, hooks) and its agreement with the app: the Bicep compiler is not
/// available here, so these read the files as text. See docs/deploy.md.
/// </summary>
public sealed partial class InfraTests
{
    /// <summary>
    /// The built-in roles the deployment assigns, with their ids as documented in "Azure built-in roles"
    /// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage, .../integration, .../monitor).
    /// </summary>
    private static readonly Dictionary<string, string> DocumentedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"] = "Azure Service Bus Data Receiver",
        ["69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"] = "Azure Service Bus Data Sender",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
    };

    /// <summary>The azure.yaml service of the custom-handler API app (tag azd-service-name of its function app).</summary>
    private const string ApiServiceName = "flowfunctions";

    private static IEnumerable<string> BicepFiles => Directory.EnumerateFiles(Repository.PathOf("infra"), "*.bicep", SearchOption.AllDirectories);

    [Fact]
    public void EveryModuleReferenced_Exists()
    {
        var modules = BicepFiles
            .SelectMany(file => ModuleReference().Matches(File.ReadAllText(file)).Select(m => (file, path: m.Groups["path"].Value)))
            .ToList();

        modules.Count.ShouldBeGreaterThanOrEqualTo(6, "main.bicep has one module per concern");
        foreach (var (file, path) in modules)
        {
            File.Exists(Path.Combine(Path.GetDirectoryName(file)!, path)).ShouldBeTrue($"{Path.GetFileName(file)} references module '{path}', which does not exist");
        }
    }

    [Fact]
    public void MainParameters_AreDeclaredInMainBicep_AndCoverEveryParameterWithoutDefault()
    {
        var main = Repository.Read("infra/main.bicep");
        var declared = ParamDeclaration().Matches(main).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["default"].Success);
        var given = JsonNode.Parse(Repository.Read("infra/main.parameters.json"))!["parameters"]!.AsObject().Select(p => p.Key).ToList();

        given.ShouldNotBeEmpty();
        foreach (var parameter in given)
        {
            declared.ShouldContainKey(parameter, $"main.parameters.json sets '{parameter}', which main.bicep does not declare");
        }

        // `azd up` must work without editing anything: every required parameter comes from the azd environment.
        foreach (var (name, hasDefault) in declared)
        {
            (hasDefault || given.Contains(name)).ShouldBeTrue($"main.bicep parameter '{name}' has no default and is not in main.parameters.json");
        }
    }

    [Fact]
    public void NoKeysAnywhere_InInfraHooksOrSettings()
    {
        var files = Directory.EnumerateFiles(Repository.PathOf("infra"), "*", SearchOption.AllDirectories)
            .Append(Repository.PathOf("azure.yaml"))
            .Append(Repository.PathOf("local.settings.sample.json"))
            .ToList();
        files.Count.ShouldBeGreaterThan(8);
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            foreach (var forbidden in (string[])["listKeys", "AccountKey=", "SharedAccessKey=", "SharedAccessSignature="])
            {
                text.Contains(forbidden, StringComparison.OrdinalIgnoreCase).ShouldBeFalse($"{Path.GetRelativePath(Repository.Root, file)} contains '{forbidden}'");
            }
        }

        // Locally the app uses Azurite through its documented shorthand, never the development key itself.
        var sample = JsonNode.Parse(Repository.Read("local.settings.sample.json"))!["Values"]!;
        sample[AppSettings.Storage]!.GetValue<string>().ShouldBe("UseDevelopmentStorage=true");
    }

    [Fact]
    public void RoleDefinitionIds_AreTheDocumentedBuiltInRoles_AndTheIdentityHasEachOfThem()
    {
        var ids = BicepFiles.SelectMany(file => Guid().Matches(File.ReadAllText(file)).Select(m => (file, id: m.Value))).ToList();
        foreach (var (file, id) in ids)
        {
            DocumentedRoles.ShouldContainKey(id, $"{Path.GetFileName(file)} uses '{id}', which is not one of the documented built-in roles the app needs");
        }

        ids.Select(i => i.id.ToLowerInvariant()).Distinct().Order().ShouldBe(DocumentedRoles.Keys.Order());

        // Every role reaches the identity: the storage roles, the Service Bus roles and the publisher role.
        var rbac = Repository.Read("infra/app/rbac.bicep");
        foreach (var assignment in (string[])["identityStorageRoles", "identityServiceBusRoles", "identityTelemetryRole", "userStorageRoles", "userServiceBusRoles"])
        {
            rbac.ShouldContain($"resource {assignment} 'Microsoft.Authorization/roleAssignments@");
        }
    }

    [Fact]
    public void AppSettings_SetByBicep_AreExactlyTheDeployedSettingsTheAppReads()
    {
        var set = BicepAppSettings();
        var read = AppSettings.All.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var required = AppSettings.All.Where(s => s.Deployed).Select(s => s.Name).ToList();

        foreach (var setting in set)
        {
            read.ShouldContain(setting, $"infra sets '{setting}', which the app does not read");
        }

        foreach (var setting in required)
        {
            set.ShouldContain(setting, $"the app reads '{setting}' in Azure, but infra does not set it");
        }

        set.Order().ShouldBe(required.Order());
    }

    [Fact]
    public void AppSettings_CoverEveryOptionOfTheHost()
    {
        // The FlowFunctions__* settings are the configuration keys FlowHostOptions binds (section FlowFunctions).
        var options = typeof(FlowHostOptions).GetProperties().Select(p => $"{FlowHostOptions.Section}__{p.Name}");
        options.ShouldBeSubsetOf(AppSettings.All.Select(s => s.Name));
        AppSettings.All.Select(s => s.Name).ShouldBeUnique();
        AppSettings.Key(AppSettings.StorageBlobServiceUri).ShouldBe("AzureWebJobsStorage:blobServiceUri");
    }

    [Fact]
    public void PostProvisionHooks_WriteOnlySettingsTheAppReads_InBothVariants()
    {
        var read = AppSettings.All.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var shell = JsonKey().Matches(Repository.Read("infra/hooks/postprovision.sh")).Select(m => m.Groups["name"].Value).Where(n => n is not "IsEncrypted" and not "Values").ToList();
        var pwsh = PwshKey().Matches(Repository.Read("infra/hooks/postprovision.ps1")).Select(m => m.Groups["name"].Value).Where(n => n is not "IsEncrypted" and not "Values").ToList();

        shell.Count.ShouldBe(5);
        shell.Order().ShouldBe(pwsh.Order());
        shell.ShouldAllBe(name => read.Contains(name));
        Repository.Read(".gitignore").Split('\n').Select(l => l.Trim()).ShouldContain("local.settings.json");
    }

    [Fact]
    public async Task PostProvisionHook_WritesLocalSettings_ThatTheHandlerReadsAsTheDeployedKeylessStore()
    {
        var file = Path.Combine(Path.GetTempPath(), "flowfunctions-local-settings-" + System.Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var outputs = new Dictionary<string, string>
            {
                ["AZURE_STORAGE_BLOB_ENDPOINT"] = "https://stabc.blob.core.windows.net/",
                ["AZURE_STORAGE_QUEUE_ENDPOINT"] = "https://stabc.queue.core.windows.net/",
                ["AZURE_STORAGE_TABLE_ENDPOINT"] = "https://stabc.table.core.windows.net/",
                ["AZURE_SERVICEBUS_NAMESPACE"] = "sb-abc.servicebus.windows.net",
            };
            var (code, log) = await RunHookAsync(file, outputs);
            code.ShouldBe(0, log);

            var values = JsonNode.Parse(await File.ReadAllTextAsync(file))!["Values"]!.AsObject();
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(AppSettings.Key(v.Key), v.Value?.GetValue<string>())))
                .Build();
            HandlerStore.Describe(configuration).ShouldBe(
                "TableEndpoint=https://stabc.table.core.windows.net/;QueueEndpoint=https://stabc.queue.core.windows.net/;BlobEndpoint=https://stabc.blob.core.windows.net/");
            HandlerStore.Credential(configuration).ShouldBeNull("locally the developer's sign-in (DefaultAzureCredential) is used");
            configuration[AppSettings.Key(AppSettings.ServiceBusNamespace)].ShouldBe("sb-abc.servicebus.windows.net");

            // Run outside azd, the hook refuses instead of writing empty endpoints.
            File.Delete(file);
            var (failed, message) = await RunHookAsync(file, []);
            failed.ShouldNotBe(0);
            message.ShouldContain("AZURE_STORAGE_BLOB_ENDPOINT is not set");
            File.Exists(file).ShouldBeFalse();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void ServiceBusQueueAndConnection_MatchTheTriggerDefinition()
    {
        var binding = JsonNode.Parse(Repository.Read($"src/FlowFunctions.Host/Functions/definitions/{FunctionNames.StartRunServiceBus}/function.json"))!["bindings"]![0]!;
        binding["queueName"]!.GetValue<string>().ShouldBe(FunctionNames.ServiceBusStartQueue);
        binding["connection"]!.GetValue<string>().ShouldBe(FunctionNames.ServiceBusConnection);
        Repository.Read("infra/main.bicep").ShouldContain($"var startRunQueueName = '{FunctionNames.ServiceBusStartQueue}'");

        var serviceBus = Repository.Read("infra/app/service-bus.bicep");
        serviceBus.ShouldContain("name: 'Standard'");
        serviceBus.ShouldContain("disableLocalAuth: true");
        serviceBus.ShouldContain("deadLetteringOnMessageExpiration: true");
        serviceBus.ShouldMatch(@"maxDeliveryCount: \d+");

        // The lock outlasts a start-run invocation and stays within what the host renews (host.json).
        var lockDuration = System.Xml.XmlConvert.ToTimeSpan(LockDuration().Match(serviceBus).Groups["value"].Value);
        var renewal = TimeSpan.Parse(
            JsonNode.Parse(Repository.Read("host.json"))!["extensions"]!["serviceBus"]!["maxAutoLockRenewalDuration"]!.GetValue<string>(),
            System.Globalization.CultureInfo.InvariantCulture);
        lockDuration.ShouldBeInRange(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5));
        lockDuration.ShouldBeLessThanOrEqualTo(renewal);
    }

    [Fact]
    public void FunctionApp_IsFlexConsumptionCustomRuntime_AndStorageAndTelemetryAreKeyless()
    {
        var app = Repository.Read("infra/app/function-app.bicep");
        app.ShouldContain("tier: 'FlexConsumption'");
        app.ShouldContain("kind: 'functionapp,linux'");
        app.ShouldMatch(@"runtime: \{\s*name: runtimeName\s+version: runtimeVersion\s*\}");
        app.ShouldContain("type: 'UserAssignedIdentity'");
        app.ShouldMatch(@"instanceMemoryMB: instanceMemoryMB\s+maximumInstanceCount: maximumInstanceCount");
        app.ShouldMatch(@"name: 'appsettings'\s+properties: appSettings\s");

        // The API app is the custom handler; the module is shared with the durable engine's app (dotnet-isolated).
        var apiApp = BicepText.Module(Repository.Read("infra/main.bicep"), "functionApp");
        BicepText.StringParam(apiApp, "runtimeName").ShouldBe("custom");
        BicepText.StringParam(apiApp, "runtimeVersion").ShouldBe("1.0");

        var storage = Repository.Read("infra/app/storage.bicep");
        storage.ShouldContain("allowSharedKeyAccess: false");
        storage.ShouldContain("allowBlobPublicAccess: false");
        storage.ShouldContain("minimumTlsVersion: 'TLS1_2'");

        var monitoring = Repository.Read("infra/app/monitoring.bicep");
        monitoring.ShouldContain("DisableLocalAuth: true");
        monitoring.ShouldContain("disableLocalAuth: true");

        var main = Repository.Read("infra/main.bicep");
        main.ShouldContain("targetScope = 'subscription'");
        main.ShouldContain("'azd-env-name': environmentName");
        main.ShouldMatch(@"@metadata\(\{\s*azd: \{\s*type: 'location'");
        main.ShouldContain("var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))");
    }

    [Fact]
    public void AzureYaml_DeploysThePublishedCustomHandlerLayout_ToTheTaggedApp()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Repository.Read("azure.yaml")));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = (YamlMappingNode)root["services"];
        // The custom-handler app, and the durable engine's app (tests/FlowFunctions.Functions.Durable.Tests checks that one).
        services.Children.Keys.Select(k => k.ToString()).ShouldBe(["flowfunctions", "flowfunctions-durable"], ignoreOrder: true);
        var name = ApiServiceName;
        var service = (YamlMappingNode)services[name];

        service["host"].ToString().ShouldBe("function");
        service["language"].ToString().ShouldBe("custom");
        var dist = service["dist"].ToString();
        var prepackage = (YamlMappingNode)((YamlMappingNode)service["hooks"])["prepackage"];
        foreach (var os in (string[])["posix", "windows"])
        {
            ((YamlMappingNode)prepackage[os])["run"].ToString().ShouldContain($"scripts/publish-functions.sh {dist}");
        }

        var postprovision = (YamlMappingNode)((YamlMappingNode)root["hooks"])["postprovision"];
        ((YamlMappingNode)postprovision["posix"])["run"].ToString().ShouldBe("./infra/hooks/postprovision.sh");
        ((YamlMappingNode)postprovision["windows"])["run"].ToString().ShouldBe("./infra/hooks/postprovision.ps1");
        Repository.Read("infra/app/function-app.bicep").ShouldContain("'azd-service-name': serviceName");
        BicepText.StringParam(BicepText.Module(Repository.Read("infra/main.bicep"), "functionApp"), "serviceName").ShouldBe(name);
    }

    [Fact]
    public void ResourceApiVersions_AreTheOnesDocumented()
    {
        // docs/deploy.md lists the API versions the templates were written against; a new one must be added there.
        var deploy = Repository.Read("docs/deploy.md");
        var versions = BicepFiles.SelectMany(file => ResourceType().Matches(File.ReadAllText(file)).Select(m => m.Groups["type"].Value)).Distinct().ToList();

        versions.Count.ShouldBeGreaterThanOrEqualTo(9);
        foreach (var version in versions)
        {
            deploy.ShouldContain($"`{version}`", customMessage: $"{version} is used in infra/ but not listed in docs/deploy.md");
        }
    }

    [Fact]
    public void HostJson_ExtensionSettings_AreNestedUnderExtensions()
    {
        // Functions 2.x+ reads trigger settings only under "extensions"; elsewhere they are silently ignored.
        var host = JsonNode.Parse(Repository.Read("host.json"))!.AsObject();
        host.Select(p => p.Key).ShouldBeSubsetOf(["version", "logging", "extensionBundle", "functionTimeout", "extensions", "customHandler"]);
        host["extensions"]!.AsObject().Select(p => p.Key).ShouldBe(["http", "queues", "serviceBus"], ignoreOrder: true);
        host["logging"]!["applicationInsights"]!["samplingSettings"].ShouldNotBeNull();
    }

    private static async Task<(int Code, string Log)> RunHookAsync(string file, Dictionary<string, string> environment)
    {
        var start = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.PathOf("infra/hooks/postprovision.sh"));
        start.ArgumentList.Add(file);
        foreach (var name in (string[])["AZURE_STORAGE_BLOB_ENDPOINT", "AZURE_STORAGE_QUEUE_ENDPOINT", "AZURE_STORAGE_TABLE_ENDPOINT", "AZURE_SERVICEBUS_NAMESPACE"])
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The app settings main.bicep gives the API app (its functionApp module's appSettings object).</summary>
    private static IReadOnlyList<string> BicepAppSettings()
    {
        var main = Repository.Read("infra/main.bicep");
        return BicepText.ObjectKeys(main, BicepText.Param(BicepText.Module(main, "functionApp"), "appSettings"));
    }

    [GeneratedRegex(@"^\s*module\s+\w+\s+'(?<path>[^']+)'", RegexOptions.Multiline)]
    private static partial Regex ModuleReference();

    [GeneratedRegex(@"^param\s+(?<name>\w+)\s+\w+(?<default>\s*=)?", RegexOptions.Multiline)]
    private static partial Regex ParamDeclaration();

    [GeneratedRegex(@"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Guid();

    [GeneratedRegex(@"""(?<name>[A-Za-z_][A-Za-z0-9_.-]*)""\s*:")]
    private static partial Regex JsonKey();

    [GeneratedRegex(@"^\s*(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)", RegexOptions.Multiline)]
    private static partial Regex PwshKey();

    [GeneratedRegex(@"'(?<type>Microsoft\.[A-Za-z]+/[A-Za-z/]+@\d{4}-\d{2}-\d{2}(-preview)?)'")]
    private static partial Regex ResourceType();

    [GeneratedRegex(@"lockDuration: '(?<value>[^']+)'")]
    private static partial Regex LockDuration();
}
