// Privacy (docs/privacy.md): a candidate's data export (request, status, download) and account
// deletion with password confirmation (#/account/privacy); an org admin's retention periods
// (#/org/retention).
import { api, errorText, getSession, setSession } from "../api";
import { alertBox, clear, fmtDate, h } from "../dom";
import { clearErrors, field, showErrors } from "../forms";
import { navigate } from "../nav";

const CATEGORIES: [string, string][] = [
  ["transcript_days", "Transcripts"],
  ["assessment_days", "Assessments"],
  ["audio_days", "Voice recordings"],
  ["video_days", "Videos"],
  ["resume_days", "Résumés"],
];

/** Downloads an authenticated JSON document as a file. */
async function download(url: string): Promise<void> {
  const resp = await fetch(url, { headers: { Authorization: `Bearer ${getSession()?.token ?? ""}` }, cache: "no-store" });
  if (!resp.ok) throw new Error(resp.status === 410 ? "This export has expired; request a new one." : `The download failed (${resp.status}).`);
  const blob = await resp.blob();
  const a = h("a", { href: URL.createObjectURL(blob), download: "my-data.json" });
  document.body.append(a);
  a.click();
  a.remove();
}

export async function privacyPage(main: HTMLElement): Promise<() => void> {
  main.append(h("h1", {}, "Privacy and my data"));
  const status = h("div", { id: "export-status", "aria-live": "polite" });
  const ask = h("button", { type: "button", id: "request-export" }, "Request an export of my data");
  const note = h("div", { "aria-live": "polite" });
  let timer: number | undefined;

  const render = (items: any[]) => {
    clear(status);
    const latest = items[0];
    if (!latest) {
      status.append(h("p", { class: "muted" }, "No export yet."));
      return;
    }
    const line = h("p", { id: "export-state", "data-status": latest.status },
      `Latest export (${fmtDate(latest.created_at)}): ${latest.status}`,
      latest.expires_at ? ` — available until ${fmtDate(latest.expires_at)}` : "");
    status.append(line);
    if (latest.download_url) {
      const get = h("button", { type: "button", id: "download-export", class: "secondary" }, "Download (JSON)");
      get.addEventListener("click", () => {
        download(latest.download_url).catch((e) => note.replaceChildren(alertBox("error", errorText(e))));
      });
      status.append(get);
    }
    if (latest.status === "pending") timer = window.setTimeout(() => void load(), 2000);
  };
  const load = async () => {
    try {
      render((await api<any>("GET", "/api/v1/me/exports")).data.items ?? []);
    } catch (e) {
      status.replaceChildren(alertBox("error", errorText(e)));
    }
  };
  ask.addEventListener("click", async () => {
    note.replaceChildren();
    ask.disabled = true;
    try {
      await api("POST", "/api/v1/me/exports", { body: {} });
      note.append(alertBox("ok", "Your export is being prepared; we will email you when it is ready."));
      await load();
    } catch (e) {
      note.append(alertBox("error", errorText(e)));
    } finally {
      ask.disabled = false;
    }
  });
  main.append(h("section", { class: "card", "aria-labelledby": "export-title" },
    h("h2", { id: "export-title" }, "Download my data"),
    h("p", {}, "One JSON file with your profile, interviews and messages, assessments as you see them, résumés, feedback and consents, with links to your recordings that work for a limited time."),
    ask, note, status));

  const password = h("input", { type: "password", id: "delete-password", autocomplete: "current-password" });
  const summary = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "delete-title", id: "delete-account" },
    h("h2", { id: "delete-title" }, "Delete my account"),
    h("p", {}, "This erases your account, interviews, recordings, résumés and everything derived from them. It cannot be undone. Organizations keep only an anonymous record that an erasure happened."),
    summary,
    field("password", "Confirm with your password", password),
    h("button", { type: "submit", class: "danger", id: "delete-submit" }, "Delete my account and data"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form, summary);
    if (!window.confirm("Delete your account and all your data? This cannot be undone.")) return;
    try {
      await api("DELETE", "/api/v1/me", { body: { password: password.value } });
      setSession(null);
      navigate("/login");
    } catch (e) {
      showErrors(form, summary, e);
    }
  });
  main.append(form);
  await load();
  return () => window.clearTimeout(timer);
}

export async function retentionPage(main: HTMLElement): Promise<void> {
  main.append(h("h1", {}, "Data retention"));
  if (getSession()?.role !== "admin") {
    main.append(alertBox("info", "Only the organization's admins set retention periods."));
    return;
  }
  let current: any;
  try {
    current = (await api<any>("GET", "/api/v1/org/settings/retention")).data;
  } catch (e) {
    main.append(alertBox("error", errorText(e)));
    return;
  }
  const summary = h("div", { "aria-live": "polite" });
  const inputs = CATEGORIES.map(([key, text]) => {
    const input = h("input", { type: "number", min: "0.001", step: "any", id: `retention-${key}`, value: current[key] ?? "" });
    return { key, el: field(key, `${text} (days)`, input, `Empty: the default, ${current.effective[key]} days.`), input };
  });
  const form = h("form", { class: "card", novalidate: true, id: "retention-form" },
    h("p", {}, "How long your organization's candidate data is kept after an interview ends; the daily job deletes what is older."),
    summary, h("div", { class: "grid" }, inputs.map((i) => i.el)),
    h("button", { type: "submit", id: "retention-save" }, "Save"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form, summary);
    const body: Record<string, number | null> = {};
    for (const i of inputs) body[i.key] = i.input.value.trim() === "" ? null : Number(i.input.value);
    try {
      const saved = (await api<any>("PUT", "/api/v1/org/settings/retention", { body })).data;
      for (const i of inputs) i.input.value = saved[i.key] ?? "";
      summary.append(alertBox("ok", "Saved."));
    } catch (e) {
      showErrors(form, summary, e);
    }
  });
  main.append(form);
}
