import {
  AirlockApiError,
  approvalsApi,
  connectBroker,
  publishVote,
  type AgentClient,
  type Reviewer,
  type Verdict,
} from "@airlock/client";
import {
  TOPICS,
  actionDigest,
  backoffDelay,
  createTransport,
  delay,
  newId,
  silentLogger,
  type AirlockEvent,
  type Logger,
  type SignedVote,
  type Subscription,
  type Transport,
} from "@airlock/shared";
import { DEFAULT_MIX, callSpec, drawKind, type CallKind, type PlannedVote } from "./policy.js";

/** One call the workload made, and what its agent got back. */
export interface CallRecord {
  call_id: string;
  agent: string;
  kind: CallKind;
  /** Makes the call's arguments unique; `callSpec(kind, n)` rebuilds them. */
  n: number;
  /** A call made on purpose while a service was down, with a short timeout: it must fail closed. */
  probe: boolean;
  /** `failed`: the SDK threw (the publish was not confirmed); `answered`: it returned a verdict. */
  state: "pending" | "answered" | "failed";
  verdict?: Verdict;
  error?: string;
  /** ms since the workload started. */
  startedMs: number;
  latencyMs?: number;
}

/** One vote the reviewer bot cast. */
export interface VoteRecord {
  request_id: string;
  call_id: string;
  vote_id: string;
  reviewer: string;
  verdict: PlannedVote["verdict"];
  intent: PlannedVote["intent"];
  /** `accepted`: the API answered 202 (or the broker confirmed); `refused`: a 4xx; `gave_up`: never delivered. */
  status: "pending" | "accepted" | "refused" | "gave_up";
  /** The `vote.cast` event id the API answered with. */
  event_id?: string;
  attempts: number;
  error?: string;
}

/** A dead letter seen on `airlock.dead-letter`. */
export interface SeenDeadLetter {
  event_id: string;
  topic: string;
  consumer: string;
  reason: string;
}

/** Options of {@link Workload}. */
export interface WorkloadOptions {
  broker: string;
  namespace: string;
  /** The gateway's URL now: votes are POSTed there (it changes when the gateway restarts). */
  gateway: () => string;
  reviewers: ReadonlyMap<string, Reviewer>;
  /** Agent clients (each with its own verdict subscription). Default 4. */
  agents?: number;
  /** Most calls in flight at once. Default 32. */
  concurrency?: number;
  /** Calls per second; unset: as fast as `concurrency` allows (closed loop). */
  ratePerSecond?: number;
  mix?: Partial<Record<CallKind, number>>;
  /** How long an agent waits for a verdict before it fails closed. Default 30 s. */
  checkTimeoutMs?: number;
  /** How votes travel: POST /v1/approvals/:id/votes (default) or straight to the broker. */
  votesVia?: "http" | "broker";
  /** How long the bot keeps retrying a vote that cannot be delivered. Default 90 s. */
  voteDeadlineMs?: number;
  random?: () => number;
  logger?: Logger;
}

/**
 * A steady stream of tool calls from broker-connected agents (the agent SDK), with a reviewer bot that
 * answers every escalation as its call's plan says (signed votes through the approvals API), and an
 * observer — a durable consumer group of its own — that counts every distinct verdict event per call
 * and every dead letter, as an agent on the verdicts topic would see them.
 */
export class Workload {
  readonly calls = new Map<string, CallRecord>();
  readonly votes: VoteRecord[] = [];
  /** Distinct `verdict.final` event ids seen on airlock.verdicts, per call. */
  readonly verdictsSeen = new Map<string, Set<string>>();
  readonly deadLetters: SeenDeadLetter[] = [];
  /** request id → call id, from `approval.opened`. */
  readonly opened = new Map<string, string>();
  readonly #options: WorkloadOptions;
  readonly #transport: Transport;
  readonly #agents: AgentClient[];
  readonly #subscription: Subscription;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #voting = new Set<Promise<void>>();
  readonly #random: () => number;
  readonly #t0 = performance.now();
  #n = 0;
  #running: Promise<void> | undefined;
  #stopping = false;

  private constructor(
    options: WorkloadOptions,
    transport: Transport,
    agents: AgentClient[],
    subscription: Subscription,
  ) {
    this.#options = options;
    this.#transport = transport;
    this.#agents = agents;
    this.#subscription = subscription;
    this.#random = options.random ?? Math.random;
  }

  /** Connect the agents, the bot and the observer. Calls start with {@link run}. */
  static async connect(options: WorkloadOptions): Promise<Workload> {
    const logger = options.logger ?? silentLogger();
    const transport = await createTransport(options.broker, {
      logger,
      namespace: options.namespace,
      clientId: `workload-${options.namespace}`,
    });
    await transport.start();
    const agents: AgentClient[] = [];
    let workload: Workload | undefined;
    try {
      for (let i = 0; i < (options.agents ?? 4); i++) {
        agents.push(await connectBroker({ agent: `agent-${i}`, transport, logger }));
      }
      const subscription = await transport.subscribe({
        group: "workload-observer",
        topics: [TOPICS.verdicts, TOPICS.deadLetter, TOPICS.approvals],
        prefetch: 64,
        handler: (event) => {
          if (workload) workload.#observe(event);
          return Promise.resolve();
        },
      });
      workload = new Workload(options, transport, agents, subscription);
      return workload;
    } catch (error) {
      await Promise.allSettled(agents.map((agent) => agent.close()));
      await transport.close();
      throw error;
    }
  }

  /** Start issuing calls until {@link stop}. */
  run(): void {
    this.#running ??= this.#loop();
  }

