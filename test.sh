#!/usr/bin/env bash
# Builds the solution with warnings as errors and runs every test project.
# Prints one closing line "Tests: N passed, N failed, N skipped" summed over all projects.
# The Azure store's tests run against a throw-away Azurite that this script installs (npm) and starts, and stops at exit;
# on ports 10000-10002, or FLOWFUNCTIONS_AZURITE_PORT_BASE and the next two.
set -uo pipefail
cd "$(dirname "$0")"

log=$(mktemp)
trap 'rm -f "$log"; scripts/azurite.sh stop' EXIT

dotnet build FlowFunctions.sln -c Release -nologo -clp:ErrorsOnly || exit 1

# Without Azurite the Azure tests would only be skipped, so a failed start fails the run instead.
scripts/azurite.sh start || { echo "test.sh: Azurite did not start; the Azure store tests cannot run" >&2; exit 1; }
port_base=${FLOWFUNCTIONS_AZURITE_PORT_BASE:-10000}
if [ "$port_base" = 10000 ]; then
  export FLOWFUNCTIONS_TEST_AZURE="UseDevelopmentStorage=true"
else
  # UseDevelopmentStorage=true always means 10000-10002: name the endpoints, with Azurite's documented development key.
  dev="http://127.0.0.1"
  export FLOWFUNCTIONS_TEST_AZURE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=$dev:$port_base/devstoreaccount1;QueueEndpoint=$dev:$((port_base + 1))/devstoreaccount1;TableEndpoint=$dev:$((port_base + 2))/devstoreaccount1"
fi
dotnet test FlowFunctions.sln -c Release --no-build -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one "Passed!/Failed!  - Failed: a, Passed: b, Skipped: c, ..." line per test project.
awk '
  /(Passed|Failed|Skipped)! +- +Failed:/ {
    gsub(/,/, "");
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  failed  += $(i + 1);
      if ($i == "Passed:")  passed  += $(i + 1);
      if ($i == "Skipped:") skipped += $(i + 1);
    }
    projects++;
  }
  END {
    if (projects == 0) { print "no test project reported results"; exit 1 }
    printf "Tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped;
  }' "$log" || status=1
exit "$status"
