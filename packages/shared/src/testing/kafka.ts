import { Kafka, logLevel } from "kafkajs";
import { parseKafkaUrl } from "../transport/kafka/settings.js";

/**
 * Delete the Kafka topics and consumer groups whose names start with one of these namespaces
 * (`<namespace>.`). Names are unique per run anyway; this keeps a shared broker from piling up thousands
 * of partitions, which slow its restarts and every client's metadata.
 */
export async function deleteKafkaNamespaced(
  url: string,
  namespaces: Iterable<string>,
): Promise<{ topics: number; groups: number }> {
  const prefixes = [...namespaces].map((namespace) => `${namespace}.`);
  if (prefixes.length === 0) return { topics: 0, groups: 0 };
  const ours = (name: string): boolean => prefixes.some((prefix) => name.startsWith(prefix));
  const admin = new Kafka({
    clientId: "airlock-test-cleanup",
    brokers: parseKafkaUrl(url).brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((group) => group.groupId).filter(ours);
    if (groups.length > 0) await admin.deleteGroups(groups);
    const topics = (await admin.listTopics()).filter(ours);
    if (topics.length > 0) await admin.deleteTopics({ topics });
    return { topics: topics.length, groups: groups.length };
  } finally {
    await admin.disconnect();
  }
}
