import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "@airlock/shared/testing";
import { repoRoot } from "../../../bench/soak/processes.js";
import type { RestartableBroker } from "./faults.js";

const run = promisify(execFile);

/** How long tools/kafka/start.sh may take: a JVM start on a loaded two-core machine takes tens of seconds. */
const START_TIMEOUT_MS = 180_000;

/**
 * A Kafka broker of one test's own (tools/kafka/start.sh on free ports, with its own data directory), so that
 * the test can stop and start it under traffic without touching the broker on 127.0.0.1:9092 that every other
 * Kafka test shares. Its data outlives a restart, as a real broker's does; {@link remove} deletes it.
 */
export class PrivateKafka implements RestartableBroker {
  readonly name = "kafka";
  readonly #dir: string;
  readonly #port: number;
  readonly #controllerPort: number;
  // One script at a time: a stop that overtook a start still launching the JVM would leave that JVM running.
  #scripts: Promise<unknown> = Promise.resolve();
  #removing: Promise<void> | undefined;

  private constructor(dir: string, port: number, controllerPort: number) {
    this.#dir = dir;
    this.#port = port;
    this.#controllerPort = controllerPort;
  }

  /** Make the broker's directory, pick its ports and start it; rejects with start.sh's output when it cannot. */
  static async launch(): Promise<PrivateKafka> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "airlock-kafka-private-"));
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const kafka = new PrivateKafka(dir, port, controllerPort);
    try {
      await kafka.start();
    } catch (error) {
      // start.sh's output says why the broker did not start: a cleanup that fails too must not hide it.
      await kafka.remove().catch((cleanup: unknown) => console.error(`could not remove ${dir}:`, cleanup));
      throw error;
    }
    return kafka;
  }

  /** The broker URL for AIRLOCK_BROKER. */
  get url(): string {
    return `kafka://127.0.0.1:${this.#port}`;
  }

  /**
   * Start the broker (again) and resolve once it serves. Refused after {@link remove}: a schedule still
   * running past its test's time limit must not bring back a broker nobody will stop.
   */
  async start(): Promise<void> {
    if (this.#removing) throw new Error(`the private Kafka in ${this.#dir} was removed`);
    await this.#script("start.sh", START_TIMEOUT_MS);
  }

  /** Stop the broker gracefully (SIGTERM; stop.sh kills it after 30 s) and resolve once it is gone. */
  async stop(): Promise<void> {
    await this.#script("stop.sh", 60_000);
  }

  /** Stop the broker and delete its data. Idempotent: a second call waits for the first. */
  remove(): Promise<void> {
    return (this.#removing ??= (async () => {
      try {
        await this.stop();
      } finally {
        await rm(this.#dir, { recursive: true, force: true });
      }
    })());
  }

  #script(name: string, timeout: number): Promise<void> {
    const next = this.#scripts.then(() => this.#runScript(name, timeout));
    this.#scripts = next.catch(() => undefined);
    return next;
  }

  async #runScript(name: string, timeout: number): Promise<void> {
    const script = path.join(repoRoot(), "tools", "kafka", name);
    const env = {
      ...process.env,
      AIRLOCK_KAFKA_PORT: String(this.#port),
      AIRLOCK_KAFKA_CONTROLLER_PORT: String(this.#controllerPort),
      AIRLOCK_KAFKA_DATA_DIR: this.#dir,
      AIRLOCK_KAFKA_PID_FILE: path.join(this.#dir, "kafka.pid"),
    };
    try {
      await run("bash", [script], { env, timeout });
    } catch (error) {
      const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
      throw new Error(`tools/kafka/${name} failed for the private broker in ${this.#dir}:\n${stdout}${stderr}`, {
        cause: error,
      });
    }
  }
}
