// The consent text. Its version must match CONSENT_VERSION in
// src-tauri/core/src/privacy/consent.rs; consent.test.ts pins this text to the version, so
// changing a word fails that test until the version is bumped (and people are asked again).

export const CONSENT_VERSION = 1;

export interface ConsentSection {
  heading: string;
  paragraphs: string[];
}

export const CONSENT_SECTIONS: readonly ConsentSection[] = [
  {
    heading: "What Serene is, and is not",
    paragraphs: [
      "Serene connects you with an AI companion for reflective, supportive conversations. It is not a clinician, it does not diagnose or treat, and it is not for emergencies.",
      "If you are in danger or thinking about harming yourself, use “Get help now” at the top of every screen, or call your local emergency number.",
    ],
  },
  {
    heading: "Where your words, voice and image go",
    paragraphs: [
      "Face-to-face sessions: your video, your audio and anything you choose to write about beforehand go to Tavus, which runs the AI therapist. Daily carries the live video and audio between you and Tavus.",
      "Voice sessions and guided exercises: the text to be spoken, and in voice sessions your voice, go to ElevenLabs.",
      "These services act under your own accounts and their own privacy terms.",
    ],
  },
  {
    heading: "What Serene keeps",
    paragraphs: [
      "Nothing of a conversation is stored on this computer: no recordings, no transcripts, no notes.",
      "Serene keeps only your settings, this agreement, a list of sessions still open with Tavus (so they can be ended), and a log of security events such as keys being added. All of it is encrypted, and you can export or delete it at any time from Privacy.",
    ],
  },
  {
    heading: "Your camera and microphone",
    paragraphs: [
      "Serene asks for your camera and microphone only when you start a session that needs them, and only for that session. You can stop at any moment.",
    ],
  },
];
