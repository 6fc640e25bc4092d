// Recruiter views (staff): interview list with filters, interview detail (transcript,
// assessment, video, cost) and pending resume feedback to approve or edit.
import { api, errorText, getFeatures, getSession } from "../api";
import { alertBox, clear, fmtDate, fmtScore, fmtUsd, h, label, roleName } from "../dom";
import { ROLES } from "./dashboard";
import { messageItem } from "./interview";
import { assessmentView, focusAnswer } from "./results";
import { hiringPanel } from "./hiring";

const STATUSES = ["in_progress", "completed", "abandoned"];

export async function recruiterPage(main: HTMLElement): Promise<void> {
  const params = new URLSearchParams(sessionStorage.getItem("ie.recruiter.filters") ?? "");
  const status = h("select", { id: "f-status", name: "status" }, h("option", { value: "" }, "Any"), STATUSES.map((s) => h("option", { value: s }, label(s))));
  const role = h("select", { id: "f-role", name: "role_type" }, h("option", { value: "" }, "Any"), ROLES.map(([v, t]) => h("option", { value: v }, t)));
  const minScore = h("input", { id: "f-min", name: "min_score", type: "number", min: 0, max: 100, step: "any", inputmode: "decimal" });
  const maxScore = h("input", { id: "f-max", name: "max_score", type: "number", min: 0, max: 100, step: "any", inputmode: "decimal" });
  status.value = params.get("status") ?? "";
  role.value = params.get("role_type") ?? "";
  minScore.value = params.get("min_score") ?? "";
  maxScore.value = params.get("max_score") ?? "";
  const results = h("div", { id: "results", "aria-live": "polite" });
  const stats = h("div", { id: "stats" });
  let cursor: string | null = null;
  const more = h("button", { type: "button", class: "secondary", id: "load-more", hidden: true }, "Load more");
  const tbody = h("tbody");

  let seq = 0;
  const load = async (append: boolean) => {
    const mine = ++seq;
    results.setAttribute("aria-busy", "true");
    const q = new URLSearchParams();
    if (status.value) q.set("status", status.value);
    if (role.value) q.set("role_type", role.value);
    if (minScore.value) q.set("min_score", minScore.value);
    if (maxScore.value) q.set("max_score", maxScore.value);
    sessionStorage.setItem("ie.recruiter.filters", q.toString());
    q.set("limit", "25");
    if (append && cursor) q.set("cursor", cursor);
    try {
      const r = await api<any>("GET", `/api/v1/recruiter/interviews?${q}`);
      if (mine !== seq) return; // a newer query superseded this one
      results.setAttribute("data-query", q.toString());
      results.setAttribute("aria-busy", "false");
      if (!append) {
        clear(results);
        clear(tbody);
      }
      const rows: any[] = r.data.interviews ?? [];
      cursor = r.data.next_cursor ?? null;
      more.hidden = !cursor;
      for (const i of rows) {
        tbody.append(
          h("tr", { "data-id": i.id },
            h("td", {}, h("a", { href: `#/recruiter/interview/${i.id}` }, i.candidate_name ?? "Candidate")),
            h("td", {}, roleName(i.role_type)),
            h("td", {}, h("span", { class: `badge ${i.status}` }, label(i.status))),
            h("td", { class: "hide-phone" }, fmtDate(i.started_at)),
            h("td", { class: "hide-phone" }, String(i.questions_asked ?? "—")),
            h("td", {}, fmtScore(i.overall_score)),
            h("td", { class: "hide-phone" }, fmtUsd(i.cost_usd)),
          ),
        );
      }
      if (!append) {
        results.append(
          rows.length === 0
            ? h("p", { class: "muted" }, "No interviews match these filters.")
            : h("div", { class: "table-wrap" },
                h("table", { id: "interviews" },
                  h("caption", { class: "visually-hidden" }, "Interviews"),
                  h("thead", {}, h("tr", {},
                    h("th", { scope: "col" }, "Candidate"), h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Status"),
                    h("th", { scope: "col", class: "hide-phone" }, "Started"), h("th", { scope: "col", class: "hide-phone" }, "Questions"),
                    h("th", { scope: "col" }, "Score"), h("th", { scope: "col", class: "hide-phone" }, "Cost"))),
                  tbody,
                ),
              ),
        );
      }
    } catch (e) {
      if (mine !== seq) return;
      results.setAttribute("aria-busy", "false");
      clear(results);
      results.append(alertBox("error", errorText(e)));
    }
  };
  more.addEventListener("click", () => void load(true));
  const form = h("form", { class: "card", id: "filters", "aria-label": "Filters" },
    h("div", { class: "grid" },
      h("div", { class: "field" }, h("label", { for: "f-status" }, "Status"), status),
      h("div", { class: "field" }, h("label", { for: "f-role" }, "Role"), role),
      h("div", { class: "field" }, h("label", { for: "f-min" }, "Min score"), minScore),
      h("div", { class: "field" }, h("label", { for: "f-max" }, "Max score"), maxScore),
    ),
    h("div", { class: "row" }, h("button", { type: "submit", id: "apply-filters" }, "Apply filters"),
      h("button", { type: "reset", class: "secondary" }, "Clear")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void load(false);
  });
  form.addEventListener("reset", () => window.setTimeout(() => void load(false), 0));
  main.append(h("h1", {}, "Interviews"), stats, form, results, more);

  try {
    const s = (await api<any>("GET", "/api/v1/recruiter/stats")).data;
    const byStatus = s.by_status ?? s.counts_by_status ?? {};
    const counts = Object.entries(byStatus).map(([k, v]) => `${label(k)}: ${v}`).join(" · ");
    stats.append(h("div", { class: "card" }, h("dl", { class: "kv" },
      h("dt", {}, "Interviews"), h("dd", {}, counts || "—"),
      h("dt", {}, "Average score"), h("dd", {}, fmtScore(s.average_score ?? s.avg_score)),
      h("dt", {}, "Completion rate"), h("dd", {}, typeof s.completion_rate === "number" ? `${(s.completion_rate * (s.completion_rate <= 1 ? 100 : 1)).toFixed(0)} %` : "—"),
      h("dt", {}, "Average cost"), h("dd", {}, fmtUsd(s.average_cost_usd ?? s.avg_cost_usd)),
    )));
  } catch {
    /* stats are optional on this page */
  }
  await load(false);
}

