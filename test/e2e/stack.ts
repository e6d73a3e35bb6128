import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { runAirlock } from "@airlock/cli/runtime";
import { createReviewer, type Reviewer } from "@airlock/client";
import {
  formatPublicKey,
  generateReviewerKeyPair,
  loadConfig,
  reviewersFileLine,
  silentLogger,
  writeReviewerKey,
} from "@airlock/shared";
import { createTestDatabase, tidyBroker, uniqueNamespace } from "@airlock/shared/testing";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = path.join(root, "packages", "cli", "dist", "bin.js");
/** The tutorial's policy. */
export const TUTORIAL_POLICY = path.join(root, "test", "e2e", "fixtures", "tutorial.yaml");
/** Every reviewer of the tutorial's pools. */
export const REVIEWERS = ["alice@corp.example", "bob@corp.example", "carol@corp.example", "olivia@corp.example"];

/** The brokers the end-to-end suite runs on. */
export const E2E_TRANSPORTS = {
  memory: "memory://",
  amqp: process.env["AIRLOCK_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672",
  kafka: process.env["AIRLOCK_TEST_KAFKA_URL"] ?? "kafka://127.0.0.1:9092",
} as const;

/** A running Airlock for one test file. */
export interface Stack {
  url: string;
  broker: string;
  namespace: string;
  reviewers: Map<string, Reviewer>;
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedStack}. */
export interface EmbeddedStackOptions {
  /** Also write each reviewer's private key (PKCS#8 PEM) here, as `airlock keys generate` does (AIRLOCK_KEYS). */
  keysDir?: string;
}

async function setupFiles(
  keysDir?: string,
): Promise<{ dataDir: string; reviewersPath: string; reviewers: Map<string, Reviewer> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "airlock-e2e-"));
  const reviewers = new Map<string, Reviewer>();
  const lines: string[] = [];
  for (const id of REVIEWERS) {
    const pair = generateReviewerKeyPair();
    reviewers.set(id, createReviewer(id, pair.privateKey));
    lines.push(reviewersFileLine(id, formatPublicKey(pair.publicKey)));
    if (keysDir !== undefined) await writeReviewerKey(keysDir, id, pair.privateKey);
  }
  const reviewersPath = path.join(dataDir, "reviewers.yaml");
  await writeFile(reviewersPath, lines.join("\n") + "\n");
  return { dataDir, reviewersPath, reviewers };
}

/**
 * memory:// + PGlite: every service in this process, exactly as `npm start` runs them.
 */
export async function startEmbeddedStack(policy = TUTORIAL_POLICY, options: EmbeddedStackOptions = {}): Promise<Stack> {
  const files = await setupFiles(options.keysDir);
  const namespace = uniqueNamespace("e2e");
  const broker = `memory://${namespace}`;
  const config = loadConfig({
    AIRLOCK_BROKER: broker,
    DATABASE_URL: "pglite://memory",
    AIRLOCK_DATA_DIR: files.dataDir,
    AIRLOCK_POLICY: policy,
    AIRLOCK_REVIEWERS: files.reviewersPath,
    AIRLOCK_HTTP_PORT: "0",
    AIRLOCK_CHECKPOINT_INTERVAL: "1s",
  });
  const running = await runAirlock({ config, logger: silentLogger() });
  return { url: running.url, broker, namespace, reviewers: files.reviewers, stop: () => running.stop() };
}

/** Start one `airlock start --only SERVICE` process and wait until it serves HTTP; resolves to its URL. */
function startProcess(
  service: string,
  env: NodeJS.ProcessEnv,
  children: ChildProcess[],
  output: string[],
): Promise<string> {
  const child = spawn(process.execPath, [BIN, "start", "--only", service], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      output.push(`[${service}] ${line}`);
      if (line.includes('"Airlock is running"')) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.stderr.on("data", (chunk: Buffer) => output.push(`[${service}!] ${chunk.toString()}`));
    child.once("exit", (code) => reject(new Error(`${service} exited with ${code}:\n${output.slice(-30).join("\n")}`)));
  });
}

/**
 * A real broker and Postgres, each service its own process (`airlock start --only …`), as a distributed
 * deployment runs them. Needs the build (`npm run build`; `npm test` does it).
 */
export async function startDistributedStack(
  broker: string,
  policy = TUTORIAL_POLICY,
): Promise<Stack & { output: string[] }> {
  const files = await setupFiles();
  const db = await createTestDatabase();
  const namespace = uniqueNamespace("e2e");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    AIRLOCK_BROKER: broker,
    DATABASE_URL: db.url,
    AIRLOCK_NAMESPACE: namespace,
    AIRLOCK_DATA_DIR: files.dataDir,
    AIRLOCK_POLICY: policy,
    AIRLOCK_REVIEWERS: files.reviewersPath,
    AIRLOCK_HTTP_PORT: "0",
    AIRLOCK_POLICY_PORT: "0",
    AIRLOCK_APPROVALS_PORT: "0",
    AIRLOCK_AUDIT_PORT: "0",
    AIRLOCK_CHECKPOINT_INTERVAL: "1s",
    LOG_LEVEL: "info",
  };
  const children: ChildProcess[] = [];
  const output: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      ),
    );
    await tidyBroker(broker, [namespace]);
    await db.drop();
  };
  try {
    // The audit log first, so it has its tables before the gateway reads them; then the rest together.
    await startProcess("audit", env, children, output);
    const [, , url] = await Promise.all([
      startProcess("policy", env, children, output),
      startProcess("approvals", env, children, output),
      startProcess("gateway", env, children, output),
    ]);
    return { url, broker, namespace, reviewers: files.reviewers, output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
