// One update at a time, shared by the settings section and the notice on every screen.
import {
  checkForUpdate,
  downloadUpdate,
  installUpdate,
  toAppError,
  type DownloadProgress,
  type UpdateOffer,
} from "./ipc";

export type UpdatePhase =
  | "idle"
  | "checking"
  | "current"
  | "available"
  | "downloading"
  | "ready"
  | "installing"
  | "installed"
  | "failed";

export const update = $state({
  phase: "idle" as UpdatePhase,
  offer: null as UpdateOffer | null,
  progress: null as DownloadProgress | null,
  error: "",
});

export async function check(): Promise<void> {
  if (update.phase === "checking" || update.phase === "downloading" || update.phase === "installing") return;
  update.phase = "checking";
  update.error = "";
  try {
    update.offer = await checkForUpdate();
    update.phase = update.offer ? "available" : "current";
  } catch (raw) {
    update.offer = null;
    update.error = toAppError(raw).message;
    update.phase = "failed";
  }
}

export async function download(): Promise<void> {
  if (update.phase !== "available" && update.phase !== "failed") return;
  update.phase = "downloading";
  update.progress = { downloaded: 0 };
  update.error = "";
  try {
    await downloadUpdate((progress) => (update.progress = progress));
    update.phase = "ready";
  } catch (raw) {
    update.error = toAppError(raw).message;
    update.phase = "failed";
  }
}

export async function install(): Promise<void> {
  if (update.phase !== "ready") return;
  update.phase = "installing";
  update.error = "";
  try {
    await installUpdate();
    update.phase = "installed";
  } catch (raw) {
    update.error = toAppError(raw).message;
    update.phase = "failed";
  }
}

/** Percent downloaded, or null while the size is unknown. */
export function percent(progress: DownloadProgress | null): number | null {
  if (!progress?.total) return null;
  return Math.min(100, Math.round((progress.downloaded / progress.total) * 100));
}
