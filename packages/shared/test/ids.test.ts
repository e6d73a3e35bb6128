import { describe, expect, it } from "vitest";
import { newId } from "../src/index.js";

describe("ids", () => {
  it("are unique, URL- and shell-safe, and never look like a command-line option", () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z_]{22}$/);
  });
});
