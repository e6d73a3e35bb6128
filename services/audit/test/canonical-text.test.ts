import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { canonicalize } from "@airlock/shared";
import { NOT_A_STRING, readCanonicalEvent, referenceReadEvent } from "../src/core/canonical-text.js";

const text = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string(),
  fc.constantFrom("", "a", "é", "😀", "\u2028", "\u007f"),
);
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, 1e20, -1.5e-7, 2 ** 53),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), number, text, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(text, fc.constantFrom("id", "type", "subject", "10", "9")), tie("value"), {
    maxKeys: 5,
  }),
}));
const event = fc.record(
  { id: json.value, type: json.value, subject: json.value, data: json.value, "": json.value, "~": json.value },
  { requiredKeys: [] },
);

/** Small edits of a text: a character dropped, doubled, replaced, or whitespace slipped in. */
const edited = fc
  .tuple(
    event.map((value) => canonicalize(value)),
    fc.nat(),
    fc.constantFrom("drop", "double", "replace", "space", "swapcase"),
    fc.constantFrom(...'"\\{}[]:,.-+0123456789eEtfnu ab\u0000\u001f\ud800\udc00'.split("")),
  )
  .map(([base, position, edit, char]) => {
    const at = base.length === 0 ? 0 : position % base.length;
    const here = base[at] ?? "";
    switch (edit) {
      case "drop":
        return base.slice(0, at) + base.slice(at + 1);
      case "double":
        return base.slice(0, at) + here + base.slice(at);
      case "replace":
        return base.slice(0, at) + char + base.slice(at + 1);
      case "space":
        return `${base.slice(0, at)} ${base.slice(at)}`;
      default:
        return (
          base.slice(0, at) +
          (here === here.toUpperCase() ? here.toLowerCase() : here.toUpperCase()) +
          base.slice(at + 1)
        );
    }
  });

describe("reading a stored event in one pass", () => {
  it("accepts every canonical event text, with the members JSON.parse finds", () => {
    fc.assert(
      fc.property(event, (value) => {
        const canonical = canonicalize(value);
        expect(readCanonicalEvent(canonical)).toEqual(referenceReadEvent(canonical));
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts nothing the definition refuses, and agrees on what it accepts", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          edited,
          event.map((value) => JSON.stringify(value, null, 1)),
          fc.string(),
        ),
        (candidate) => {
          const read = readCanonicalEvent(candidate);
          if (read !== undefined) expect(read).toEqual(referenceReadEvent(candidate));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['{"a":1,"a":1}', "a repeated member"],
    ['{"b":1,"a":2}', "members out of order"],
    ['{"a":1.0}', "a number not in shortest form"],
    ['{"a":1E+21}', "an uppercase exponent"],
    ['{"a":-0}', "minus zero"],
    ['{"a":"\\u0041"}', "an escape JSON.stringify would not write"],
    ['{"a":"\\u001F"}', "an uppercase hex escape"],
    ['{"a":"\\u001`"}', "an escape that is not hex"],
    ['{"a":"\\u0008"}', "\\u0008 where JSON.stringify writes \\b"],
    ['{"a":"\\u000a"}', "\\u000a where JSON.stringify writes \\n"],
    ['{"a":"\\u0020"}', "an escaped character that needs none"],
    ['{"a":"abc', "an unterminated string"],
    ['{"a":"\udc00\udc01"}', "two low surrogates"],
    ['{"a":"\\/"}', "an escaped solidus"],
    ['{"a":"\\ud800"}', "a lone surrogate"],
    ['{"a":"\u0001"}', "a raw control character"],
    ['{"a":1} ', "trailing whitespace"],
    ['{"a":1}{', "trailing garbage"],
    ['{"a":[1,]}', "a trailing comma"],
    ['{"a":tru}', "a broken literal"],
  ])("refuses %s (%s)", (candidate) => {
    expect(readCanonicalEvent(candidate)).toBeUndefined();
  });

  it("reads id, type and subject, including escaped, null and non-string ones", () => {
    expect(readCanonicalEvent('{"data":{"id":"inner"},"id":"e\\n1","subject":null,"type":7}')).toEqual({
      id: "e\n1",
      type: NOT_A_STRING,
      subject: null,
    });
    expect(readCanonicalEvent('{"x":1}')).toEqual({ id: undefined, type: undefined, subject: undefined });
  });
});
