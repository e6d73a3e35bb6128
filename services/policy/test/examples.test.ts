import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatPolicyError, loadPolicy, parseCases, runCases } from "../src/index.js";

// Every example policy in examples/policies/ loads, and passes its `<name>.cases.yaml`; and each of its
// rules decides at least one case, so an example never carries a rule nobody checked.

const DIR = new URL("../../../examples/policies/", import.meta.url);
const policies = readdirSync(DIR).filter((file) => /\.(ya?ml|json)$/.test(file) && !file.includes(".cases."));

describe("examples/policies", () => {
  it("has examples, and the one `airlock start` uses (finance.yaml)", () => {
    expect(policies).toContain("finance.yaml");
    expect(policies.length).toBeGreaterThanOrEqual(3);
  });

  describe.each(policies)("%s", (file) => {
    const text = readFileSync(new URL(file, DIR), "utf8");
    const casesFile = file.replace(/\.(ya?ml|json)$/, ".cases.yaml");

    it("is a valid policy", () => {
      const loaded = loadPolicy(text);
      expect(loaded.ok ? [] : loaded.errors.map((error) => formatPolicyError(file, error))).toEqual([]);
    });

    it(`passes ${casesFile}, and every rule decides a case`, () => {
      const loaded = loadPolicy(text);
      if (!loaded.ok) throw new Error(`${file} is invalid`);
      const parsed = parseCases(readFileSync(new URL(casesFile, DIR), "utf8"));
      if (!parsed.ok) throw new Error(parsed.errors.map((error) => formatPolicyError(casesFile, error)).join("\n"));
      const results = runCases(loaded.policy, parsed.cases);
      const failures = results
        .filter((result) => !result.pass)
        .map(
          (result) =>
            `${result.name}: expected ${JSON.stringify(result.expect)}, got ${result.decision.action} by ${result.decision.rule} (${result.decision.reason})`,
        );
      expect(failures).toEqual([]);
      const decidedBy = new Set(results.map((result) => result.decision.rule));
      const untested = loaded.policy.rules.map((rule) => rule.name).filter((name) => !decidedBy.has(name));
      expect(untested).toEqual([]);
    });
  });
});
