#!/usr/bin/env bash
# The project's test command: staticcheck, then go test (race detector on) against a real Redis.
# Uses the Redis at $SFCDC_TEST_REDIS_ADDR or 127.0.0.1:6379 when one answers;
# otherwise starts a private redis-server on a free loopback port and stops it
# afterwards. Extra arguments go to `go test` (default: ./...).
set -euo pipefail
cd "$(dirname "$0")/.."

addr="${SFCDC_TEST_REDIS_ADDR:-127.0.0.1:6379}"
private_dir=""
cleanup() {
  if [ -n "$private_dir" ]; then
    redis-cli -p "$private_port" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$private_dir"
  fi
}
trap cleanup EXIT

redis_answers() { # host:port
  local host=${1%:*} port=${1##*:}
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$host" -p "$port" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

if ! redis_answers "$addr"; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "tests need Redis: none answers at $addr and redis-server is not installed; install the Debian package redis-server (apt-get install redis-server) or set SFCDC_TEST_REDIS_ADDR" >&2
    exit 1
  fi
  private_dir=$(mktemp -d)
  private_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 16379)
  redis-server --port "$private_port" --bind 127.0.0.1 --dir "$private_dir" --save "" --appendonly no --daemonize yes >/dev/null
  addr="127.0.0.1:$private_port"
  for _ in $(seq 50); do redis_answers "$addr" && break; sleep 0.1; done
  echo "started a private redis-server at $addr"
fi
export SFCDC_TEST_REDIS_ADDR="$addr"
# Artifacts of the tests (the onboarding pages' screenshots) go under
# SFCDC_TEST_ARTIFACTS when it is set; never inside the checkout.
if [ -n "${SFCDC_TEST_ARTIFACTS:-}" ]; then
  mkdir -p "$SFCDC_TEST_ARTIFACTS"
  echo "test artifacts under $SFCDC_TEST_ARTIFACTS"
fi

# -trimpath (for go test, staticcheck's go list and the builds the tests
# run): compiled packages do not name the checkout's folder, so a new clone
# reuses what another clone compiled and linted (in a clean clone make test
# compiled and linted everything again: 204 s instead of 120 s).
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath"
if [ $# -eq 0 ]; then
  # The whole suite also holds the code to staticcheck (pinned in go.mod's tool block).
  go tool staticcheck ./...
  # The packages whose tests take longest go first: go test starts the
  # packages' runs in the order it is given them, and a long one started
  # last would run alone on an idle machine at the end.
  longest=()
  for dir in ./e2e ./pipeline ./cmd/sfcdc ./backfill ./serve ./sim/salesforce ./replay ./salesforce; do
    [ -d "$dir" ] && longest+=("$dir")
  done
  mapfile -t rest < <(go list -f '{{.Dir}}' ./... | sed "s|^$PWD/|./|" | grep -vxF -f <(printf '%s\n' "${longest[@]}"))
  set -- "${longest[@]}" "${rest[@]}"
fi
# go test runs as many packages at once as there are cores (-p), 2 on the
# project's machine; the long packages (cmd/sfcdc, e2e, pipeline, serve,
# backfill) mostly wait on their simulators, processes, flushes and leases,
# so with 2 the cores were idle a third of the time: at least 3 at once.
# A -p among the arguments wins (go test takes the last).
# -ldflags=-w: the test binaries are linked without DWARF, which cut the
# links of all 41 of them from 77 to 52 CPU-s (a sixth of the suite's
# CPU); race reports, panics and goroutine dumps still name every
# function and line (they read the binary's pclntab, which stays).
# GORACE atexit_sleep_ms=0: a race-enabled process sleeps a second before
# it exits, in case another thread is still printing a report; a race is
# reported when it happens and fails the test it happened in, so the sleep
# only made each of the 38 test binaries (and every race-built process
# they start) a second longer.
export GORACE="${GORACE:+$GORACE }atexit_sleep_ms=0"
cores=$(nproc 2>/dev/null || echo 2)
go test -race -ldflags=-w -p "$(( cores < 3 ? 3 : cores ))" -timeout 30m "$@"
