import { createServer } from "node:net";

/**
 * A local TCP port nothing listens on right now: the OS picked it free a moment ago. For a server a test
 * starts to bind, or for a connection that must be refused.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close((error) => {
        if (error) reject(error);
        else if (typeof address === "object" && address) resolve(address.port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}
