import { describe, expect, it } from "vitest";
import { decodePcm16, microphoneProblem, pcmRate, StaleAudioGate } from "./voice-call";

describe("voice call helpers", () => {
  it("reads pcm rates and refuses other formats", () => {
    expect(pcmRate("pcm_16000")).toBe(16000);
    expect(pcmRate("pcm_44100")).toBe(44100);
    expect(pcmRate("ulaw_8000")).toBeNull();
    expect(pcmRate("pcm_999999")).toBeNull();
  });

  it("decodes little-endian 16-bit PCM", () => {
    const bytes = new Uint8Array([0x00, 0x40, 0x00, 0xc0, 0xff, 0x7f]);
    const samples = decodePcm16(btoa(String.fromCharCode(...bytes)));
    expect(Array.from(samples)).toEqual([0.5, -0.5, 32767 / 32768]);
  });

  it("says plainly why the microphone failed", () => {
    expect(microphoneProblem({ name: "NotAllowedError" })).toMatch(/not allowed/);
    expect(microphoneProblem({ name: "NotFoundError" })).toMatch(/No microphone/);
  });

  it("drops agent audio from before the last interruption", () => {
    const gate = new StaleAudioGate();
    expect(gate.admits(3)).toBe(true);
    gate.interrupt(7);
    expect(gate.admits(5)).toBe(false);
    expect(gate.admits(6)).toBe(false);
    expect(gate.admits(7)).toBe(true);
    expect(gate.admits(8)).toBe(true);
    gate.interrupt(4); // an older interruption never re-admits stale audio
    expect(gate.admits(6)).toBe(false);
    gate.interrupt(); // no id: nothing to compare
    expect(gate.admits(undefined)).toBe(true);
  });
});
