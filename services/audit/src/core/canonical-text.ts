import { canonicalize } from "@airlock/shared/verifier";

/** A top-level member that is neither a string nor null: it can equal no column. */
export const NOT_A_STRING: unique symbol = Symbol("not a string");

/** The envelope members the log copies into its query columns, as the stored text holds them. */
export interface EnvelopeFields {
  /** The decoded string, null, {@link NOT_A_STRING}, or undefined when the member is absent. */
  id: string | null | typeof NOT_A_STRING | undefined;
  type: string | null | typeof NOT_A_STRING | undefined;
  subject: string | null | typeof NOT_A_STRING | undefined;
}

/**
 * Read a stored event without parsing it into objects: check in one pass that `text` is a JSON object
 * written exactly as RFC 8785 writes it — no whitespace, members in strictly increasing UTF-16 order at
 * every level, every number in ECMAScript's shortest form, every string escaped as JSON.stringify escapes
 * it and free of lone surrogates — and pick out `id`, `type` and `subject` on the way.
 *
 * Returns undefined when the text is not such an object, or when the check cannot tell (nesting too deep
 * for the stack): the caller then asks the reference, {@link referenceReadEvent} —
 * `canonicalize(JSON.parse(text)) === text` — which also says whether the text is JSON at all. So this
 * needs to be sound only where it answers: whatever it accepts, the reference accepts with the same
 * fields (property-tested). It exists because the verifier reads every entry of the log, and parsing
 * then re-canonicalising each cost more than everything else it does per entry put together.
 */
export function readCanonicalEvent(text: string): EnvelopeFields | undefined {
  const scan = new Scan(text);
  try {
    return scan.event();
  } catch (error) {
    if (error === REJECT || error instanceof RangeError) return undefined;
    throw error;
  }
}

/** Why {@link referenceReadEvent} refused a text: it is not JSON, or not written as RFC 8785 writes it. */
export interface ReferenceRefusal {
  refused: "not JSON" | "not canonical";
}

/**
 * The definition {@link readCanonicalEvent} is a shortcut for, asked when that reader does not answer:
 * the text must parse, and canonicalising what it parses to must give the text back; then these are its
 * members. A canonical text that is not an object (`1`, `[]`, `null`) has none, so every field is undefined.
 */
export function referenceReadEvent(text: string): EnvelopeFields | ReferenceRefusal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { refused: "not JSON" };
  }
  let canonical: string | undefined;
  try {
    canonical = canonicalize(parsed);
  } catch {
    canonical = undefined;
  }
  if (canonical !== text) return { refused: "not canonical" };
  const envelope = (parsed ?? {}) as { id?: unknown; type?: unknown; subject?: unknown };
  return { id: member(envelope.id), type: member(envelope.type), subject: member(envelope.subject) };
}

function member(value: unknown): EnvelopeFields["id"] {
  return value === undefined || value === null || typeof value === "string" ? value : NOT_A_STRING;
}

// One preallocated error, thrown and caught by identity: a rejection costs no stack trace.
const REJECT = new Error("not canonical JSON");

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;

