// The hiring workflow (staff; docs/hiring.md): the decision / review / score-override panel on a
// recruiter's interview page, authenticated CSV downloads, the printable report, the
// organization's audit trail and its webhooks (admins).
import { api, ApiError, errorText, getSession, isWriter } from "../api";
import { alertBox, clear, fmtDate, fmtScore, h, label, roleName } from "../dom";
import { clearErrors, field, showErrors } from "../forms";
import { skillChart } from "../chart";

const DECISIONS: [string, string][] = [
  ["advance", "Advance"],
  ["hold", "Hold"],
  ["reject", "Reject"],
];

const who = (ref: any): string => ref?.full_name || "Staff";

/** Downloads `path` (a CSV export) with the bearer token and saves it under the server's file
 * name (Content-Disposition) or `fallback`. Throws ApiError on a refusal. */
export async function download(path: string, fallback: string): Promise<string> {
  let resp: Response;
  try {
    resp = await fetch(path, { headers: { Authorization: `Bearer ${getSession()?.token ?? ""}`, Accept: "text/csv" }, cache: "no-store" });
  } catch {
    throw new ApiError(0, "NETWORK", "The server could not be reached. Check your connection and try again.");
  }
  if (!resp.ok) {
    let err: any = null;
    try {
      err = (await resp.json())?.error;
    } catch {
      /* not JSON */
    }
    throw new ApiError(resp.status, err?.code ?? `HTTP_${resp.status}`, err?.message ?? `The export failed (${resp.status}).`);
  }
  const name = /filename="?([^";]+)"?/.exec(resp.headers.get("Content-Disposition") ?? "")?.[1] ?? fallback;
  const url = URL.createObjectURL(await resp.blob());
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

/** A button that downloads `path()` and reports the outcome in a live region next to it. */
export function exportButton(id: string, text: string, path: () => string, fallback: string): HTMLElement {
  const note = h("span", { "aria-live": "polite", class: "export-note" });
  const button = h("button", { type: "button", class: "secondary", id }, text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    note.replaceChildren();
    try {
      const name = await download(path(), fallback);
      note.append(h("span", { class: "muted" }, `Downloaded ${name}.`));
    } catch (e) {
      note.append(alertBox("error", errorText(e)));
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "row" }, button, note);
}

function decisionBadge(d: any): HTMLElement {
  return h("span", { class: `badge decision-${d.decision}`, "data-decision": d.decision }, label(d.decision));
}

/** The interview's hiring records: score (original beside effective) with the override form,
 * the decision with its history, reviews with per-area averages. Writers get the forms; viewers
 * read. `areas` are the interview's skill areas (its assessment's). */