async function loadVideo(id: string, box: HTMLElement): Promise<void> {
  const status = h("p", { role: "status" }, "Loading the video…");
  box.append(status);
  try {
    const resp = await fetch(`/api/v1/videos/${id}/stream`, { headers: { Authorization: `Bearer ${getSession()?.token ?? ""}` } });
    if (!resp.ok) {
      status.textContent = resp.status === 404 ? "No video for this interview." : `The video could not be loaded (${resp.status}).`;
      return;
    }
    const blob = await resp.blob();
    const url = URL.createObjectURL(blob);
    const video = h("video", { controls: true, class: "preview", id: "recruiter-video", src: url, "aria-label": "Interview video" });
    status.textContent = `Video (${(blob.size / 1048576).toFixed(1)} MiB)`;
    box.append(video);
  } catch {
    status.textContent = "The video could not be loaded.";
  }
}

/** The résumé an interview was started with: file, parsed skills and its feedback's state. */
async function loadResume(resumeId: string, box: HTMLElement): Promise<void> {
  try {
    const res = (await api<any>("GET", `/api/v1/resumes/${resumeId}`)).data;
    const skills: string[] = Array.isArray(res.parsed_data?.skills) ? res.parsed_data.skills : [];
    box.append(h("p", {}, h("strong", {}, res.file_name ?? "Resume"), " ", h("span", { class: `badge ${res.parsing_status}` }, label(res.parsing_status))));
    if (skills.length) box.append(h("ul", { class: "chips", "aria-label": "Skills found" }, skills.map((sk) => h("li", { class: "chip" }, sk))));
    if (res.parsing_status !== "completed") return;
    // Feedback is created with the parse, so a completed résumé has it.
    const fb = (await api<any>("GET", `/api/v1/resumes/${resumeId}/feedback`)).data;
    box.append(h("p", { id: "resume-feedback-status" }, "Feedback: ", h("span", { class: `badge ${fb.status}` }, label(fb.status)), " ",
      fb.status === "pending_approval" ? h("a", { href: "#/recruiter/feedback" }, "Review pending feedback") : null));
  } catch (e) {
    box.append(alertBox("error", errorText(e)));
  }
}

