// Jobs (staff): the organization's job list (status filter, cursor paging) and the job editor
// (spec, skill areas with weights, custom questions with rubric points), saved with the version
// the editor started from so a concurrent edit is a visible 409 EDIT_CONFLICT, never lost.
import { api, ApiError, errorText, getSession, isWriter } from "../api";
import { alertBox, clear, fmtDate, h, label, roleName } from "../dom";
import { clearErrors, field, showErrors, splitList } from "../forms";
import { navigate } from "../nav";
import { invitationsPanel } from "./invitations";

const JOB_STATUSES = ["draft", "open", "closed"];
export const LEVELS = ["warmup", "fundamental", "intermediate", "advanced", "expert"];
const FAMILIES: [string, string][] = [
  ["react", "React"],
  ["python", "Python"],
  ["javascript", "JavaScript"],
  ["fullstack", "Full-stack"],
  ["custom", "Custom (only this job's questions)"],
];

function options(values: [string, string][], selected: string): HTMLOptionElement[] {
  return values.map(([v, t]) => h("option", { value: v, selected: v === selected }, t));
}

export async function jobsPage(main: HTMLElement): Promise<void> {
  const status = h("select", { id: "jobs-status" }, h("option", { value: "" }, "Any"), JOB_STATUSES.map((s) => h("option", { value: s }, label(s))));
  const list = h("div", { id: "jobs", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary", id: "jobs-more", hidden: true }, "Load more");
  const tbody = h("tbody");
  let cursor: string | null = null;
  let seq = 0;
  const load = async (append: boolean) => {
    const mine = ++seq;
    const q = new URLSearchParams({ limit: "20" });
    if (status.value) q.set("status", status.value);
    if (append && cursor) q.set("cursor", cursor);
    try {
      const r = await api<any>("GET", `/api/v1/jobs?${q}`);
      if (mine !== seq) return;
      const rows: any[] = r.data.jobs ?? [];
      cursor = r.data.next_cursor ?? null;
      more.hidden = !cursor;
      if (!append) {
        clear(list);
        clear(tbody);
        list.append(
          rows.length === 0
            ? h("p", { class: "muted" }, "No jobs yet.")
            : h("div", { class: "table-wrap" }, h("table", { id: "jobs-table" },
                h("caption", { class: "visually-hidden" }, "Jobs"),
                h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Role family"), h("th", { scope: "col" }, "Status"),
                  h("th", { scope: "col", class: "hide-phone" }, "Deadline"), h("th", { scope: "col", class: "hide-phone" }, "Updated"), h("th", { scope: "col" }, "Results"))),
                tbody)),
        );
      }
      for (const j of rows) {
        tbody.append(h("tr", { "data-id": j.id },
          h("td", {}, h("a", { href: `#/jobs/${j.id}` }, j.title)),
          h("td", {}, j.role_family === "custom" ? "Custom" : roleName(j.role_family)),
          h("td", {}, h("span", { class: `badge ${j.status}` }, label(j.status))),
          h("td", { class: "hide-phone" }, fmtDate(j.deadline)),
          h("td", { class: "hide-phone" }, fmtDate(j.updated_at)),
          h("td", {}, h("a", { href: `#/jobs/${j.id}/results` }, "Results")),
        ));
      }
    } catch (e) {
      if (mine !== seq) return;
      clear(list);
      list.append(alertBox("error", errorText(e)));
    }
  };
  status.addEventListener("change", () => void load(false));
  more.addEventListener("click", () => void load(true));
  main.append(
    h("div", { class: "row spread" }, h("h1", {}, "Jobs"), isWriter(getSession()?.role) ? h("a", { class: "button", href: "#/jobs/new", id: "new-job" }, "New job") : null),
    h("div", { class: "card" }, h("div", { class: "field inline" }, h("label", { for: "jobs-status" }, "Status"), status)),
    list,
    more,
  );
  await load(false);
}

interface Point { point: string; synonyms: string; weight: string; misconceptions: string }
interface Question { id?: string; text: string; skill_area: string; level: string; rubric: Point[] }
interface Area { name: string; weight: string }

const num = (s: string): number | undefined => (s.trim() === "" ? undefined : Number(s));
const weightText = (w: unknown): string => (typeof w === "number" && w !== 1 ? String(w) : "");

