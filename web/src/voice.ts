// Voice mode over the realtime WebSocket (docs/voice.md): a single-use ticket from
// POST /interviews/{id}/realtime-ticket (tokens never go in URLs), hold-to-speak capture of PCM16
// mono 24 kHz through an AudioWorklet (web/static/pcm-worklet.js), playback of the interviewer's
// audio deltas, captions, a ping every 30 s and reconnection with exponential backoff.
import { api, ApiError } from "./api";

export interface VoiceCallbacks {
  onStatus(text: string, kind: "info" | "ok" | "warn" | "error"): void;
  onCaption(text: string, final: boolean): void;
  onTurn(): void;
  onCompleted(reason: string | null): void;
  /** `interview.state` (on every connect and after every turn). */
  onState?(state: { question_number?: number; total_questions?: number; current_difficulty?: string }): void;
  /** The server has no voice provider: audio is refused (`voice_unavailable`); typing still works. */
  onVoiceUnavailable?(): void;
}

const PING_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;

export function base64FromBytes(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function bytesFromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function socketUrl(url: string, ticket: string): string {
  const u = new URL(url, location.href);
  if (u.protocol === "http:") u.protocol = "ws:";
  if (u.protocol === "https:") u.protocol = "wss:";
  if (!u.searchParams.has("ticket")) u.searchParams.set("ticket", ticket);
  return u.toString();
}

export class VoiceSession {
  private ws: WebSocket | null = null;
  private closedByUser = false;
  private attempt = 0;
  private pingTimer = 0;
  private retryTimer = 0;
  private captureCtx: AudioContext | null = null;
  private playCtx: AudioContext | null = null;
  private node: AudioWorkletNode | null = null;
  private mic: MediaStream | null = null;
  private holding = false;
  private playAt = 0;
  private caption = "";
  private voiceUnavailable = false;

  constructor(private interviewId: string, private cb: VoiceCallbacks) {}

  async connect(): Promise<void> {
    this.closedByUser = false;
    let ticket: { ticket: string; url: string };
    try {
      ticket = (await api<any>("POST", `/api/v1/interviews/${this.interviewId}/realtime-ticket`)).data;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 503)) {
        this.cb.onStatus("Voice mode is not available on this server. Type your answers instead.", "warn");
        return;
      }
      if (e instanceof ApiError && e.status === 409) {
        this.cb.onStatus(e.message, "warn");
        return;
      }
      this.scheduleReconnect();
      return;
    }
    const ws = new WebSocket(socketUrl(ticket.url ?? `/api/v1/realtime/${this.interviewId}`, ticket.ticket));
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      if (this.voiceUnavailable) this.cb.onStatus("Reconnected. Type your answers below.", "warn");
      else this.cb.onStatus("Voice mode connected. Hold the button (or Space) to speak.", "ok");
      window.clearInterval(this.pingTimer);
      this.pingTimer = window.setInterval(() => this.send({ type: "ping" }), PING_MS);
    };
    ws.onmessage = (ev) => this.onEvent(ev.data);
    ws.onclose = (ev) => {
      window.clearInterval(this.pingTimer);
      if (this.ws === ws) this.ws = null;
      if (this.closedByUser || ev.code === 1000 || ev.code === 4000) return;
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      /* onclose follows and reconnects */
    };
  }

  private scheduleReconnect(): void {
    if (this.closedByUser) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.cb.onStatus(`Voice connection lost; reconnecting in ${Math.round(delay / 1000)} s…`, "warn");
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
  }

  private send(obj: unknown): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  /** Sends a typed answer over the socket (a user `input_text` item). */
  sendText(text: string): void {
    this.send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text }] } });
  }

  private onEvent(raw: unknown): void {
    if (typeof raw !== "string") return;
    let ev: any;
    try {
      ev = JSON.parse(raw);
    } catch {
      return;
    }
    switch (ev.type) {
      case "response.created":
        this.caption = "";
        break;
      case "response.output_text.delta":
      case "response.output_audio_transcript.delta":
        this.caption += String(ev.delta ?? "");
        this.cb.onCaption(this.caption, false);
        break;
      case "conversation.item.done": {
        // The current question, re-sent as a completed assistant item on every (re)connect.
        const item = ev.item;
        if (item?.role === "assistant" && Array.isArray(item.content)) {
          const text = item.content.map((c: any) => String(c?.text ?? c?.transcript ?? "")).join("");
          if (text) {
            this.caption = text;
            this.cb.onCaption(text, true);
          }
        }
        break;
      }
      case "response.output_audio.delta":
        if (typeof ev.delta === "string") this.play(bytesFromBase64(ev.delta));
        break;
      case "conversation.item.input_audio_transcription.completed":
        this.cb.onCaption(`You: ${String(ev.transcript ?? "")}`, true);
        break;
      case "response.done":
        this.cb.onCaption(this.caption, true);
        break;
      case "interview.state":
        this.cb.onState?.(ev);
        this.cb.onTurn();
        break;
      case "interview.completed":
        this.closedByUser = true;
        this.cb.onCompleted(ev.completion_reason ?? null);
        break;
      case "error": {
        const code = ev.code ?? ev.error?.code;
        const msg = ev.message ?? ev.error?.message ?? "Voice error";
        if (code === "voice_unavailable") {
          if (!this.voiceUnavailable) {
            this.voiceUnavailable = true;
            this.releaseMic();
            this.cb.onStatus("Spoken answers are not available on this server (no voice provider). Type your answers below; the interviewer's questions still appear here.", "warn");
            this.cb.onVoiceUnavailable?.();
          }
        } else {
          this.cb.onStatus(String(msg), "error");
        }
        break;
      }
      default:
        break;
    }
  }

  private play(pcm: Uint8Array): void {
    if (!this.playCtx) this.playCtx = new AudioContext({ sampleRate: 24000 });
    const ctx = this.playCtx;
    const n = Math.floor(pcm.length / 2);
    if (n === 0) return;
    const view = new DataView(pcm.buffer, pcm.byteOffset, n * 2);
    const buf = ctx.createBuffer(1, n, 24000);
    const ch = buf.getChannelData(0);
    for (let i = 0; i < n; i++) ch[i] = view.getInt16(i * 2, true) / 0x8000;
    const src = ctx.createBufferSource();
    src.buffer = buf;
    src.connect(ctx.destination);
    this.playAt = Math.max(this.playAt, ctx.currentTime + 0.02);
    src.start(this.playAt);
    this.playAt += buf.duration;
  }

  /** Starts capturing (hold-to-speak pressed). */
  async startTalking(): Promise<void> {
    if (this.holding || this.voiceUnavailable) return;
    this.holding = true;
    try {
      if (!this.captureCtx) {
        this.mic = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
        this.captureCtx = new AudioContext();
        await this.captureCtx.audioWorklet.addModule("/pcm-worklet.js");
        const src = this.captureCtx.createMediaStreamSource(this.mic);
        this.node = new AudioWorkletNode(this.captureCtx, "pcm16-capture");
        this.node.port.onmessage = (e: MessageEvent<ArrayBuffer>) => {
          // Frames arrive only while the context runs (held), plus the final flush on release.
          if (e.data.byteLength > 0 && !this.voiceUnavailable) {
            this.send({ type: "input_audio_buffer.append", audio: base64FromBytes(new Uint8Array(e.data)) });
          }
        };
        src.connect(this.node);
      }
      await this.captureCtx.resume();
      // Barge-in: stop the interviewer's audio when the candidate starts talking.
      if (this.playCtx) {
        void this.playCtx.close().catch(() => undefined);
        this.playCtx = null;
        this.playAt = 0;
        this.send({ type: "response.cancel" });
      }
    } catch {
      this.holding = false;
      this.cb.onStatus("The microphone could not be opened.", "error");
    }
  }

  /** Stops capturing and commits the spoken answer. */
  stopTalking(): void {
    if (!this.holding) return;
    this.holding = false;
    this.node?.port.postMessage("flush");
    window.setTimeout(() => {
      void this.captureCtx?.suspend();
      if (!this.voiceUnavailable) this.send({ type: "input_audio_buffer.commit" });
    }, 50);
  }

  /** Stops the microphone (voice refused by the server, or closing). */
  private releaseMic(): void {
    this.holding = false;
    this.node?.port.postMessage("stop");
    this.node = null;
    this.mic?.getTracks().forEach((t) => t.stop());
    this.mic = null;
    void this.captureCtx?.close().catch(() => undefined);
    this.captureCtx = null;
  }

  close(): void {
    this.closedByUser = true;
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.retryTimer);
    this.ws?.close(1000);
    this.ws = null;
    this.releaseMic();
    void this.playCtx?.close().catch(() => undefined);
    this.playCtx = null;
  }
}
