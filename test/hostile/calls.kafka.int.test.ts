import { distributedTarget } from "./support/stacks.js";
import { describeCallSuite } from "./support/call-suite.js";

// Reused call ids and hostile reply_to, on Kafka with each service its own process.
describeCallSuite("kafka", () =>
  distributedTarget("kafka", process.env["AIRLOCK_TEST_KAFKA_URL"] ?? "kafka://127.0.0.1:9092"),
);
