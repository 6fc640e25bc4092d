// Candidate dashboard: my interviews, start a new one, resumes (when the server has them).
import { api, errorText, getFeatures } from "../api";
import { alertBox, clear, fmtDate, fmtScore, h, label, roleName } from "../dom";
import { navigate } from "../nav";

export const ROLES: [string, string][] = [
  ["react", "React developer"],
  ["python", "Python developer"],
  ["javascript", "JavaScript developer"],
  ["fullstack", "Full-stack developer"],
];

export async function dashboardPage(main: HTMLElement): Promise<() => void> {
  let alive = true;
  const features = await getFeatures();
  const interviewsBox = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading interviews…"));
  const resumesBox = h("div");
  const startErrors = h("div");
  const role = h("select", { id: "role_type", name: "role_type", required: true }, ROLES.map(([v, t]) => h("option", { value: v }, t)));
  const resumeSelect = h("select", { id: "resume_id", name: "resume_id" }, h("option", { value: "" }, "No resume"));
  const startButton = h("button", { type: "submit", id: "start-interview" }, "Start interview");
  const startForm = h(
    "form",
    { class: "card", "aria-labelledby": "start-title" },
    h("h2", { id: "start-title" }, "Start a new interview"),
    startErrors,
    h("div", { class: "grid" },
      h("div", { class: "field" }, h("label", { for: "role_type" }, "Role"), role),
      features.resumes ? h("div", { class: "field" }, h("label", { for: "resume_id" }, "Resume (optional)"), resumeSelect) : null,
    ),
    h("p", { class: "muted" }, "You will check your microphone and camera first. Answers are typed; voice mode is offered when the server supports it."),
    startButton,
  );
  startForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    startErrors.replaceChildren();
    startButton.disabled = true;
    const body: Record<string, string> = { role_type: role.value, mode: "text" };
    if (features.resumes && resumeSelect.value) body.resume_id = resumeSelect.value;
    try {
      const r = await api<any>("POST", "/api/v1/interviews/start", { body });
      navigate(`/tech-check/${r.data.id}`);
    } catch (e) {
      startErrors.append(alertBox("error", errorText(e)));
      startButton.disabled = false;
    }
  });

  main.append(
    h("h1", {}, "My interviews"),
    startForm,
    h("section", { "aria-labelledby": "list-title" }, h("h2", { id: "list-title" }, "Interviews"), interviewsBox),
    h("section", { "aria-labelledby": "resumes-title" }, h("h2", { id: "resumes-title" }, "Resumes"), resumesBox),
  );

  // Interviews
  try {
    const r = await api<any>("GET", "/api/v1/interviews?limit=50");
    const rows: any[] = r.data.interviews ?? [];
    clear(interviewsBox);
    interviewsBox.removeAttribute("aria-busy");
    if (rows.length === 0) {
      interviewsBox.append(h("p", { class: "muted" }, "No interviews yet."));
    } else {
      interviewsBox.append(
        h("div", { class: "table-wrap" },
          h("table", { id: "my-interviews" },
            h("caption", { class: "visually-hidden" }, "My interviews"),
            h("thead", {}, h("tr", {}, ["Role", "Status", "Started", "Questions", "Score", ""].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, rows.map((i: any) =>
              h("tr", { "data-id": i.id },
                h("td", {}, roleName(i.role_type)),
                h("td", {}, h("span", { class: `badge ${i.status}` }, label(i.status))),
                h("td", {}, fmtDate(i.started_at)),
                h("td", {}, String(i.questions_asked ?? "—")),
                h("td", {}, fmtScore(i.overall_score)),
                h("td", {},
                  i.status === "in_progress"
                    ? h("a", { href: `#/interview/${i.id}` }, "Continue")
                    : i.status === "completed"
                      ? h("a", { href: `#/results/${i.id}` }, "Results")
                      : h("span", { class: "muted" }, "—"),
                ),
              ))),
          ),
        ),
      );
    }
  } catch (e) {
    clear(interviewsBox);
    interviewsBox.append(alertBox("error", errorText(e)));
  }

  // Resumes
  if (!features.resumes) {
    resumesBox.append(alertBox("info", "Resume upload is not available on this server yet."));
  } else {
    void resumesSection(resumesBox, resumeSelect, () => alive);
  }
  return () => {
    alive = false;
  };
}

