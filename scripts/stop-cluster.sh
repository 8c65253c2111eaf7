#!/usr/bin/env bash
# Stops the local nodes started by start-cluster.sh (SIGTERM: stores are flushed and closed).
set -uo pipefail
cd "$(dirname "$0")/.."
for pidfile in run/node*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$(basename "$pidfile" .pid) did not stop in 30 s; killing" >&2
      kill -KILL "$pid"
    else
      echo "stopped $(basename "$pidfile" .pid)"
    fi
  fi
  rm -f "$pidfile"
done
