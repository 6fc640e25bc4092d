// AudioWorklet processor for voice mode: downmixes the microphone to mono, resamples it to
// 24 kHz (linear interpolation) and posts Int16 PCM frames (~100 ms each) to the main thread,
// which base64-encodes them into `input_audio_buffer.append` events. A separate file so the
// page's CSP needs no inline or blob: scripts.
class Pcm16Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 24000;
    this.pos = 0;
    this.prev = 0;
    this.out = new Int16Array(2400);
    this.len = 0;
    this.active = true;
    this.port.onmessage = (e) => {
      if (e.data === "stop") this.active = false;
      if (e.data === "flush") this.flush();
    };
  }
  flush() {
    if (this.len > 0) {
      const frame = this.out.slice(0, this.len);
      this.port.postMessage(frame.buffer, [frame.buffer]);
      this.len = 0;
    }
  }
  process(inputs) {
    const input = inputs[0];
    if (!this.active) return false;
    if (!input || input.length === 0) return true;
    const n = input[0].length;
    const mono = new Float32Array(n);
    for (const ch of input) for (let i = 0; i < n; i++) mono[i] += ch[i] / input.length;
    // Resample: emit a sample every `ratio` input samples.
    while (this.pos < n) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      const a = i === 0 ? this.prev : mono[i - 1];
      const b = mono[i];
      const s = Math.max(-1, Math.min(1, a + (b - a) * frac));
      this.out[this.len++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.len === this.out.length) this.flush();
      this.pos += this.ratio;
    }
    this.pos -= n;
    this.prev = mono[n - 1];
    return true;
  }
}
registerProcessor("pcm16-capture", Pcm16Capture);
