import { access, copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  formatPublicKey,
  generateReviewerKeyPair,
  reviewersFileLine,
  reviewerKeysDir,
  writeReviewerKey,
  type Config,
  type Logger,
} from "@airlock/shared";

/** The reviewers of the embedded demo: the finance-admins pool of the default policy, and an ops lead. */
export const DEMO_REVIEWERS = [
  "alice@corp.example",
  "bob@corp.example",
  "carol@corp.example",
  "olivia@corp.example",
] as const;

/** The example policy `airlock start` uses when AIRLOCK_POLICY is not set. */
const DEFAULT_POLICY = fileURLToPath(new URL("../../../../examples/policies/finance.yaml", import.meta.url));

/** What the embedded default adds to the configuration. */
export interface EmbeddedSetup {
  policyPath: string;
  reviewersPath: string;
  keysDir: string;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * With no AIRLOCK_POLICY or AIRLOCK_REVIEWERS, give `airlock start` something to run on the first try:
 * a copy of the example policy (edit it: it is reloaded on change) and a key pair for each demo reviewer,
 * all under AIRLOCK_DATA_DIR. Made once; later starts reuse them.
 */
export async function prepareEmbedded(config: Config, logger: Logger): Promise<Partial<EmbeddedSetup>> {
  const dataDir = path.resolve(config.AIRLOCK_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const setup: Partial<EmbeddedSetup> = {};
  if (!config.AIRLOCK_POLICY) {
    const policyPath = path.join(dataDir, "policy.yaml");
    if (!(await exists(policyPath))) {
      await copyFile(DEFAULT_POLICY, policyPath);
      logger.info({ policy: policyPath }, "wrote the example policy");
    }
    setup.policyPath = policyPath;
  }
  if (!config.AIRLOCK_REVIEWERS) {
    const reviewersPath = path.join(dataDir, "reviewers.yaml");
    const keysDir = path.resolve(reviewerKeysDir(config));
    if (!(await exists(reviewersPath))) {
      const lines = ["# Demo reviewers made by `airlock start`; their private keys are in " + keysDir];
      for (const reviewer of DEMO_REVIEWERS) {
        const pair = generateReviewerKeyPair();
        await writeReviewerKey(keysDir, reviewer, pair.privateKey, { overwrite: true });
        lines.push(reviewersFileLine(reviewer, formatPublicKey(pair.publicKey)));
      }
      await writeFile(reviewersPath, lines.join("\n") + "\n", { mode: 0o644 });
      logger.info({ reviewers: reviewersPath, keys: keysDir }, "made demo reviewer keys");
    }
    setup.reviewersPath = reviewersPath;
    setup.keysDir = keysDir;
  }
  return setup;
}
