// The only door to the core. Every call returns the core's `{code, message}` error on failure.
import { Channel, invoke } from "@tauri-apps/api/core";

// Every shape that crosses IPC is generated from the core's Rust types (ts-rs) into
// ./bindings; `scripts/test.sh` regenerates them and fails if they differ from what is
// committed. This file holds behaviour only: the calls, channels and error handling.
import type { AgentEvent } from "./bindings/AgentEvent";
import type { AppInfo } from "./bindings/AppInfo";
import type { AuditView } from "./bindings/AuditView";
import type { Budgets } from "./bindings/Budgets";
import type { Choice } from "./bindings/Choice";
import type { ConsentView } from "./bindings/ConsentView";
import type { DeletionOptions } from "./bindings/DeletionOptions";
import type { DeletionProgress } from "./bindings/DeletionProgress";
import type { DeletionReport } from "./bindings/DeletionReport";
import type { DownloadProgress } from "./bindings/DownloadProgress";
import type { Error as AppError } from "./bindings/Error";
import type { ExerciseView } from "./bindings/ExerciseView";
import type { ExportOutcome } from "./bindings/ExportOutcome";
import type { KeyView } from "./bindings/KeyView";
import type { PrivacyOverview } from "./bindings/PrivacyOverview";
import type { RoomPresentation } from "./bindings/RoomPresentation";
import type { Provider } from "./bindings/Provider";
import type { SessionStatus } from "./bindings/SessionStatus";
import type { SettingsPatch } from "./bindings/SettingsPatch";
import type { SettingsView } from "./bindings/SettingsView";
import type { SpeechDone } from "./bindings/SpeechDone";
import type { SpeechText } from "./bindings/SpeechText";
import type { StartRequest } from "./bindings/StartRequest";
import type { StartedSession } from "./bindings/StartedSession";
import type { UpdateOffer } from "./bindings/UpdateOffer";
import type { Usage } from "./bindings/Usage";
import type { VoiceSession } from "./bindings/VoiceSession";

export type { AgentEvent, AppError, AppInfo, AuditView, Budgets, Choice, ConsentView, DeletionReport };
export type { RoomPresentation };
export type { DeletionProgress, DownloadProgress, ExportOutcome, KeyView, PrivacyOverview, Provider, SessionStatus };
export type { SettingsPatch, SpeechDone, StartRequest, StartedSession, UpdateOffer };
export type { AuditCheck } from "./bindings/AuditCheck";
export type { AuditRecord } from "./bindings/AuditRecord";
export type { Breathing } from "./bindings/Breathing";
export type { Budget } from "./bindings/Budget";
export type { DeletionStep } from "./bindings/DeletionStep";
export type { ConsentRecord } from "./bindings/ConsentRecord";
export type { ErrorCode } from "./bindings/ErrorCode";
export type { StoredFile } from "./bindings/StoredFile";
export type { Verification as KeyCheck } from "./bindings/Verification";
export type { Channel as UpdateChannel } from "./bindings/Channel";
export type { Step as ExerciseStep } from "./bindings/Step";
/** The settings as `get_settings` answers them (with the one-time notice). */
export type Settings = SettingsView;
export type Exercise = ExerciseView;
export type SpeechRequest = SpeechText;
export type SpeechUsage = Usage;
export type VoiceSessionInfo = VoiceSession;

export const spendingBudgets = () => call<Budgets>("spending_budgets");

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

export const getConsent = () => call<ConsentView>("get_consent");
export const giveConsent = (version: number) => call<ConsentView>("give_consent", { version });
export const withdrawConsent = () => call<ConsentView>("withdraw_consent");
export const privacyOverview = () => call<PrivacyOverview>("privacy_overview");
export const auditLog = () => call<AuditView>("audit_log");
export const exportData = () => call<ExportOutcome>("export_data");
/** Deletes everything (asked first in Serene's own window); progress as the core reports it. */
export function deleteEverything(
  onProgress: (progress: DeletionProgress) => void,
  leaveRemote = false,
): Promise<DeletionReport> {
  const channel = new Channel<DeletionProgress>();
  channel.onmessage = onProgress;
  const options: DeletionOptions = { leaveRemote };
  return call<DeletionReport>("delete_everything", { options, onProgress: channel });
}

export const startVideoSession = (request: StartRequest) =>
  call<StartedSession>("start_video_session", { request });
export const endVideoSession = (conversationId: string) =>
  call<void>("end_video_session", { conversationId });
export const videoSessionStatus = (conversationId: string) =>
  call<SessionStatus>("video_session_status", { conversationId });
export const stuckSessions = () => call<number>("stuck_sessions");
export const endStuckSessions = () => call<number>("end_stuck_sessions");
export const checkVideoSetup = () => call<string>("check_video_setup");
/** Where the room goes: a Serene window, an app window of an installed Chromium-family
 * browser (closed by Serene when the session ends), or the default web browser. */
export const roomPresentation = () => call<RoomPresentation>("room_presentation");
/** Shows the running session's room; answers where it went. */
export const showRoom = (conversationId: string) => call<RoomPresentation>("show_room", { conversationId });

/** `null`: Serene is up to date. */
export const checkForUpdate = () => call<UpdateOffer | null>("check_for_update");
export function downloadUpdate(onProgress: (progress: DownloadProgress) => void): Promise<void> {
  const channel = new Channel<DownloadProgress>();
  channel.onmessage = onProgress;
  return call<void>("download_update", { onProgress: channel });
}
export const installUpdate = () => call<void>("install_update");

export const listExercises = () => call<Exercise[]>("list_exercises");
export const speechUsage = () => call<SpeechUsage>("speech_usage");
export const stopSpeech = () => call<void>("stop_speech");

/** Streams speech; `onChunk` gets the audio (MP3) as it arrives from the core. */
export function speak(request: SpeechRequest, onChunk: (chunk: ArrayBuffer) => void): Promise<SpeechDone> {
  const channel = new Channel<ArrayBuffer>();
  channel.onmessage = onChunk;
  return call<SpeechDone>("speak", { request, onAudio: channel });
}

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

export type { LockStatus } from "./bindings/LockStatus";
import type { LockStatus } from "./bindings/LockStatus";
export const lockStatus = () => call<LockStatus>("lock_status");
// The passphrase goes to the core and never comes back.
export const unlock = (passphrase: string) => call<LockStatus>("unlock", { passphrase });
export const lockNow = () => call<LockStatus>("lock_now");
export const quickExit = () => call<void>("quick_exit");
export type LockRequest =
  | { action: "enable"; passphrase: string }
  | { action: "change"; current: string; passphrase: string }
  | { action: "disable"; current: string };
export const setLock = (request: LockRequest) => call<LockStatus>("set_lock", { request });
