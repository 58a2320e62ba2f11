import { describe, expect, it } from "vitest";
import { breathPhase } from "./speech";

const box = { inhale: 4, hold: 4, exhale: 4, rest: 4 };

describe("breathPhase", () => {
  it("follows in, hold, out, rest with the circle growing and shrinking", () => {
    expect(breathPhase(box, 0)).toMatchObject({ label: "Breathe in", scale: 0.55, left: 4 });
    expect(breathPhase(box, 2).scale).toBeCloseTo(0.775);
    expect(breathPhase(box, 5)).toMatchObject({ label: "Hold", scale: 1 });
    expect(breathPhase(box, 10).label).toBe("Breathe out");
    expect(breathPhase(box, 10).scale).toBeCloseTo(0.775);
    expect(breathPhase(box, 13)).toMatchObject({ label: "Rest", scale: 0.55, left: 3 });
  });

  it("repeats every cycle", () => {
    expect(breathPhase(box, 17)).toEqual(breathPhase(box, 1));
    expect(breathPhase(box, 64 - 0.5).label).toBe("Rest");
  });
});