export async function hiringPanel(box: HTMLElement, id: string, areas: string[]): Promise<void> {
  const canWrite = isWriter(getSession()?.role);
  const base = `/api/v1/recruiter/interviews/${id}`;
  const scoreBox = h("div", { id: "hiring-score" });
  const decisionBox = h("div", { id: "hiring-decision" });
  const reviewBox = h("div", { id: "hiring-reviews" });

  let lastMails: any[] = [];
  const render = (r: any) => {
    box.dataset.decisions = String(r.decisions?.length ?? 0);
    scoreBox.replaceChildren(
      h("dl", { class: "kv" },
        h("dt", {}, "Original score"), h("dd", { id: "score-original" }, fmtScore(r.original_score)),
        h("dt", {}, "Effective score"), h("dd", { id: "score-effective" }, fmtScore(r.effective_score)),
      ),
      r.overrides?.length
        ? h("ol", { id: "override-history", class: "plain history", "aria-label": "Score overrides, newest first" },
            r.overrides.map((o: any) => h("li", {}, h("strong", {}, fmtScore(o.overall_score)), ` by ${who(o.overridden_by)}, ${fmtDate(o.created_at)}: `, o.reason)))
        : h("p", { class: "muted" }, "The score has not been overridden."),
    );
    decisionBox.replaceChildren(
      h("p", { id: "current-decision" }, "Decision: ", r.decision ? decisionBadge(r.decision) : h("span", { class: "muted" }, "none yet")),
      r.decisions?.length
        ? h("ol", { id: "decision-history", class: "plain history", "aria-label": "Decisions, newest first" },
            r.decisions.map((d: any) => h("li", { "data-decision": d.decision }, decisionBadge(d), ` by ${who(d.decided_by)}, ${fmtDate(d.created_at)}: `, h("span", { class: "reason" }, d.reason))))
        : "",
    );
    // The interview's emails (docs/email.md#notifications): kind and status, never the content.
    const mails = r.notifications ?? lastMails;
    lastMails = mails;
    if (mails.length) {
      decisionBox.append(h("ul", { id: "hiring-emails", class: "plain muted", "aria-label": "Emails about this interview" },
        mails.map((n: any) => h("li", { "data-kind": n.kind, "data-status": n.status },
          `Email: ${label(n.kind)} — ${label(n.status)}${n.sent_at ? `, ${fmtDate(n.sent_at)}` : ""}`))));
    }
    const avg = Object.entries(r.average_ratings ?? {}) as [string, number][];
    reviewBox.replaceChildren(
      avg.length
        ? h("dl", { class: "kv", id: "average-ratings", "aria-label": "Average ratings" },
            avg.flatMap(([a, v]) => [h("dt", {}, label(a)), h("dd", { "data-area": a }, v.toFixed(1))]))
        : h("p", { class: "muted" }, "No ratings yet."),
      r.reviews?.length
        ? h("ol", { id: "review-list", class: "plain history", "aria-label": "Reviews, newest first" },
            r.reviews.map((v: any) => h("li", {},
              h("strong", {}, who(v.reviewer)), ` ${fmtDate(v.created_at)}`,
              Object.keys(v.ratings ?? {}).length ? h("div", { class: "muted" }, Object.entries(v.ratings).map(([a, n]) => `${label(a)}: ${n}/5`).join(" · ")) : "",
              v.note ? h("p", { class: "note" }, v.note) : "")))
        : "",
    );
  };

  const post = async (form: HTMLFormElement, summary: HTMLElement, path: string, body: unknown, done: string): Promise<boolean> => {
    const submit = form.querySelector<HTMLButtonElement>("button[type=submit]");
    if (submit) submit.disabled = true;
    try {
      const r = await api<any>("POST", `${base}/${path}`, { body });
      clearErrors(form, summary);
      render(r.data);
      summary.append(alertBox("ok", done));
      return true;
    } catch (e) {
      showErrors(form, summary, e);
      return false;
    } finally {
      if (submit) submit.disabled = false;
    }
  };

  let overrideForm: HTMLElement = h("span");
  let decisionForm: HTMLElement = h("span");
  let reviewForm: HTMLElement = h("span");
  if (canWrite) {
    // Score override: a score and a mandatory reason.
    const summary = h("div");
    const score = h("input", { type: "number", id: "override-score", min: 0, max: 100, step: "0.1", inputmode: "decimal" });
    const reason = h("textarea", { id: "override-reason", rows: 2, maxlength: 2000 });
    const f = h("form", { id: "override-form", novalidate: true, "aria-label": "Override the score" }, summary,
      h("div", { class: "grid" }, field("overall_score", "New score (0–100)", score), field("reason", "Reason (required)", reason)),
      h("button", { type: "submit" }, "Override score"));
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body: Record<string, unknown> = { reason: reason.value.trim() };
      if (score.value.trim() !== "") body.overall_score = Number(score.value);
      if (await post(f, summary, "score-override", body, "Score overridden.")) {
        score.value = "";
        reason.value = "";
      }
    });
    overrideForm = f;

    // Decision: advance / hold / reject with a reason.
    const dSummary = h("div");
    const choice = h("fieldset", { class: "field choices", "data-field": "decision" }, h("legend", {}, "Decision"),
      DECISIONS.map(([v, t]) => h("label", { class: "inline" }, h("input", { type: "radio", name: `decision-${id}`, value: v, class: "decision-choice" }), ` ${t}`)));
    const dReason = h("textarea", { id: "decision-reason", rows: 2, maxlength: 2000 });
    const notify = h("input", { type: "checkbox", id: "decision-notify" });
    const df = h("form", { id: "decision-form", novalidate: true, "aria-label": "Record a decision" }, dSummary, choice,
      field("reason", "Reason (staff only, never emailed)", dReason),
      h("div", { class: "field", "data-field": "notify_candidate" }, h("label", { class: "inline", for: "decision-notify" }, notify,
        " Email the candidate"), h("span", { class: "muted hint" }, "Sends the organization's message for this decision, not the reason.")),
      h("button", { type: "submit" }, "Record decision"));
    df.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const picked = df.querySelector<HTMLInputElement>("input.decision-choice:checked")?.value;
      const body: Record<string, unknown> = { reason: dReason.value.trim() };
      if (picked) body.decision = picked;
      if (notify.checked) body.notify_candidate = true;
      if (await post(df, dSummary, "decisions", body, notify.checked ? "Decision recorded; the candidate's email is queued." : "Decision recorded.")) {
        if (notify.checked) {
          try {
            render((await api<any>("GET", `${base}/hiring`)).data);
          } catch {
            /* the timeline refreshes on the next visit */
          }
        }
        notify.checked = false;
        dReason.value = "";
        df.querySelectorAll<HTMLInputElement>("input.decision-choice").forEach((x) => (x.checked = false));
      }
    });
    decisionForm = df;

    // Review: a note and 1–5 per skill area (blank: not rated).
    const rSummary = h("div");
    const note = h("textarea", { id: "review-note", rows: 3, maxlength: 5000 });
    const selects = areas.map((a) => [a, h("select", { id: `rating-${a}`, class: "rating" }, h("option", { value: "" }, "Not rated"),
      [1, 2, 3, 4, 5].map((n) => h("option", { value: String(n) }, String(n))))] as const);
    const rf = h("form", { id: "review-form", novalidate: true, "aria-label": "Add a review" }, rSummary,
      field("note", "Notes", note),
      selects.length ? h("div", { class: "grid", "data-field": "ratings" }, selects.map(([a, s]) => field(`ratings.${a}`, `${label(a)} (1–5)`, s))) : "",
      h("button", { type: "submit" }, "Add review"));
    rf.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body: Record<string, unknown> = {};
      if (note.value.trim()) body.note = note.value.trim();
      const ratings: Record<string, number> = {};
      for (const [a, s] of selects) if (s.value) ratings[a] = Number(s.value);
      if (Object.keys(ratings).length) body.ratings = ratings;
      if (await post(rf, rSummary, "reviews", body, "Review added.")) {
        note.value = "";
        selects.forEach(([, s]) => (s.value = ""));
      }
    });
    reviewForm = rf;
  }

  box.append(
    h("h2", { id: "hiring-title" }, "Hiring"),
    canWrite ? "" : alertBox("info", "Read-only: viewers see the hiring records but cannot change them."),
    h("div", { class: "grid wide" },
      h("div", { class: "card" }, h("h3", {}, "Decision"), decisionBox, decisionForm),
      h("div", { class: "card" }, h("h3", {}, "Score"), scoreBox, overrideForm),
    ),
    h("div", { class: "card" }, h("h3", {}, "Reviews"), reviewBox, reviewForm),
  );
  try {
    render((await api<any>("GET", `${base}/hiring`)).data);
    box.dataset.ready = "true";
  } catch (e) {
    box.append(alertBox("error", errorText(e)));
  }
}

