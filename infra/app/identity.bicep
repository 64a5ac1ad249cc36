// The app's user-assigned managed identity: the Functions host and our handler use it for Storage, Service Bus,
// Application Insights and the deployment package. Its roles are assigned in rbac.bicep.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
