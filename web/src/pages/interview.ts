// The interview page: transcript loaded from the server on entry (so a reload resumes), an
// answer box with the 2000-character limit, question number and difficulty, an AI-thinking
// indicator, finish, Idempotency-Key retries (503 AI_UNAVAILABLE, 429, network drops), voice
// mode and optional video recording.
import { api, ApiError, errorText, getFeatures, newKey } from "../api";
import { alertBox, announce, clear, h, label, roleName, sleep } from "../dom";
import { VoiceSession } from "../voice";
import { VideoRecorder, uploadVideo } from "../video";

const MAX_CHARS = 2000;

interface Pending {
  key: string;
  text: string;
  meta: { pasted: boolean; typing_ms: number };
}

export function messageItem(m: any, prefix = "msg"): HTMLElement {
  const ai = m.message_type === "ai_question";
  return h(
    "li",
    { class: `msg ${m.message_type}`, id: `${prefix}-${m.sequence_number}`, tabindex: -1, "data-seq": m.sequence_number },
    h("span", { class: "who" }, ai ? "Interviewer" : `You · answer #${m.sequence_number}`),
    String(m.content_text ?? ""),
  );
}

export async function loadAllMessages(id: string): Promise<any[]> {
  const out: any[] = [];
  for (let skip = 0; ; ) {
    const r = await api<any>("GET", `/api/v1/interviews/${id}/messages?skip=${skip}&limit=100`);
    const page = r.data.messages ?? [];
    out.push(...page);
    skip += page.length;
    if (page.length === 0 || skip >= (r.data.total_count ?? 0)) return out;
  }
}