/** `#/report/{interviewId}`: one printable page with the candidate, job, scores and chart,
 * boundaries, evidence with the cited answers' text, the decision and notes. */
export async function reportPage(main: HTMLElement, [id]: string[]): Promise<void> {
  main.append(h("p", { class: "muted", role: "status" }, "Loading…"));
  let d: any;
  let hiring: any;
  try {
    [d, hiring] = await Promise.all([
      api<any>("GET", `/api/v1/recruiter/interviews/${id}`).then((r) => r.data),
      api<any>("GET", `/api/v1/recruiter/interviews/${id}/hiring`).then((r) => r.data),
    ]);
  } catch (e) {
    clear(main);
    main.append(h("h1", {}, "Report"), alertBox("error", errorText(e)));
    return;
  }
  const i = d.interview ?? {};
  const a = d.assessment;
  const [candidate, job] = await Promise.all([
    i.candidate_id ? api<any>("GET", `/api/v1/recruiter/candidates/${i.candidate_id}`).then((r) => r.data.candidate).catch(() => null) : null,
    i.job_id ? api<any>("GET", `/api/v1/jobs/${i.job_id}`).then((r) => r.data).catch(() => null) : null,
  ]);
  clear(main);
  const answers = new Map<number, string>();
  for (const m of d.transcript ?? []) if (m.message_type !== "ai_question") answers.set(Number(m.sequence_number), String(m.content_text ?? ""));
  const evidence = (items: any[], sid: string, title: string) =>
    h("section", { class: "card report-section", id: sid }, h("h2", {}, title),
      (items ?? []).length === 0 ? h("p", { class: "muted" }, "None.") : h("ul", { class: "evidence" }, items.map((it: any) =>
        h("li", {}, String(it.text ?? ""),
          (it.evidence ?? []).map((seq: number) => h("blockquote", { class: "cited", "data-seq": seq },
            h("span", { class: "muted" }, `Answer #${seq}: `), answers.get(Number(seq)) ?? "(not in the transcript)"))))));
  const boundaries = Object.entries(a?.skill_boundary_map ?? {}) as [string, any][];
  main.append(
    h("p", { class: "no-print row" },
      h("a", { href: `#/recruiter/interview/${id}` }, "← Interview"),
      h("button", { type: "button", id: "print-report", onclick: () => window.print() }, "Print")),
    h("article", { id: "report", class: "report" },
      h("h1", {}, `Interview report: ${candidate?.full_name || "Candidate"}`),
      h("section", { class: "card report-section", id: "report-facts" }, h("dl", { class: "kv" },
        h("dt", {}, "Candidate"), h("dd", { id: "report-candidate" }, candidate ? `${candidate.full_name ?? "—"} (${candidate.email ?? ""})` : "—"),
        h("dt", {}, "Job"), h("dd", { id: "report-job" }, job?.title ?? roleName(i.role_type)),
        h("dt", {}, "Role"), h("dd", {}, roleName(i.role_type)),
        h("dt", {}, "Status"), h("dd", {}, label(i.status ?? "")),
        h("dt", {}, "Completed"), h("dd", {}, fmtDate(i.completed_at)),
        h("dt", {}, "Questions"), h("dd", {}, String(i.questions_asked ?? "—")),
      )),
      a
        ? [
            h("section", { class: "card report-section", id: "report-scores" }, h("h2", {}, "Scores"),
              h("dl", { class: "kv" },
                h("dt", {}, "Overall (assessment)"), h("dd", { id: "report-original" }, fmtScore(hiring.original_score ?? a.overall_score)),
                h("dt", {}, "Effective"), h("dd", { id: "report-effective" }, fmtScore(hiring.effective_score ?? a.overall_score)),
                typeof a.integrity_score === "number" ? [h("dt", {}, "Integrity"), h("dd", {}, fmtScore(a.integrity_score))] : ""),
              h("p", { id: "report-summary" }, String(a.summary ?? "")),
              skillChart(a.skill_scores ?? {})),
            h("section", { class: "card report-section", id: "report-boundaries" }, h("h2", {}, "Skill boundaries"),
              boundaries.length === 0 ? h("p", { class: "muted" }, "No boundaries recorded.") : h("div", { class: "table-wrap" }, h("table", {},
                h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Skill area"), h("th", { scope: "col" }, "Highest level passed"), h("th", { scope: "col" }, "Boundary"))),
                h("tbody", {}, boundaries.map(([k, b]) => h("tr", {}, h("th", { scope: "row" }, label(k)),
                  h("td", {}, b?.highest_level_passed ? label(b.highest_level_passed) : "—"), h("td", {}, b?.boundary_level ? label(b.boundary_level) : "—"))))))),
            evidence(a.strengths, "report-strengths", "Strengths"),
            evidence(a.weaknesses, "report-weaknesses", "Areas to improve"),
          ]
        : alertBox("info", "No assessment yet."),
      h("section", { class: "card report-section", id: "report-decision" }, h("h2", {}, "Decision"),
        hiring.decision
          ? h("p", {}, decisionBadge(hiring.decision), ` by ${who(hiring.decision.decided_by)}, ${fmtDate(hiring.decision.created_at)}: `, hiring.decision.reason)
          : h("p", { class: "muted" }, "No decision yet."),
        hiring.score_override
          ? h("p", {}, `Score overridden to ${fmtScore(hiring.score_override.overall_score)} by ${who(hiring.score_override.overridden_by)}: ${hiring.score_override.reason}`)
          : ""),
      h("section", { class: "card report-section", id: "report-notes" }, h("h2", {}, "Reviews and notes"),
        (hiring.reviews ?? []).length === 0 ? h("p", { class: "muted" }, "No reviews yet.") : h("ul", { class: "plain" }, hiring.reviews.map((v: any) =>
          h("li", {}, h("strong", {}, who(v.reviewer)), ` ${fmtDate(v.created_at)}`,
            Object.keys(v.ratings ?? {}).length ? h("div", {}, Object.entries(v.ratings).map(([k, n]) => `${label(k)}: ${n}/5`).join(" · ")) : "",
            v.note ? h("p", { class: "note" }, v.note) : "")))),
    ),
  );
  main.dataset.report = "ready";
}

