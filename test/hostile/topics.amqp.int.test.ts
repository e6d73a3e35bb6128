import { distributedTarget } from "./support/stacks.js";
import { describeTopicSuite } from "./support/topic-suite.js";

// Every hostile message on every topic, on RabbitMQ with each service its own process.
describeTopicSuite("amqp", () =>
  distributedTarget("amqp", process.env["AIRLOCK_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672"),
);
