import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ProcessStack } from "../../../bench/soak/stack.js";
import type { ServiceName } from "../../../bench/soak/processes.js";
import type { CallKind } from "../../../bench/soak/policy.js";
import type { CallRecord, Workload } from "../../../bench/soak/workload.js";

const run = promisify(execFile);

/** One fault as it was injected: what, when (s after the workload started) and for how long. */
export interface InjectedFault {
  kind: "kill -9" | "pg_terminate_backend" | "broker restart";
  target: string;
  at_s: number;
  /** How long the target was down, in ms (until it served again). */
  down_ms: number;
  /** Fail-closed probes made while it was down: calls that would have been allowed. */
  probes?: { made: number; denied_by_client: number; allowed: number };
  detail?: string;
}

/** Calls that would be allowed, to probe each service's absence with: the policy's and the reviewers'. */
const PROBE_KIND: Partial<Record<ServiceName, CallKind>> = { policy: "read", approvals: "transfer_approve" };

/** How long a fail-closed probe waits for its verdict: shorter than any outage below. */
export const PROBE_TIMEOUT_MS = 1500;

/** Is this the long run (`npm run test:faults -- --long`, i.e. AIRLOCK_FAULTS_LONG=1)? */
export const LONG = process.env["AIRLOCK_FAULTS_LONG"] === "1";

/**
 * Fault kinds to leave out (AIRLOCK_FAULTS_SKIP, comma-separated: kill, pg, broker) — to look past a
 * known bug at the others. A run that skips anything says so in its figures.
 */
export const SKIP = new Set((process.env["AIRLOCK_FAULTS_SKIP"] ?? "").split(",").filter((kind) => kind !== ""));

/** The seed of this run's fault schedule: AIRLOCK_FAULTS_SEED replays one. */
export const SEED = Number(process.env["AIRLOCK_FAULTS_SEED"] ?? Math.floor(Math.random() * 2 ** 31));

/**
 * Injects faults into a running stack at random moments (drawn from the run's seed) and records each.
 * The pauses between faults are the schedule, not synchronisation: recovery is waited for by condition.
 */
export class FaultInjector {
  readonly injected: InjectedFault[] = [];
  readonly #probes: CallRecord[] = [];

  constructor(
    private readonly stack: ProcessStack,
    private readonly workload: Workload,
    readonly random: () => number,
  ) {}

  /** Every fail-closed probe made so far. */
  get probes(): readonly CallRecord[] {
    return this.#probes;
  }

  /** Let the traffic run for a random while in [minMs, maxMs). */
  async pause(minMs: number, maxMs: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, minMs + this.random() * (maxMs - minMs)));
  }

  /**
   * `kill -9` a service, probe fail-closed while it is down (for the deciding services), keep it down a
   * random while, start it again and wait until it serves.
   */
  async killAndRestart(service: ServiceName): Promise<void> {
    if (SKIP.has("kill")) return;
    const at = this.workload.elapsedMs();
    await this.stack.processes.kill(service, "SIGKILL");
    const kind = PROBE_KIND[service];
    let probes: InjectedFault["probes"];
    if (kind) {
      const made = await this.workload.probe(kind, 3, PROBE_TIMEOUT_MS);
      this.#probes.push(...made);
      probes = {
        made: made.length,
        denied_by_client: made.filter((c) => c.verdict?.decided_by === "client" && !c.verdict.allowed).length,
        allowed: made.filter((c) => c.verdict?.allowed).length,
      };
    }
    await this.pause(200, 1500);
    await this.stack.processes.start(service);
    this.injected.push({
      kind: "kill -9",
      target: service,
      at_s: round(at / 1000),
      down_ms: Math.round(this.workload.elapsedMs() - at),
      ...(probes ? { probes } : {}),
    });
  }

  /** End every session the services hold on their database. */
  async dropDatabaseConnections(): Promise<void> {
    if (SKIP.has("pg")) return;
    const at = this.workload.elapsedMs();
    const ended = await this.stack.dropDatabaseConnections();
    this.injected.push({
      kind: "pg_terminate_backend",
      target: "postgres",
      at_s: round(at / 1000),
      down_ms: 0,
      detail: `${ended} sessions ended`,
    });
  }

  /** Stop the broker, keep it down a random while, start it again (whatever happened meanwhile). */
  async restartBroker(broker: RestartableBroker): Promise<void> {
    if (SKIP.has("broker")) return;
    const at = this.workload.elapsedMs();
    await broker.stop();
    try {
      await this.pause(500, 2000);
    } finally {
      await broker.start();
    }
    this.injected.push({
      kind: "broker restart",
      target: broker.name,
      at_s: round(at / 1000),
      down_ms: Math.round(this.workload.elapsedMs() - at),
    });
  }
}

/** A broker a fault run can stop and start again; each resolves once the broker has stopped or serves. */
export interface RestartableBroker {
  /** Its name in the figures. */
  readonly name: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** The shared RabbitMQ: `rabbitmqctl stop_app` / `start_app` (the Erlang node stays up). */
export const RABBITMQ: RestartableBroker = {
  name: "rabbitmq",
  stop: async () => void (await rabbitmqctl("stop_app")),
  start: async () => void (await rabbitmqctl("start_app")),
};

/** Run `rabbitmqctl` with these arguments; rejects when it fails. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run("rabbitmqctl", args, { timeout: 120_000 });
  return stdout;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
