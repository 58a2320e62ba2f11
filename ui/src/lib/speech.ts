import { speak, toAppError, type AppError, type SpeechDone, type SpeechRequest } from "./ipc";

/** What to tell the person when speech fails; a used-up quota is said plainly. */
export function speechErrorMessage(raw: unknown): string {
  const error: AppError = toAppError(raw);
  if (error.code === "out_of_credits") {
    return "Your ElevenLabs character quota for this period is used up, so nothing more can be spoken until it resets. Settings shows when that is.";
  }
  return error.message;
}

/** Speaks, waiting out one local rate-limit pause (`onwait` says how long) before retrying. */
export async function speakPatiently(
  request: SpeechRequest,
  onChunk: (chunk: ArrayBuffer) => void,
  onwait: (seconds: number) => void,
): Promise<SpeechDone> {
  try {
    return await speak(request, onChunk);
  } catch (raw) {
    const error = toAppError(raw);
    if (error.code !== "rate_limited" || !error.retryAfterSeconds || error.retryAfterSeconds > 60) throw error;
    onwait(error.retryAfterSeconds);
    await new Promise((resolve) => setTimeout(resolve, error.retryAfterSeconds! * 1000));
    return await speak(request, onChunk);
  }
}

/** Where a breathing cycle is, `t` seconds in. */
export function breathPhase(
  b: { inhale: number; hold: number; exhale: number; rest: number },
  t: number,
): { label: string; scale: number; left: number } {
  const cycle = b.inhale + b.hold + b.exhale + b.rest;
  const at = ((t % cycle) + cycle) % cycle;
  const small = 0.55;
  if (at < b.inhale) {
    return { label: "Breathe in", scale: small + (1 - small) * (at / b.inhale), left: b.inhale - at };
  }
  if (at < b.inhale + b.hold) return { label: "Hold", scale: 1, left: b.inhale + b.hold - at };
  if (at < b.inhale + b.hold + b.exhale) {
    const into = at - b.inhale - b.hold;
    return { label: "Breathe out", scale: 1 - (1 - small) * (into / b.exhale), left: b.exhale - into };
  }
  return { label: "Rest", scale: small, left: cycle - at };
}
