import { LONG, rabbitmqctl } from "./support/faults.js";
import { describeFaultRun, LONG_DURATION_MS } from "./support/scenario.js";
import { restartRabbitMq } from "./support/schedules.js";

// RabbitMQ itself restarted under a steady stream of calls and votes, services as separate processes.
// Restarts the shared broker, so it runs in the `disruptive` project, alone and after everything else;
// whatever happens, the broker is started again in afterAll.
describeFaultRun({
  name: "broker-restart",
  broker: "amqp",
  title: "RabbitMQ restarted",
  schedule: restartRabbitMq,
  timeoutMs: LONG ? LONG_DURATION_MS + 600_000 : 300_000,
  afterAll: async () => {
    await rabbitmqctl("start_app");
  },
});
