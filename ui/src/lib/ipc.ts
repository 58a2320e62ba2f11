// The only door to the core. Every call returns the core's `{code, message}` error on failure.
import { Channel, invoke } from "@tauri-apps/api/core";

export type ErrorCode =
  | "invalid_input"
  | "not_allowed"
  | "rate_limited"
  | "system_unavailable"
  | "key_missing"
  | "keychain_unavailable"
  | "keychain_locked"
  | "keychain_access_denied"
  | "keychain_item_too_large"
  | "keychain_failure"
  | "invalid_key"
  | "key_lacks_permission"
  | "out_of_credits"
  | "concurrency_limit"
  | "not_found"
  | "text_too_long"
  | "upstream_rejected"
  | "upstream_unavailable"
  | "upstream_timeout"
  | "upstream_unexpected"
  | "network_unavailable"
  | "room_refused"
  | "update_refused"
  | "session_in_progress"
  | "internal";

export interface AppError {
  code: ErrorCode;
  message: string;
  retryAfterSeconds?: number;
}

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
}

export type Provider = "tavus" | "elevenlabs";

export interface KeyCheck {
  checkedAt: number;
  outcome: string;
}

export interface KeyView {
  provider: Provider;
  configured: boolean;
  lastFour?: string;
  lastCheck?: KeyCheck;
}

export interface Choice {
  id: string;
  name: string;
}

export interface Settings {
  schemaVersion: number;
  tavusReplicaId?: string | null;
  tavusPersonaId?: string | null;
  elevenlabsVoiceId?: string | null;
  elevenlabsModelId?: string | null;
  elevenlabsAgentId?: string | null;
  auditRetentionDays: number;
  anonymousSessions: boolean;
  sessionLanguage: string;
  updateChannel: UpdateChannel;
  checkUpdatesAutomatically: boolean;
  notice?: string;
}

export type UpdateChannel = "stable" | "beta";

export type SettingsPatch = Partial<
  Record<
    "tavusReplicaId" | "tavusPersonaId" | "elevenlabsVoiceId" | "elevenlabsModelId" | "elevenlabsAgentId",
    string
  >
> & {
  auditRetentionDays?: number;
  anonymousSessions?: boolean;
  updateChannel?: UpdateChannel;
  checkUpdatesAutomatically?: boolean;
};

export function toAppError(raw: unknown): AppError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) {
    return raw as AppError;
  }
  return { code: "internal", message: "Serene could not reach its core. Please restart the app." };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toAppError(raw);
  }
}

export const appInfo = () => call<AppInfo>("app_info");
export const openHelpLink = (id: string) => call<void>("open_help_link", { id });

export const keyStatus = (provider: Provider) => call<KeyView>("key_status", { provider });
// The key goes to the core and never comes back: only its last four characters do.
export const setApiKey = (provider: Provider, key: string) =>
  call<KeyView>("set_api_key", { provider, key });
export const removeApiKey = (provider: Provider) => call<KeyView>("remove_api_key", { provider });
export const verifyApiKey = (provider: Provider) => call<KeyView>("verify_api_key", { provider });

export const listReplicas = () => call<Choice[]>("list_replicas");
export const listPersonas = () => call<Choice[]>("list_personas");
export const listVoices = () => call<Choice[]>("list_voices");
export const listModels = () => call<Choice[]>("list_models");

export const getSettings = () => call<Settings>("get_settings");
export const updateSettings = (patch: SettingsPatch) => call<Settings>("update_settings", { patch });

export interface ConsentRecord {
  version: number;
  agreedAt: number;
}

export interface ConsentView {
  requiredVersion: number;
  record?: ConsentRecord;
  current: boolean;
}

export interface AuditCheck {
  intact: boolean;
  records: number;
  problem?: string;
  problemAt?: number;
}

export interface AuditRecord {
  seq: number;
  at: number;
  event: { kind: string; [field: string]: unknown };
}

export interface StoredFile {
  what: string;
  bytes: number;
}

export interface PrivacyOverview {
  stored: StoredFile[];
  consent: ConsentView;
  audit: AuditCheck;
  retentionDays: number;
  anonymousSessions: boolean;
  openConversations: number;
}

export interface DeletionReport {
  done: string[];
  notDone: string[];
}

export const getConsent = () => call<ConsentView>("get_consent");
export const giveConsent = (version: number) => call<ConsentView>("give_consent", { version });
export const withdrawConsent = () => call<ConsentView>("withdraw_consent");
export const privacyOverview = () => call<PrivacyOverview>("privacy_overview");
export const auditLog = () => call<{ check: AuditCheck; records: AuditRecord[] }>("audit_log");
export const exportData = () => call<{ saved: boolean; fileName?: string }>("export_data");
export const deleteEverything = () => call<DeletionReport>("delete_everything");

