import {
  AirlockError,
  formatPublicKey,
  generateReviewerKeyPair,
  loadConfig,
  reviewersFileLine,
  writeReviewerKey,
  reviewerKeysDir,
} from "@airlock/shared";
import { parseOrUsage } from "./approvals.js";
import type { Command } from "./index.js";

const USAGE = "usage: airlock keys generate --as REVIEWER [--force]\n";

/** `airlock keys generate --as REVIEWER`: a new Ed25519 key; the private half under AIRLOCK_KEYS, the public half printed. */
export const keys: Command = {
  summary: "generate --as REVIEWER: write a reviewer's private key under AIRLOCK_KEYS, print its reviewers-file line",
  async run(args) {
    const [sub, ...rest] = args;
    const parsed = parseOrUsage(rest, { as: { type: "string" }, force: { type: "boolean" } });
    if (
      sub !== "generate" ||
      !parsed ||
      parsed.positionals.length > 0 ||
      typeof parsed.values.as !== "string" ||
      parsed.values.as === ""
    ) {
      process.stderr.write(USAGE);
      return 2;
    }
    const reviewer = parsed.values.as;
    const config = loadConfig(process.env);
    const keysDir = reviewerKeysDir(config);
    const pair = generateReviewerKeyPair();
    try {
      const path = await writeReviewerKey(keysDir, reviewer, pair.privateKey, {
        overwrite: parsed.values.force === true,
      });
      process.stderr.write(
        `wrote the private key of ${reviewer} to ${path} (mode 0600)\nadd this line to the reviewers file (AIRLOCK_REVIEWERS):\n`,
      );
    } catch (error) {
      if (error instanceof AirlockError && error.code === "key_exists") {
        process.stderr.write(
          `airlock keys generate: ${error.message}; --force replaces it (votes signed with the old key stop counting)\n`,
        );
        return 1;
      }
      throw error;
    }
    process.stdout.write(`${reviewersFileLine(reviewer, formatPublicKey(pair.publicKey))}\n`);
    return 0;
  },
};
