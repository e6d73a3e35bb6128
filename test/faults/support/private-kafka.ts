import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, repoRoot } from "../../../bench/soak/processes.js";
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
      await kafka.remove();
      throw error;
    }
    return kafka;
  }

  /** The broker URL for AIRLOCK_BROKER. */
  get url(): string {
    return `kafka://127.0.0.1:${this.#port}`;
  }

  /** Start the broker (again) and resolve once it serves. */
  async start(): Promise<void> {
    await this.#script("start.sh", START_TIMEOUT_MS);
  }

  /** Stop the broker gracefully (SIGTERM; stop.sh kills it after 30 s) and resolve once it is gone. */
  async stop(): Promise<void> {
    await this.#script("stop.sh", 60_000);
  }

  /** Stop the broker and delete its data. */
  async remove(): Promise<void> {
    try {
      await this.stop();
    } finally {
      await rm(this.#dir, { recursive: true, force: true });
    }
  }

  async #script(name: string, timeout: number): Promise<void> {
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
