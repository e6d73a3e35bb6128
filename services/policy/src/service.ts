import {
  CONSUMER_GROUPS,
  ConfigError,
  DISPATCH_GRACE_MS,
  startOutboxRelay,
  stopOnce,
  TOPICS,
  type AirlockEvent,
  type RunningService,
  type ServiceDeps,
} from "@airlock/shared";
import type { CompiledPolicy, PolicyIdentity } from "./core/compile.js";
import { handleToolCallRequested } from "./handlers/tool-call-requested.js";
import { compileOrThrow, readPolicyFile, watchPolicyFile, type PolicyFileWatcher } from "./policy-file.js";
import { SCHEMA } from "./store/decisions.js";

/** The consumer group every policy instance joins: instances share the tool calls. */
export const POLICY_GROUP = CONSUMER_GROUPS.policy.group;

/** What the policy service is given. */
export interface PolicyServiceDeps extends ServiceDeps {
  /** The policy file, watched and reloaded on change. Default: `config.AIRLOCK_POLICY`. */
  policyPath?: string;
  /** The policy's text (YAML or JSON) instead of a file: never reloaded. */
  policy?: string;
  /** Quiet time after a change of the policy file before it is read again. Default 100 ms. */
  reloadDebounceMs?: number;
}

/** The running policy service. */
export interface RunningPolicyService extends RunningService {
  /** The name and version of the policy in force. */
  policy(): PolicyIdentity;
  /** Read the policy file now; resolves to whether a new version came into force (false without a file). */
  reload(): Promise<boolean>;
}

/**
 * Start the policy service: load and compile the policy (an invalid one stops the start with every
 * `file:line:col: reason`), watch its file, relay the outbox, and decide every
 * `airlock.tool_call.requested` as a member of the `policy` consumer group. Stateless apart from
 * Postgres, so any number of instances may run.
 */
export async function startPolicyService(deps: PolicyServiceDeps): Promise<RunningPolicyService> {
  const log = deps.logger.child({ service: "policy" });
  const file = deps.policy === undefined ? (deps.policyPath ?? deps.config.AIRLOCK_POLICY) : undefined;
  let current: CompiledPolicy;
  if (deps.policy !== undefined) current = compileOrThrow(deps.policy, "<policy>");
  else if (file !== undefined) current = await readPolicyFile(file);
  else
    throw new ConfigError(
      "AIRLOCK_POLICY: the policy service needs a policy file (e.g. examples/policies/finance.yaml)",
    );
  log.info({ policy: current.identity.name, version: current.identity.version, file }, "policy loaded");

  const watcher: PolicyFileWatcher | undefined =
    file === undefined
      ? undefined
      : watchPolicyFile({
          file,
          initial: current,
          logger: log,
          onReload: (policy) => {
            current = policy;
          },
          ...(deps.reloadDebounceMs === undefined ? {} : { debounceMs: deps.reloadDebounceMs }),
        });

  const relay = startOutboxRelay({
    sql: deps.sql,
    transport: deps.transport,
    schema: SCHEMA,
    logger: log,
    // Decisions are dispatched straight after COMMIT; polls leave another instance's rows that long.
    graceMs: DISPATCH_GRACE_MS,
  });

  const handlerLog = log.child({ module: "tool-calls" });
  const handle = async (event: AirlockEvent): Promise<void> => {
    // The topic also carries airlock.tool_call.cancelled, which is the approvals service's to act on.
    if (event.type !== "airlock.tool_call.requested") return;
    const handled = await handleToolCallRequested({ sql: deps.sql, policy: () => current }, event);
    deps.metrics.eventsIn.inc({ topic: TOPICS.toolCalls, group: POLICY_GROUP });
    if (handled.status === "duplicate") {
      handlerLog.debug({ event_id: event.id, subject: event.subject }, "call already decided; redelivery ignored");
      return;
    }
    // Published now, straight after COMMIT; the relay only sweeps up what a failure left behind.
    await relay.dispatch(handled.outbox);
    const { decision } = handled;
    deps.metrics.decisions.inc({ action: decision.action });
    if (decision.action !== "escalate") {
      // From the agent's request time to the decision's commit: the verdict is on its way now.
      const seconds = (Date.now() - Date.parse(event.time)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0)
        deps.metrics.verdictLatency.observe({ decided_by: "policy" }, seconds);
    }
    handlerLog.debug(
      {
        event_id: event.id,
        subject: event.subject,
        action: decision.action,
        rule: decision.rule,
        version: decision.policy.version,
      },
      "decided",
    );
  };

  const subscription = await deps.transport
    .subscribe({ group: POLICY_GROUP, topics: CONSUMER_GROUPS.policy.topics, handler: handle })
    .catch(async (error: unknown) => {
      watcher?.close();
      await relay.stop();
      throw error;
    });

  return {
    name: "policy",
    policy: () => current.identity,
    reload: () => watcher?.reload() ?? Promise.resolve(false),
    stop: stopOnce(async () => {
      watcher?.close();
      // Stop taking calls first, then let the relay publish what those calls enqueued.
      await subscription.close();
      await relay.stop();
      log.info("policy service stopped");
    }),
  };
}
