export { deleteNamespaced, rabbitmqctl } from "@airlock/shared/testing";

/** The RabbitMQ the integration tests use: AIRLOCK_TEST_AMQP_URL, else the local broker. */
export function amqpTestUrl(): string {
  return process.env.AIRLOCK_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
}
