import { distributedTarget } from "./support/stacks.js";
import { describeCallSuite } from "./support/call-suite.js";

// Reused call ids and hostile reply_to, on RabbitMQ (in a namespace) with each service its own process.
describeCallSuite("amqp", () =>
  distributedTarget("amqp", process.env["AIRLOCK_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672"),
);
