import { afterAll } from "vitest";
import { createTransport, silentLogger } from "../../src/index.js";
import { amqpTestUrl, deleteNamespaced } from "./amqp-helpers.js";
import { transportContract } from "./contract.js";

const url = amqpTestUrl();
const namespaces = new Set<string>();

transportContract("amqp", async (namespace) => {
  namespaces.add(namespace);
  const transport = await createTransport(url, {
    logger: silentLogger(),
    namespace,
    clientId: `airlock-test-${namespace}`,
  });
  await transport.start();
  return transport;
});

afterAll(async () => {
  try {
    await deleteNamespaced(url, namespaces);
  } catch (error) {
    // Tidying a shared broker is a courtesy, not part of the contract: the names were unique anyway.
    console.warn("could not delete the test's queues and exchanges:", error);
  }
});
