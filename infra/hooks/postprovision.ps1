# azd postprovision hook (Windows): writes local.settings.json (git-ignored) for the environment just provisioned, so
# that `func start` in the published folder runs against the deployed Storage and Service Bus with your own sign-in
# (az login). azd passes the outputs of infra/main.bicep as environment variables. Keep in step with postprovision.sh.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '../..')

foreach ($name in 'AZURE_STORAGE_BLOB_ENDPOINT', 'AZURE_STORAGE_QUEUE_ENDPOINT', 'AZURE_STORAGE_TABLE_ENDPOINT', 'AZURE_SERVICEBUS_NAMESPACE') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Write-Error "postprovision: $name is not set; run this hook through azd (azd provision or azd hooks run postprovision)"
    }
}

$settings = [ordered]@{
    IsEncrypted = $false
    Values      = [ordered]@{
        FUNCTIONS_WORKER_RUNTIME                      = 'custom'
        AzureWebJobsStorage__blobServiceUri           = $env:AZURE_STORAGE_BLOB_ENDPOINT
        AzureWebJobsStorage__queueServiceUri          = $env:AZURE_STORAGE_QUEUE_ENDPOINT
        AzureWebJobsStorage__tableServiceUri          = $env:AZURE_STORAGE_TABLE_ENDPOINT
        ServiceBusConnection__fullyQualifiedNamespace = $env:AZURE_SERVICEBUS_NAMESPACE
    }
}
$settings | ConvertTo-Json -Depth 3 | Set-Content -Path 'local.settings.json' -Encoding utf8
Write-Host "postprovision: wrote local.settings.json for $env:AZURE_STORAGE_BLOB_ENDPOINT"
