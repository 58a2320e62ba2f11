// The only door to the core. Every call returns the core's `{code, message}` error on failure.
import { invoke } from "@tauri-apps/api/core";

export type ErrorCode =
  | "invalid_input"
  | "not_allowed"
  | "rate_limited"
  | "system_unavailable"
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

function toAppError(raw: unknown): AppError {
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
