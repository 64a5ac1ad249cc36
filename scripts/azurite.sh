#!/usr/bin/env bash
# Starts or stops a throw-away Azurite (Blob 10000, Queue 10001, Table 10002 on 127.0.0.1) for the Azure store's tests.
# FLOWFUNCTIONS_AZURITE_PORT_BASE=n moves it to n, n+1, n+2 (e.g. when another checkout's tests hold 10000-10002).
#   scripts/azurite.sh start   installs azurite from package.json into ./node_modules when absent, starts it in the
#                              background on a fresh data folder, waits until the three ports answer, writes its PID
#   scripts/azurite.sh stop    stops the Azurite this script started and removes its data folder
# State lives in .azurite/ (git-ignored): pid, data folder path, log.
set -euo pipefail
cd "$(dirname "$0")/.."

state_dir=.azurite
pid_file=$state_dir/pid
data_file=$state_dir/data-dir
log_file=$state_dir/azurite.log
port_base=${FLOWFUNCTIONS_AZURITE_PORT_BASE:-10000}
ports=("$port_base" "$((port_base + 1))" "$((port_base + 2))")

port_answers() {
  # bash's /dev/tcp avoids depending on nc or curl being installed.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

install() {
  if [ -x node_modules/.bin/azurite ]; then
    return
  fi
  command -v npm >/dev/null || { echo "azurite.sh: npm is required to install Azurite (Node.js 20+)" >&2; exit 1; }
  echo "azurite.sh: installing Azurite from package.json" >&2
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund >&2
  else
    npm install --no-audit --no-fund >&2
  fi
  [ -x node_modules/.bin/azurite ] || { echo "azurite.sh: npm did not install node_modules/.bin/azurite" >&2; exit 1; }
}

start() {
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    echo "azurite.sh: already running (pid $(cat "$pid_file"))" >&2
    return
  fi
  for port in "${ports[@]}"; do
    if port_answers "$port"; then
      echo "azurite.sh: port $port on 127.0.0.1 is taken by another process; stop it first" >&2
      exit 1
    fi
  done
  install
  mkdir -p "$state_dir"
  local data
  data=$(mktemp -d "${TMPDIR:-/tmp}/flowfunctions-azurite.XXXXXX")
  echo "$data" > "$data_file"
  # --loose and --skipApiVersionCheck: accept headers and x-ms-version values newer than this Azurite knows.
  node_modules/.bin/azurite --silent --disableTelemetry --loose --skipApiVersionCheck --location "$data" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort "${ports[0]}" --queuePort "${ports[1]}" --tablePort "${ports[2]}" >"$log_file" 2>&1 &
  echo $! > "$pid_file"
  for _ in $(seq 1 150); do
    local ready=1
    for port in "${ports[@]}"; do
      port_answers "$port" || ready=0
    done
    if [ "$ready" = 1 ]; then
      echo "azurite.sh: Azurite is up (pid $(cat "$pid_file"), data $data)" >&2
      return
    fi
    if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      echo "azurite.sh: Azurite exited during start-up; its log:" >&2
      cat "$log_file" >&2
      rm -f "$pid_file"
      exit 1
    fi
    sleep 0.2
  done
  echo "azurite.sh: Azurite did not open ports ${ports[*]} within 30 s; its log:" >&2
  cat "$log_file" >&2
  stop
  exit 1
}

stop() {
  if [ -f "$pid_file" ]; then
    local pid
    pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
  fi
  if [ -f "$data_file" ]; then
    rm -rf "$(cat "$data_file")"
    rm -f "$data_file"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/azurite.sh start|stop" >&2; exit 2 ;;
esac
