// A voice conversation in the page: the microphone goes through an AudioWorklet to 16 kHz
// PCM frames sent to the core; the agent's PCM audio is scheduled back to back as it
// arrives. Nothing is recorded or kept; the transcript lives only in the component.
import { sendVoiceAudio } from "./ipc";

/** Sample rate of a `pcm_<rate>` format, or null for anything else. */
export function pcmRate(format: string): number | null {
  const match = /^pcm_(\d{4,5})$/.exec(format);
  if (!match) return null;
  const rate = Number(match[1]);
  return rate >= 8000 && rate <= 48000 ? rate : null;
}

/** Little-endian 16-bit PCM (base64) as samples in [-1, 1]. */
export function decodePcm16(base64: string): Float32Array {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  const samples = new Float32Array(Math.floor(bytes.length / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true) / 0x8000;
  return samples;
}

/** Why the microphone could not be used, for a person. */
export function microphoneProblem(error: unknown): string {
  const name = (error as { name?: string })?.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Serene was not allowed to use your microphone. Allow it for Serene in your system's privacy settings, then start again.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Connect one, then start again.";
  }
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) {
    return "This system's web view cannot use a microphone, so voice conversations are not available here.";
  }
  return "Serene could not open your microphone. Check that no other app is using it, then start again.";
}

/**
 * Drops agent audio from before the person interrupted, as ElevenLabs' own SDKs do: a
 * chunk whose `event_id` is below the latest interruption's is stale. The core already
 * drops those it sees; this catches any already on their way to the page.
 */
export class StaleAudioGate {
  private lastInterruption = 0;

  interrupt(eventId?: number) {
    if (typeof eventId === "number" && eventId > this.lastInterruption) this.lastInterruption = eventId;
  }

  admits(eventId?: number): boolean {
    return typeof eventId !== "number" || eventId >= this.lastInterruption;
  }
}

export class VoiceCall {
  private gate = new StaleAudioGate();
  private context: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private node: AudioWorkletNode | null = null;
  private playing: AudioBufferSourceNode[] = [];
  private nextStart = 0;
  private outputRate = 16000;
  /** Push-to-talk: frames go to the core only while this is true. */
  talking = true;
  framesSent = 0;
  onSpeakingChange: (speaking: boolean) => void = () => {};
  onSendError: (message: string) => void = () => {};

  /** Opens the microphone (echo cancellation and noise suppression on). */
  async open(outputFormat: string): Promise<void> {
    this.outputRate = pcmRate(outputFormat) ?? 16000;
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      video: false,
    });
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule("/pcm-capture.js");
    const source = this.context.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.context, "pcm-capture");
    this.node.port.onmessage = (event: MessageEvent<Uint8Array>) => {
      if (!this.talking) return;
      this.framesSent += 1;
      sendVoiceAudio(event.data).catch((error: { message?: string }) =>
        this.onSendError(error?.message ?? "The microphone audio could not be sent."),
      );
    };
    source.connect(this.node);
  }

  /** Plays a chunk of the agent's audio right after the previous one, unless stale. */
  play(base64: string, eventId?: number) {
    const context = this.context;
    if (!context || !this.gate.admits(eventId)) return;
    const samples = decodePcm16(base64);
    if (samples.length === 0) return;
    const buffer = context.createBuffer(1, samples.length, this.outputRate);
    buffer.copyToChannel(samples as Float32Array<ArrayBuffer>, 0);
    const node = context.createBufferSource();
    node.buffer = buffer;
    node.connect(context.destination);
    const start = Math.max(context.currentTime, this.nextStart);
    node.start(start);
    this.nextStart = start + buffer.duration;
    this.playing.push(node);
    this.onSpeakingChange(true);
    node.onended = () => {
      this.playing = this.playing.filter((n) => n !== node);
      if (this.playing.length === 0) this.onSpeakingChange(false);
    };
  }

  /** The person spoke over the agent: drop what is queued, and what is older still. */
  interrupt(eventId?: number) {
    this.gate.interrupt(eventId);
    for (const node of this.playing) {
      try {
        node.stop();
      } catch {
        // already stopped
      }
    }
    this.playing = [];
    this.nextStart = 0;
    this.onSpeakingChange(false);
  }

  /** Releases the microphone and the audio output. */
  close() {
    this.interrupt();
    this.node?.port.close();
    this.node?.disconnect();
    this.stream?.getTracks().forEach((track) => track.stop());
    this.context?.close().catch(() => {});
    this.node = null;
    this.stream = null;
    this.context = null;
  }
}