export async function recruiterDetailPage(main: HTMLElement, [id, seq]: string[]): Promise<() => void> {
  const urls: string[] = [];
  main.append(h("p", { class: "muted", role: "status" }, "Loading…"));
  let d: any;
  try {
    d = (await api<any>("GET", `/api/v1/recruiter/interviews/${id}`)).data;
  } catch (e) {
    clear(main);
    main.append(h("h1", {}, "Interview"), alertBox("error", errorText(e)), h("a", { href: "#/recruiter" }, "Back to interviews"));
    return () => undefined;
  }
  clear(main);
  const i = d.interview ?? {};
  const c = d.cost ?? {};
  const features = await getFeatures();
  const videoBox = h("div", { id: "video" });
  const resumeBox = h("div", { id: "resume" });
  const hiringBox = h("section", { id: "hiring", "aria-labelledby": "hiring-title" });
  main.append(
    h("p", { class: "row spread" }, h("a", { href: "#/recruiter" }, "← Interviews"), h("a", { href: `#/report/${id}`, id: "report-link" }, "Printable report")),
    h("h1", {}, `${roleName(i.role_type)} interview`),
    h("div", { class: "grid wide" },
      h("div", { class: "card" }, h("h2", {}, "Interview"), h("dl", { class: "kv" },
        h("dt", {}, "Status"), h("dd", { id: "detail-status" }, label(i.status ?? "")),
        h("dt", {}, "Started"), h("dd", {}, fmtDate(i.started_at)),
        h("dt", {}, "Completed"), h("dd", {}, fmtDate(i.completed_at)),
        h("dt", {}, "Reason"), h("dd", {}, label(i.completion_reason ?? "—")),
        h("dt", {}, "Questions"), h("dd", {}, String(i.questions_asked ?? "—")),
        h("dt", {}, "Difficulty"), h("dd", {}, label(i.current_difficulty ?? "—")),
        h("dt", {}, "AI"), h("dd", {}, `${d.ai_provider ?? "—"}${d.ai_model ? ` (${d.ai_model})` : ""}`),
      )),
      h("div", { class: "card", id: "cost" }, h("h2", {}, "Cost"), h("dl", { class: "kv" },
        h("dt", {}, "Total"), h("dd", { id: "cost-total" }, fmtUsd(c.total_usd)),
        h("dt", {}, "LLM"), h("dd", {}, fmtUsd(c.llm_usd)),
        h("dt", {}, "Speech"), h("dd", {}, fmtUsd(c.speech_usd)),
        h("dt", {}, "Realtime"), h("dd", {}, fmtUsd(c.realtime_usd)),
        h("dt", {}, "Tokens in / out"), h("dd", {}, `${c.tokens_in ?? 0} / ${c.tokens_out ?? 0}`),
        h("dt", {}, "Audio in / out"), h("dd", {}, `${c.audio_in_s ?? 0} s / ${c.audio_out_s ?? 0} s`),
      )),
    ),
    d.assessment ? assessmentView(d.assessment, `/recruiter/interview/${id}`, true) : alertBox("info", "No assessment yet."),
    hiringBox,
    i.resume_id ? h("section", { class: "card", "aria-labelledby": "resume-title" }, h("h2", { id: "resume-title" }, "Resume"), resumeBox) : "",
    h("section", { class: "card", "aria-labelledby": "video-title" }, h("h2", { id: "video-title" }, "Video"), videoBox),
    h("section", { "aria-labelledby": "transcript-title" }, h("h2", { id: "transcript-title" }, "Transcript"),
      h("ol", { class: "transcript", id: "transcript" }, (d.transcript ?? []).map((m: any) => messageItem(m)))),
  );
  const video = d.video;
  const videoStatus = String(video?.status ?? i.video_recording_status ?? "not_started");
  if (!features.video) {
    videoBox.append(h("p", { class: "muted" }, "Video is not available on this server."));
  } else if (!video || videoStatus === "not_started" || videoStatus === "deleted") {
    videoBox.append(h("p", { class: "muted" }, "No video for this interview."));
  } else if (videoStatus !== "completed") {
    // Only a finalized upload can be streamed (asking earlier would be a failing request).
    videoBox.append(h("p", { class: "muted" }, `Video ${label(videoStatus)}.`));
  } else {
    await loadVideo(id, videoBox);
    const v = videoBox.querySelector("video");
    if (v?.src) urls.push(v.src);
  }
  await hiringPanel(hiringBox, id, Object.keys(d.assessment?.skill_scores ?? {}));
  if (i.resume_id && features.resumes) await loadResume(String(i.resume_id), resumeBox);
  focusAnswer(seq);
  return () => urls.forEach((u) => URL.revokeObjectURL(u));
}

/** Feedback as staff see it (docs/openapi.json `ResumeFeedback`). */
interface StaffFeedback {
  id: string;
  resume_id: string;
  candidate_id: string;
  candidate_name?: string | null;
  file_name?: string | null;
  status: "pending_approval" | "approved" | "sent";
  feedback_content: string;
  identified_gaps: string[];
  recommended_resources: { title?: string; url?: string }[];
  generator?: string;
  auto_send_at?: string;
  approved_at?: string | null;
  sent_at?: string | null;
}

const FEEDBACK_STATUSES: [string, string][] = [
  ["pending_approval", "Pending approval"],
  ["approved", "Approved"],
  ["sent", "Sent"],
];

