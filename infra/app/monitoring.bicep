// Log Analytics and workspace-based Application Insights. Local (instrumentation key) authentication is disabled on
// both: the app sends telemetry with its managed identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), which holds
// Monitoring Metrics Publisher on the component (rbac.bicep).
param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
// Not a secret: with local auth disabled, ingestion also needs an Entra ID token of an identity with the publisher role.
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
