#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft mode, no ZooKeeper) on 127.0.0.1:9092 for tests,
# benchmarks and CI. The broker's jars come from Maven Central through ./pom.xml; nothing is downloaded
# from anywhere else. Idempotent: when a broker already answers on the port, it does nothing.
#
#   bash tools/kafka/start.sh            # start (or find running) and wait until it answers
#   AIRLOCK_KAFKA_DIR=/path bash ...     # where jars, config, data and the log live
#
# A second, private broker (a test that restarts its broker must not restart everyone's) shares the jars
# and runs from a directory of its own:
#   AIRLOCK_KAFKA_PORT=19092             # its listener (default 9092)
#   AIRLOCK_KAFKA_CONTROLLER_PORT=19093  # its KRaft controller listener (default: the port + 1)
#   AIRLOCK_KAFKA_DATA_DIR=/tmp/k        # its config, cluster id, logs and data/ (default AIRLOCK_KAFKA_DIR)
#   AIRLOCK_KAFKA_PID_FILE=/tmp/k.pid    # where its pid goes, for stop.sh (default <data dir>/kafka.pid)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${AIRLOCK_KAFKA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-kafka}
home=${AIRLOCK_KAFKA_DATA_DIR:-$dir}
pid_file=${AIRLOCK_KAFKA_PID_FILE:-$home/kafka.pid}
port=${AIRLOCK_KAFKA_PORT:-9092}
controller_port=${AIRLOCK_KAFKA_CONTROLLER_PORT:-$((port + 1))}
wait_seconds=${AIRLOCK_KAFKA_WAIT:-120}

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if answers "$port"; then
  echo "kafka: already answering on 127.0.0.1:$port"
  exit 0
fi

command -v java >/dev/null || { echo "kafka: java is not installed (apt-get install default-jre-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "kafka: mvn is not installed (apt-get install maven)" >&2; exit 1; }

mkdir -p "$dir" "$home"
# The jars: fetched once (Maven keeps them in ~/.m2), copied next to the config. The version lives in pom.xml.
stamp="$dir/libs/.pom-$(sha256sum "$here/pom.xml" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "kafka: fetching the broker from Maven Central (first run only)"
  rm -rf "$dir/libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs"
  touch "$stamp"
fi

cat >"$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$home/data
num.partitions=3
# Airlock creates its topics itself; a typo in a topic name should fail, not create a topic.
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Tests start and stop consumer groups all the time: don't wait 3 s for more members on each join.
group.initial.rebalance.delay.ms=0
log.retention.hours=24
PROPS

cat >"$home/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, file
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
sed -i "1a log4j.appender.file.File=$home/server.log" "$home/log4j.properties"

run() { java -Xms256m -Xmx1g -Dlog4j.configuration="file:$home/log4j.properties" -cp "$dir/libs/*" "$@"; }

# Format the KRaft metadata log once; --ignore-formatted makes a restart keep its data. A restart skips it
# altogether: one JVM less makes a restart seconds shorter on a small machine.
if [ ! -f "$home/data/meta.properties" ]; then
  run kafka.tools.StorageTool format --ignore-formatted \
    --cluster-id "$(cat "$home/cluster-id" 2>/dev/null || run kafka.tools.StorageTool random-uuid | tee "$home/cluster-id")" \
    --config "$home/server.properties" >/dev/null
fi

# A restart appends to the same log: keep the last run's apart, so "started" below is this run's.
if [ -f "$home/server.log" ]; then mv "$home/server.log" "$home/server.log.previous"; fi
echo "kafka: starting on 127.0.0.1:$port (log: $home/console.log)"
nohup java -Xms256m -Xmx1g -Dlog4j.configuration="file:$home/log4j.properties" \
  -cp "$dir/libs/*" kafka.Kafka "$home/server.properties" >"$home/console.log" 2>&1 &
echo $! >"$pid_file"

for ((i = 0; i < wait_seconds * 4; i++)); do
  if answers "$port" && grep -q "Kafka Server started" "$home/server.log" "$home/console.log" 2>/dev/null; then
    echo "kafka: answering on 127.0.0.1:$port"
    exit 0
  fi
  if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    echo "kafka: the broker exited; last lines of its log:" >&2
    tail -n 30 "$home/console.log" "$home/server.log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.25
done
echo "kafka: not answering after ${wait_seconds}s; see $home/console.log" >&2
exit 1
