// One FlowFunctions app on its own Flex Consumption plan (Linux; the plan hosts exactly one app). main.bicep deploys
// it twice: the custom-handler API app (runtime 'custom', service flowfunctions) and the durable engine's app (runtime
// 'dotnet-isolated', service flowfunctions-durable). FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not
// app settings on this plan: the runtime is functionAppConfig.runtime. The app settings come from main.bicep, exactly
// those the app reads (src/FlowFunctions.Host/Functions/AppSettings.cs, src/FlowFunctions.Functions.Durable/
// DurableAppSettings.cs; tests compare the lists), all identity-based.
param name string
param planName string
param location string
param tags object

@description('The azure.yaml service azd deploys to this app: it finds the app by this azd-service-name tag.')
param serviceName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

param blobEndpoint string

@description('The blob container of this app\'s deployment packages; Flex Consumption reads it with the identity.')
param deploymentContainerName string

@description('functionAppConfig.runtime.name: custom for the custom handler, dotnet-isolated for the .NET isolated worker.')
@allowed([
  'custom'
  'dotnet-isolated'
])
param runtimeName string

@description('functionAppConfig.runtime.version: 1.0 for custom (the handler is self-contained, so this names no language runtime), the .NET version for dotnet-isolated.')
param runtimeVersion string

@description('The app settings, all identity-based (no keys).')
param appSettings object

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
  }

  resource siteSettings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }
}

output name string = functionApp.name
output url string = 'https://${functionApp.properties.defaultHostName}'
