// The user-assigned managed identity both function apps run as: their Functions hosts (with the durable app's Durable
// extension) and our code use it for Storage, Service Bus, Application Insights and the deployment packages. Its roles
// are assigned in rbac.bicep.
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
