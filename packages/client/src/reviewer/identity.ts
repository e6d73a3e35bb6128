import type { KeyObject } from "node:crypto";
import { ConfigError, newId, readReviewerKey, signVote, type SignedVote } from "@airlock/shared";

/** A reviewer's answer. */
export type BallotVerdict = SignedVote["verdict"];

/** What a reviewer decides about one request; the vote id is generated unless given. */
export interface Ballot {
  request_id: string;
  /** The `action_digest` of the request: the vote counts only for exactly that action. */
  action_digest: string;
  verdict: BallotVerdict;
  comment?: string;
  vote_id?: string;
}

/** A reviewer who can sign votes. */
export interface Reviewer {
  readonly id: string;
  /** A vote signed with this reviewer's Ed25519 key, ready to publish or POST. */
  sign(ballot: Ballot): SignedVote;
}

/** A reviewer from a private key already in hand. */
export function createReviewer(id: string, privateKey: KeyObject): Reviewer {
  return {
    id,
    sign: (ballot) =>
      signVote(
        {
          vote_id: ballot.vote_id ?? newId(),
          request_id: ballot.request_id,
          action_digest: ballot.action_digest,
          reviewer: id,
          verdict: ballot.verdict,
          ...(ballot.comment === undefined ? {} : { comment: ballot.comment }),
        },
        privateKey,
      ),
  };
}

/** Options of {@link loadReviewer}. */
export interface LoadReviewerOptions {
  /** The reviewer id, as registered in the reviewers file. */
  reviewer: string;
  /** The private key directory; default AIRLOCK_KEYS, read when this is called. */
  keysDir?: string;
}

/** The reviewer whose private key `airlock keys generate --as <id>` wrote under the key directory. */
export async function loadReviewer(options: LoadReviewerOptions): Promise<Reviewer> {
  const keysDir = options.keysDir ?? process.env["AIRLOCK_KEYS"];
  if (!keysDir) throw new ConfigError("AIRLOCK_KEYS: not set; point it at the directory holding your reviewer key");
  return createReviewer(options.reviewer, await readReviewerKey(keysDir, options.reviewer));
}