const AUDIT_ACTIONS = [
  "assessment.viewed", "video.viewed", "decision.made", "review.added", "score.overridden", "results.exported", "audit.exported",
  "job.created", "job.updated", "invitations.created", "invitation.resent", "invitation.revoked", "member.created", "member.invited", "member.updated",
  "webhook.created", "webhook.updated", "webhook.deleted", "webhook.secret_rotated", "webhook.tested", "settings.updated",
];

/** `#/org/audit` (admins): the trail newest first, filtered by action, actor and dates, paged by
 * cursor, exported as CSV with the same filters. */
export async function auditPage(main: HTMLElement): Promise<void> {
  main.append(h("h1", {}, "Audit trail"));
  if (getSession()?.role !== "admin") {
    main.append(alertBox("info", "Only the organization's admins read its audit trail."));
    return;
  }
  const action = h("select", { id: "audit-action" }, h("option", { value: "" }, "Any"), AUDIT_ACTIONS.map((x) => h("option", { value: x }, x)));
  const actor = h("select", { id: "audit-actor" }, h("option", { value: "" }, "Anyone"));
  const from = h("input", { type: "date", id: "audit-from" });
  const to = h("input", { type: "date", id: "audit-to" });
  try {
    const members: any[] = (await api<any>("GET", "/api/v1/org/members")).data.items ?? [];
    for (const m of members) actor.append(h("option", { value: m.id }, m.full_name ? `${m.full_name} (${m.email})` : m.email));
  } catch {
    /* the actor filter stays "Anyone" */
  }
  const summary = h("div");
  const listBox = h("div", { id: "audit", "aria-live": "polite" });
  const tbody = h("tbody");
  const more = h("button", { type: "button", class: "secondary", id: "audit-more", hidden: true }, "Load more");
  let cursor: string | null = null;
  const query = () => {
    const q = new URLSearchParams();
    if (action.value) q.set("action", action.value);
    if (actor.value) q.set("actor_id", actor.value);
    if (from.value) q.set("from", from.value);
    if (to.value) q.set("to", to.value);
    return q;
  };
  let seq = 0;
  const load = async (append: boolean) => {
    const mine = ++seq;
    const q = query();
    q.set("limit", "50");
    if (append && cursor) q.set("cursor", cursor);
    listBox.setAttribute("aria-busy", "true");
    try {
      const r = await api<any>("GET", `/api/v1/org/audit?${q}`);
      if (mine !== seq) return;
      clearErrors(form, summary);
      if (!append) clear(tbody);
      cursor = r.data.next_cursor ?? null;
      more.hidden = !cursor;
      for (const e of r.data.items ?? []) {
        tbody.append(h("tr", { "data-action": e.action, "data-actor": e.actor_id },
          h("td", {}, fmtDate(e.created_at)),
          h("td", {}, e.actor_name || e.actor_id),
          h("td", { class: "action" }, e.action),
          h("td", { class: "wrap" }, `${label(e.target_type ?? "")} ${e.target_id ?? ""}`),
          h("td", { class: "hide-phone wrap" }, e.detail ?? ""),
        ));
      }
      listBox.dataset.query = q.toString();
      clear(listBox);
      listBox.append(tbody.children.length === 0
        ? h("p", { class: "muted" }, "No entries match these filters.")
        : h("div", { class: "table-wrap" }, h("table", { id: "audit-table" },
            h("caption", { class: "visually-hidden" }, "Audit entries, newest first"),
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Who"), h("th", { scope: "col" }, "Action"),
              h("th", { scope: "col" }, "Target"), h("th", { scope: "col", class: "hide-phone" }, "Detail"))),
            tbody)));
    } catch (e) {
      if (mine !== seq) return;
      showErrors(form, summary, e);
    } finally {
      if (mine === seq) listBox.setAttribute("aria-busy", "false");
    }
  };
  const form = h("form", { class: "card", id: "audit-filters", novalidate: true, "aria-label": "Filters" }, summary,
    h("div", { class: "grid" }, field("action", "Action", action), field("actor_id", "Actor", actor), field("from", "From (inclusive)", from), field("to", "To (exclusive)", to)),
    h("div", { class: "row" }, h("button", { type: "submit", id: "audit-apply" }, "Apply filters"),
      exportButton("audit-export", "Export CSV", () => `/api/v1/org/audit/export?${query()}`, "audit.csv")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void load(false);
  });
  more.addEventListener("click", () => void load(true));
  main.append(form, listBox, more);
  await load(false);
}

