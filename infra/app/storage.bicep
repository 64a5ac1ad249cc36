// The storage of both Functions apps and FlowFunctions' store: blobs (artifacts, the deployment packages, timer and
// task hub leases), queues (triggers, work items, the durable task hub's queues) and tables (run state, run index, the
// task hub's history and instances). All three services are used, so the app settings
// name all three endpoints and the identity has a data role on each (unlike the quickstart templates, which leave
// queues and tables off). Shared keys are disabled: every request carries an Entra ID token.
param name string
param location string
param tags object

@description('The blob containers Flex Consumption deploys the app packages to, one per function app.')
param deploymentContainerNames array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainers 'containers' = [for containerName in deploymentContainerNames: {
      name: containerName
      properties: {
        publicAccess: 'None'
      }
    }]
  }

  // The apps create their own queues and tables at start-up (StorageInitializer, the Durable extension's task hub);
  // these only make the services explicit.
  resource queueService 'queueServices' = {
    name: 'default'
  }

  resource tableService 'tableServices' = {
    name: 'default'
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