export async function interviewPage(main: HTMLElement, [id]: string[]): Promise<() => void> {
  const pendingKey = `ie.pending.${id}`;
  let alive = true;
  let voice: VoiceSession | null = null;
  const recorder = new VideoRecorder();
  const features = await getFeatures();

  const heading = h("h1", {}, "Interview");
  const statusLine = h("div", { class: "status-line" });
  const qNum = h("span", { id: "question-number", class: "badge" }, "Question —");
  const diff = h("span", { id: "difficulty", class: "badge" }, "—");
  statusLine.append(qNum, diff);
  const notices = h("div", { id: "notices" });
  const list = h("ol", { class: "transcript", id: "transcript", "aria-label": "Transcript" });
  const box = h("div", { class: "transcript-box", "aria-live": "polite", "aria-relevant": "additions" }, list);
  const thinking = h("p", { class: "thinking", id: "thinking", role: "status", hidden: true }, "The interviewer is thinking");
  const answer = h("textarea", { id: "answer", name: "answer", maxlength: MAX_CHARS, "aria-describedby": "answer-counter answer-help", required: true });
  const counter = h("span", { id: "answer-counter", class: "counter", "aria-live": "polite" }, `0 / ${MAX_CHARS}`);
  const sendBtn = h("button", { type: "submit", id: "send-answer" }, "Send answer");
  const form = h(
    "form",
    { class: "card", id: "answer-form", "aria-label": "Answer the question" },
    h("div", { class: "field" },
      h("label", { for: "answer" }, "Your answer"),
      h("span", { id: "answer-help", class: "muted" }, "Ctrl+Enter sends."),
      answer,
    ),
    h("div", { class: "row" }, sendBtn, counter),
  );
  const finishBtn = h("button", { type: "button", class: "secondary", id: "finish" }, "Finish interview");
  const confirmBox = h("div", { class: "alert warn", id: "finish-confirm", hidden: true, role: "group", "aria-label": "Confirm finishing" },
    h("p", {}, "Finish now? You cannot answer more questions afterwards."),
  );
  const confirmYes = h("button", { type: "button", class: "danger", id: "finish-yes" }, "Yes, finish");
  const confirmNo = h("button", { type: "button", class: "secondary", id: "finish-no" }, "Keep going");
  confirmBox.append(h("div", { class: "row" }, confirmYes, confirmNo));
  const done = h("div", { id: "done" });
  const voicePanel = h("section", { class: "card", "aria-labelledby": "voice-title" }, h("h2", { id: "voice-title" }, "Voice mode"));
  const videoPanel = h("section", { class: "card", "aria-labelledby": "video-title" }, h("h2", { id: "video-title" }, "Video recording"));

  main.append(heading, statusLine, notices, box, thinking, form, h("div", { class: "row" }, finishBtn), confirmBox, done, voicePanel, videoPanel);

  let interview: any;
  let messages: any[];
  let status: any;
  try {
    [interview, messages, status] = await Promise.all([
      api<any>("GET", `/api/v1/interviews/${id}`).then((r) => r.data),
      loadAllMessages(id),
      api<any>("GET", `/api/v1/interviews/${id}/status`).then((r) => r.data),
    ]);
  } catch (e) {
    clear(main);
    main.append(h("h1", {}, "Interview"), alertBox("error", errorText(e)), h("a", { href: "#/dashboard" }, "Back to my interviews"));
    return () => undefined;
  }
  heading.textContent = `${roleName(interview.role_type)} interview`;
  let total = interview.total_questions;
  let finished = false;

  const renderMessages = () => {
    clear(list);
    for (const m of messages) list.append(messageItem(m));
    box.scrollTop = box.scrollHeight;
  };
  const setState = (questionNumber: number, difficulty: string) => {
    qNum.textContent = `Question ${questionNumber} of ~${total}`;
    diff.textContent = `Difficulty: ${label(difficulty)}`;
  };
  const questionCount = () => messages.filter((m) => m.message_type === "ai_question").length;
  const refresh = async () => {
    messages = await loadAllMessages(id);
    renderMessages();
  };

  renderMessages();
  setState(Math.max(1, questionCount()), interview.current_difficulty);

  const updateCounter = () => {
    const n = answer.value.length;
    counter.textContent = `${n} / ${MAX_CHARS}`;
    counter.classList.toggle("over", n >= MAX_CHARS);
  };
  let typingStart = 0;
  let pasted = false;
  answer.addEventListener("input", () => {
    if (!typingStart) typingStart = performance.now();
    updateCounter();
  });
  answer.addEventListener("paste", () => (pasted = true));
  answer.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  const setBusy = (busy: boolean) => {
    thinking.hidden = !busy;
    sendBtn.disabled = busy || finished;
    answer.disabled = finished;
    finishBtn.disabled = busy || finished;
  };

  const showFinished = async (reason: string | null) => {
    finished = true;
    setBusy(false);
    form.hidden = true;
    finishBtn.hidden = true;
    confirmBox.hidden = true;
    voice?.close();
    clear(done);
    done.append(
      alertBox("ok", `The interview is complete${reason ? ` (${label(reason)})` : ""}. Thank you!`),
      h("p", {}, h("a", { href: `#/results/${id}`, id: "results-link", class: "button" }, "View your results")),
    );
    announce("The interview is complete.");
    if (recorder.recording) await finishVideo();
  };

  const stored = (): Pending | null => {
    try {
      return JSON.parse(sessionStorage.getItem(pendingKey) ?? "null");
    } catch {
      return null;
    }
  };

  const deliver = async (p: Pending | null): Promise<void> => {
    setBusy(true);
    clear(notices);
    for (let attempt = 0; alive; attempt++) {
      try {
        const r = p
          ? await api<any>("POST", `/api/v1/interviews/${id}/messages`, {
              body: { message_text: p.text, client_metadata: p.meta },
              headers: { "Idempotency-Key": p.key },
            })
          : await api<any>("POST", `/api/v1/interviews/${id}/messages/retry`);
        sessionStorage.removeItem(pendingKey);
        clear(notices);
        const t = r.data;
        total = t.total_questions ?? total;
        await refresh();
        setState(t.question_number, t.session_state?.current_difficulty ?? interview.current_difficulty);
        setBusy(false);
        if (t.interview_complete) {
          await showFinished(t.completion_reason ?? null);
        } else {
          announce(`Question ${t.question_number}`);
          answer.focus();
        }
        return;
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(0, "NETWORK", "Network error");
        if (err.code === "INTERVIEW_COMPLETED" || err.code === "INTERVIEW_ABANDONED") {
          sessionStorage.removeItem(pendingKey);
          await refresh();
          if (err.code === "INTERVIEW_COMPLETED") await showFinished(null);
          else abandoned();
          return;
        }
        if (err.code === "AI_RESPONSE_PENDING" && p) {
          // Another tab's turn is pending: finish that one, then send ours.
          await sleep(1000);
          continue;
        }
        const retryable = err.status === 0 || err.status === 429 || err.status >= 500;
        if (!retryable || attempt >= 5) {
          clear(notices);
          const retry = h("button", { type: "button", id: "retry-now" }, "Try again");
          retry.addEventListener("click", () => void deliver(p));
          notices.append(alertBox("error", errorText(err)), retry);
          if (!retryable && p) {
            // Refused (e.g. validation): give the text back for editing.
            sessionStorage.removeItem(pendingKey);
            answer.value = p.text;
            updateCounter();
            await refresh();
          }
          setBusy(false);
          sendBtn.disabled = retryable;
          return;
        }
        const wait = err.retryAfter ?? Math.min(30, 2 ** attempt);
        clear(notices);
        const what = err.code === "AI_UNAVAILABLE"
          ? "The AI interviewer is temporarily unavailable. Your answer is saved"
          : err.code === "RATE_LIMITED" ? "You are answering quickly" : "Connection problem";
        notices.append(alertBox("warn", `${what}; retrying in ${wait} s…`));
        await sleep(wait * 1000);
      }
    }
  };

  const abandoned = () => {
    finished = true;
    form.hidden = true;
    finishBtn.hidden = true;
    clear(done);
    done.append(
      alertBox("warn", "This interview was closed after a period of inactivity."),
      h("a", { href: "#/dashboard", class: "button" }, "Start a new interview"),
    );
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = answer.value.trim();
    if (!text) {
      clear(notices);
      notices.append(alertBox("error", "Write an answer first."));
      answer.focus();
      return;
    }
    const p: Pending = {
      key: newKey(),
      text,
      meta: { pasted, typing_ms: typingStart ? Math.round(performance.now() - typingStart) : 0 },
    };
    sessionStorage.setItem(pendingKey, JSON.stringify(p));
    messages.push({ message_type: "candidate_response", content_text: text, sequence_number: "pending" });
    renderMessages();
    answer.value = "";
    typingStart = 0;
    pasted = false;
    updateCounter();
    void deliver(p);
  });

  finishBtn.addEventListener("click", () => {
    confirmBox.hidden = false;
    confirmYes.focus();
  });
  confirmNo.addEventListener("click", () => {
    confirmBox.hidden = true;
    finishBtn.focus();
  });
  confirmYes.addEventListener("click", async () => {
    confirmYes.disabled = true;
    try {
      const r = await api<any>("POST", `/api/v1/interviews/${id}/complete`);
      await showFinished(r.data.completion_reason ?? "candidate_request");
    } catch (e) {
      notices.append(alertBox("error", errorText(e)));
    } finally {
      confirmYes.disabled = false;
    }
  });

  // Voice mode
  if (!features.voice) {
    voicePanel.append(alertBox("info", "Voice mode is not available on this server. Type your answers."));
  } else {
    const voiceStatus = h("div", { id: "voice-status" });
    const captions = h("p", { class: "captions", id: "captions", "aria-live": "polite" }, "");
    const startVoice = h("button", { type: "button", id: "voice-start", class: "secondary" }, "Use voice mode");
    const hold = h("button", { type: "button", id: "hold-to-speak", class: "hold", "aria-pressed": "false", disabled: true }, "Hold to speak");
    const progress = h("p", { class: "muted", id: "voice-progress" });
    voicePanel.append(voiceStatus, h("div", { class: "row" }, startVoice, hold), progress, captions);
    const setStatus = (t: string, k: "info" | "ok" | "warn" | "error") => {
      clear(voiceStatus);
      voiceStatus.append(alertBox(k, t));
    };
    let streamed = false;
    startVoice.addEventListener("click", async () => {
      startVoice.disabled = true;
      voice = new VoiceSession(id, {
        onStatus: (t, k) => {
          setStatus(t, k);
          hold.disabled = voicePanel.dataset.voice === "unavailable" || (k !== "ok" && hold.disabled);
        },
        onCaption: (t, final) => {
          captions.textContent = t;
          if (!final) streamed = true;
        },
        onTurn: () => {
          // A turn taken over REST streams nothing to the socket: caption the new question
          // from the transcript instead of leaving the previous one up.
          const fromTranscript = !streamed;
          streamed = false;
          void refresh().then(() => {
            const q = [...messages].reverse().find((m) => m.message_type === "ai_question");
            if (fromTranscript && q) captions.textContent = String(q.content_text ?? "");
          });
        },
        onCompleted: (reason) => void refresh().then(() => showFinished(reason)),
        onState: (st) => {
          voicePanel.dataset.socket = "connected";
          if (typeof st.question_number === "number") {
            progress.textContent = `Live: question ${st.question_number}${st.total_questions ? ` of up to ${st.total_questions}` : ""}${st.current_difficulty ? ` · ${label(st.current_difficulty)}` : ""}`;
          }
        },
        onVoiceUnavailable: () => {
          hold.setAttribute("aria-pressed", "false");
          hold.disabled = true;
          hold.textContent = "Voice unavailable";
          voicePanel.dataset.voice = "unavailable";
        },
      });
      await voice.connect();
    });
    const press = (on: boolean) => {
      hold.setAttribute("aria-pressed", String(on));
      if (on) void voice?.startTalking();
      else voice?.stopTalking();
    };
    hold.addEventListener("pointerdown", () => press(true));
    hold.addEventListener("pointerup", () => press(false));
    hold.addEventListener("pointerleave", () => hold.getAttribute("aria-pressed") === "true" && press(false));
    hold.addEventListener("keydown", (e) => {
      if ((e.key === " " || e.key === "Enter") && !e.repeat) {
        e.preventDefault();
        press(true);
      }
    });
    hold.addEventListener("keyup", (e) => {
      if (e.key === " " || e.key === "Enter") press(false);
    });
  }

  // Video recording
  const progress = h("progress", { id: "video-progress", max: 1, value: 0, hidden: true, "aria-label": "Video upload progress" });
  const videoStatus = h("p", { id: "video-status", role: "status" });
  const finishVideo = async (): Promise<void> => {
    videoStatus.textContent = "Preparing the recording…";
    const blob = await recorder.stop();
    if (blob.size === 0) {
      videoStatus.textContent = "Nothing was recorded.";
      return;
    }
    progress.hidden = false;
    try {
      await uploadVideo(id, blob, (f, text) => {
        progress.value = f;
        videoStatus.textContent = text;
      });
    } catch (e) {
      videoStatus.textContent = `The video upload failed: ${errorText(e)}`;
    }
  };
  if (!features.video) {
    videoPanel.append(h("p", { class: "muted" }, "Video recording is not available on this server."));
  } else if (!interview.video_recording_consent) {
    videoPanel.append(h("p", { class: "muted" }, "Video recording is off (no consent given in the tech check)."));
  } else {
    const preview = h("video", { class: "preview", muted: true, autoplay: true, playsinline: true, "aria-label": "Your camera" });
    const rec = h("button", { type: "button", id: "video-record" }, "Start recording");
    rec.addEventListener("click", async () => {
      rec.disabled = true;
      try {
        await recorder.start(preview);
        videoStatus.textContent = "Recording. The video is uploaded when the interview ends.";
      } catch {
        videoStatus.textContent = "The camera could not be opened.";
        rec.disabled = false;
      }
    });
    videoPanel.append(h("div", { class: "row" }, rec), preview, videoStatus, progress);
  }

  // Resume state
  if (interview.status === "completed") {
    await showFinished(interview.completion_reason ?? null);
  } else if (interview.status === "abandoned") {
    abandoned();
  } else if (status.pending_ai_response) {
    const p = stored();
    void deliver(p);
  } else {
    sessionStorage.removeItem(pendingKey);
    setBusy(false);
    answer.focus();
  }

  return () => {
    alive = false;
    voice?.close();
    if (recorder.recording) void recorder.stop();
  };
}