const WEBHOOK_EVENTS = ["interview.completed", "assessment.ready", "decision.made", "invitation.expired"];

/** `#/org/webhooks` (admins): endpoints with their events, create (the secret shown once),
 * activate/deactivate, rotate the secret, send a test, recent deliveries, delete. */
export async function webhooksPage(main: HTMLElement): Promise<void> {
  main.append(h("h1", {}, "Webhooks"));
  if (getSession()?.role !== "admin") {
    main.append(alertBox("info", "Only the organization's admins manage its webhooks."));
    return;
  }
  const listBox = h("div", { id: "webhooks", "aria-live": "polite" });
  const secretBox = h("div", { id: "webhook-secret", "aria-live": "polite" });
  const showSecret = (secret: string, previousUntil?: string) => secretBox.replaceChildren(
    alertBox("ok", "The signing secret is shown only now. Store it where your receiver verifies signatures:"),
    h("input", { type: "text", readonly: true, value: secret, class: "invite-link", id: "webhook-secret-value", "aria-label": "Webhook signing secret" }),
    previousUntil ? h("p", { class: "muted" }, `The previous secret keeps signing until ${fmtDate(previousUntil)}.`) : "");
  const base = "/api/v1/org/webhooks";

  const row = (w: any): HTMLElement => {
    const note = h("div", { "aria-live": "polite" });
    const deliveries = h("div", { class: "webhook-deliveries" });
    // The delivery log (docs/hiring.md#webhooks), newest first.
    const showDeliveries = async () => {
      const items: any[] = (await api<any>("GET", `${base}/${w.id}/deliveries`)).data.items ?? [];
      deliveries.replaceChildren(items.length === 0 ? h("p", { class: "muted" }, "No deliveries yet.") : h("div", { class: "table-wrap" }, h("table", {},
        h("caption", { class: "visually-hidden" }, "Deliveries, newest first"),
        h("thead", {}, h("tr", {}, ["When", "Event", "Status", "Attempts", "Last answer", "Next attempt"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, items.map((x) => h("tr", { class: "delivery", "data-event-type": x.event_type, "data-status": x.status },
          h("td", {}, fmtDate(x.created_at)), h("td", { class: "wrap", title: x.event_id ?? "" }, x.event_type ?? ""),
          h("td", {}, h("span", { class: `badge delivery-${x.status}` }, label(x.status ?? ""))),
          h("td", {}, String(x.attempts ?? 0)),
          h("td", { class: "wrap" }, [x.last_status, x.last_error].filter((v) => v !== null && v !== undefined && v !== "").join(" · ") || "—"),
          h("td", {}, x.status === "pending" ? fmtDate(x.next_attempt_at) : "—")))))));
    };
    const act = async (fn: () => Promise<void>, button: HTMLButtonElement) => {
      button.disabled = true;
      note.replaceChildren();
      try {
        await fn();
      } catch (e) {
        note.append(alertBox("error", errorText(e)));
      } finally {
        button.disabled = false;
      }
    };
    const btn = (text: string, fn: () => Promise<void>, cls = "secondary") => {
      const b = h("button", { type: "button", class: cls }, text);
      b.addEventListener("click", () => void act(fn, b));
      return b;
    };
    return h("article", { class: "card webhook", "data-id": w.id },
      h("h2", { class: "wrap" }, w.url),
      h("p", {}, h("span", { class: `badge ${w.active ? "active" : "inactive"}` }, w.active ? "active" : "inactive"), " ",
        h("span", { class: "muted" }, `${(w.events ?? []).join(", ")} · created ${fmtDate(w.created_at)}`),
        w.previous_secret_expires_at ? h("span", { class: "muted" }, ` · previous secret signs until ${fmtDate(w.previous_secret_expires_at)}`) : ""),
      w.description ? h("p", {}, w.description) : "",
      h("div", { class: "row" },
        btn(w.active ? "Deactivate" : "Activate", async () => {
          await api("PATCH", `${base}/${w.id}`, { body: { active: !w.active } });
          await load();
        }),
        btn("Rotate secret", async () => {
          const r = (await api<any>("POST", `${base}/${w.id}/rotate-secret`)).data;
          showSecret(r.secret, r.previous_secret_expires_at);
        }),
        btn("Send test", async () => {
          await api("POST", `${base}/${w.id}/test`);
          note.append(alertBox("ok", "Test event queued."));
          await showDeliveries();
        }),
        btn("Deliveries", showDeliveries),
        btn("Delete", async () => {
          if (!window.confirm(`Delete the webhook to ${w.url}?`)) return;
          await api("DELETE", `${base}/${w.id}`);
          await load();
        }, "danger"),
      ),
      note, deliveries);
  };

  const load = async () => {
    try {
      const items: any[] = (await api<any>("GET", base)).data.items ?? [];
      listBox.replaceChildren(...(items.length === 0 ? [h("p", { class: "muted" }, "No webhooks yet.")] : items.map(row)));
    } catch (e) {
      const missing = e instanceof ApiError && e.status === 404;
      // A server without the webhooks API: say so, and offer no form that cannot work.
      form.hidden = missing;
      listBox.replaceChildren(alertBox("error", missing ? `Webhooks are not available on this server: ${errorText(e)}` : errorText(e)));
    }
  };

  const summary = h("div");
  const url = h("input", { type: "url", id: "webhook-url", placeholder: "https://example.com/hooks" });
  const description = h("input", { type: "text", id: "webhook-description", maxlength: 500 });
  const events = h("fieldset", { class: "field choices", "data-field": "events" }, h("legend", {}, "Events"),
    WEBHOOK_EVENTS.map((e) => h("label", { class: "inline" }, h("input", { type: "checkbox", value: e, class: "webhook-event", checked: true }), ` ${e}`)));
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "webhook-new" }, h("h2", { id: "webhook-new" }, "Add a webhook"), summary,
    field("url", "Endpoint URL (https)", url), events, field("description", "Description (optional)", description),
    h("button", { type: "submit", id: "webhook-create" }, "Add webhook"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body: Record<string, unknown> = {
      url: url.value.trim(),
      events: [...form.querySelectorAll<HTMLInputElement>("input.webhook-event:checked")].map((x) => x.value),
    };
    if (description.value.trim()) body.description = description.value.trim();
    try {
      const r = await api<any>("POST", base, { body });
      clearErrors(form, summary);
      url.value = "";
      description.value = "";
      showSecret(r.data.secret);
      await load();
    } catch (e) {
      showErrors(form, summary, e);
    }
  });
  main.append(form, secretBox, listBox);
  await load();
}

