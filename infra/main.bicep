// FlowFunctions on Azure: two Functions apps, each on its own Flex Consumption plan (a plan hosts one app): the
// custom-handler API app (service flowfunctions: API, dashboard, MCP, queue and Service Bus starts, the native engine)
// and the durable engine's .NET isolated app (service flowfunctions-durable: the FlowRun orchestration and its
// activities on the Durable extension); their shared Storage account (blobs, queues and tables; no shared keys), a
// Service Bus namespace with the start-run queue, Log Analytics + Application Insights (local auth disabled) and one
// user-assigned managed identity that both apps run as, holding exactly the data roles they need. The `engine`
// parameter picks the engine new runs start on. Deployed by `azd up` (docs/deploy.md). Every connection is
// identity-based: no key or connection secret anywhere.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: it names the resource group and seeds the resourceToken that makes resource names unique.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID). It gets the storage and Service Bus data roles for local development against the cloud resources; empty grants nothing.')
param principalId string = ''

@description('Whether principalId is a user or a service principal (a CI pipeline).')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('The most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('How long finished runs are kept before housekeeping deletes them (FlowFunctions__RunRetention, a TimeSpan d.hh:mm:ss).')
param runRetention string = '30.00:00:00'

@description('The engine new runs start on (FlowFunctions__Engine of the API app): native, worked by the API app itself, or durable, Durable Task orchestrations worked by the flowfunctions-durable app. Both apps are always deployed; runs already started keep their engine. azd: `azd env set FLOWFUNCTIONS_ENGINE durable`.')
@allowed([
  'native'
  'durable'
])
param engine string = 'native'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
// The Service Bus queue the start-run-servicebus function (Functions/definitions/start-run-servicebus/function.json) reads.
var startRunQueueName = 'start-run'
var deploymentContainerName = 'app-package-${resourceToken}'
var durableDeploymentContainerName = 'app-package-durable-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerNames: [
      deploymentContainerName
      durableDeploymentContainerName
    ]
  }
}

module serviceBus 'app/service-bus.bicep' = {
  name: 'serviceBus'
  scope: rg
  params: {
    name: 'sb-${resourceToken}'
    location: location
    tags: tags
    queueName: startRunQueueName
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

// Identity-based storage and telemetry, the settings both apps read: the Functions host (triggers, timer leases, the
// Durable extension's task hub) and our code. The same user-assigned identity everywhere.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identity.outputs.clientId}'
}

// The API app's settings: exactly those src/FlowFunctions.Host/Functions/AppSettings.cs marks as deployed.
var apiAppSettings = union(hostSettings, {
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identity.outputs.clientId
  FlowFunctions__RunRetention: runRetention
  FlowFunctions__Engine: engine
})

// The durable app's settings: exactly those src/FlowFunctions.Functions.Durable/DurableAppSettings.cs marks as deployed.
var durableAppSettings = hostSettings

module functionApp 'app/function-app.bicep' = {
  name: 'functionApp'
  scope: rg
  // The app creates its tables, queues and container at start-up: its roles must exist first.
  dependsOn: [
    rbac
  ]
  params: {
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'flowfunctions'
    identityId: identity.outputs.id
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    runtimeName: 'custom'
    runtimeVersion: '1.0'
    appSettings: apiAppSettings
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
}

// Always deployed, whatever `engine` says: azd deploys every service of azure.yaml and needs its app, and an idle Flex
// Consumption app costs nothing. Its own plan (one app per Flex Consumption plan), the same identity and storage.
module durableFunctionApp 'app/function-app.bicep' = {
  name: 'durableFunctionApp'
  scope: rg
  // The Durable extension creates the task hub's queues, tables and lease blobs at start-up: the roles must exist first.
  dependsOn: [
    rbac
  ]
  params: {
    name: 'func-durable-${resourceToken}'
    planName: 'plan-durable-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'flowfunctions-durable'
    identityId: identity.outputs.id
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: durableDeploymentContainerName
    // The project's target framework (net10.0); Flex Consumption runs .NET 8, 9 and 10 isolated.
    runtimeName: 'dotnet-isolated'
    runtimeVersion: '10.0'
    appSettings: durableAppSettings
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
}

// azd stores these in the environment (.azure/<env>/.env); the postprovision hook writes local.settings.json from them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_DURABLE_FUNCTION_APP_NAME string = durableFunctionApp.outputs.name
output AZURE_DURABLE_FUNCTION_APP_URL string = durableFunctionApp.outputs.url
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output AZURE_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output AZURE_SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output AZURE_SERVICEBUS_QUEUE string = startRunQueueName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
