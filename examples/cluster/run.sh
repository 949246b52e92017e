#!/usr/bin/env bash
# A livetap cluster on one machine: nats-server (JetStream, file storage), two ingest nodes
# (syslog over TCP -> nats) and two edge nodes (nats -> sse with the dashboard).
# Ctrl-C stops everything. Needs nats-server on PATH and `npm run build` done.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
LIVETAP="node $ROOT/dist/core/cli/main.js"
WORK=${WORK:-$(mktemp -d -t livetap-cluster-XXXXXX)}
NATS_PORT=${NATS_PORT:-4222}
export NATS_URL="nats://127.0.0.1:$NATS_PORT"

pids=()
stop() {
  echo "stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

nats-server -js -sd "$WORK/nats" -a 127.0.0.1 -p "$NATS_PORT" >"$WORK/nats.log" 2>&1 &
pids+=($!)

start() { # name config env...
  local name=$1 config=$2; shift 2
  env "$@" LIVETAP_DATA="$WORK/$name" $LIVETAP run --config "$config" >"$WORK/$name.log" 2>&1 &
  pids+=($!)
}
start ingest-1 ingest.json SYSLOG_ADDRESS=127.0.0.1:5514
start ingest-2 ingest.json SYSLOG_ADDRESS=127.0.0.1:5515
start edge-1 edge.json SSE_ADDRESS=127.0.0.1:8081
start edge-2 edge.json SSE_ADDRESS=127.0.0.1:8082

cat <<INFO
nats-server  $NATS_URL              (logs in $WORK)
ingest-1     syslog tcp 127.0.0.1:5514
ingest-2     syslog tcp 127.0.0.1:5515
edge-1       http://127.0.0.1:8081/  (dashboard; stream /api/telemetry/traces/live)
edge-2       http://127.0.0.1:8082/

Send:   logger -n 127.0.0.1 -P 5514 -T "hello from ingest-1"
        logger -n 127.0.0.1 -P 5515 -T "hello from ingest-2"
Watch:  $LIVETAP tap http://127.0.0.1:8081/api/telemetry/traces/live
Kill an edge (kill -9) and ask the other for what you missed:
        curl -N -H "Last-Event-ID: <the last id you saw>" http://127.0.0.1:8082/api/telemetry/traces/live
Ctrl-C stops the cluster.
INFO
wait
