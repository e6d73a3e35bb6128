import { canonicalize, sha256Hex } from "@airlock/shared";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../src/index.js";

const HEAD = "version: 1\nname: t\ndefaults: { action: allow }\n";

describe("policy.version", () => {
  const yamlText = `${HEAD}rules:\n  - { name: r, when: { tool: t }, action: deny }\n`;
  const version = (text: string) => {
    const loaded = loadPolicy(text);
    if (!loaded.ok) throw new Error("invalid");
    return loaded.policy.identity.version;
  };

  it("is the same for the same document, however it is written (YAML, JSON, comments, key order)", () => {
    const json = JSON.stringify(
      {
        rules: [{ action: "deny", when: { tool: "t" }, name: "r" }],
        defaults: { action: "allow" },
        name: "t",
        version: 1,
      },
      null,
      2,
    );
    const commented = `# a comment\n${yamlText.replace("name: t\n", "name: t # the name\n")}`;
    expect(version(json)).toBe(version(yamlText));
    expect(version(commented)).toBe(version(yamlText));
  });

  it("is the SHA-256 of the canonical JSON of the document", () => {
    const doc = {
      version: 1,
      name: "t",
      defaults: { action: "allow" },
      rules: [{ name: "r", when: { tool: "t" }, action: "deny" }],
    };
    expect(version(yamlText)).toBe(sha256Hex(canonicalize(doc)));
  });

  it("changes with any change of meaning", () => {
    expect(version(yamlText.replace("action: deny", "action: audit"))).not.toBe(version(yamlText));
  });
});
