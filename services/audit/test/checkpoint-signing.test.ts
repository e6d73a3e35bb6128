import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  auditKeyId,
  checkpointSigningBytes,
  formatPublicKey,
  parseAuditPublicKey,
  signCheckpoint,
  verifyCheckpointSignature,
  type UnsignedCheckpoint,
} from "@airlock/shared";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const unsigned: UnsignedCheckpoint = {
  chain: "main",
  tree_size: 8,
  root_hash: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  head_hash: "00".repeat(32),
  signed_at: "2025-01-01T00:00:00.000Z",
  key_id: auditKeyId(publicKey),
};

describe("checkpoint signatures", () => {
  it("signs the canonical JSON of the six signed fields and nothing else", () => {
    expect(checkpointSigningBytes(unsigned).toString()).toBe(
      `{"chain":"main","head_hash":"${"00".repeat(32)}","key_id":"${unsigned.key_id}","root_hash":"${unsigned.root_hash}","signed_at":"2025-01-01T00:00:00.000Z","tree_size":8}`,
    );
    const signed = signCheckpoint(unsigned, privateKey);
    const served = { ...signed, public_key: formatPublicKey(publicKey) };
    expect(verifyCheckpointSignature(served, publicKey)).toBe("valid");
  });

  it("refuses a changed field, another key and a malformed signature", () => {
    const signed = signCheckpoint(unsigned, privateKey);
    expect(verifyCheckpointSignature({ ...signed, tree_size: 9 }, publicKey)).toBe("bad_signature");
    expect(verifyCheckpointSignature({ ...signed, signature: "not base64!" }, publicKey)).toBe("bad_signature");
    expect(verifyCheckpointSignature(signed, generateKeyPairSync("ed25519").publicKey)).toBe("wrong_key");
  });

  it("reads public keys as ed25519:<base64> or PEM, with the same key id", () => {
    const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
    expect(auditKeyId(parseAuditPublicKey(pem))).toBe(unsigned.key_id);
    expect(auditKeyId(parseAuditPublicKey(formatPublicKey(publicKey)))).toBe(unsigned.key_id);
    expect(unsigned.key_id).toMatch(/^[0-9a-f]{32}$/);
    expect(() => parseAuditPublicKey("ed25519:AAAA")).toThrow(TypeError);
  });
});
