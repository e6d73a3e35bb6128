import { newId, type EventData } from "@airlock/shared";
import { AirlockApiError } from "../reviewer/api.js";
import { requestData, timeoutMs, type CheckOptions, type ToolCall } from "./call.js";
import type { AgentClient } from "./client.js";
import { failClosed, unreachable, verdictFromEvent, type Verdict } from "./verdict.js";

/** Options of {@link connectHttp}. */
export interface HttpClientOptions {
  agent: string;
  /** The Airlock HTTP API, e.g. http://127.0.0.1:7700. */
  url: string;
  runId?: string;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** What the API answers for a tool call. */
interface CallResponse {
  call_id: string;
  verdict?: EventData<"airlock.verdict.final">;
}

/** Longest single long-poll; a check that waits longer asks again. */
const LONG_POLL_MS = 25_000;

/**
 * An agent client over the HTTP API, for agents that don't speak the broker: `POST /v1/tool-calls?wait=`
 * submits and waits; if the verdict takes longer (an escalation), `GET /v1/tool-calls/:id?wait=` long-polls.
 * A check Airlock refuses as malformed (4xx) throws an {@link AirlockApiError}; anything else denies.
 */
export function connectHttp(options: HttpClientOptions): Promise<AgentClient> {
  return Promise.resolve(
    new HttpAgentClient(
      options.agent,
      options.runId ?? newId(),
      options.url.replace(/\/$/, ""),
      options.fetch ?? fetch,
    ),
  );
}

class HttpAgentClient implements AgentClient {
  constructor(
    readonly agent: string,
    readonly runId: string,
    private readonly base: string,
    private readonly fetch: typeof globalThis.fetch,
  ) {}

  async check(call: ToolCall, options: CheckOptions = {}): Promise<Verdict> {
    const data = requestData(this.agent, this.runId, call);
    const deadline = Date.now() + timeoutMs(options);
    const remaining = (): number => Math.max(0, Math.min(LONG_POLL_MS, deadline - Date.now()));
    // Set when Airlock could not be reached; an abort fails the request too, but that is the caller's doing.
    let failure: { error: unknown } | undefined;
    try {
      let response = await this.request<CallResponse>(`/v1/tool-calls?wait=${remaining()}ms`, {
        method: "POST",
        body: JSON.stringify(data),
        signal: options.signal,
      });
      while (!response.verdict && Date.now() < deadline && !options.signal?.aborted) {
        response = await this.request<CallResponse>(
          // Naming the agent and action: the API answers only with a verdict bound to all three.
          `/v1/tool-calls/${encodeURIComponent(data.call_id)}?wait=${remaining()}ms` +
            `&agent_id=${encodeURIComponent(data.agent_id)}&action_digest=${data.action_digest}`,
          {
            signal: options.signal,
          },
        );
      }
      if (response.verdict) return verdictFromEvent(response.verdict, data);
    } catch (error) {
      // A request Airlock refused as malformed is the caller's bug: say so. A server that is down, or
      // answers 5xx, is "nothing answers": deny.
      if (error instanceof AirlockApiError && error.status < 500) throw error;
      if (!options.signal?.aborted) failure = { error };
    }
    // No verdict: withdraw the call, so it is not approved after this client has denied it.
    await this.cancel(data.call_id);
    if (failure) return unreachable(data, failure.error);
    return failClosed(data, options.signal?.aborted === true, timeoutMs(options));
  }

  /** Best effort: the call is denied here whatever the server answers. */
  private async cancel(callId: string): Promise<void> {
    await this.request(`/v1/tool-calls/${encodeURIComponent(callId)}`, { method: "DELETE" }).catch(() => undefined);
  }

  private async request<T>(
    path: string,
    init: { method?: string; body?: string; signal?: AbortSignal | undefined },
  ): Promise<T> {
    const response = await this.fetch(this.base + path, {
      method: init.method ?? "GET",
      headers: init.body === undefined ? {} : { "content-type": "application/json" },
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const body = (await response.json().catch(() => ({}))) as T & { error?: { code: string; message: string } };
    if (!response.ok && response.status !== 202) {
      throw new AirlockApiError(
        response.status,
        body.error?.code ?? "http_error",
        `Airlock answered ${response.status}: ${body.error?.message ?? response.statusText}`,
      );
    }
    return body;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
