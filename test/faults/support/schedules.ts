import { SERVICES } from "../../../bench/soak/processes.js";
import { LONG, RABBITMQ, type RestartableBroker } from "./faults.js";
import { LONG_DURATION_MS, type FaultSchedule } from "./scenario.js";

/**
 * Each service `kill -9`ed in turn at a random moment and started again, with the services' Postgres
 * sessions terminated twice in between. The long run repeats rounds (services in a random order) until
 * AIRLOCK_FAULTS_DURATION has passed.
 */
export const crashEveryService: FaultSchedule = async (faults) => {
  const until = Date.now() + (LONG ? LONG_DURATION_MS : 0);
  let round = 0;
  do {
    await faults.pause(1000, 2500);
    const order = round === 0 ? [...SERVICES] : shuffle([...SERVICES], () => faults.random());
    for (const [i, service] of order.entries()) {
      await faults.pause(300, 2000);
      await faults.killAndRestart(service);
      if (i % 2 === 1) {
        await faults.pause(200, 1500);
        await faults.dropDatabaseConnections();
      }
    }
    round++;
  } while (Date.now() < until);
  await faults.pause(1000, 2000);
};

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * The broker stopped and started at a random moment under traffic, with a `kill -9` of the approvals service
 * (probing fail-closed while it is down) and a Postgres session drop while everything recovers. The long run
 * repeats this until AIRLOCK_FAULTS_DURATION has passed.
 */
export function restartBroker(broker: RestartableBroker): FaultSchedule {
  return async (faults) => {
    const until = Date.now() + (LONG ? LONG_DURATION_MS : 0);
    do {
      await faults.pause(1500, 3000);
      await faults.restartBroker(broker);
      await faults.pause(500, 2000);
      await faults.killAndRestart("approvals");
      await faults.pause(200, 1000);
      await faults.dropDatabaseConnections();
    } while (Date.now() < until);
    await faults.pause(1000, 2000);
  };
}

/** {@link restartBroker} for the shared RabbitMQ (`rabbitmqctl stop_app` / `start_app`). */
export const restartRabbitMq: FaultSchedule = restartBroker(RABBITMQ);
