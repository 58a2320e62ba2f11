import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { choiceLabel, SESSION_LANGUAGES } from "./languages";

describe("session languages and choices", () => {
  it("match the core's list exactly", () => {
    const source = readFileSync(resolve(process.cwd(), "../src-tauri/core/src/settings.rs"), "utf8");
    const block = source.split("pub const SESSION_LANGUAGES: &[&str] = &[")[1].split("];")[0];
    const core = [...block.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect([...SESSION_LANGUAGES]).toEqual(core);
    expect(core).toHaveLength(43);
  });

  it("say why a replica cannot be chosen", () => {
    expect(choiceLabel({ name: "Anna", unavailable: true, status: "started" })).toBe("Anna (not available: still training)");
    expect(choiceLabel({ name: "Bo", unavailable: true, status: "error" })).toBe("Bo (not available: failed to train)");
    expect(choiceLabel({ name: "Cy" })).toBe("Cy");
  });
});
