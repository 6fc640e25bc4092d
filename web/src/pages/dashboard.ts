// Candidate dashboard: my interviews, start a new one, resumes (when the server has them).
import { api, errorText, getFeatures } from "../api";
import { alertBox, clear, fmtDate, fmtScore, h, label, roleName, sleep } from "../dom";
import { navigate } from "../nav";

export const ROLES: [string, string][] = [
  ["react", "React developer"],
  ["python", "Python developer"],
  ["javascript", "JavaScript developer"],
  ["fullstack", "Full-stack developer"],
];

function list<T = any>(data: any, ...keys: string[]): T[] {
  if (Array.isArray(data)) return data;
  for (const k of keys) if (Array.isArray(data?.[k])) return data[k];
  return [];
}

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
    const rows = list(r.data, "interviews");
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

async function resumesSection(box: HTMLElement, select: HTMLSelectElement, alive: () => boolean): Promise<void> {
  const errors = h("div");
  const file = h("input", { id: "resume-file", type: "file", accept: ".pdf,.docx,.txt,application/pdf,text/plain,application/vnd.openxmlformats-officedocument.wordprocessingml.document", required: true });
  const button = h("button", { type: "submit" }, "Upload resume");
  const listBox = h("div");
  const form = h("form", { class: "card", "aria-label": "Upload a resume" },
    errors,
    h("div", { class: "field" }, h("label", { for: "resume-file" }, "Resume file (PDF, DOCX or text, up to 10 MiB)"), file),
    button,
  );
  box.append(form, listBox);
  const refresh = async (): Promise<boolean> => {
    let pending = false;
    try {
      const r = await api<any>("GET", "/api/v1/resumes");
      const rows = list(r.data, "resumes", "items");
      clear(listBox);
      while (select.options.length > 1) select.remove(1);
      if (rows.length === 0) listBox.append(h("p", { class: "muted" }, "No resumes uploaded."));
      for (const res of rows) {
        const id = res.id ?? res.resume_id;
        const status = res.parsing_status ?? "pending";
        if (status === "pending" || status === "processing") pending = true;
        if (status === "completed") select.append(h("option", { value: id }, res.file_name ?? res.original_filename ?? `Resume ${fmtDate(res.created_at ?? res.uploaded_at)}`));
        const parsed = res.parsed_data ?? {};
        const card = h("article", { class: "card", "data-resume": id },
          h("h3", {}, res.file_name ?? res.original_filename ?? "Resume"),
          h("p", {}, "Parsing: ", h("span", { class: "badge" }, label(status))),
          Array.isArray(parsed.skills) && parsed.skills.length > 0 ? h("p", {}, h("strong", {}, "Skills: "), parsed.skills.join(", ")) : null,
          typeof parsed.experience_years === "number" ? h("p", {}, h("strong", {}, "Experience: "), `${parsed.experience_years} years`) : null,
        );
        listBox.append(card);
        const fb = res.feedback_status ?? res.feedback?.status;
        if (status === "completed" && (fb === undefined || fb === "sent")) void loadFeedback(id, card);
      }
    } catch (e) {
      clear(listBox);
      listBox.append(alertBox("error", errorText(e)));
    }
    return pending;
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errors.replaceChildren();
    const f = file.files?.[0];
    if (!f) {
      errors.append(alertBox("error", "Choose a file first."));
      return;
    }
    const fd = new FormData();
    fd.append("file", f, f.name);
    button.disabled = true;
    try {
      await api("POST", "/api/v1/resumes", { form: fd });
      errors.append(alertBox("ok", "Uploaded. Parsing runs in the background."));
      form.reset();
      void poll();
    } catch (e) {
      errors.append(alertBox("error", errorText(e)));
    } finally {
      button.disabled = false;
    }
  });
  const poll = async () => {
    for (let i = 0; i < 60 && alive(); i++) {
      if (!(await refresh())) return;
      await sleep(3000);
    }
  };
  await poll();
}

async function loadFeedback(id: string, card: HTMLElement): Promise<void> {
  try {
    const r = await api<any>("GET", `/api/v1/resumes/${id}/feedback`);
    const fb = r.data;
    if (!fb || (fb.status && fb.status !== "sent")) {
      card.append(h("p", { class: "muted" }, "Feedback is being reviewed."));
      return;
    }
    card.append(h("div", { class: "feedback" },
      h("h4", {}, "Feedback"),
      h("p", {}, String(fb.feedback_content ?? "")),
      Array.isArray(fb.identified_gaps) && fb.identified_gaps.length ? h("p", {}, h("strong", {}, "Gaps: "), fb.identified_gaps.join(", ")) : null,
      Array.isArray(fb.recommended_resources) && fb.recommended_resources.length
        ? h("ul", {}, fb.recommended_resources.map((x: any) => h("li", {}, typeof x === "string" ? x : String(x.title ?? x.url ?? JSON.stringify(x)))))
        : null,
    ));
  } catch {
    card.append(h("p", { class: "muted" }, "Feedback is not available yet."));
  }
}
