import { describe, expect, it } from "vitest";
import { CONSENT_SECTIONS, CONSENT_VERSION } from "./consent";

// FNV-1a over the whole text: any change to the wording changes it.
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16);
}

describe("consent text", () => {
  it("is pinned to its version", () => {
    const text = JSON.stringify(CONSENT_SECTIONS);
    // When you change the text: bump CONSENT_VERSION here and in
    // src-tauri/core/src/privacy/consent.rs, then update this pair.
    expect([CONSENT_VERSION, fingerprint(text)]).toEqual([1, "dbac117a"]);
  });

  it("covers what the person must know", () => {
    const text = JSON.stringify(CONSENT_SECTIONS);
    for (const needed of ["not a clinician", "not for emergencies", "Get help now", "Tavus", "Daily", "ElevenLabs", "Nothing of a conversation is stored", "camera and microphone"]) {
      expect(text).toContain(needed);
    }
  });
});
