#!/usr/bin/env bash
# Wire-compatibility check with a real third-party Pub/Sub API client: starts
# `sfcdc sim`, then lets the npm package salesforce-pubsub-api-client subscribe
# over TLS and decode N events with its own Avro library (avro-js).
# Needs node and npm. Usage: scripts/thirdparty-check.sh [N] [topic]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-25}
topic=${2:-/data/ChangeEvents}
go build -o bin/sfcdc ./cmd/sfcdc
(cd scripts/thirdparty && [ -d node_modules ] || npm install --no-audit --no-fund >/dev/null)
out=$(mktemp)
bin/sfcdc sim --pubsub-addr 127.0.0.1:0 --rate 0 --events "$n" >"$out" &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
banner=$(head -n 1 "$out")
node scripts/thirdparty/check.mjs "$banner" "$topic" "$n"
echo "third-party client decoded $n events from $topic"