/** A resume as `GET /api/v1/resumes` shows it (docs/openapi.json `Resume`). */
interface Resume {
  id: string;
  file_name: string;
  parsing_status: "pending" | "processing" | "completed" | "failed";
  parsing_error: { code: string | null; reason: string } | null;
  will_retry: boolean;
  parsed_data: {
    skills?: string[];
    experience_years?: number | null;
    education?: string[];
    previous_roles?: string[];
  } | null;
  uploaded_at: string;
  feedback_sent_at?: string | null;
}

/** Candidate feedback as `GET /api/v1/resumes/{id}/feedback` shows it once sent. */
interface Feedback {
  feedback_content: string;
  identified_gaps: string[];
  recommended_resources: { title?: string; url?: string }[];
  sent_at: string | null;
}

const POLL_FAST_MS = 2000;
const POLL_SLOW_MS = 30_000;

function safeUrl(u: unknown): string | null {
  if (typeof u !== "string") return null;
  try {
    const url = new URL(u);
    return url.protocol === "https:" || url.protocol === "http:" ? url.toString() : null;
  } catch {
    return null;
  }
}

function feedbackView(fb: Feedback): HTMLElement {
  return h("div", { class: "feedback", "data-feedback": "sent" },
    h("h4", {}, "Feedback"),
    ...String(fb.feedback_content ?? "").split(/\n{2,}/).map((para) => h("p", {}, para)),
    fb.identified_gaps.length
      ? h("div", {}, h("strong", {}, "Areas to strengthen"), h("ul", {}, fb.identified_gaps.map((g) => h("li", {}, g))))
      : null,
    fb.recommended_resources.length
      ? h("div", {}, h("strong", {}, "Recommended resources"),
          h("ul", {}, fb.recommended_resources.map((x) => {
            const url = safeUrl(x.url);
            const title = x.title ?? x.url ?? "Resource";
            return h("li", {}, url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, title) : title);
          })))
      : null,
  );
}

function resumeCard(res: Resume, feedback: Feedback | undefined): HTMLElement {
  const status = res.parsing_status;
  const parsed = res.parsed_data ?? {};
  const skills = Array.isArray(parsed.skills) ? parsed.skills : [];
  const statusText: Record<Resume["parsing_status"], string> = {
    pending: "Waiting to be parsed",
    processing: "Parsing…",
    completed: "Parsed",
    failed: "Parsing failed",
  };
  return h("article", { class: "card resume", "data-resume": res.id, "data-status": status },
    h("h3", {}, res.file_name || "Resume"),
    h("p", { class: "muted" }, `Uploaded ${fmtDate(res.uploaded_at)}`),
    h("p", {}, "Status: ", h("span", { class: `badge ${status}`, "data-parsing": status }, statusText[status] ?? label(status))),
    status === "failed"
      ? alertBox(res.will_retry ? "warn" : "error",
          `${res.parsing_error?.reason ?? "The file could not be read."}${res.will_retry ? " It will be retried automatically." : " Try uploading another file (a PDF with a text layer, a DOCX or plain text)."}`)
      : null,
    skills.length > 0
      ? h("div", {}, h("strong", {}, "Skills found"), h("ul", { class: "chips", "aria-label": "Skills found" }, skills.map((sk) => h("li", { class: "chip" }, sk))))
      : status === "completed" ? h("p", { class: "muted" }, "No known skills were found in this resume.") : null,
    typeof parsed.experience_years === "number" ? h("p", {}, h("strong", {}, "Experience: "), `${parsed.experience_years} years`) : null,
    Array.isArray(parsed.education) && parsed.education.length ? h("p", {}, h("strong", {}, "Education: "), parsed.education.join("; ")) : null,
    Array.isArray(parsed.previous_roles) && parsed.previous_roles.length ? h("p", {}, h("strong", {}, "Roles: "), parsed.previous_roles.join(", ")) : null,
    feedback
      ? feedbackView(feedback)
      : status === "completed"
        ? h("p", { class: "muted", "data-feedback": "waiting" }, "Personal feedback on this resume is being prepared; it appears here when it is ready.")
        : null,
  );
}