// The room's address (with its meeting token) never reaches the page: it shows the room
// by conversation id, and the core decides where.
export interface StartedSession {
  conversationId: string;
  startedAt: number;
  endsAt: number;
}

export const startVideoSession = (request: { topic: string; minutes: number; captions: boolean }) =>
  call<StartedSession>("start_video_session", { request });
export const endVideoSession = (conversationId: string) =>
  call<void>("end_video_session", { conversationId });
export const videoSessionStatus = (conversationId: string) =>
  call<{ ended: boolean }>("video_session_status", { conversationId });
export const stuckSessions = () => call<number>("stuck_sessions");
export const endStuckSessions = () => call<number>("end_stuck_sessions");
export const checkVideoSetup = () => call<string>("check_video_setup");
/** Where the room goes: a Serene window, an app window of an installed Chromium-family
 * browser (closed by Serene when the session ends), or the default web browser. */
export type RoomPresentation = "window" | "appWindow" | "browser";
export const roomPresentation = () => call<RoomPresentation>("room_presentation");
/** Shows the running session's room; answers where it went. */
export const showRoom = (conversationId: string) => call<RoomPresentation>("show_room", { conversationId });

export interface UpdateOffer {
  version: string;
  currentVersion: string;
  notes: string;
  date?: string;
}

export interface DownloadProgress {
  downloaded: number;
  total?: number;
}

/** `null`: Serene is up to date. */
export const checkForUpdate = () => call<UpdateOffer | null>("check_for_update");
export function downloadUpdate(onProgress: (progress: DownloadProgress) => void): Promise<void> {
  const channel = new Channel<DownloadProgress>();
  channel.onmessage = onProgress;
  return call<void>("download_update", { onProgress: channel });
}
export const installUpdate = () => call<void>("install_update");

export interface Breathing {
  inhale: number;
  hold: number;
  exhale: number;
  rest: number;
}

export interface ExerciseStep {
  say: string;
  seconds: number;
  breathing?: Breathing;
}

export interface Exercise {
  id: string;
  title: string;
  summary: string;
  steps: ExerciseStep[];
  characterCost: number;
  totalSeconds: number;
}

export type SpeechRequest =
  | { kind: "exercise_step"; exercise: string; step: number }
  | { kind: "preview" }
  | { kind: "typed"; text: string };

export interface SpeechDone {
  bytes: number;
  stopped: boolean;
}

export interface SpeechUsage {
  tier: string;
  used: number;
  limit: number;
  remaining: number;
  resetsAt?: number;
}

export const listExercises = () => call<Exercise[]>("list_exercises");
export const speechUsage = () => call<SpeechUsage>("speech_usage");
export const stopSpeech = () => call<void>("stop_speech");
/** Streams speech; `onChunk` gets the audio (MP3) as it arrives from the core. */
export function speak(request: SpeechRequest, onChunk: (chunk: ArrayBuffer) => void): Promise<SpeechDone> {
  const channel = new Channel<ArrayBuffer>();
  channel.onmessage = onChunk;
  return call<SpeechDone>("speak", { request, onAudio: channel });
}

export interface VoiceSessionInfo {
  endsAt: number;
}

export type AgentEvent =
  | { kind: "started"; conversationId: string; agentOutputFormat: string; userInputFormat: string }
  | { kind: "agent_audio"; pcmBase64: string; eventId?: number }
  | { kind: "user_transcript"; text: string }
  | { kind: "agent_response"; text: string }
  | { kind: "agent_correction"; text: string }
  | { kind: "interruption" }
  | { kind: "ended"; how: "stopped" | "time_cap" | "closed_by_agent" }
  | { kind: "failed"; error: AppError };

export function startVoiceSession(minutes: number, onEvent: (event: AgentEvent) => void): Promise<VoiceSessionInfo> {
  const channel = new Channel<AgentEvent>();
  channel.onmessage = onEvent;
  return call<VoiceSessionInfo>("start_voice_session", { request: { minutes }, onEvent: channel });
}
/** One 16 kHz, 16-bit mono PCM frame, sent as raw bytes. */
export async function sendVoiceAudio(frame: Uint8Array): Promise<void> {
  try {
    await invoke<void>("send_voice_audio", frame);
  } catch (raw) {
    throw toAppError(raw);
  }
}
export const endVoiceSession = () => call<void>("end_voice_session");
