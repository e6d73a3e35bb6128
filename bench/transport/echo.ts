import {
  TOPICS,
  actionDigest,
  createEvent,
  createTransport,
  silentLogger,
  type AirlockEvent,
  type Transport,
} from "@airlock/shared";
import { benchNamespace, tidyNamespace } from "../lib/namespace.js";
import type { BenchResult } from "../lib/result.js";
import { summarize, timeBurst, timeSequential } from "../lib/stats.js";

/** Options of the echo benchmark. */
export interface EchoOptions {
  brokers: Record<string, string>;
  /** Sequential round trips for latency. */
  roundTrips: number;
  /** Messages in flight together for throughput. */
  burst: number;
}

function request(n: number): AirlockEvent<"airlock.tool_call.requested"> {
  const call = { agent_id: "bench-agent", tool: "search_documents", args: { n } };
  return createEvent({
    type: "airlock.tool_call.requested",
    source: "bench",
    subject: String(n),
    data: { ...call, call_id: String(n), run_id: "bench", action_digest: actionDigest(call) },
  });
}

/** A broker's raw echo, connected and warmed up. */
export interface Echo {
  /** One round trip: publish request n, resolve when its reply is back. */
  roundTrip: (n: number) => Promise<void>;
  close: () => Promise<void>;
}

/**
 * One broker's raw echo: publish a tool call → an echo consumer takes it and republishes a verdict-sized
 * reply → the requester consumes the reply. The same two hops Airlock's policy path makes, with no
 * decision in between — the baseline every end-to-end number is compared with. With `beforeReply`, the
 * echo consumer awaits it before it replies (bench/e2e: a durable one-row commit, the least a decision
 * that is recorded before its verdict can add).
 */
export async function openEcho(url: string, beforeReply?: () => Promise<void>): Promise<Echo> {
  const namespace = benchNamespace();
  const transport: Transport = await createTransport(url, { logger: silentLogger(), namespace });
  const close = async (): Promise<void> => {
    await transport.close();
    await tidyNamespace(url, namespace);
  };
  await transport.start();
  const waiting = new Map<string, () => void>();
  const roundTrip = async (n: number): Promise<void> => {
    const done = new Promise<void>((resolve) => waiting.set(String(n), resolve));
    await transport.publish(request(n));
    await done;
    waiting.delete(String(n));
  };
  try {
    await transport.subscribe({
      group: "echo",
      topics: [TOPICS.toolCalls],
      prefetch: 64,
      handler: async (event) => {
        const data = event.data as { call_id: string; action_digest: string };
        if (beforeReply) await beforeReply();
        await transport.publish(
          createEvent({
            type: "airlock.verdict.final",
            source: "bench-echo",
            subject: data.call_id,
            data: {
              call_id: data.call_id,
              agent_id: "bench-agent",
              action_digest: data.action_digest,
              allowed: true,
              outcome: "allow",
              reason: "echo",
              decided_by: "policy",
            },
          }),
        );
      },
    });
    await transport.subscribe({
      group: "requester",
      topics: [TOPICS.verdicts],
      prefetch: 64,
      handler: (event) => {
        waiting.get((event.data as { call_id: string }).call_id)?.();
        return Promise.resolve();
      },
    });
    // Warm up: connections, topic metadata, JIT.
    for (let i = 0; i < 50; i++) await roundTrip(-1 - i);
  } catch (error) {
    await close();
    throw error;
  }
  return { roundTrip, close };
}

/** Latency of sequential round trips and throughput of a burst on one broker. */
async function echoOnce(url: string, options: EchoOptions): Promise<Record<string, string | number>> {
  const echo = await openEcho(url);
  try {
    const summary = summarize(await timeSequential(echo.roundTrip, options.roundTrips));
    const throughput = await timeBurst(echo.roundTrip, options.burst, 1_000_000);
    return {
      round_trips: summary.n,
      p50_ms: summary.p50_ms,
      p99_ms: summary.p99_ms,
      throughput_per_s: throughput,
    };
  } finally {
    await echo.close();
  }
}

/** The raw echo round trip on every configured broker. */
export async function runTransportBench(options: EchoOptions): Promise<BenchResult> {
  const rows: BenchResult["rows"] = [];
  for (const [name, url] of Object.entries(options.brokers)) {
    rows.push({ transport: name, ...(await echoOnce(url, options)) });
  }
  return {
    name: "transport: raw echo round trip",
    description:
      "publish → consume → republish → consume through Airlock's Transport (zod validation on both hops, broker confirms), " +
      `${options.roundTrips} sequential round trips for latency, then ${options.burst} concurrent for throughput. The baseline for bench/e2e.`,
    rows,
  };
}
