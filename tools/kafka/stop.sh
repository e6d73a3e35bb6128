#!/usr/bin/env bash
# Stops the broker that tools/kafka/start.sh started (its data is kept for the next start). Takes the same
# AIRLOCK_KAFKA_DIR, AIRLOCK_KAFKA_DATA_DIR and AIRLOCK_KAFKA_PID_FILE as start.sh, to stop a private broker.
set -euo pipefail
dir=${AIRLOCK_KAFKA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-kafka}
home=${AIRLOCK_KAFKA_DATA_DIR:-$dir}
pid_file=${AIRLOCK_KAFKA_PID_FILE:-$home/kafka.pid}
pid=$(cat "$pid_file" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || { echo "kafka: stopped"; exit 0; }; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  echo "kafka: killed (it did not stop within 30 s)"
  exit 0
fi
echo "kafka: not running"
