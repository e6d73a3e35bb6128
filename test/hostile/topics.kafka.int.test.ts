import { distributedTarget } from "./support/stacks.js";
import { describeTopicSuite } from "./support/topic-suite.js";

// Every hostile message on every topic, on Kafka with each service its own process.
describeTopicSuite("kafka", () =>
  distributedTarget("kafka", process.env["AIRLOCK_TEST_KAFKA_URL"] ?? "kafka://127.0.0.1:9092"),
);
