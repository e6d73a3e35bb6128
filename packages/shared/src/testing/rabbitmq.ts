import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { connect } from "amqplib";

// RabbitMQ housekeeping for tests and benchmarks, which give every run namespaces of its own.

const run = promisify(execFile);

/** Run `rabbitmqctl` with these arguments and return its output; rejects when it exits non-zero. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run("rabbitmqctl", args, { timeout: 120_000 });
  return stdout;
}

/**
 * Delete the queues and exchanges whose names start with one of these namespaces (`<namespace>.`).
 * Names are unique per run anyway; this keeps a shared broker tidy (a broker holding thousands of
 * leftover queues takes minutes to restart). Needs `rabbitmqctl` to list them.
 */
export async function deleteNamespaced(
  url: string,
  namespaces: Iterable<string>,
): Promise<{ queues: number; exchanges: number }> {
  const prefixes = [...namespaces].map((namespace) => `${namespace}.`);
  if (prefixes.length === 0) return { queues: 0, exchanges: 0 };
  const ours = (output: string): string[] =>
    output
      .split("\n")
      .map((line) => line.trim())
      .filter((name) => prefixes.some((prefix) => name.startsWith(prefix)));
  const queues = ours(await rabbitmqctl("list_queues", "-q", "--no-table-headers", "name"));
  const exchanges = ours(await rabbitmqctl("list_exchanges", "-q", "--no-table-headers", "name"));
  const connection = await connect(url, { clientProperties: { connection_name: "airlock-test-cleanup" } });
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
    await channel.close();
  } finally {
    await connection.close();
  }
  return { queues: queues.length, exchanges: exchanges.length };
}
