import { createTransport, silentLogger } from "../../src/index.js";
import { transportContract } from "./contract.js";

transportContract("memory", async (namespace) => {
  const transport = await createTransport("memory://", { logger: silentLogger(), namespace });
  await transport.start();
  return transport;
});
