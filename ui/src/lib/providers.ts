import type { Provider } from "./ipc";

export const PROVIDERS: readonly { id: Provider; name: string; where: string; what: string }[] = [
  {
    id: "tavus",
    name: "Tavus",
    where: "Tavus developer portal, under API Keys",
    what: "Face-to-face sessions with a video therapist.",
  },
  {
    id: "elevenlabs",
    name: "ElevenLabs",
    where: "ElevenLabs settings, under API Keys",
    what: "Voices for spoken sessions and guided exercises.",
  },
];

/** A key check's outcome, in words. */
export function describeCheck(outcome: string): string {
  switch (outcome) {
    case "verified":
      return "Checked and working";
    case "invalid_key":
      return "Not accepted by the provider";
    case "key_lacks_permission":
      return "Accepted, but missing a permission";
    case "out_of_credits":
      return "Accepted, but the account is out of credits";
    case "network_unavailable":
    case "upstream_timeout":
    case "upstream_unavailable":
      return "Could not be checked (the service was unreachable)";
    default:
      return "Could not be checked";
  }
}

export function timeAgo(seconds: number, now = Date.now() / 1000): string {
  const diff = Math.max(0, Math.round(now - seconds));
  if (diff < 60) return "just now";
  if (diff < 3600) return `${Math.round(diff / 60)} min ago`;
  if (diff < 86400) return `${Math.round(diff / 3600)} h ago`;
  return new Date(seconds * 1000).toLocaleDateString();
}