function feedbackCard(f: StaffFeedback, canEdit: boolean): HTMLElement {
  const tid = `fb-${f.id}`;
  const text = h("textarea", { id: tid, rows: 10, maxlength: 20000 }, f.feedback_content ?? "");
  const original = f.feedback_content ?? "";
  const msg = h("div", { "aria-live": "polite" });
  const badge = h("span", { class: `badge ${f.status}`, "data-status": f.status }, label(f.status));
  const approve = h("button", { type: "button", class: "approve" }, original === "" ? "Approve" : "Approve and send");
  const editable = canEdit && f.status === "pending_approval";
  if (!editable) {
    text.readOnly = true;
    approve.hidden = true;
  }
  approve.addEventListener("click", async () => {
    clear(msg);
    const content = text.value.trim();
    if (content === "") {
      msg.append(alertBox("error", "Feedback cannot be empty."));
      return;
    }
    approve.disabled = true;
    try {
      // Send the text only when staff changed it (an unchanged approval is not an edit).
      const body = content === original.trim() ? {} : { feedback_content: content };
      const r = await api<StaffFeedback>("POST", `/api/v1/resumes/${f.resume_id}/feedback/approve`, { body });
      badge.className = `badge ${r.data.status}`;
      badge.dataset.status = r.data.status;
      badge.textContent = label(r.data.status);
      text.readOnly = true;
      approve.hidden = true;
      msg.append(alertBox("ok", "Approved. It is being delivered to the candidate."));
    } catch (e) {
      msg.append(alertBox("error", errorText(e)));
      approve.disabled = false;
    }
  });
  return h("article", { class: "card feedback-item", "data-feedback": f.id, "data-resume": f.resume_id },
    h("h2", {}, f.candidate_name || "Candidate"),
    h("p", {}, badge, " ", h("span", { class: "muted" }, f.file_name ?? "")),
    h("p", { class: "muted" },
      f.status === "pending_approval" ? `Sent automatically ${fmtDate(f.auto_send_at)} unless approved earlier.` : f.sent_at ? `Sent ${fmtDate(f.sent_at)}.` : `Approved ${fmtDate(f.approved_at)}.`),
    f.identified_gaps.length ? h("div", {}, h("strong", {}, "Gaps"), h("ul", {}, f.identified_gaps.map((g) => h("li", {}, g)))) : null,
    f.recommended_resources.length
      ? h("p", {}, h("strong", {}, "Resources: "), f.recommended_resources.map((x) => x.title ?? x.url ?? "").join(" · "))
      : null,
    h("div", { class: "field" }, h("label", { for: tid }, editable ? "Feedback (edit before approving if needed)" : "Feedback"), text),
    msg,
    approve,
  );
}

export async function feedbackReviewPage(main: HTMLElement): Promise<void> {
  main.append(h("h1", {}, "Resume feedback"));
  const features = await getFeatures();
  if (!features.feedbackReview) {
    main.append(alertBox("info", "Resume feedback review is not available on this server yet."));
    return;
  }
  // Viewers may read; recruiters and admins approve (the server enforces it too).
  const canEdit = getSession()?.role !== "viewer";
  const status = h("select", { id: "fb-status", name: "status" }, FEEDBACK_STATUSES.map(([v, t]) => h("option", { value: v }, t)));
  status.value = sessionStorage.getItem("ie.feedback.status") ?? "pending_approval";
  const box = h("div", { id: "feedback-list", "aria-live": "polite" });
  const filter = h("form", { class: "card row", "aria-label": "Feedback filter" },
    h("div", { class: "field" }, h("label", { for: "fb-status" }, "Status"), status));
  main.append(filter, box);
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    sessionStorage.setItem("ie.feedback.status", status.value);
    box.setAttribute("aria-busy", "true");
    try {
      const q = new URLSearchParams({ status: status.value, limit: "50" });
      const r = await api<{ feedback: StaffFeedback[]; total_count: number }>("GET", `/api/v1/recruiter/feedback?${q}`);
      if (mine !== seq) return;
      clear(box);
      const items = r.data.feedback;
      if (items.length === 0) {
        box.append(h("p", { class: "muted" }, status.value === "pending_approval" ? "No feedback is waiting for approval." : "No feedback here."));
      } else if (r.data.total_count > items.length) {
        box.append(h("p", { class: "muted" }, `Showing ${items.length} of ${r.data.total_count}, soonest automatic send first.`));
      }
      for (const f of items) box.append(feedbackCard(f, canEdit));
    } catch (e) {
      if (mine !== seq) return;
      clear(box);
      box.append(alertBox("error", errorText(e)));
    } finally {
      if (mine === seq) box.setAttribute("aria-busy", "false");
    }
  };
  status.addEventListener("change", () => void load());
  filter.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void load();
  });
  await load();
}
