// AudioWorklet: microphone samples -> 16 kHz, 16-bit little-endian mono PCM, posted to the
// page in 100 ms frames (3,200 bytes), which the page passes to the core.
const TARGET_RATE = 16000;
const FRAME_SAMPLES = 1600;

class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE;
    this.position = 0;
    this.sum = 0;
    this.count = 0;
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      // Averages the samples that fall into each output sample: a simple low-pass.
      this.sum += channel[i];
      this.count += 1;
      this.position += 1;
      if (this.position >= this.step) {
        this.position -= this.step;
        const value = Math.max(-1, Math.min(1, this.sum / this.count));
        this.sum = 0;
        this.count = 0;
        this.frame[this.filled++] = value < 0 ? value * 0x8000 : value * 0x7fff;
        if (this.filled === FRAME_SAMPLES) {
          const bytes = new Uint8Array(this.frame.buffer.slice(0));
          this.port.postMessage(bytes, [bytes.buffer]);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor("pcm-capture", PcmCapture);