  /** Stop issuing, wait for every call in flight to get its verdict (or time out) and every vote to settle. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#running;
    await Promise.all([...this.#inFlight]);
    while (this.#voting.size > 0) await Promise.all([...this.#voting]);
  }

  /**
   * Make `count` calls of `kind` at once with a short timeout and wait for them: fail-closed probes, made
   * while the service that would decide them is down. Pick a kind that would be allowed.
   */
  probe(kind: CallKind, count: number, timeoutMs: number): Promise<CallRecord[]> {
    return Promise.all(Array.from({ length: count }, () => this.#call(kind, { probe: true, timeoutMs })));
  }

  /** ms since the workload was connected. */
  elapsedMs(): number {
    return performance.now() - this.#t0;
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Close the agents, the observer and the connection. */
  async close(): Promise<void> {
    this.#stopping = true;
    await this.#subscription.close();
    await Promise.allSettled(this.#agents.map((agent) => agent.close()));
    await this.#transport.close();
  }

  async #loop(): Promise<void> {
    const concurrency = this.#options.concurrency ?? 32;
    const rate = this.#options.ratePerSecond;
    let next = performance.now();
    while (!this.#stopping) {
      if (this.#inFlight.size >= concurrency) {
        await Promise.race(this.#inFlight);
        continue;
      }
      if (rate !== undefined) {
        const now = performance.now();
        // Behind schedule by more than a second (a stall): start again from now rather than burst.
        if (now - next > 1000) next = now;
        if (next > now) await delay(next - now);
        next += 1000 / rate;
        if (this.#stopping) break;
      }
      const kind = drawKind(this.#options.mix ?? DEFAULT_MIX, this.#random);
      const call = this.#call(kind, { probe: false }).then(() => undefined);
      this.#inFlight.add(call);
      void call.finally(() => this.#inFlight.delete(call));
    }
  }

  async #call(kind: CallKind, options: { probe: boolean; timeoutMs?: number }): Promise<CallRecord> {
    const n = this.#n++;
    const spec = callSpec(kind, n);
    const agent = this.#agents[n % this.#agents.length]!;
    const record: CallRecord = {
      call_id: newId(),
      agent: agent.agent,
      kind,
      n,
      probe: options.probe,
      state: "pending",
      startedMs: this.elapsedMs(),
    };
    this.calls.set(record.call_id, record);
    try {
      record.verdict = await agent.check(
        { call_id: record.call_id, tool: spec.tool, args: spec.args, context: { user: spec.user } },
        { timeout: options.timeoutMs ?? this.#options.checkTimeoutMs ?? 30_000 },
      );
      record.state = "answered";
    } catch (error) {
      record.state = "failed";
      record.error = error instanceof Error ? error.message : String(error);
    }
    record.latencyMs = this.elapsedMs() - record.startedMs;
    return record;
  }

  #observe(event: AirlockEvent): void {
    switch (event.type) {
      case "airlock.verdict.final": {
        const seen = this.verdictsSeen.get(event.data.call_id) ?? new Set<string>();
        seen.add(event.id);
        this.verdictsSeen.set(event.data.call_id, seen);
        return;
      }
      case "airlock.dead_letter":
        this.deadLetters.push({
          event_id: event.id,
          topic: event.data.topic,
          consumer: event.data.consumer,
          reason: event.data.reason,
        });
        return;
      case "airlock.approval.opened": {
        const { request_id, call_id } = event.data;
        // A redelivered opening is voted on once.
        if (this.opened.has(request_id)) return;
        this.opened.set(request_id, call_id);
        const record = this.calls.get(call_id);
        if (!record) return;
        const voting = this.#vote(event, callSpec(record.kind, record.n).votes);
        this.#voting.add(voting);
        void voting.finally(() => this.#voting.delete(voting));
        return;
      }
      default:
        return;
    }
  }

  /** Cast a request's planned votes one after the other, each retried until it is delivered. */
  async #vote(opened: AirlockEvent<"airlock.approval.opened">, plan: readonly PlannedVote[]): Promise<void> {
    const { request_id, call_id, agent_id, tool, args, action_digest } = opened.data;
    for (const planned of plan) {
      const reviewer = this.#options.reviewers.get(planned.reviewer);
      if (!reviewer) throw new Error(`no key for ${planned.reviewer}`);
      const digest =
        planned.intent === "digest_mismatch"
          ? actionDigest({ agent_id, tool, args: { ...args, amount: 1 } })
          : action_digest;
      const vote = reviewer.sign({ request_id, action_digest: digest, verdict: planned.verdict });
      const record: VoteRecord = {
        request_id,
        call_id,
        vote_id: vote.vote_id,
        reviewer: planned.reviewer,
        verdict: planned.verdict,
        intent: planned.intent,
        status: "pending",
        attempts: 0,
      };
      this.votes.push(record);
      await this.#deliver(vote, record);
    }
  }

  async #deliver(vote: SignedVote, record: VoteRecord): Promise<void> {
    const deadline = performance.now() + (this.#options.voteDeadlineMs ?? 90_000);
    for (;;) {
      record.attempts++;
      try {
        if (this.#options.votesVia === "broker") {
          record.event_id = (await publishVote(this.#transport, vote)).id;
        } else {
          record.event_id = (await approvalsApi({ url: this.#options.gateway() }).postVote(vote)).event_id;
        }
        record.status = "accepted";
        return;
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
        // A 4xx other than 404 is the API's final word; anything else (the gateway down or restarting,
        // a 5xx, a request its database does not show yet) is worth another try.
        if (error instanceof AirlockApiError && error.status >= 400 && error.status < 500 && error.status !== 404) {
          record.status = "refused";
          return;
        }
        if (performance.now() > deadline) {
          record.status = "gave_up";
          return;
        }
        await delay(backoffDelay(record.attempts, { initialMs: 100, maxMs: 2000, factor: 2, jitter: 0.2 }));
      }
    }
  }
}
