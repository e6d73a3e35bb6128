#!/usr/bin/env bash
# Stops the broker that tools/kafka/start.sh started (its data is kept for the next start).
set -euo pipefail
dir=${AIRLOCK_KAFKA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-kafka}
pid=$(cat "$dir/kafka.pid" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || { echo "kafka: stopped"; exit 0; }; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
fi
echo "kafka: not running"
