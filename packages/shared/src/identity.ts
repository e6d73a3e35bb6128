/**
 * The one form in which principal ids — reviewers, requesters (`context.user`) — are compared: Unicode
 * NFC, surrounding white space trimmed, lower case. "Alice@Corp.example", " alice@corp.example" and the
 * decomposed "é" of a copied name are one person to the self-approval ban, to pool membership and to
 * "one vote per reviewer"; compared as sent, each spelling was a new person, and a requester could
 * approve their own call under a second spelling. Ids are stored and shown as sent.
 */
export function canonicalId(id: string): string {
  return id.normalize("NFC").trim().toLowerCase();
}

/** Whether two principal ids name the same principal ({@link canonicalId}); an absent id names nobody. */
export function sameId(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  return canonicalId(a) === canonicalId(b);
}
