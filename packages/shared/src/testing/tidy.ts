import { deleteKafkaNamespaced } from "./kafka.js";
import { deleteNamespaced } from "./rabbitmq.js";

/**
 * Delete what these namespaces left on the broker behind `url` — RabbitMQ queues and exchanges, Kafka
 * topics and consumer groups; memory:// keeps nothing — once a test or a benchmark is done with them.
 * Every run makes new ones, and a long-lived broker holding thousands of them degrades: a RabbitMQ
 * restart with 1,980 leftover durable queues stalled past its time limit. Never throws: a namespace that
 * could not be deleted is reported as a process warning (on stderr) and left.
 */
export async function tidyBroker(url: string, namespaces: Iterable<string>): Promise<void> {
  const list = [...namespaces];
  try {
    if (url.startsWith("amqp")) await deleteNamespaced(url, list);
    else if (url.startsWith("kafka")) await deleteKafkaNamespaced(url, list);
  } catch (error) {
    process.emitWarning(`the broker keeps what ${list.join(", ")} left: ${(error as Error).message}`);
  }
}