class Scan {
  readonly #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  event(): EnvelopeFields {
    const fields: EnvelopeFields = { id: undefined, type: undefined, subject: undefined };
    if (this.#text.charCodeAt(0) !== OPEN_BRACE) throw REJECT;
    this.#object(fields);
    if (this.#at !== this.#text.length) throw REJECT;
    return fields;
  }

  /** An object at `#at`; with `fields`, the top level, whose id, type and subject are kept. */
  #object(fields?: EnvelopeFields): void {
    const text = this.#text;
    this.#at++;
    if (text.charCodeAt(this.#at) === CLOSE_BRACE) {
      this.#at++;
      return;
    }
    let previous: string | undefined;
    for (;;) {
      if (text.charCodeAt(this.#at) !== QUOTE) throw REJECT;
      const key = this.#string(true)!;
      // Strictly increasing: sorted as RFC 8785 §3.2.3 sorts (UTF-16 code units), and no repeats.
      if (previous !== undefined && !(previous < key)) throw REJECT;
      previous = key;
      if (text.charCodeAt(this.#at) !== COLON) throw REJECT;
      this.#at++;
      if (fields && (key === "id" || key === "type" || key === "subject")) fields[key] = this.#member();
      else this.#value();
      const next = text.charCodeAt(this.#at++);
      if (next === COMMA) continue;
      if (next === CLOSE_BRACE) return;
      throw REJECT;
    }
  }

  /** A top-level member worth keeping: a string (decoded), null, or anything else as NOT_A_STRING. */
  #member(): string | null | typeof NOT_A_STRING {
    const first = this.#text.charCodeAt(this.#at);
    if (first === QUOTE) return this.#string(true)!;
    this.#value();
    return first === 0x6e ? null : NOT_A_STRING; // "n": the value was the literal null
  }

  #value(): void {
    const text = this.#text;
    const first = text.charCodeAt(this.#at);
    if (first === QUOTE) {
      this.#string(false);
    } else if (first === OPEN_BRACE) {
      this.#object();
    } else if (first === OPEN_BRACKET) {
      this.#array();
    } else if (first === MINUS || (first >= 0x30 && first <= 0x39)) {
      this.#number();
    } else if (first === 0x74 /* t */ && text.startsWith("true", this.#at)) {
      this.#at += 4;
    } else if (first === 0x66 /* f */ && text.startsWith("false", this.#at)) {
      this.#at += 5;
    } else if (first === 0x6e /* n */ && text.startsWith("null", this.#at)) {
      this.#at += 4;
    } else {
      throw REJECT;
    }
  }

  #array(): void {
    const text = this.#text;
    this.#at++;
    if (text.charCodeAt(this.#at) === CLOSE_BRACKET) {
      this.#at++;
      return;
    }
    for (;;) {
      this.#value();
      const next = text.charCodeAt(this.#at++);
      if (next === COMMA) continue;
      if (next === CLOSE_BRACKET) return;
      throw REJECT;
    }
  }

  /**
   * A number: the longest run of number characters must be exactly how ECMAScript writes the number it
   * denotes (RFC 8785 §3.2.2.3): that rules out "1.0", "1E3", "-0", "01", "+1", ".5" and the like.
   */
  #number(): void {
    const text = this.#text;
    const start = this.#at;
    let at = start;
    for (;;) {
      const c = text.charCodeAt(at);
      // 0-9 . - + e E
      if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === MINUS || c === 0x2b || c === 0x65 || c === 0x45) at++;
      else break;
    }
    const token = text.slice(start, at);
    if (String(Number(token)) !== token) throw REJECT;
    this.#at = at;
  }

  /**
   * A string at `#at` (its opening quote), escaped exactly as JSON.stringify escapes: `\"`, `\\`, the
   * five short escapes, `\u00xx` (lowercase) for the other control characters and nothing else; no lone
   * surrogate. Returns the decoded string when `decode`.
   */
  #string(decode: boolean): string | undefined {
    const text = this.#text;
    const start = this.#at + 1;
    let at = start;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(at++);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = text.charCodeAt(at++);
        if (e === 0x75 /* u */) {
          // Only control characters without a short escape: \u0000-\u0007, \u000b, \u000e-\u001f.
          if (text.charCodeAt(at) !== 0x30 || text.charCodeAt(at + 1) !== 0x30) throw REJECT;
          const high = text.charCodeAt(at + 2);
          const low = hexDigit(text.charCodeAt(at + 3));
          if (high === 0x30) {
            if (low < 0 || low === 0x8 || low === 0x9 || low === 0xa || low === 0xc || low === 0xd) throw REJECT;
          } else if (high !== 0x31 || low < 0) {
            throw REJECT;
          }
          at += 4;
        } else if (
          e !== QUOTE &&
          e !== BACKSLASH &&
          e !== 0x62 /* b */ &&
          e !== 0x66 /* f */ &&
          e !== 0x6e /* n */ &&
          e !== 0x72 /* r */ &&
          e !== 0x74 /* t */
        ) {
          throw REJECT;
        }
      } else if (!(c >= 0x20)) {
        // A raw control character, or the end of the text (NaN) before the closing quote.
        throw REJECT;
      } else if (c >= 0xd800 && c <= 0xdfff) {
        // A surrogate must be a high one followed by a low one.
        const next = text.charCodeAt(at);
        if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) throw REJECT;
        at++;
      }
    }
    this.#at = at;
    if (!decode) return undefined;
    return escaped ? (JSON.parse(text.slice(start - 1, at)) as string) : text.slice(start, at - 1);
  }
}

/** The value of a lowercase hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}
