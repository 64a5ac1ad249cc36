#!/usr/bin/env bash
# Produces the deployable Azure Functions folder of the custom handler:
#   <out>/host.json                      the repository's host.json
#   <out>/<function>/function.json       one folder per function, from src/FlowFunctions.Host/Functions/definitions/
#   <out>/handler/FlowFunctions.Host     the handler (host.json customHandler.description.defaultExecutablePath)
# Usage: scripts/publish-functions.sh [out-dir] (default: artifacts/functions)
# FLOWFUNCTIONS_PUBLISH_MODE=framework-dependent publishes without the runtime (the target then needs .NET 10);
# the default is a self-contained linux-x64 handler, which the Functions Linux workers can run as is.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-artifacts/functions}
mode=${FLOWFUNCTIONS_PUBLISH_MODE:-self-contained}
definitions=src/FlowFunctions.Host/Functions/definitions

rm -rf "$out"
mkdir -p "$out/handler"

case "$mode" in
  self-contained) contained=(--self-contained true) ;;
  framework-dependent) contained=(--self-contained false) ;;
  *) echo "publish-functions.sh: FLOWFUNCTIONS_PUBLISH_MODE must be self-contained or framework-dependent" >&2; exit 2 ;;
esac

dotnet publish src/FlowFunctions.Host/FlowFunctions.Host.csproj -c Release -r linux-x64 "${contained[@]}" \
  -p:GenerateDocumentationFile=false -nologo -clp:ErrorsOnly -o "$out/handler"

cp host.json "$out/host.json"
for dir in "$definitions"/*/; do
  name=$(basename "$dir")
  mkdir -p "$out/$name"
  cp "$dir/function.json" "$out/$name/function.json"
done

# The executable host.json names must exist and be executable, or the Functions host cannot start the handler.
exe=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["customHandler"]["description"]["defaultExecutablePath"])' "$out/host.json")
if [ ! -x "$out/$exe" ]; then
  echo "publish-functions.sh: $out/$exe (customHandler.description.defaultExecutablePath) is missing or not executable" >&2
  exit 1
fi
echo "published $mode Functions app to $out"
