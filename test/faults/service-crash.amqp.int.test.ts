import { LONG } from "./support/faults.js";
import { describeFaultRun, LONG_DURATION_MS } from "./support/scenario.js";
import { crashEveryService } from "./support/schedules.js";

// Each service a separate process on RabbitMQ and Postgres, killed with SIGKILL in turn at random moments
// under a steady stream of calls and votes, and started again; the services' database sessions terminated
// in between. Short by default (one kill per service); AIRLOCK_FAULTS_LONG=1 for the long run.
describeFaultRun({
  name: "service-crash",
  broker: "amqp",
  title: "services killed -9 and restarted, Postgres sessions terminated",
  schedule: crashEveryService,
  timeoutMs: LONG ? LONG_DURATION_MS + 600_000 : 300_000,
});
