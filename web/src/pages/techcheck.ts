// Tech check: microphone level meter and camera preview (getUserMedia), saved with
// POST /interviews/{id}/tech-check; optional video-recording consent.
import { api, errorText, getFeatures } from "../api";
import { alertBox, announce, h } from "../dom";
import { navigate } from "../nav";

export async function techCheckPage(main: HTMLElement, [id]: string[]): Promise<() => void> {
  const features = await getFeatures();
  let stream: MediaStream | null = null;
  let audioCtx: AudioContext | null = null;
  let raf = 0;
  let peak = 0;
  const messages = h("div");
  const video = h("video", { class: "preview", id: "camera-preview", muted: true, autoplay: true, playsinline: true, "aria-label": "Camera preview" });
  const meter = h("meter", { id: "mic-level", min: 0, max: 1, low: 0.05, high: 0.6, optimum: 0.3, value: 0, "aria-label": "Microphone level" });
  const micStatus = h("span", { id: "mic-status", class: "muted" }, "Not checked");
  const camStatus = h("span", { id: "cam-status", class: "muted" }, "Not checked");
  const startBtn = h("button", { type: "button", id: "start-check" }, "Start check");
  const saveBtn = h("button", { type: "button", id: "save-check", disabled: true }, "Save and continue");
  const skipBtn = h("button", { type: "button", class: "secondary", id: "skip-check" }, "Skip (text only)");
  const consent = h("input", { type: "checkbox", id: "video-consent" });
  let micOk = false;
  let camOk = false;

  const stop = () => {
    cancelAnimationFrame(raf);
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    void audioCtx?.close().catch(() => undefined);
    audioCtx = null;
  };

  startBtn.addEventListener("click", async () => {
    messages.replaceChildren();
    startBtn.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    } catch {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch {
        messages.append(alertBox("error", "The browser did not allow microphone or camera access. Check the site permissions, or continue with text only."));
        startBtn.disabled = false;
        saveBtn.disabled = false;
        return;
      }
    }
    camOk = stream.getVideoTracks().some((t) => t.readyState === "live");
    if (camOk) {
      video.srcObject = stream;
      video.play().catch(() => undefined);
    }
    camStatus.textContent = camOk ? "Camera working" : "No camera";
    audioCtx = new AudioContext();
    const src = audioCtx.createMediaStreamSource(stream);
    const analyser = audioCtx.createAnalyser();
    analyser.fftSize = 1024;
    src.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    const tick = () => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const rms = Math.sqrt(sum / buf.length);
      const level = Math.min(1, rms * 4);
      meter.value = level;
      peak = Math.max(peak, level);
      if (!micOk && peak > 0.01) {
        micOk = true;
        micStatus.textContent = "Microphone working";
        announce("Microphone working");
      }
      raf = requestAnimationFrame(tick);
    };
    tick();
    saveBtn.disabled = false;
    saveBtn.focus();
  });

  const save = async (mic: boolean, cam: boolean) => {
    messages.replaceChildren();
    saveBtn.disabled = true;
    try {
      await api("POST", `/api/v1/interviews/${id}/tech-check`, {
        body: {
          microphone_ok: mic,
          camera_ok: cam,
          browser: navigator.userAgent.slice(0, 200),
          sample_rate_hz: audioCtx ? Math.round(audioCtx.sampleRate) : null,
          notes: null,
        },
      });
      if (features.video) {
        await api("POST", `/api/v1/interviews/${id}/video-consent`, { body: { consent: consent.checked && cam } });
      }
      stop();
      navigate(`/interview/${id}`);
    } catch (e) {
      messages.append(alertBox("error", errorText(e)));
      saveBtn.disabled = false;
    }
  };
  saveBtn.addEventListener("click", () => void save(micOk, camOk));
  skipBtn.addEventListener("click", () => void save(false, false));

  main.append(
    h("h1", {}, "Tech check"),
    h("p", {}, "Check your microphone and camera before the interview. Speak to see the level move."),
    messages,
    h("div", { class: "card" },
      h("div", { class: "grid wide" },
        h("div", {}, h("h2", {}, "Camera"), video, h("p", {}, camStatus)),
        h("div", {}, h("h2", {}, "Microphone"), meter, h("p", {}, micStatus)),
      ),
      features.video
        ? h("div", { class: "field inline" }, consent, h("label", { for: "video-consent" }, "Record video of my interview (optional; recruiters can watch it)"))
        : h("p", { class: "muted", id: "video-unavailable" }, "Video recording is not available on this server."),
      h("div", { class: "row" }, startBtn, saveBtn, skipBtn),
    ),
  );
  return stop;
}
