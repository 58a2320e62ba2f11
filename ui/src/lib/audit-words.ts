import type { AuditRecord } from "./ipc";

const PROVIDER_NAMES: Record<string, string> = { tavus: "Tavus", elevenlabs: "ElevenLabs" };

/** An audit event, in words. */
export function describeEvent(record: AuditRecord): string {
  const e = record.event;
  const provider = "provider" in e ? (PROVIDER_NAMES[e.provider] ?? "") : "";
  switch (e.kind) {
    case "key_saved":
      return `${provider} key saved`;
    case "key_replaced":
      return `${provider} key replaced`;
    case "key_removed":
      return `${provider} key removed`;
    case "key_checked":
      return `${provider} key checked: ${e.outcome === "verified" ? "working" : String(e.outcome).replace(/_/g, " ")}`;
    case "session_started":
      return "Session started";
    case "session_ended":
      return `Session ended (${String(e.how)})`;
    case "limit_refused":
      return `Request paused by a safety limit (${String(e.limit)})`;
    case "consent_given":
      return `Agreed to how Serene handles data (version ${String(e.version)})`;
    case "consent_withdrawn":
      return "Withdrew agreement";
    case "data_exported":
      return "Data exported";
    case "deleted_everything":
      return "Everything deleted";
    case "log_pruned":
      return "Old records removed (retention)";
    case "update_checked":
      return `Checked for updates: ${String(e.outcome)}`;
    case "update_installed":
      return `Update installed: ${String(e.version)}`;
    case "voice_session_started":
      return "Voice conversation started";
    case "voice_session_ended":
      return `Voice conversation ended (${String(e.how).replace(/_/g, " ")}, ${Math.round(Number(e.seconds) / 60)} min)`;
    case "change_confirmed":
      return `Change confirmed: ${String(e.what).replace(/_/g, " ")}`;
    case "unlock_failed":
      return "Wrong passphrase at the lock";
    case "lock_changed":
      return e.what === "on" ? "App lock turned on" : e.what === "off" ? "App lock turned off" : "Lock passphrase changed";
    case "update_refused":
      return `Update refused: ${String(e.reason).replace(/_/g, " ")}`;
    default:
      // A kind this page does not know yet (a newer core): its name, readably.
      return String((e as { kind: string }).kind).replace(/_/g, " ");
  }
}

export function formatWhen(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString();
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