/** `2027-01-31T17:00:00Z` → the `datetime-local` value in the browser's zone. */
function localInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The inputs bound to a model field: typing updates the model. */
function bound<T>(obj: T, key: keyof T & string, el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement): typeof el {
  el.value = String(obj[key] ?? "");
  el.addEventListener("input", () => ((obj as any)[key] = el.value));
  el.addEventListener("change", () => ((obj as any)[key] = el.value));
  return el;
}

export async function jobEditorPage(main: HTMLElement, [id]: string[]): Promise<void> {
  let job: any = null;
  if (id) {
    main.append(h("p", { class: "muted", role: "status" }, "Loading…"));
    try {
      job = (await api<any>("GET", `/api/v1/jobs/${id}`)).data;
    } catch (e) {
      clear(main);
      main.append(h("h1", {}, "Job"), alertBox("error", errorText(e)), h("a", { href: "#/jobs" }, "Back to jobs"));
      return;
    }
    clear(main);
  }
  const writer = isWriter(getSession()?.role);
  main.append(
    h("p", {}, h("a", { href: "#/jobs" }, "← Jobs"), job ? [" · ", h("a", { href: `#/jobs/${job.id}/results`, id: "results-link" }, "Results")] : null),
    h("h1", { id: "job-heading" }, job ? job.title : "New job"),
  );
  const editorBox = h("div");
  main.append(editorBox);
  renderEditor(editorBox, job, writer);
  if (job) main.append(invitationsPanel(job, writer));
}