/** `#/org/messages`: the organization's decision messages to candidates, one per decision, with
 * their placeholders (docs/hiring.md#decision-messages). Staff read them; admins edit them
 * (only the decisions changed are sent) or restore the built-in message. */
export async function decisionTemplatesPage(main: HTMLElement): Promise<void> {
  main.append(h("h1", {}, "Messages to candidates"),
    h("p", { class: "muted" }, "Sent when a recruiter records a decision with \u201cEmail the candidate\u201d. The decision's reason is never included."));
  const path = "/api/v1/org/settings/decision-templates";
  const admin = getSession()?.role === "admin";
  const summary = h("div");
  const box = h("div", { id: "decision-templates" });
  const form = h("form", { class: "card", novalidate: true, "aria-label": "Decision messages" }, summary, box);
  main.append(form);
  let loaded: any = null;
  const inputs = new Map<string, [HTMLInputElement, HTMLTextAreaElement]>();
  const render = (data: any) => {
    loaded = data;
    inputs.clear();
    const names = (data.placeholders ?? []).map((p: string) => `{{${p}}}`).join(", ");
    box.replaceChildren(
      h("p", { id: "template-placeholders" }, "Placeholders: ", h("code", {}, names)),
      ...DECISIONS.map(([d, title]) => {
        const t = data.templates?.[d] ?? {};
        const subject = h("input", { type: "text", id: `tpl-${d}-subject`, maxlength: 200, value: t.subject ?? "", readonly: !admin });
        const body = h("textarea", { id: `tpl-${d}-body`, rows: 7, maxlength: 5000, readonly: !admin });
        body.value = t.body ?? "";
        inputs.set(d, [subject, body]);
        const restore = admin && !t.is_default
          ? h("button", { type: "button", class: "secondary", id: `tpl-${d}-restore` }, "Restore the default")
          : "";
        if (restore) restore.addEventListener("click", () => void save({ [d]: null }, `The default ${title.toLowerCase()} message is restored.`));
        return h("fieldset", { class: "template", "data-decision": d, "data-default": String(!!t.is_default) },
          h("legend", {}, `${title} `, h("span", { class: "badge" }, t.is_default ? "default" : "custom")),
          field(`${d}.subject`, "Subject", subject), field(`${d}.body`, "Message", body), restore);
      }),
      admin ? h("button", { type: "submit", id: "templates-save" }, "Save messages") : alertBox("info", "Only the organization's admins edit these messages."),
    );
  };
  const save = async (body: Record<string, unknown>, done: string) => {
    try {
      const r = await api<any>("PUT", path, { body });
      render(r.data);
      clearErrors(form, summary);
      summary.append(alertBox("ok", done));
    } catch (e) {
      showErrors(form, summary, e);
    }
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body: Record<string, unknown> = {};
    for (const [d, [subject, text]] of inputs) {
      const t = loaded?.templates?.[d] ?? {};
      if (subject.value !== t.subject || text.value !== t.body) body[d] = { subject: subject.value, body: text.value };
    }
    if (Object.keys(body).length === 0) {
      clearErrors(form, summary);
      summary.append(alertBox("info", "Nothing changed."));
      return;
    }
    void save(body, "Messages saved.");
  });
  try {
    render((await api<any>("GET", path)).data);
    box.dataset.ready = "true";
  } catch (e) {
    box.replaceChildren(alertBox("error", errorText(e)));
  }
}
