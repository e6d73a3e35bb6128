import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { join } from "node:path";
import {
  ConfigError,
  auditKeyId,
  formatPublicKey,
  parsePrivateKeyPem,
  privateKeyPem,
  publicKeyOf,
} from "@airlock/shared";

/** The audit service's checkpoint signing key, with the names it is known by. */
export interface AuditSigner {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** First 16 bytes of SHA-256 over the raw public key, hex. */
  keyId: string;
  /** `ed25519:<base64 raw key>`: what is served, printed and passed to `airlock audit verify --key`. */
  publicKeyText: string;
}

/** The file name of the signing key under AIRLOCK_DATA_DIR. */
export const SIGNING_KEY_FILE = "audit-key.pem";

/** A signer for an Ed25519 private key. */
export function signerFromKey(privateKey: KeyObject): AuditSigner {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new TypeError("the audit signing key must be Ed25519");
  const publicKey = publicKeyOf(privateKey);
  return { privateKey, publicKey, keyId: auditKeyId(publicKey), publicKeyText: formatPublicKey(publicKey) };
}

/**
 * The signing key in `<dataDir>/audit-key.pem` (PKCS#8 PEM), generated on first start (file 0600,
 * directory 0700). Two processes starting together on one data directory agree on one key: the file is
 * created exclusively and the loser reads the winner's.
 */
export async function loadOrCreateSigningKey(
  dataDir: string,
): Promise<{ signer: AuditSigner; path: string; created: boolean }> {
  const path = join(dataDir, SIGNING_KEY_FILE);
  const existing = await readKey(path);
  if (existing) return { signer: signerFromKey(existing), path, created: false };
  const { privateKey } = generateKeyPairSync("ed25519");
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, privateKeyPem(privateKey), { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new ConfigError(
        `AIRLOCK_DATA_DIR: cannot write the audit signing key ${path}: ${(error as Error).message}`,
      );
    }
    const winner = await readKey(path);
    if (!winner) throw new ConfigError(`AIRLOCK_DATA_DIR: ${path} appeared but cannot be read`);
    return { signer: signerFromKey(winner), path, created: false };
  }
  // The mode given to writeFile is filtered by the umask: set it exactly.
  await chmod(path, 0o600);
  return { signer: signerFromKey(privateKey), path, created: true };
}

async function readKey(path: string): Promise<KeyObject | undefined> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`AIRLOCK_DATA_DIR: cannot read the audit signing key ${path}: ${(error as Error).message}`);
  }
  try {
    return parsePrivateKeyPem(pem, path);
  } catch (error) {
    throw new ConfigError(`AIRLOCK_DATA_DIR: ${(error as Error).message}`);
  }
}