function renderEditor(box: HTMLElement, job: any, writer: boolean): void {
  clear(box);
  const areas: Area[] = (job?.skill_areas ?? []).map((a: any) => ({ name: a.name, weight: weightText(a.weight) }));
  if (!job) areas.push({ name: "", weight: "" });
  const questions: Question[] = (job?.questions ?? []).map((q: any) => ({
    id: q.id,
    text: q.text,
    skill_area: q.skill_area,
    level: q.level,
    rubric: (q.rubric ?? []).map((p: any) => ({
      point: p.point,
      synonyms: (p.synonyms ?? []).join(", "),
      weight: weightText(p.weight),
      misconceptions: (p.misconceptions ?? []).join(", "),
    })),
  }));
  const summary = h("div", { id: "job-errors" });
  const title = h("input", { type: "text", id: "job-title", maxlength: 200, required: true, value: job?.title ?? "" });
  const description = h("textarea", { id: "job-description", maxlength: 10000 });
  description.value = job?.description ?? "";
  const family = h("select", { id: "job-family" }, options(FAMILIES, job?.role_family ?? "react"));
  const minQ = h("input", { type: "number", id: "job-min", min: 1, max: 50, inputmode: "numeric", value: job?.min_questions ?? "" });
  const maxQ = h("input", { type: "number", id: "job-max", min: 1, max: 50, inputmode: "numeric", value: job?.max_questions ?? "" });
  const voice = h("input", { type: "checkbox", id: "job-voice", checked: !!job?.voice_required });
  const video = h("input", { type: "checkbox", id: "job-video", checked: !!job?.video_required });
  const deadline = h("input", { type: "datetime-local", id: "job-deadline", value: localInput(job?.deadline) });
  const status = h("select", { id: "job-status" }, options(JOB_STATUSES.map((s): [string, string] => [s, label(s)]), job?.status ?? "draft"));
  const areasBox = h("div", { "data-field": "skill_areas" });
  const questionsBox = h("div", { "data-field": "questions" });
  const areaList = h("datalist", { id: "area-names" });

  const renderAreas = () => {
    clear(areasBox);
    clear(areaList);
    areas.forEach((a, i) => {
      areaList.append(h("option", { value: a.name }));
      areasBox.append(h("div", { class: "row area", "data-field": `skill_areas[${i}]` },
        field(`skill_areas[${i}].name`, `Skill area ${i + 1}`, bound(a, "name", h("input", { type: "text", maxlength: 60, placeholder: "e.g. state_management" }))),
        field(`skill_areas[${i}].weight`, "Weight", bound(a, "weight", h("input", { type: "number", min: 0.1, max: 5, step: 0.1, placeholder: "1", class: "short" }))),
        writer ? h("button", { type: "button", class: "secondary", onclick: () => { areas.splice(i, 1); renderAreas(); } }, "Remove", h("span", { class: "visually-hidden" }, ` skill area ${i + 1}`)) : null,
      ));
    });
    if (writer) {
      areasBox.append(h("button", { type: "button", class: "secondary", id: "add-area", onclick: () => { areas.push({ name: "", weight: "" }); renderAreas(); } }, "Add skill area"));
    }
  };

  const renderPoints = (q: Question, qi: number, pointsBox: HTMLElement) => {
    clear(pointsBox);
    q.rubric.forEach((p, pi) => {
      const at = `questions[${qi}].rubric[${pi}]`;
      pointsBox.append(h("fieldset", { class: "point", "data-field": at },
        h("legend", {}, `Rubric point ${pi + 1}`),
        h("div", { class: "grid" },
          field(`${at}.point`, "Point", bound(p, "point", h("input", { type: "text", maxlength: 120 })), "What a good answer explains."),
          field(`${at}.synonyms`, "Synonyms", bound(p, "synonyms", h("input", { type: "text" })), "Comma-separated phrases that count."),
          field(`${at}.weight`, "Weight", bound(p, "weight", h("input", { type: "number", min: 0.1, max: 5, step: 0.1, placeholder: "1" }))),
          field(`${at}.misconceptions`, "Misconceptions", bound(p, "misconceptions", h("input", { type: "text" })), "Comma-separated; + joins groups, | separates alternatives."),
        ),
        writer ? h("button", { type: "button", class: "secondary", onclick: () => { q.rubric.splice(pi, 1); renderPoints(q, qi, pointsBox); } }, "Remove point") : null,
      ));
    });
    if (writer) pointsBox.append(h("button", { type: "button", class: "secondary add-point", onclick: () => { q.rubric.push({ point: "", synonyms: "", weight: "", misconceptions: "" }); renderPoints(q, qi, pointsBox); } }, "Add rubric point"));
  };

  const renderQuestions = () => {
    clear(questionsBox);
    questions.forEach((q, qi) => {
      const at = `questions[${qi}]`;
      const pointsBox = h("div", { "data-field": `${at}.rubric` });
      const level = bound(q, "level", h("select", {}, LEVELS.map((l) => h("option", { value: l }, label(l)))));
      questionsBox.append(h("fieldset", { class: "card question", "data-field": at },
        h("legend", {}, `Question ${qi + 1}`),
        field(`${at}.text`, "Question text", bound(q, "text", h("textarea", { maxlength: 1000, class: "short" }))),
        h("div", { class: "grid" },
          field(`${at}.skill_area`, "Skill area", bound(q, "skill_area", h("input", { type: "text", list: "area-names", maxlength: 60 }))),
          field(`${at}.level`, "Level", level),
        ),
        pointsBox,
        writer ? h("button", { type: "button", class: "secondary", onclick: () => { questions.splice(qi, 1); renderQuestions(); } }, "Remove question") : null,
      ));
      renderPoints(q, qi, pointsBox);
    });
    if (writer) {
      questionsBox.append(h("button", { type: "button", class: "secondary", id: "add-question", onclick: () => {
        questions.push({ text: "", skill_area: areas[0]?.name ?? "", level: "warmup", rubric: [{ point: "", synonyms: "", weight: "", misconceptions: "" }] });
        renderQuestions();
      } }, "Add question"));
    }
  };

  /** The request body: the whole spec (as the server validates it), question ids kept and new
   * ones numbered past the highest in use. */
  const body = (): Record<string, unknown> => {
    const used = new Set(questions.map((q) => q.id).filter((x): x is string => !!x));
    let n = 0;
    const fresh = () => {
      do n += 1;
      while (used.has(`q${n}`));
      used.add(`q${n}`);
      return `q${n}`;
    };
    const b: Record<string, unknown> = {
      title: title.value,
      description: description.value,
      role_family: family.value,
      questions: questions.map((q) => ({
        id: q.id ?? fresh(),
        text: q.text,
        skill_area: q.skill_area.trim(),
        level: q.level,
        rubric: q.rubric.map((p) => ({
          point: p.point,
          synonyms: splitList(p.synonyms, false),
          weight: num(p.weight),
          misconceptions: splitList(p.misconceptions, false),
        })),
      })),
      min_questions: num(minQ.value),
      max_questions: num(maxQ.value),
      voice_required: voice.checked,
      video_required: video.checked,
      deadline: deadline.value ? new Date(deadline.value).toISOString() : null,
      status: status.value,
    };
    // No areas: a bank family assesses its bank's areas (the server's default).
    if (areas.length > 0 || family.value === "custom") b.skill_areas = areas.map((a) => ({ name: a.name.trim(), weight: num(a.weight) ?? 1 }));
    if (job) b.version = job.version;
    return b;
  };

  const save = h("button", { type: "submit", id: "save-job" }, job ? "Save changes" : "Create job");
  const saved = h("div", { id: "job-saved", role: "status" });
  const form = h("form", { id: "job-form", novalidate: true, "aria-labelledby": "job-heading" },
    summary,
    h("section", { class: "card" },
      h("h2", {}, "Job"),
      field("title", "Title", title),
      field("description", "Description", description, "Shown to invited candidates."),
      h("div", { class: "grid" },
        field("role_family", "Role family", family),
        field("status", "Status", status),
        field("deadline", "Deadline", deadline, "Optional; in your time zone."),
        field("min_questions", "Min questions", minQ, "Default 12."),
        field("max_questions", "Max questions", maxQ, "Default 20."),
      ),
      h("div", { class: "row" },
        h("div", { class: "field inline", "data-field": "voice_required" }, voice, h("label", { for: voice.id }, "Voice required")),
        h("div", { class: "field inline", "data-field": "video_required" }, video, h("label", { for: video.id }, "Video required")),
      ),
    ),
    h("section", { class: "card", "aria-labelledby": "areas-title" }, h("h2", { id: "areas-title" }, "Skill areas"),
      h("p", { class: "muted" }, "Weights (0.1–5, default 1) set each area's share of the overall score. A built-in role family may leave this empty to use its own areas."),
      areasBox, areaList),
    h("section", { "aria-labelledby": "questions-title" }, h("h2", { id: "questions-title" }, "Custom questions"),
      h("p", { class: "muted" }, "Asked first, at their levels, and scored by their rubric points. A custom job needs at least 3."),
      questionsBox),
    writer ? h("div", { class: "row" }, save, job ? h("span", { class: "muted" }, `Version ${job.version}`) : null) : null,
    saved,
  );
  renderAreas();
  renderQuestions();
  if (!writer) form.querySelectorAll("input, select, textarea").forEach((el) => el.setAttribute("disabled", ""));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form, summary);
    saved.replaceChildren();
    save.disabled = true;
    try {
      if (!job) {
        const r = await api<any>("POST", "/api/v1/jobs", { body: body() });
        navigate(`/jobs/${r.data.id}`);
        return;
      }
      const r = await api<any>("PATCH", `/api/v1/jobs/${job.id}`, { body: body() });
      const heading = document.getElementById("job-heading");
      if (heading) heading.textContent = r.data.title;
      renderEditor(box, r.data, writer);
      document.getElementById("job-saved")?.append(alertBox("ok", `Saved (version ${r.data.version}).`));
    } catch (e) {
      save.disabled = false;
      if (e instanceof ApiError && e.code === "EDIT_CONFLICT") {
        const reload = h("button", { type: "button", class: "secondary", id: "reload-job", onclick: async () => {
          try {
            renderEditor(box, (await api<any>("GET", `/api/v1/jobs/${job.id}`)).data, writer);
          } catch (err) {
            summary.replaceChildren(alertBox("error", errorText(err)));
          }
        } }, "Reload the job");
        const alert = alertBox("error", `${e.message} Your changes were not saved.`);
        alert.dataset.code = e.code;
        alert.append(" ", reload);
        summary.append(alert);
        alert.scrollIntoView({ block: "center" });
        return;
      }
      showErrors(form, summary, e);
      if (!(e instanceof ApiError) || e.details.length === 0) summary.scrollIntoView({ block: "center" });
    }
  });
  box.append(form);
}
