import { createHmac, timingSafeEqual } from "node:crypto";

/** The header carrying a webhook body's HMAC: `sha256=<hex>`. */
export const SIGNATURE_HEADER = "x-airlock-signature";
/** The header carrying when the request was built (unix seconds; the body's `airlock.sent_at` is the signed copy). */
export const TIMESTAMP_HEADER = "x-airlock-timestamp";

/** `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with AIRLOCK_WEBHOOK_SECRET. */
export function signWebhookBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Whether `header` is the signature of `body` under `secret`: what a receiver checks before trusting a
 * notification. Compared in constant time, so the check leaks nothing about the expected value.
 */
export function verifyWebhookSignature(body: string | Buffer, header: string | undefined, secret: string): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signWebhookBody(body, secret));
  const given = Buffer.from(header);
  return given.byteLength === expected.byteLength && timingSafeEqual(given, expected);
}
