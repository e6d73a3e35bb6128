import type { Admin } from "kafkajs";
import { retry } from "../../lifecycle/backoff.js";
import type { Logger } from "../../lifecycle/logger.js";
import { kafkaFault } from "./errors.js";
import type { CommitPosition } from "./offsets.js";
import type { KafkaSettings } from "./settings.js";

/** How long the broker may take to create topics and elect their leaders. */
const CREATE_TIMEOUT_MS = 10_000;
/** Waiting for a new topic's leaders (ms): 100, 200, 400, 500, 500 … ≈ 9 s in all; it usually takes 100–300 ms. */
const LEADER_WAIT = { attempts: 20, backoff: { initialMs: 100, maxMs: 500, factor: 2, jitter: 0.2 } };

/** Where each partition of these topics ends now: the offset the next message will get. */
export async function topicEnds(admin: Admin, topics: readonly string[]): Promise<CommitPosition[]> {
  // A topic another client has just created may not be served yet: retried like a declaration.
  const ends = await retry(
    () =>
      Promise.all(
        topics.map(async (topic) => {
          try {
            const offsets = await admin.fetchTopicOffsets(topic);
            return offsets.map(({ partition, high }) => ({ topic, partition, offset: high }));
          } catch (error) {
            throw kafkaFault(`reading the end of ${topic} failed`, error);
          }
        }),
      ),
    LEADER_WAIT,
  );
  return ends.flat();
}

/**
 * Creates topics on first use, once per client. The broker runs with auto-creation off (a typo in a topic name
 * should fail, not create a topic), so every topic this client touches is declared here first: those that
 * exist are left as they are, the others are created with the URL's layout, and a declaration resolves only
 * once the broker serves every partition, so a publish or a join right after it finds the topic.
 */
export class TopicRegistry {
  readonly #admin: Admin;
  readonly #layout: Pick<KafkaSettings, "partitions" | "replicationFactor">;
  readonly #log: Logger;
  readonly #declared = new Map<string, Promise<void>>();

  constructor(admin: Admin, layout: Pick<KafkaSettings, "partitions" | "replicationFactor">, log: Logger) {
    this.#admin = admin;
    this.#layout = layout;
    this.#log = log;
  }

  /** Make sure these topics exist. Idempotent and cheap once a topic was declared. */
  async declare(topics: readonly string[]): Promise<void> {
    const fresh = [...new Set(topics)].filter((topic) => !this.#declared.has(topic));
    if (fresh.length > 0) {
      const creating = this.#create(fresh);
      for (const topic of fresh) this.#declared.set(topic, creating);
      // A failed declaration is forgotten, so the next call tries again; the caller sees the failure.
      void creating.catch(() => {
        for (const topic of fresh) if (this.#declared.get(topic) === creating) this.#declared.delete(topic);
      });
    }
    const declarations = new Set<Promise<void>>();
    for (const topic of topics) {
      const declaration = this.#declared.get(topic);
      if (declaration) declarations.add(declaration);
    }
    await Promise.all(declarations);
  }

  async #create(topics: string[]): Promise<void> {
    try {
      const existing = new Set(await this.#admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      const created = await this.#admin.createTopics({
        // kafkajs's own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a busy broker answers for a moment.
        waitForLeaders: false,
        timeout: CREATE_TIMEOUT_MS,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.#layout.partitions,
          replicationFactor: this.#layout.replicationFactor,
        })),
      });
      // false: another client created them a moment ago. Either way, wait until the broker serves them.
      await this.#waitUntilServed(missing);
      this.#log.info({ topics: missing, partitions: this.#layout.partitions, created }, "declared kafka topics");
    } catch (error) {
      throw kafkaFault(`declaring topics ${topics.join(", ")} failed`, error);
    }
  }

  /**
   * Metadata naming a leader is not enough: for a moment after a topic is created (KRaft propagates it to the
   * broker asynchronously) the broker still answers NOT_LEADER_FOR_PARTITION, and kafkajs's admin gives up on
   * that at once. Reading each topic's offsets succeeds only once every partition is served.
   */
  async #waitUntilServed(topics: string[]): Promise<void> {
    await Promise.all(
      topics.map((topic) =>
        retry(async () => {
          try {
            await this.#admin.fetchTopicOffsets(topic);
          } catch (error) {
            throw kafkaFault(`topic ${topic} is not served yet`, error);
          }
        }, LEADER_WAIT),
      ),
    );
  }
}
