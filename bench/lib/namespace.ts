import { newId } from "@airlock/shared";
import { tidyBroker } from "@airlock/shared/testing";

/** A namespace of its own for one deployment or echo of a run: its topics, queues and groups. */
export function benchNamespace(): string {
  return `bench${newId()
    .slice(0, 8)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")}`;
}

/**
 * Delete a namespace's queues and exchanges (RabbitMQ) or topics and groups (Kafka) once the run is done
 * with them: every run makes new ones, and a broker holding thousands of leftovers degrades. Best effort —
 * on RabbitMQ it needs `rabbitmqctl`, which a remote broker's machine has, not this one.
 */
export function tidyNamespace(url: string, namespace: string): Promise<void> {
  return tidyBroker(url, [namespace]);
}
