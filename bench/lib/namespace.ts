import { newId } from "@airlock/shared";
import { deleteNamespaced } from "@airlock/shared/testing";

/** A namespace of its own for one deployment or echo of a run: its topics, queues and groups. */
export function benchNamespace(): string {
  return `bench${newId()
    .slice(0, 8)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")}`;
}

/**
 * Delete a namespace's RabbitMQ queues and exchanges once the run is done with them: every run makes new
 * ones, and a broker holding thousands of leftover queues takes minutes to restart. Best effort — it
 * needs `rabbitmqctl`, which a remote broker's machine has, not this one.
 */
export async function tidyNamespace(url: string, namespace: string): Promise<void> {
  if (!url.startsWith("amqp")) return;
  try {
    await deleteNamespaced(url, [namespace]);
  } catch (error) {
    console.warn(`bench: the queues of ${namespace} stay on the broker: ${(error as Error).message}`);
  }
}
