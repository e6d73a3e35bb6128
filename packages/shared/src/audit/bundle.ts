import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { canonicalize } from "../canonical-json.js";
import { AuditCheckpoint } from "../events/data.js";
import { parseAuditPublicKey, verifyCheckpointSignature, type SignedCheckpoint } from "./checkpoint.js";
import { hashFromHex, leafHash, sameHash } from "./hashes.js";
import { verifyConsistency, verifyInclusion } from "./proofs.js";

const hexHash = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters");
const count = z.number().int().min(0);

/**
 * Proof that one log entry is in a signed checkpoint (GET /v1/audit/proofs/:seq): the entry as stored
 * (canonical JSON), its leaf index `seq`, the RFC 6962 audit path and the checkpoint it leads to.
 */
export const InclusionProofSchema = z.object({
  chain: z.string(),
  seq: count,
  event: z.string(),
  leaf_hash: hexHash,
  tree_size: count,
  path: z.array(hexHash),
  checkpoint: AuditCheckpoint,
});

/** An inclusion proof bundle. */
export type InclusionProof = z.output<typeof InclusionProofSchema>;

/** Proof that checkpoint `from` is a prefix of checkpoint `to` (RFC 6962 §2.1.2). */
export const ConsistencyProofSchema = z.object({
  chain: z.string(),
  from: AuditCheckpoint,
  to: AuditCheckpoint,
  path: z.array(hexHash),
});

/** A consistency proof bundle. */
export type ConsistencyProof = z.output<typeof ConsistencyProofSchema>;

/** What offline verification found: a value, with the reason when the proof does not hold. */
export type ProofCheck = { ok: true } | { ok: false; reason: string };

/**
 * Verify an inclusion proof offline with nothing but the audit public key: the checkpoint's signature,
 * that the entry is canonical JSON hashing to its leaf hash, and that the audit path leads from that leaf
 * to the checkpoint's root. Pass `checkpoint` to check against one you kept yourself rather than the one
 * the proof carries.
 */
export function verifyInclusionProof(
  proof: unknown,
  publicKey: KeyObject | string,
  checkpoint?: SignedCheckpoint,
): ProofCheck {
  const parsed = InclusionProofSchema.safeParse(proof);
  if (!parsed.success) return fail(`not an inclusion proof: ${z.prettifyError(parsed.error)}`);
  const p = parsed.data;
  const trusted = checkpoint ?? p.checkpoint;
  const signature = checkCheckpointSignature(trusted, publicKey);
  if (!signature.ok) return signature;
  if (trusted.chain !== p.chain)
    return fail(`the proof is for chain "${p.chain}", the checkpoint for "${trusted.chain}"`);
  if (trusted.tree_size !== p.tree_size) {
    return fail(`the proof is for tree size ${p.tree_size}, the checkpoint has ${trusted.tree_size}`);
  }
  if (p.seq >= p.tree_size) return fail(`entry ${p.seq} is not within the first ${p.tree_size} entries`);
  const canonical = canonicalText(p.event);
  if (!canonical.ok) return canonical;
  const leaf = leafHash(p.event);
  if (!sameHash(leaf, hashFromHex(p.leaf_hash)!)) return fail("the entry does not hash to its leaf hash");
  const root = hashFromHex(trusted.root_hash)!;
  if (!verifyInclusion(leaf, p.seq, p.tree_size, p.path.map(fromHex), root)) {
    return fail(`the audit path does not lead from entry ${p.seq} to the checkpoint's root`);
  }
  return { ok: true };
}

/**
 * Verify a consistency proof offline: both checkpoints' signatures under `publicKey`, and that the older
 * tree is a prefix of the newer one. Pass `from`/`to` to use checkpoints you kept yourself.
 */
export function verifyConsistencyProof(
  proof: unknown,
  publicKey: KeyObject | string,
  kept: { from?: SignedCheckpoint; to?: SignedCheckpoint } = {},
): ProofCheck {
  const parsed = ConsistencyProofSchema.safeParse(proof);
  if (!parsed.success) return fail(`not a consistency proof: ${z.prettifyError(parsed.error)}`);
  const from = kept.from ?? parsed.data.from;
  const to = kept.to ?? parsed.data.to;
  for (const checkpoint of [from, to]) {
    const signature = checkCheckpointSignature(checkpoint, publicKey);
    if (!signature.ok) return signature;
  }
  if (from.chain !== to.chain) return fail(`the checkpoints are of chains "${from.chain}" and "${to.chain}"`);
  if (from.tree_size > to.tree_size) return fail(`tree size ${from.tree_size} is after ${to.tree_size}`);
  const ok = verifyConsistency(
    from.tree_size,
    to.tree_size,
    parsed.data.path.map(fromHex),
    hashFromHex(from.root_hash)!,
    hashFromHex(to.root_hash)!,
  );
  return ok
    ? { ok: true }
    : fail(`the log at ${from.tree_size} entries is not a prefix of the log at ${to.tree_size} entries`);
}

/** Whether a checkpoint was signed by this key. */
export function checkCheckpointSignature(checkpoint: SignedCheckpoint, publicKey: KeyObject | string): ProofCheck {
  let key: KeyObject;
  try {
    key = typeof publicKey === "string" ? parseAuditPublicKey(publicKey) : publicKey;
  } catch (error) {
    return fail((error as Error).message);
  }
  const check = verifyCheckpointSignature(checkpoint, key);
  if (check === "wrong_key")
    return fail(`checkpoint ${checkpoint.tree_size} was signed by key ${checkpoint.key_id}, not by this key`);
  if (check === "bad_signature") return fail(`checkpoint ${checkpoint.tree_size} has a bad signature`);
  return { ok: true };
}

function canonicalText(text: string): ProofCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("the entry is not JSON");
  }
  try {
    if (canonicalize(value) === text) return { ok: true };
  } catch (error) {
    return fail(`the entry cannot be canonical JSON: ${(error as Error).message}`);
  }
  return fail("the entry is not RFC 8785 canonical JSON");
}

function fromHex(hex: string): Buffer {
  return Buffer.from(hex, "hex");
}

function fail(reason: string): ProofCheck {
  return { ok: false, reason };
}
