// Service Bus (Standard) with the queue of start-run messages, read by the start-run-servicebus function.
// Local (SAS key) authentication is disabled: senders and the trigger use Entra ID.
param name string
param location string
param tags object
param queueName string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }

  resource startRunQueue 'queues' = {
    name: queueName
    properties: {
      // Starting a run is a few storage writes (seconds); one minute leaves room for a cold start, and the host renews
      // the lock up to extensions.serviceBus.maxAutoLockRenewalDuration (host.json, 5 minutes) when needed.
      lockDuration: 'PT1M'
      // Each delivery the handler answers with an error status is retried; after 10 the message is dead-lettered.
      // Messages that can never succeed are answered 200 and recorded in flow-deadletters (docs/operations.md).
      maxDeliveryCount: 10
      defaultMessageTimeToLive: 'P14D'
      deadLetteringOnMessageExpiration: true
      requiresSession: false
      requiresDuplicateDetection: false
    }
  }
}

output name string = namespace.name
// The host name identity-based connections need (ServiceBusConnection__fullyQualifiedNamespace), public cloud.
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
