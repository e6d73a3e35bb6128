import { afterAll } from "vitest";
import { LONG } from "./support/faults.js";
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

describeFaultRun({
  name: "broker-restart",
  broker: "kafka",
  title: "Kafka restarted",
  // The broker exists only once beforeAll launched it.
  schedule: (faults, stack) => restartBroker(kafka!)(faults, stack),
  timeoutMs: LONG ? LONG_DURATION_MS + 900_000 : 420_000,
  startBroker: async () => {
    kafka = await PrivateKafka.launch();
    return kafka.url;
  },
  stopBroker: async () => {
    await kafka?.remove();
  },
});

// stopBroker runs last in the run's own afterAll, after the stack has stopped and within that hook's time limit:
// when the stack used it up (a timed-out run leaves a lot to stop), this one still stops the JVM and deletes its
// data. remove() is idempotent, waits for a start.sh in flight (180 s at most) and then stop.sh (60 s).
afterAll(async () => {
  await kafka?.remove();
}, 240_000);
