import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";

/** The prefix of a reviewer's public key as the reviewers file writes it: `ed25519:<base64 of the raw 32-byte key>`. */
export const PUBLIC_KEY_PREFIX = "ed25519:";

const RAW_KEY_BYTES = 32;

/** A reviewer's new key pair. */
export interface ReviewerKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A new Ed25519 key pair for a reviewer. */
export function generateReviewerKeyPair(): ReviewerKeyPair {
  return generateKeyPairSync("ed25519");
}

/** `ed25519:<base64 raw key>`: the public key as the reviewers file holds it. */
export function formatPublicKey(publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType !== "ed25519") throw new TypeError("not an Ed25519 key");
  // The JWK `x` member is exactly the raw 32-byte public key, base64url-encoded (RFC 8037 §2).
  const { x } = publicKey.export({ format: "jwk" });
  if (typeof x !== "string") throw new TypeError("not an Ed25519 public key");
  return PUBLIC_KEY_PREFIX + Buffer.from(x, "base64url").toString("base64");
}

/**
 * The public key of `ed25519:<base64>`, or a reason when the text is not one. A value rather than an
 * exception: the reviewers-file parser reports every bad line at once.
 */
export function parsePublicKey(text: string): { ok: true; key: KeyObject } | { ok: false; reason: string } {
  if (!text.startsWith(PUBLIC_KEY_PREFIX)) return { ok: false, reason: `must start with "${PUBLIC_KEY_PREFIX}"` };
  const encoded = text.slice(PUBLIC_KEY_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return { ok: false, reason: "the key is not base64" };
  const raw = Buffer.from(encoded, "base64");
  if (raw.byteLength !== RAW_KEY_BYTES) {
    return { ok: false, reason: `an Ed25519 public key is ${RAW_KEY_BYTES} bytes; this one is ${raw.byteLength}` };
  }
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
    return { ok: true, key };
  } catch (error) {
    return { ok: false, reason: `not an Ed25519 public key: ${(error as Error).message}` };
  }
}

/** A private key as a PKCS#8 PEM, the form key files hold. */
export function privateKeyPem(privateKey: KeyObject): string {
  return privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

/** The Ed25519 private key of a PKCS#8 PEM; throws a TypeError naming `where` when it is not one. */
export function parsePrivateKeyPem(pem: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw new TypeError(`${where}: not a PEM private key`, { cause: error });
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new TypeError(`${where}: not an Ed25519 key (${key.asymmetricKeyType})`);
  return key;
}

/** The public half of a private key. */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}
