import { LONG, type RestartableBroker } from "./support/faults.js";
import { PrivateKafka } from "./support/private-kafka.js";
import { describeFaultRun, LONG_DURATION_MS } from "./support/scenario.js";
import { restartBroker } from "./support/schedules.js";

// The Kafka broker itself stopped and started under a steady stream of calls and votes, services as separate
// processes, then a kill -9 of approvals and a session drop. The broker is this test's own (tools/kafka/start.sh
// on free ports, its own data directory), never the shared one on 127.0.0.1:9092; a broker start takes tens of
// seconds, so the broker is down that long. In the `disruptive` project: a JVM more is best run alone. Like every
// test that needs a service, it fails (never skips) when that broker cannot start: java, or Maven for the first
// download, missing.
let kafka: PrivateKafka | undefined;
const broker: RestartableBroker = {
  name: "kafka",
  stop: () => kafka!.stop(),
  start: () => kafka!.start(),
};

describeFaultRun({
  name: "broker-restart",
  broker: "kafka",
  title: "Kafka restarted",
  schedule: restartBroker(broker),
  timeoutMs: LONG ? LONG_DURATION_MS + 900_000 : 420_000,
  startBroker: async () => {
    kafka = await PrivateKafka.launch();
    return kafka.url;
  },
  stopBroker: async () => {
    await kafka?.remove();
  },
});
