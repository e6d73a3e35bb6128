import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { freePort } from "@airlock/shared/testing";

/** The services `airlock start --only` runs, in the order a deployment starts them (the audit log first). */
export const SERVICES = ["audit", "policy", "approvals", "gateway"] as const;
/** One of {@link SERVICES}. */
export type ServiceName = (typeof SERVICES)[number];

/** The variable that sets each service's HTTP port when it runs alone. */
const PORT_VARIABLE: Record<ServiceName, string> = {
  audit: "AIRLOCK_AUDIT_PORT",
  policy: "AIRLOCK_POLICY_PORT",
  approvals: "AIRLOCK_APPROVALS_PORT",
  gateway: "AIRLOCK_HTTP_PORT",
};

/** The repository root: found by walking up, so this works from bench/soak and from bench/dist/soak alike. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "packages", "cli", "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the Airlock repository root above " + import.meta.url);
    dir = parent;
  }
  return dir;
}

/** How a service process ended. `expected` is false for a crash: an exit nobody asked for. */
export interface ServiceExit {
  service: ServiceName;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  /** Date.now() of the exit. */
  at: number;
  /** For a crash: the process's last lines (stderr lines start with "! "), to find why. */
  tail?: string[];
}

/** Options of {@link ServiceProcesses}. */
export interface ServiceProcessesOptions {
  /** The environment of every service (AIRLOCK_BROKER, DATABASE_URL, AIRLOCK_NAMESPACE, ports 0 …). */
  env: NodeJS.ProcessEnv;
  /** Lines of output kept per service, for the message of a failing test. Default 300. */
  keepLines?: number;
  /** How long a service may take to say "Airlock is running". Default 90 s (a loaded two-core machine). */
  startTimeoutMs?: number;
}

interface Running {
  child: ChildProcess;
  url: string;
}

/**
 * Airlock's services as separate OS processes (`node packages/cli/dist/bin.js start --only NAME`), as a
 * distributed deployment runs them, with what fault tests need: kill one with any signal, start it again,
 * and tell a crash (an exit nobody asked for) from a kill. Needs the build (`npx tsc -b`).
 */
export class ServiceProcesses {
  /** Every exit so far, expected or not. */
  readonly exits: ServiceExit[] = [];
  readonly #options: ServiceProcessesOptions;
  readonly #bin = path.join(repoRoot(), "packages", "cli", "dist", "bin.js");
  readonly #running = new Map<ServiceName, Running>();
  readonly #output = new Map<ServiceName, string[]>();
  /** Children this object killed or stopped on purpose: their exits are expected. */
  readonly #killed = new WeakSet<ChildProcess>();
  /** Each service keeps its port across restarts, so its URL (the gateway's above all) stays the same. */
  readonly #ports = new Map<ServiceName, number>();
  #stopping = false;

  constructor(options: ServiceProcessesOptions) {
    this.#options = options;
  }

  /** Start every service: the audit log first (it must see the first event), then the rest together. */
  async startAll(): Promise<void> {
    await this.start("audit");
    await Promise.all(SERVICES.filter((name) => name !== "audit").map((name) => this.start(name)));
  }

  /**
   * Start one service and resolve with its URL once it serves HTTP — which it does only after its
   * consumers are subscribed. Readiness is read from /healthz, so it works at any LOG_LEVEL.
   */
  async start(name: ServiceName): Promise<string> {
    if (this.#running.has(name)) throw new Error(`${name} is already running`);
    if (!existsSync(this.#bin)) throw new Error(`${this.#bin} is missing: run \`npx tsc -b\` first`);
    let port = this.#ports.get(name);
    if (port === undefined) {
      port = await freePort();
      this.#ports.set(name, port);
    }
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [this.#bin, "start", "--only", name], {
      env: { ...this.#options.env, [PORT_VARIABLE[name]]: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (line: string): void => {
      const lines = this.#output.get(name) ?? [];
      lines.push(line);
      if (lines.length > (this.#options.keepLines ?? 300)) lines.shift();
      this.#output.set(name, lines);
    };
    createInterface({ input: child.stdout }).on("line", keep);
    child.stderr.on("data", (chunk: Buffer) => keep(`! ${chunk.toString().trimEnd()}`));
    let exited = false;
    child.once("exit", (code, signal) => {
      exited = true;
      if (this.#running.get(name)?.child === child) this.#running.delete(name);
      const expected = this.#killed.has(child) || this.#stopping;
      this.exits.push({
        service: name,
        pid: child.pid,
        code,
        signal,
        expected,
        at: Date.now(),
        ...(expected ? {} : { tail: (this.#output.get(name) ?? []).slice(-40) }),
      });
    });
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 90_000);
    for (;;) {
      if (exited) throw new Error(`${name} exited before it was running:\n${this.output(name)}`);
      if (Date.now() > deadline) {
        await this.#end(child, "SIGKILL");
        throw new Error(
          `${name} did not start within ${this.#options.startTimeoutMs ?? 90_000} ms:\n${this.output(name)}`,
        );
      }
      const healthy = await fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy && !exited) break;
      // Polling a port that is not open yet: a start takes seconds, a poll costs a refused connection.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.#running.set(name, { child, url });
    return url;
  }

  /** The URL of a running service. */
  url(name: ServiceName): string {
    const running = this.#running.get(name);
    if (!running) throw new Error(`${name} is not running`);
    return running.url;
  }

  /** The pid of a running service, for RSS sampling from outside. */
  pid(name: ServiceName): number | undefined {
    return this.#running.get(name)?.child.pid;
  }

  /** Whether the service's process is up. */
  isRunning(name: ServiceName): boolean {
    return this.#running.has(name);
  }

  /** Send a signal (default SIGKILL, as `kill -9`) and resolve once the process is gone. */
  async kill(name: ServiceName, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const running = this.#running.get(name);
    if (!running) {
      const exits = this.exits.filter((exit) => exit.service === name);
      const tail = this.output(name).split("\n").slice(-30).join("\n");
      throw new Error(`${name} is not running; its exits: ${JSON.stringify(exits)}; its last lines:\n${tail}`);
    }
    this.#running.delete(name);
    await this.#end(running.child, signal);
  }

  /** Stop the service if it runs (SIGTERM: a graceful stop) and start it again; resolves with its new URL. */
  async restart(name: ServiceName): Promise<string> {
    if (this.#running.has(name)) await this.kill(name, "SIGTERM");
    return this.start(name);
  }

  /** Exits nobody asked for: crashes. */
  crashes(): ServiceExit[] {
    return this.exits.filter((exit) => !exit.expected);
  }

  /** The last lines a service wrote (all services when no name is given). */
  output(name?: ServiceName): string {
    const names = name ? [name] : SERVICES;
    return names.flatMap((n) => (this.#output.get(n) ?? []).map((line) => `[${n}] ${line}`)).join("\n");
  }

  /** Stop every service gracefully (SIGKILL after 20 s). */
  async stop(): Promise<void> {
    this.#stopping = true;
    const running = [...this.#running.values()];
    this.#running.clear();
    await Promise.all(running.map((r) => this.#end(r.child, "SIGTERM")));
  }

  #end(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    this.#killed.add(child);
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // A graceful stop that hangs is a finding of its own, but must not hang the suite.
      const force = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill(signal);
    });
  }
}
