// Plays MP3 audio while it is still arriving: Media Source Extensions where the webview
// supports MP3 in them, otherwise (once complete) from an in-memory blob. Nothing is
// written anywhere; the blob URL is revoked when playback is done.

export class StreamPlayer {
  readonly audio = new Audio();
  receivedBytes = 0;
  private source: MediaSource | null = null;
  private buffer: SourceBuffer | null = null;
  private pending: ArrayBuffer[] = [];
  private ended = false;
  private url = "";
  private paused = false;

  constructor() {
    if (typeof MediaSource !== "undefined" && MediaSource.isTypeSupported("audio/mpeg")) {
      const source = new MediaSource();
      this.source = source;
      this.url = URL.createObjectURL(source);
      source.addEventListener("sourceopen", () => {
        this.buffer = source.addSourceBuffer("audio/mpeg");
        this.buffer.addEventListener("updateend", () => this.flush());
        this.flush();
      });
      this.audio.src = this.url;
      this.play();
    }
  }

  append(chunk: ArrayBuffer) {
    this.receivedBytes += chunk.byteLength;
    this.pending.push(chunk);
    this.flush();
  }

  /** The stream is complete. */
  end() {
    this.ended = true;
    if (!this.source) {
      this.url = URL.createObjectURL(new Blob(this.pending, { type: "audio/mpeg" }));
      this.pending = [];
      this.audio.src = this.url;
      this.play();
      return;
    }
    this.flush();
  }

  pause() {
    this.paused = true;
    this.audio.pause();
  }

  resume() {
    this.paused = false;
    this.play();
  }

  stop() {
    this.audio.pause();
    this.pending = [];
    this.audio.removeAttribute("src");
    this.audio.load();
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = "";
  }

  private play() {
    if (!this.paused) this.audio.play().catch(() => {});
  }

  private flush() {
    const buffer = this.buffer;
    if (!buffer || buffer.updating || !this.source || this.source.readyState !== "open") return;
    const next = this.pending.shift();
    if (next) {
      buffer.appendBuffer(next);
    } else if (this.ended) {
      this.source.endOfStream();
    }
  }
}
