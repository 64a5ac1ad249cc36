#!/bin/sh
# azd postprovision hook: writes local.settings.json (git-ignored) for the environment just provisioned, so that
# `func start` in the published folder runs against the deployed Storage and Service Bus with your own sign-in
# (az login): identity-based settings without a credential use the developer's identity. azd passes the outputs of
# infra/main.bicep as environment variables. Keep in step with postprovision.ps1.
# Usage: infra/hooks/postprovision.sh [file] (default: local.settings.json at the repository root)
set -eu
cd "$(dirname "$0")/../.."
out=${1:-local.settings.json}

for name in AZURE_STORAGE_BLOB_ENDPOINT AZURE_STORAGE_QUEUE_ENDPOINT AZURE_STORAGE_TABLE_ENDPOINT AZURE_SERVICEBUS_NAMESPACE; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postprovision: $name is not set; run this hook through azd (azd provision or azd hooks run postprovision)" >&2
    exit 1
  fi
done

cat > "$out" <<JSON
{
  "IsEncrypted": false,
  "Values": {
    "FUNCTIONS_WORKER_RUNTIME": "custom",
    "AzureWebJobsStorage__blobServiceUri": "$AZURE_STORAGE_BLOB_ENDPOINT",
    "AzureWebJobsStorage__queueServiceUri": "$AZURE_STORAGE_QUEUE_ENDPOINT",
    "AzureWebJobsStorage__tableServiceUri": "$AZURE_STORAGE_TABLE_ENDPOINT",
    "ServiceBusConnection__fullyQualifiedNamespace": "$AZURE_SERVICEBUS_NAMESPACE"
  }
}
JSON
echo "postprovision: wrote $out for $AZURE_STORAGE_BLOB_ENDPOINT"
