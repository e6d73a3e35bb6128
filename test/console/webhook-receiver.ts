import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a receiver got: headers and the raw body, as a signature check needs it. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local webhook endpoint. */
export interface Receiver {
  url: string;
  received: Received[];
  /** Requests being held (the "hang" answer). */
  held(): number;
  /** Answer every held request 200 and stop holding new ones. */
  release(): void;
  close(): Promise<void>;
}

/** A webhook endpoint on 127.0.0.1 answering each request with `status`, or holding it until `release()`. */
export async function startReceiver(answer: number | "hang"): Promise<Receiver> {
  const received: Received[] = [];
  const holding: ServerResponse[] = [];
  let released = false;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (answer === "hang" && !released) holding.push(response);
      else response.writeHead(answer === "hang" ? 200 : answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook/s3cr3t-token`,
    received,
    held: () => holding.filter((response) => !response.writableEnded).length,
    release: () => {
      released = true;
      for (const response of holding.splice(0)) response.writeHead(200).end();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
