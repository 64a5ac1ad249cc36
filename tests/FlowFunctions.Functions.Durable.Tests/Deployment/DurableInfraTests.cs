using System.Reflection;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlowFunctions.Host.Tests.Deployment;
using FlowFunctions.Storage;
using YamlDotNet.RepresentationModel;

namespace FlowFunctions.Functions.Durable.Tests.Deployment;

/// <summary>
/// The durable engine's app in the azd project (azure.yaml, infra/main.bicep) and its agreement with the app: read as
/// text, since the Bicep compiler is not available here. The API app's side is tests/FlowFunctions.Host.Tests/Deployment.
/// </summary>
public sealed class DurableInfraTests
{
    /// <summary>The azure.yaml service of the durable app, and the azd-service-name tag of its function app.</summary>
    private const string ServiceName = "flowfunctions-durable";

    private static string Main => Repository.Read("infra/main.bicep");

    private static string DurableModule => BicepText.Module(Main, "durableFunctionApp");

    [Fact]
    public void AppSettings_SetByBicep_AreExactlyTheDeployedSettingsTheDurableAppReads()
    {
        var set = BicepText.ObjectKeys(Main, BicepText.Param(DurableModule, "appSettings"));
        var read = DurableAppSettings.All.Select(s => s.Name).ToList();
        var required = DurableAppSettings.All.Where(s => s.Deployed).Select(s => s.Name).ToList();

        read.ShouldBeUnique();
        set.ShouldBeUnique();
        foreach (var setting in set)
        {
            read.ShouldContain(setting, $"infra sets '{setting}' on the durable app, which it does not read");
        }

        set.Order().ShouldBe(required.Order());

        // Identity-based only: the Durable extension takes the user-assigned identity by client id, and no connection string.
        set.ShouldNotContain(WebJobsStorage.Setting);
        set.ShouldNotContain("FUNCTIONS_WORKER_RUNTIME", "on Flex Consumption the runtime is functionAppConfig.runtime");
        Main.ShouldContain("AzureWebJobsStorage__credential: 'managedidentity'");
        Main.ShouldContain("AzureWebJobsStorage__clientId: identity.outputs.clientId");
        Main.ShouldContain("APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identity.outputs.clientId}'");
    }

    [Fact]
    public void DurableApp_IsDotnetIsolated_OnTheVersionTheAppTargets_WithItsOwnPlanAndDeploymentContainer()
    {
        BicepText.StringParam(DurableModule, "runtimeName").ShouldBe("dotnet-isolated");

        // net10.0 -> '10.0': the framework the deployed assembly was built for.
        var framework = typeof(DurableAppSettings).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName;
        BicepText.StringParam(DurableModule, "runtimeVersion").ShouldBe(new FrameworkName(framework).Version.ToString(2));

        // Flex Consumption hosts one app per plan; the app's deployment package goes to a container of its own.
        var api = BicepText.Module(Main, "functionApp");
        BicepText.Param(DurableModule, "planName").ShouldNotBe(BicepText.Param(api, "planName"));
        BicepText.Param(DurableModule, "name").ShouldNotBe(BicepText.Param(api, "name"));
        var container = BicepText.Param(DurableModule, "deploymentContainerName");
        container.ShouldNotBe(BicepText.Param(api, "deploymentContainerName"));
        BicepText.Module(Main, "storage").ShouldMatch($@"deploymentContainerNames: \[[^\]]*\b{Regex.Escape(container)}\b[^\]]*\]");

        // The same identity as the API app (it holds the storage data roles the Durable extension needs).
        BicepText.Param(DurableModule, "identityId").ShouldBe(BicepText.Param(api, "identityId"));
        Main.ShouldContain("output AZURE_DURABLE_FUNCTION_APP_NAME string = durableFunctionApp.outputs.name");
        Main.ShouldContain("output AZURE_DURABLE_FUNCTION_APP_URL string = durableFunctionApp.outputs.url");
    }

    [Fact]
    public void AzureYaml_DeploysTheDurableProject_ToTheAppTaggedWithItsServiceName()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Repository.Read("azure.yaml")));
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        var service = (YamlMappingNode)services[ServiceName];

        service["language"].ToString().ShouldBe("dotnet");
        service["host"].ToString().ShouldBe("function");
        var project = service["project"].ToString();
        project.ShouldBe("./src/FlowFunctions.Functions.Durable");
        File.Exists(Path.Combine(Repository.PathOf(project.TrimStart('.', '/')), "FlowFunctions.Functions.Durable.csproj")).ShouldBeTrue();
        typeof(DurableAppSettings).Assembly.GetName().Name.ShouldBe("FlowFunctions.Functions.Durable");

        BicepText.StringParam(DurableModule, "serviceName").ShouldBe(ServiceName);
        Repository.Read("infra/app/function-app.bicep").ShouldContain("'azd-service-name': serviceName");
    }

    [Fact]
    public void EngineParameter_IsNativeOrDurable_FromTheAzdEnvironment_AndReachesTheApiAppsEngineSetting()
    {
        Main.ShouldMatch(@"@allowed\(\[\s*'native'\s+'durable'\s*\]\)\s*param engine string = 'native'");
        var parameters = JsonNode.Parse(Repository.Read("infra/main.parameters.json"))!["parameters"]!;
        parameters["engine"]!["value"]!.GetValue<string>().ShouldBe("${FLOWFUNCTIONS_ENGINE:=native}");

        // FlowHostOptions.Engine binds FlowFunctions:Engine; the durable app itself does not read it.
        var apiSettings = BicepText.Param(BicepText.Module(Main, "functionApp"), "appSettings");
        BicepText.ObjectKeys(Main, apiSettings).ShouldContain("FlowFunctions__Engine");
        Regex.IsMatch(Main, @"^\s*FlowFunctions__Engine: engine\s*$", RegexOptions.Multiline).ShouldBeTrue("the API app's FlowFunctions__Engine is the engine parameter");
        DurableAppSettings.All.Select(s => s.Name).ShouldNotContain("FlowFunctions__Engine");
    }
}
