import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import type { KeyObject } from "node:crypto";
import { join } from "node:path";
import { AirlockError, ConfigError } from "../errors.js";
import { parsePrivateKeyPem, privateKeyPem } from "./keys.js";

/**
 * The file holding a reviewer's private key in a key directory (`AIRLOCK_KEYS`). The id is
 * percent-encoded, so `alice@corp.example` and ids with `/` stay one file inside the directory.
 */
export function reviewerKeyPath(directory: string, reviewer: string): string {
  return join(directory, `${encodeURIComponent(reviewer)}.key`);
}

/**
 * Write a reviewer's private key (PKCS#8 PEM) under `directory`, readable by its owner only (0600; the
 * directory 0700). Refuses to replace an existing key unless `overwrite`: a lost key cannot be recovered.
 */
export async function writeReviewerKey(
  directory: string,
  reviewer: string,
  privateKey: KeyObject,
  options: { overwrite?: boolean } = {},
): Promise<string> {
  const path = reviewerKeyPath(directory, reviewer);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, privateKeyPem(privateKey), { mode: 0o600, flag: options.overwrite ? "w" : "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new AirlockError(`a key for ${reviewer} already exists at ${path}`, {
        code: "key_exists",
        retriable: false,
      });
    }
    throw error;
  }
  // The mode given to writeFile is filtered by the umask and ignored for an existing file: set it exactly.
  await chmod(path, 0o600);
  return path;
}

/** Read a reviewer's private key from `directory`; a missing or unreadable key is a ConfigError naming the file. */
export async function readReviewerKey(directory: string, reviewer: string): Promise<KeyObject> {
  const path = reviewerKeyPath(directory, reviewer);
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new ConfigError(
      missing
        ? `AIRLOCK_KEYS: no key for ${reviewer} (${path}); create one with \`airlock keys generate --as ${reviewer}\``
        : `AIRLOCK_KEYS: cannot read ${path}: ${(error as Error).message}`,
    );
  }
  try {
    return parsePrivateKeyPem(pem, path);
  } catch (error) {
    throw new ConfigError(`AIRLOCK_KEYS: ${(error as Error).message}`);
  }
}
