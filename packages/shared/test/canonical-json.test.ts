import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { actionDigest, canonicalize, canonicalizeCarefully, sha256Hex } from "../src/index.js";

function fromHex(hex: string): number {
  return Buffer.from(hex, "hex").readDoubleBE(0);
}

describe("canonicalize (RFC 8785)", () => {
  // RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
  const numbers: [string, string][] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];
  it.each(numbers)("serialises the number 0x%s as %s", (hex, text) => {
    expect(canonicalize(fromHex(hex))).toBe(text);
  });

  it.each([["7fffffffffffffff"], ["7ff0000000000000"], ["fff0000000000000"]])(
    "refuses NaN and infinities (0x%s)",
    (hex) => {
      expect(() => canonicalize(fromHex(hex))).toThrow(TypeError);
    },
  );

  it("matches the RFC's §3.2.2 example", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts keys by UTF-16 code units as in the RFC's §3.2.3 example", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const order = Object.values(JSON.parse(canonicalize(input)) as Record<string, string>);
    // Object.values reorders integer-like keys first; read the order off the text instead.
    expect(order).toContain("One");
    const text = canonicalize(input);
    const positions = [
      "Carriage Return",
      "One",
      "Control",
      "Latin Small Letter O With Diaeresis",
      "Euro Sign",
      "Emoji: Grinning Face",
      "Hebrew Letter Dalet With Dagesh",
    ].map((value) => text.indexOf(value));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it("escapes control characters in lowercase hex and leaves other characters as they are", () => {
    expect(canonicalize("\u0000\u001f\b\t\n\f\r\u007f\u2028é😀")).toBe(
      '"\\u0000\\u001f\\b\\t\\n\\f\\r\u007f\u2028é😀"',
    );
  });

  it("refuses lone surrogates, circular values and non-JSON types", () => {
    expect(() => canonicalize("\ud800")).toThrow(/lone surrogate/);
    expect(() => canonicalize({ ["\udc00"]: 1 })).toThrow(/lone surrogate/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => canonicalize(circular)).toThrow(/circular/);
    expect(() => canonicalize(10n)).toThrow(TypeError);
    expect(() => canonicalize({ f: () => 1 })).toThrow(TypeError);
  });

  it("drops undefined object members as JSON does, and keeps a repeated (non-circular) object", () => {
    const shared = { a: 1 };
    expect(canonicalize({ b: undefined, x: shared, y: shared })).toBe('{"x":{"a":1},"y":{"a":1}}');
  });

  it("is a fixed point of JSON.parse for any JSON value, and independent of key order", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(record));
      }),
    );
  });
});

// Random JSON-ish values that reach both of canonicalize's paths: unicode (lone surrogates included)
// and integer-like or `__proto__` keys, numbers at RFC 8785's edges, nested arrays, undefined members.
const edgeNumbers = fc.constantFrom(
  0,
  -0,
  1e21,
  1e-7,
  5e-324,
  -1e21,
  1e20,
  123456789012345680000,
  0.1,
  -1.5e-7,
  2 ** 53,
);
const edgeKeys = fc.constantFrom(
  "",
  "0",
  "1",
  "10",
  "9",
  "01",
  "-1",
  "1.5",
  "__proto__",
  "toJSON",
  "é",
  "\u20ac",
  "😀",
  "\ud800",
  "a\\ud",
);
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    edgeNumbers,
    fc.integer(),
    fc.string({ unit: "grapheme" }),
    fc.string({ unit: "binary" }), // any code units, lone surrogates included
    fc.string(),
    tie("array"),
    tie("object"),
  ),
  array: fc.array(fc.oneof(tie("value"), fc.constant(undefined)), { maxLength: 5 }),
  object: fc
    .array(
      fc.tuple(
        fc.oneof(fc.string({ unit: "binary" }), fc.string(), edgeKeys),
        fc.oneof(tie("value"), fc.constant(undefined)),
      ),
      { maxLength: 6 },
    )
    .map((members) => {
      // defineProperty: a "__proto__" key must be an own member, as JSON.parse makes it.
      const record: Record<string, unknown> = {};
      for (const [key, value] of members) {
        Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return record;
    }),
}));

/** canonicalize's verdict as text, or the error it throws. */
function outcome(run: (value: unknown) => string, value: unknown): string {
  try {
    return run(value);
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe("canonicalize's fast path against its careful writer", () => {
  it("writes the same text, or refuses with the same error, for any value", () => {
    fc.assert(
      fc.property(jsonish.value, (value) => {
        expect(outcome(canonicalize, value)).toBe(outcome(canonicalizeCarefully, value));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on the published edge cases: -0, 1e21, 1e-7, integer-like and __proto__ keys", () => {
    const proto = JSON.parse('{"__proto__":{"x":1},"a":[1e21,1e-7,-0,[[]]]}') as unknown;
    const cases: unknown[] = [
      { b: -0, a: 1e21, c: 1e-7 },
      { "10": "ten", "9": "nine", a: 1, "": 0 },
      { "": 0, "9": 1, "!": 2 },
      { "": 0, "0": 1 },
      proto,
      [[[1, [2, [3]]]], { z: { y: { x: [] } } }],
      { "\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\ud83d\ude00": 5, "\u0080": 6, "\u00f6": 7 },
      { path: "C:\\udp\\logs" },
    ];
    for (const value of cases) expect(canonicalize(value)).toBe(canonicalizeCarefully(value));
    expect(canonicalize(proto)).toBe('{"__proto__":{"x":1},"a":[1e+21,1e-7,0,[[]]]}');
    expect(canonicalize({ "10": 0, "9": 0, a: 0 })).toBe('{"10":0,"9":0,"a":0}');
  });

  it("never calls a toJSON, even one added to Object.prototype", () => {
    const date = new Date(0);
    expect(canonicalize({ when: date })).toBe('{"when":{}}');
    const prototype = Object.prototype as { toJSON?: () => string };
    prototype.toJSON = () => "polluted";
    try {
      expect(canonicalize({ b: 1, a: [2] })).toBe('{"a":[2],"b":1}');
    } finally {
      delete prototype.toJSON;
    }
  });

  it("writes a sparse array's holes as null", () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(canonicalize([1, , 3])).toBe("[1,null,3]");
  });
});

describe("actionDigest", () => {
  it("is the SHA-256 of the canonical {agent_id, tool, args}", () => {
    const digest = actionDigest({ agent_id: "a", tool: "t", args: { y: 2, x: 1 } });
    expect(digest).toBe(sha256Hex('{"agent_id":"a","args":{"x":1,"y":2},"tool":"t"}'));
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with any argument", () => {
    const base = { agent_id: "a", tool: "payments.transfer", args: { amount: 100, to: "acct-1" } };
    expect(actionDigest({ ...base, args: { amount: 100, to: "acct-2" } })).not.toBe(actionDigest(base));
    expect(actionDigest({ ...base, args: { amount: 100.5, to: "acct-1" } })).not.toBe(actionDigest(base));
    expect(actionDigest({ ...base, agent_id: "b" })).not.toBe(actionDigest(base));
  });
});
