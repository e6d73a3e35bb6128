#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft mode, no ZooKeeper) on 127.0.0.1:9092 for tests,
# benchmarks and CI. The broker's jars come from Maven Central through ./pom.xml; nothing is downloaded
# from anywhere else. Idempotent: when a broker already answers on the port, it does nothing.
#
#   bash tools/kafka/start.sh            # start (or find running) and wait until it answers
#   AIRLOCK_KAFKA_DIR=/path bash ...     # where jars, config, data and the log live
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${AIRLOCK_KAFKA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-kafka}
port=${AIRLOCK_KAFKA_PORT:-9092}
controller_port=$((port + 1))
wait_seconds=${AIRLOCK_KAFKA_WAIT:-120}

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if answers "$port"; then
  echo "kafka: already answering on 127.0.0.1:$port"
  exit 0
fi

command -v java >/dev/null || { echo "kafka: java is not installed (apt-get install default-jre-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "kafka: mvn is not installed (apt-get install maven)" >&2; exit 1; }

mkdir -p "$dir"
# The jars: fetched once (Maven keeps them in ~/.m2), copied next to the config. The version lives in pom.xml.
stamp="$dir/libs/.pom-$(sha256sum "$here/pom.xml" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "kafka: fetching the broker from Maven Central (first run only)"
  rm -rf "$dir/libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs"
  touch "$stamp"
fi

cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
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

cat >"$dir/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, file
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
sed -i "1a log4j.appender.file.File=$dir/server.log" "$dir/log4j.properties"

run() { java -Xms256m -Xmx1g -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$dir/libs/*" "$@"; }

# Format the KRaft metadata log once; --ignore-formatted makes a restart keep its data.
run kafka.tools.StorageTool format --ignore-formatted \
  --cluster-id "$(cat "$dir/cluster-id" 2>/dev/null || run kafka.tools.StorageTool random-uuid | tee "$dir/cluster-id")" \
  --config "$dir/server.properties" >/dev/null

echo "kafka: starting on 127.0.0.1:$port (log: $dir/console.log)"
nohup java -Xms256m -Xmx1g -Dlog4j.configuration="file:$dir/log4j.properties" \
  -cp "$dir/libs/*" kafka.Kafka "$dir/server.properties" >"$dir/console.log" 2>&1 &
echo $! >"$dir/kafka.pid"

for ((i = 0; i < wait_seconds * 4; i++)); do
  if answers "$port" && grep -q "Kafka Server started" "$dir/server.log" "$dir/console.log" 2>/dev/null; then
    echo "kafka: answering on 127.0.0.1:$port"
    exit 0
  fi
  if ! kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; then
    echo "kafka: the broker exited; last lines of its log:" >&2
    tail -n 30 "$dir/console.log" "$dir/server.log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.25
done
echo "kafka: not answering after ${wait_seconds}s; see $dir/console.log" >&2
exit 1
