import net from "node:net";

/** Postgres's ReadyForQuery message ('Z', length 5): the server has finished answering a query. */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

/**
 * A TCP proxy to a Postgres server that can hold back what the server sends and hand it over in one write —
 * as a busy client process reads it: a query's last rows, its ReadyForQuery and a FATAL that came after,
 * all in one chunk. Lets a test make pg see that sequence deterministically.
 */
export class HoldingProxy {
  readonly #server: net.Server;
  readonly #target: { host: string; port: number };
  #held: { client: net.Socket; chunks: Buffer[]; serverEnded: boolean } | undefined;
  #holdNext = false;
  // Both ends of every proxied connection: server.close() alone would wait for the clients to hang up.
  readonly #sockets = new Set<net.Socket>();

  private constructor(server: net.Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
    server.on("connection", (client) => this.#pipe(client));
  }

  /** Listen on a free loopback port, forwarding to the server of `databaseUrl`. */
  static async start(databaseUrl: string): Promise<HoldingProxy> {
    const url = new URL(databaseUrl);
    const proxy = new HoldingProxy(net.createServer(), { host: url.hostname, port: Number(url.port || 5432) });
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  /** `databaseUrl` with its host and port replaced by the proxy's. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    const address = this.#server.address() as net.AddressInfo;
    url.hostname = "127.0.0.1";
    url.port = String(address.port);
    return url.toString();
  }

  /** From now on, hold what the server sends on the next connection to send anything. */
  hold(): void {
    this.#holdNext = true;
  }

  /** What is held holds a complete answer to a query (ends with ReadyForQuery somewhere). */
  holdsAnswer(): boolean {
    return this.#held !== undefined && Buffer.concat(this.#held.chunks).includes(READY_FOR_QUERY);
  }

  /** The server has closed the held connection (after a FATAL, say). */
  serverEnded(): boolean {
    return this.#held?.serverEnded === true;
  }

  /** Send everything held in one write, then the server's end if it ended; stop holding. */
  release(): void {
    const held = this.#held;
    this.#held = undefined;
    if (!held) return;
    held.client.write(Buffer.concat(held.chunks));
    if (held.serverEnded) held.client.end();
  }

  /** Stop listening and cut every connection still open. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #pipe(client: net.Socket): void {
    const server = net.connect(this.#target);
    for (const socket of [client, server]) {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    }
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
    client.on("data", (chunk) => server.write(chunk));
    client.on("end", () => server.end());
    server.on("data", (chunk: Buffer) => {
      if (this.#holdNext && !this.#held) {
        this.#holdNext = false;
        this.#held = { client, chunks: [], serverEnded: false };
      }
      if (this.#held?.client === client) this.#held.chunks.push(chunk);
      else client.write(chunk);
    });
    server.on("end", () => {
      if (this.#held?.client === client) this.#held.serverEnded = true;
      else client.end();
    });
  }
}