async function resumesSection(box: HTMLElement, select: HTMLSelectElement, alive: () => boolean): Promise<void> {
  const errors = h("div", { "aria-live": "polite" });
  const file = h("input", { id: "resume-file", type: "file", accept: ".pdf,.docx,.txt,application/pdf,text/plain,application/vnd.openxmlformats-officedocument.wordprocessingml.document", required: true });
  const button = h("button", { type: "submit", id: "upload-resume" }, "Upload resume");
  const listBox = h("div", { id: "resumes", "aria-live": "polite" });
  const form = h("form", { class: "card", "aria-label": "Upload a resume" },
    errors,
    h("div", { class: "field" }, h("label", { for: "resume-file" }, "Resume file (PDF, DOCX or text, up to 10 MiB)"), file),
    button,
  );
  box.append(form, listBox);
  // Sent feedback never changes: fetch each once.
  const feedbacks = new Map<string, Feedback>();
  let timer = 0;
  let seq = 0;
  const refresh = async (): Promise<void> => {
    if (!alive()) return;
    const mine = ++seq;
    window.clearTimeout(timer);
    let delay = 0;
    try {
      const r = await api<{ resumes: Resume[]; total_count: number }>("GET", "/api/v1/resumes?limit=20");
      const rows = r.data.resumes;
      await Promise.all(rows.filter((x) => x.feedback_sent_at && !feedbacks.has(x.id)).map(async (x) => {
        try {
          feedbacks.set(x.id, (await api<Feedback>("GET", `/api/v1/resumes/${x.id}/feedback`)).data);
        } catch {
          /* shown as "being prepared"; the next refresh tries again */
        }
      }));
      if (mine !== seq || !alive()) return;
      clear(listBox);
      const chosen = select.value;
      while (select.options.length > 1) select.remove(1);
      if (rows.length === 0) listBox.append(h("p", { class: "muted" }, "No resumes uploaded yet. Upload one to get feedback and interview questions tailored to your experience."));
      for (const res of rows) {
        if (res.parsing_status === "completed") {
          select.append(h("option", { value: res.id }, `${res.file_name} (${fmtDate(res.uploaded_at)})`));
        }
        listBox.append(resumeCard(res, feedbacks.get(res.id)));
      }
      if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
      if (rows.some((x) => x.parsing_status === "pending" || x.parsing_status === "processing")) delay = POLL_FAST_MS;
      else if (rows.some((x) => x.parsing_status === "completed" && !feedbacks.has(x.id))) delay = POLL_SLOW_MS;
    } catch (e) {
      if (mine !== seq) return;
      clear(listBox);
      listBox.append(alertBox("error", errorText(e)));
      delay = POLL_SLOW_MS;
    }
    if (delay > 0 && alive()) timer = window.setTimeout(() => void refresh(), delay);
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errors.replaceChildren();
    const f = file.files?.[0];
    if (!f) {
      errors.append(alertBox("error", "Choose a file first."));
      return;
    }
    if (f.size > 10 * 1024 * 1024) {
      errors.append(alertBox("error", "The resume is larger than 10 MiB."));
      return;
    }
    const fd = new FormData();
    fd.append("file", f, f.name);
    button.disabled = true;
    try {
      await api<{ resume_id: string; parsing_status: string }>("POST", "/api/v1/resumes", { form: fd });
      errors.append(alertBox("ok", "Uploaded. Parsing runs in the background; this list updates by itself."));
      form.reset();
      await refresh();
    } catch (e) {
      errors.append(alertBox("error", errorText(e)));
    } finally {
      button.disabled = false;
    }
  });
  await refresh();
}
