// Optional interview video (with consent): MediaRecorder collects the recording in memory; at the
// end it is cut into 5 MiB chunks (R2's minimum part size; the last may be smaller) uploaded in
// order with progress, each retried with backoff; a retry first asks /upload-status which chunks
// the server already has, so an interrupted upload resumes. Then /finalize.
import { api, ApiError, getSession } from "./api";
import { sleep } from "./dom";

export const CHUNK_BYTES = 5 * 1024 * 1024;

export class VideoRecorder {
  private recorder: MediaRecorder | null = null;
  private parts: Blob[] = [];
  private stream: MediaStream | null = null;
  mimeType = "video/webm";

  get recording(): boolean {
    return this.recorder !== null && this.recorder.state === "recording";
  }

  get size(): number {
    return this.parts.reduce((n, b) => n + b.size, 0);
  }

  async start(preview?: HTMLVideoElement): Promise<void> {
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
    if (preview) {
      preview.srcObject = this.stream;
      preview.play().catch(() => undefined);
    }
    const types = ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
    const type = types.find((t) => MediaRecorder.isTypeSupported(t)) ?? "";
    this.recorder = new MediaRecorder(this.stream, type ? { mimeType: type } : {});
    this.mimeType = (type.split(";")[0] || "video/webm");
    this.recorder.ondataavailable = (e) => {
      if (e.data.size > 0) this.parts.push(e.data);
    };
    this.recorder.start(1000);
  }

  /** Stops recording; resolves with the whole recording (empty when nothing was recorded). */
  stop(): Promise<Blob> {
    const done = () => {
      this.stream?.getTracks().forEach((t) => t.stop());
      this.stream = null;
      return new Blob(this.parts, { type: this.mimeType });
    };
    const rec = this.recorder;
    this.recorder = null;
    if (!rec || rec.state === "inactive") return Promise.resolve(done());
    return new Promise((resolve) => {
      rec.onstop = () => resolve(done());
      rec.stop();
    });
  }
}

/** Splits `size` bytes into [start, end) ranges of CHUNK_BYTES (the last one smaller). */
export function chunkRanges(size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < size; start += CHUNK_BYTES) out.push([start, Math.min(size, start + CHUNK_BYTES)]);
  return out;
}

function putChunk(url: string, form: FormData, onProgress: (loaded: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    const token = getSession()?.token;
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve();
        return;
      }
      let code = `HTTP_${xhr.status}`;
      let message = `Upload failed (${xhr.status}).`;
      try {
        const body = JSON.parse(xhr.responseText);
        code = body.error?.code ?? code;
        message = body.error?.message ?? message;
      } catch {
        /* not JSON */
      }
      const retry = Number(xhr.getResponseHeader("Retry-After"));
      reject(new ApiError(xhr.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : null));
    };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "The connection dropped during the upload."));
    xhr.send(form);
  });
}

export async function uploadVideo(
  interviewId: string,
  blob: Blob,
  onProgress: (fraction: number, text: string) => void,
): Promise<any> {
  const ranges = chunkRanges(blob.size);
  const total = ranges.length;
  const base = `/api/v1/videos/${interviewId}`;
  let received = new Set<number>();
  const doneBytes = () => ranges.reduce((n, [s, e], i) => n + (received.has(i) ? e - s : 0), 0);
  for (let i = 0; i < total; i++) {
    if (received.has(i)) continue;
    const [s, e] = ranges[i];
    for (let attempt = 0; ; attempt++) {
      try {
        const form = new FormData();
        form.append("chunk_index", String(i));
        form.append("total_chunks", String(total));
        form.append("video_chunk", blob.slice(s, e, blob.type), `chunk-${i}.webm`);
        await putChunk(`${base}/upload-chunk`, form, (loaded) => {
          onProgress((doneBytes() + loaded) / blob.size, `Uploading video: chunk ${i + 1} of ${total}`);
        });
        received.add(i);
        onProgress(doneBytes() / blob.size, `Uploaded chunk ${i + 1} of ${total}`);
        break;
      } catch (err) {
        const retryable = err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status >= 500);
        if (!retryable || attempt >= 5) throw err;
        const wait = (err as ApiError).retryAfter ?? Math.min(30, 2 ** attempt);
        onProgress(doneBytes() / blob.size, `Upload interrupted; retrying in ${wait} s…`);
        await sleep(wait * 1000);
        // Resume: ask which chunks the server already holds.
        try {
          const st = await api<any>("GET", `${base}/upload-status`);
          if (Array.isArray(st.data.received)) received = new Set(st.data.received.map(Number));
        } catch {
          /* keep what we know */
        }
        if (received.has(i)) break;
      }
    }
  }
  onProgress(1, "Finalising the video…");
  const fin = await api<any>("POST", `${base}/finalize`);
  onProgress(1, "Video uploaded.");
  return fin.data;
}
