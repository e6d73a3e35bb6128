import { sign, verify, type KeyObject } from "node:crypto";
import { canonicalBytes } from "../canonical-json.js";
import { canonicalId } from "../identity.js";
import type { EventData } from "../events/registry.js";
import type { ReviewerKeys } from "./reviewers-file.js";

/** A vote as signed and published: the data of `airlock.vote.cast`. */
export type SignedVote = EventData<"airlock.vote.cast">;

/** A vote before it is signed: everything but the signature. */
export type UnsignedVote = Omit<SignedVote, "signature">;

/** Whether a vote is what its reviewer signed. */
export type Authenticity = "valid" | "unknown_reviewer" | "bad_signature";

/** The bytes a vote's signature covers: the canonical JSON (RFC 8785) of the vote without `signature`. */
export function voteSigningBytes(vote: UnsignedVote | SignedVote): Buffer {
  const { signature: _signature, ...unsigned } = vote as SignedVote;
  return canonicalBytes(unsigned);
}

/** Sign a vote with the reviewer's Ed25519 private key; the signature is base64. */
export function signVote(vote: UnsignedVote, privateKey: KeyObject): SignedVote {
  // Ed25519 hashes internally, so the algorithm argument is null (node:crypto's convention).
  const signature = sign(null, voteSigningBytes(vote), privateKey).toString("base64");
  return { ...vote, signature };
}

/**
 * Check a vote against the reviewers' registered public keys: `unknown_reviewer` when the reviewer has
 * no key, `bad_signature` when the signature is not theirs over exactly this vote (any field changed,
 * malformed base64, wrong length).
 */
export function verifyVote(vote: SignedVote, reviewers: ReviewerKeys): Authenticity {
  const key = reviewers.get(canonicalId(vote.reviewer));
  if (!key) return "unknown_reviewer";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(vote.signature)) return "bad_signature";
  const signature = Buffer.from(vote.signature, "base64");
  // An Ed25519 signature is 64 bytes; anything else is refused before it reaches OpenSSL.
  if (signature.byteLength !== 64) return "bad_signature";
  return verify(null, voteSigningBytes(vote), key, signature) ? "valid" : "bad_signature";
}
