import net from "node:net";
import { Kafka, logLevel, type ISocketFactory } from "kafkajs";
import { freePort } from "../../src/testing/ports.js";
import { parseKafkaUrl } from "../../src/transport/kafka/settings.js";

export { deleteKafkaNamespaced as deleteNamespaced } from "../../src/testing/kafka.js";

/** The Kafka the integration tests use: AIRLOCK_TEST_KAFKA_URL, else the local broker (tools/kafka/start.sh). */
export function kafkaTestUrl(): string {
  return process.env.AIRLOCK_TEST_KAFKA_URL ?? "kafka://127.0.0.1:9092";
}

/** `url` with these kafka:// options added, e.g. `{ partitions: "1" }`. */
export function withOptions(url: string, options: Record<string, string>): string {
  return `${url}${url.includes("?") ? "&" : "?"}${new URLSearchParams(options).toString()}`;
}

/** The consumer groups on the broker whose ids start with `prefix`. */
export async function groupsStartingWith(url: string, prefix: string): Promise<string[]> {
  const admin = new Kafka({
    clientId: "airlock-test-groups",
    brokers: parseKafkaUrl(url).brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((group) => group.groupId).filter((id) => id.startsWith(prefix));
  } finally {
    await admin.disconnect();
  }
}

/**
 * A network between one Kafka client and the broker that a test can cut: `cut()` resets every open connection
 * and makes new ones fail with ECONNREFUSED (they go to a port nobody listens on), as when the client's host
 * loses its route to the broker; `heal()` lets connections through again.
 */
export class CuttableNetwork {
  readonly #open = new Set<net.Socket>();
  #refusedPort: number | undefined;
  #cut = false;
  #answersLost = false;

  /** The kafkajs socket factory to give the client. */
  readonly socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket =
      this.#cut && this.#refusedPort !== undefined
        ? net.connect({ host: "127.0.0.1", port: this.#refusedPort }, onConnect)
        : net.connect({ host, port }, onConnect);
    this.#open.add(socket);
    socket.once("close", () => this.#open.delete(socket));
    // While answers are lost, what the broker sends back never reaches kafkajs: the connection is reset as
    // the answer arrives, after the broker has acted on the request.
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
      if (event === "data" && this.#answersLost) {
        socket.destroy(resetError("the broker's answer lost by the test"));
        return true;
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
    return socket;
  };

  /** Whether connections are being refused now. */
  get isCut(): boolean {
    return this.#cut;
  }

  /** Drop every connection and refuse new ones. */
  async cut(): Promise<void> {
    this.#refusedPort ??= await freePort();
    this.#cut = true;
    // What a client sees when the path to its broker breaks mid-connection. A plain destroy() would go unnoticed:
    // kafkajs listens for 'end' and 'error', not 'close', and would wait out its 30 s request timeout instead.
    for (const socket of this.#open) socket.destroy(resetError("network cut by the test"));
  }

  /**
   * Let requests reach the broker but lose every answer: the connection is reset as the answer comes in.
   * What a client sees when the broker acted on a request and then went away (a restart, a network break)
   * before its answer arrived.
   */
  loseAnswers(): void {
    this.#answersLost = true;
  }

  /** Let connections through again, answers included. */
  heal(): void {
    this.#cut = false;
    this.#answersLost = false;
  }
}

function resetError(why: string): Error {
  return Object.assign(new Error(`read ECONNRESET (${why})`), { code: "ECONNRESET" });
}
