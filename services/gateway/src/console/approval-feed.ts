import { ApprovalDetail } from "@airlock/client";
import { backoffDelay, delay, type AirlockEvent, type BackoffPolicy, type Logger } from "@airlock/shared";

/** Reads one approval request as GET /v1/approvals/:id shows it; null when there is none. */
export type ApprovalReader = (requestId: string) => Promise<unknown>;

/** What the console is told when a request changes: the event that said so and the request as it is now. */
export interface ApprovalChange {
  /** The event type, e.g. `airlock.approval.opened`. */
  type: string;
  request_id: string;
  call_id: string | null;
  /** The request after the change; null when it could not be read (the page reads it itself). */
  approval: ApprovalDetail | null;
}

/** Told of every change, synchronously; must not throw. */
export type ChangeListener = (change: ApprovalChange) => void;

interface Hint {
  type: string;
  request_id: string;
  call_id?: string;
  /** A vote the approvals service may not have handled yet: read again until it shows. */
  vote_id?: string;
}

/**
 * A vote that counts without deciding publishes nothing on `airlock.approvals`, so `vote.cast` is the
 * only sign of it, and it reaches this feed as it reaches the approvals service. Reads after it back
 * off (ms, before jitter): 50, 100, 200, 400, 800, 1000, 1000 — about 3.5 s before the feed gives up
 * and shows what it has.
 */
const SETTLE_BACKOFF: BackoffPolicy = { initialMs: 50, maxMs: 1_000, factor: 2, jitter: 0.2 };
const SETTLE_ATTEMPTS = 8;

function hintOf(event: AirlockEvent): Hint | undefined {
  switch (event.type) {
    case "airlock.approval.opened":
    case "airlock.approval.resolved": {
      const data = (event as AirlockEvent<"airlock.approval.opened">).data;
      return { type: event.type, request_id: data.request_id, call_id: data.call_id };
    }
    case "airlock.vote.refused":
    case "airlock.vote.cast": {
      const data = (event as AirlockEvent<"airlock.vote.cast">).data;
      return { type: event.type, request_id: data.request_id, vote_id: data.vote_id };
    }
    default:
      return undefined;
  }
}

function settled(approval: ApprovalDetail | null, voteId: string | undefined): boolean {
  if (approval === null || voteId === undefined || approval.state !== "pending") return true;
  return approval.votes.some((v) => v.vote_id === voteId) || approval.refusals.some((r) => r.vote_id === voteId);
}

/**
 * Approval changes for the console's live list. Fed by the broker (see {@link consoleRoutes}); reads each
 * changed request once however many pages watch, and reads one request's changes in order, so a page
 * never sees an older state after a newer one.
 */
export class ApprovalFeed {
  readonly #listeners = new Set<ChangeListener>();
  readonly #queues = new Map<string, Promise<void>>();
  readonly #closing = new AbortController();

  constructor(
    private readonly read: ApprovalReader,
    private readonly log: Logger,
  ) {}

  /** Start telling `listener`; returns the function that stops it. */
  listen(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Take one event off the broker. Returns at once: the read happens behind it. */
  accept(event: AirlockEvent): void {
    const hint = hintOf(event);
    // Nobody watching: nothing to read.
    if (!hint || this.#listeners.size === 0 || this.#closing.signal.aborted) return;
    const previous = this.#queues.get(hint.request_id) ?? Promise.resolve();
    const next = previous.then(() => this.#refresh(hint));
    this.#queues.set(hint.request_id, next);
    void next.finally(() => {
      if (this.#queues.get(hint.request_id) === next) this.#queues.delete(hint.request_id);
    });
  }

  /** Stop reading; waits for reads in flight. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#listeners.clear();
    await Promise.all(this.#queues.values());
  }

  async #refresh(hint: Hint): Promise<void> {
    let approval: ApprovalDetail | null = null;
    try {
      for (let attempt = 1; ; attempt++) {
        approval = await this.#readOne(hint.request_id);
        if (settled(approval, hint.vote_id) || attempt >= SETTLE_ATTEMPTS || this.#closing.signal.aborted) break;
        await delay(backoffDelay(attempt, SETTLE_BACKOFF), this.#closing.signal);
      }
      // A vote for a request that does not exist changes nothing a page shows.
      if (approval === null && hint.type.startsWith("airlock.vote.")) return;
    } catch (error) {
      // The page is told anyway, without the request, and reads it itself.
      this.log.warn({ err: error, request_id: hint.request_id, type: hint.type }, "reading a changed approval failed");
    }
    const change: ApprovalChange = {
      type: hint.type,
      request_id: hint.request_id,
      call_id: approval?.call_id ?? hint.call_id ?? null,
      approval,
    };
    for (const listener of this.#listeners) listener(change);
  }

  async #readOne(requestId: string): Promise<ApprovalDetail | null> {
    const raw = await this.read(requestId);
    if (raw === null) return null;
    const parsed = ApprovalDetail.safeParse(raw);
    if (!parsed.success) throw new TypeError(`approval ${requestId} is not an approval: ${parsed.error.message}`);
    return parsed.data;
  }
}
