// Invitations: the panel on a job's page (bulk invite, the links shown once, status and delivery,
// resend, revoke) and the candidate's landing page for an emailed link (sign in or register with
// the invited address, then accept and start the interview).
import { api, ApiError, errorText, getSession, isStaff, setSession } from "../api";
import { alertBox, clear, fmtDate, h, label } from "../dom";
import { clearErrors, field, showErrors, splitList } from "../forms";
import { navigate } from "../nav";

const SKIP_REASONS: Record<string, string> = {
  duplicate: "repeated in this list",
  already_invited: "already invited",
};

function linkBox(link: string): HTMLElement {
  const input = h("input", { type: "text", readonly: true, value: link, class: "invite-link", "aria-label": "Invitation link" });
  input.addEventListener("focus", () => input.select());
  return input;
}

export function invitationsPanel(job: any, writer: boolean): HTMLElement {
  const section = h("section", { class: "card", id: "invitations", "aria-labelledby": "inv-title" }, h("h2", { id: "inv-title" }, "Invitations"));
  const tbody = h("tbody");
  const listBox = h("div", { id: "invitation-list", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  let cursor: string | null = null;

  const row = (v: any): HTMLTableRowElement => {
    const actions = h("td", { class: "actions" });
    const note = h("div", { class: "row-note" });
    const tr = h("tr", { "data-id": v.id, "data-status": v.status },
      // An erased candidate's invitation stays, anonymised (docs/privacy.md#erasure).
      h("td", {}, v.email === "erased@erased.invalid" ? h("em", { class: "muted" }, "Erased candidate") : v.email, note),
      h("td", {}, h("span", { class: `badge ${v.status}` }, label(v.status))),
      h("td", { class: "hide-phone" }, String(v.send_attempts ?? 0), v.last_send_error ? h("div", { class: "field-error" }, v.last_send_error) : null),
      h("td", { class: "hide-phone" }, fmtDate(v.expires_at)),
      actions,
    );
    const act = async (what: "resend" | "revoke", button: HTMLButtonElement) => {
      button.disabled = true;
      try {
        const r = await api<any>("POST", `/api/v1/invitations/${v.id}/${what}`);
        const fresh = row(r.data);
        tr.replaceWith(fresh);
        if (r.data.link) fresh.querySelector(".row-note")?.append(h("p", { class: "muted" }, "New link (shown once; the old one no longer works):"), linkBox(r.data.link));
      } catch (e) {
        button.disabled = false;
        note.replaceChildren(alertBox("error", errorText(e)));
      }
    };
    if (writer && (v.status === "sent" || v.status === "opened" || v.status === "expired")) {
      const resend = h("button", { type: "button", class: "secondary", onclick: () => void act("resend", resend) }, "Resend");
      const revoke = h("button", { type: "button", class: "danger" }, "Revoke");
      revoke.addEventListener("click", () => {
        if (revoke.dataset.confirm) void act("revoke", revoke);
        else {
          revoke.dataset.confirm = "1";
          revoke.textContent = "Confirm revoke";
        }
      });
      actions.append(h("div", { class: "row" }, resend, revoke));
    }
    return tr;
  };

  const load = async (append: boolean) => {
    const q = new URLSearchParams({ limit: "50" });
    if (append && cursor) q.set("cursor", cursor);
    try {
      const r = await api<any>("GET", `/api/v1/jobs/${job.id}/invitations?${q}`);
      const items: any[] = r.data.items ?? [];
      cursor = r.data.next_cursor ?? null;
      more.hidden = !cursor;
      if (!append) {
        clear(listBox);
        clear(tbody);
        listBox.append(items.length === 0
          ? h("p", { class: "muted" }, "No invitations yet.")
          : h("div", { class: "table-wrap" }, h("table", { id: "invitations-table" },
              h("caption", { class: "visually-hidden" }, "Invitations"),
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Email"), h("th", { scope: "col" }, "Status"),
                h("th", { scope: "col", class: "hide-phone" }, "Send attempts"), h("th", { scope: "col", class: "hide-phone" }, "Expires"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
              tbody)));
      }
      tbody.append(...items.map(row));
    } catch (e) {
      clear(listBox);
      listBox.append(alertBox("error", errorText(e)));
    }
  };
  more.addEventListener("click", () => void load(true));

  if (writer) {
    const summary = h("div");
    const emails = h("textarea", { id: "invite-emails", class: "short", placeholder: "ada@example.com, grace@example.com" });
    const days = h("input", { type: "number", id: "invite-days", min: 1, max: 60, placeholder: "14", class: "short" });
    const send = h("button", { type: "submit", id: "send-invitations" }, "Send invitations");
    const result = h("div", { id: "invite-result", "aria-live": "polite" });
    const form = h("form", { novalidate: true, id: "invite-form" },
      summary,
      field("emails", "Email addresses", emails, "One per line, or separated by commas. The job must be open."),
      field("expires_in_days", "Link valid for (days)", days, "1–60, default 14."),
      send,
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      result.replaceChildren();
      const list = splitList(emails.value.replace(/\s+/g, "\n"));
      const body: Record<string, unknown> = { emails: list };
      if (days.value) body.expires_in_days = Number(days.value);
      send.disabled = true;
      try {
        const r = await api<any>("POST", `/api/v1/jobs/${job.id}/invitations`, { body });
        clearErrors(form, summary);
        emails.value = "";
        const created: any[] = r.data.invitations ?? [];
        const skipped: any[] = r.data.skipped ?? [];
        // The list first, so the answer below appears once the page has settled.
        await load(false);
        result.append(alertBox("ok", `${created.length} invitation${created.length === 1 ? "" : "s"} sent${skipped.length ? `, ${skipped.length} skipped` : ""}.`));
        if (created.length) {
          result.append(h("p", { class: "muted" }, "Each link is shown only now (it is also in the email):"),
            h("ul", { id: "created-links", class: "plain" }, created.map((c) => h("li", { "data-email": c.email }, h("strong", {}, c.email), " ", linkBox(c.link)))));
        }
        if (skipped.length) {
          result.append(h("h3", {}, "Skipped"), h("ul", { id: "skipped" }, skipped.map((s) =>
            h("li", { "data-email": s.email, "data-reason": s.reason }, `${s.email}: ${SKIP_REASONS[s.reason] ?? label(s.reason)}`))));
        }
      } catch (e) {
        showErrors(form, summary, e);
      } finally {
        send.disabled = false;
      }
    });
    section.append(form, result);
  }
  section.append(h("h3", {}, "Sent"), listBox, more);
  void load(false);
  return section;
}

const REFUSALS: Record<string, string> = {
  INVITATION_EXPIRED: "This invitation has expired. Ask the recruiter who invited you for a new link.",
  INVITATION_REVOKED: "This invitation was withdrawn by the recruiter.",
  INVITATION_USED: "This invitation has already been used to start an interview. Find it under My interviews.",
  INVITATION_EMAIL_MISMATCH: "This invitation was sent to a different email address. Sign in with the address it was sent to.",
  INVITATION_CLOSED: "This invitation can no longer be used.",
  JOB_NOT_OPEN: "This job is not taking interviews at the moment.",
  INVITATION_NOT_FOUND: "This invitation link is not valid. Check that you copied all of it, or ask for a new one.",
};

function refusal(e: unknown): HTMLElement {
  const code = e instanceof ApiError ? e.code : "";
  const el = alertBox("error", REFUSALS[code] ?? errorText(e));
  el.id = "invite-error";
  el.dataset.code = code;
  return el;
}

/** `#/invite/{token}`: the emailed link. Open to everyone (the token is the credential). */
export async function inviteLandingPage(main: HTMLElement, [token]: string[]): Promise<void> {
  main.append(h("p", { class: "muted", role: "status" }, "Loading the invitation…"));
  let inv: any;
  try {
    inv = (await api<any>("GET", `/api/v1/invite/${token}`)).data;
  } catch (e) {
    clear(main);
    main.append(h("h1", {}, "Invitation"), refusal(e), h("p", {}, h("a", { href: "#/login" }, "Go to sign in")));
    return;
  }
  clear(main);
  const job = inv.job ?? {};
  const errors = h("div", { id: "invite-errors" });
  const action = h("div", { id: "invite-action" });
  main.append(
    h("section", { class: "card", "aria-labelledby": "invite-title" },
      h("p", { class: "muted", id: "invite-org" }, `${inv.org?.name ?? ""} invites you to an interview`),
      h("h1", { id: "invite-title" }, job.title ?? "Interview"),
      job.description ? h("p", { class: "pre", id: "invite-description" }, job.description) : null,
      h("p", { class: "muted" }, `The link is valid until ${fmtDate(inv.expires_at)}.`,
        job.voice_required ? " Answers are spoken (voice)." : "", job.video_required ? " The interview is recorded on video." : ""),
      job.open === false ? alertBox("warn", REFUSALS.JOB_NOT_OPEN) : null,
    ),
    errors,
    action,
  );
  const s = getSession();
  if (!s) {
    authForms(action, errors, inv.email ?? "", () => void inviteAgain(main, token));
    return;
  }
  if (isStaff(s.role)) {
    action.append(alertBox("info", `You are signed in as staff (${s.email}). Sign out, then open the link again to accept as a candidate.`));
    return;
  }
  const accept = h("button", { type: "button", id: "accept-invite" }, "Start the interview");
  accept.addEventListener("click", async () => {
    accept.disabled = true;
    errors.replaceChildren();
    try {
      const r = await api<any>("POST", `/api/v1/invite/${token}/accept`);
      // A required camera or microphone is checked first; otherwise straight to the questions.
      navigate(job.video_required || job.voice_required ? `/tech-check/${r.data.id}` : `/interview/${r.data.id}`);
    } catch (e) {
      accept.disabled = false;
      errors.append(refusal(e));
    }
  });
  action.append(h("div", { class: "card" },
    h("p", {}, `Signed in as ${s.email}.`),
    h("div", { class: "row" }, accept,
      h("button", { type: "button", class: "secondary", id: "invite-switch", onclick: async () => {
        try {
          await api("POST", "/api/v1/auth/logout");
        } catch {
          /* signing out locally is enough */
        }
        setSession(null);
        void inviteAgain(main, token);
      } }, "Use another account")),
  ));
}

function inviteAgain(main: HTMLElement, token: string): Promise<void> {
  clear(main);
  // The session changed: the navigation bar follows.
  window.dispatchEvent(new Event("ie:session"));
  return inviteLandingPage(main, [token]);
}

/** Register (the default: most invitees are new) or sign in, with the invited address prefilled. */
function authForms(box: HTMLElement, errors: HTMLElement, email: string, done: () => void): void {
  const mode = { register: true };
  const render = () => {
    clear(box);
    const name = h("input", { type: "text", id: "inv-name", autocomplete: "name", maxlength: 255 });
    const mail = h("input", { type: "email", id: "inv-email", autocomplete: "email", value: email });
    const password = h("input", { type: "password", id: "inv-password", autocomplete: mode.register ? "new-password" : "current-password" });
    const submit = h("button", { type: "submit", id: "inv-submit" }, mode.register ? "Create account" : "Sign in");
    const form = h("form", { class: "card narrow", novalidate: true, "aria-labelledby": "inv-auth-title" },
      h("h2", { id: "inv-auth-title" }, mode.register ? "Create your candidate account" : "Sign in"),
      mode.register ? field("full_name", "Full name", name) : null,
      field("email", "Email", mail),
      field("password", "Password", password, mode.register ? "8–128 characters with an uppercase letter, a digit and a special character." : undefined),
      h("div", { class: "row" }, submit,
        h("button", { type: "button", class: "link", id: "inv-toggle", onclick: () => { mode.register = !mode.register; errors.replaceChildren(); render(); } },
          mode.register ? "I already have an account" : "Create an account instead")),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      const body: Record<string, string> = { email: mail.value.trim(), password: password.value };
      if (mode.register) body.full_name = name.value.trim();
      try {
        const r = await api<any>("POST", mode.register ? "/api/v1/auth/register" : "/api/v1/auth/login", { body, token: null });
        setSession({ token: r.data.token, role: r.data.role, email: r.data.email, fullName: body.full_name });
        done();
      } catch (e) {
        submit.disabled = false;
        showErrors(form, errors, e);
      }
    });
    box.append(form);
  };
  render();
}

/** `#/unsubscribe/{token}`: opts the address an emailed reminder was sent to out of reminders
 * (one click, so a mail scanner opening the link changes nothing). docs/email.md#notifications */
export function unsubscribePage(main: HTMLElement, [token]: string[]): void {
  const status = h("div", { role: "status" });
  const button = h("button", { type: "button", id: "unsubscribe" }, "Stop reminder emails");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("POST", `/api/v1/unsubscribe/${token}`, { token: null });
      status.replaceChildren(alertBox("ok", "Done: you will get no more reminder emails. Invitations and feedback you asked for still arrive."));
    } catch (e) {
      button.disabled = false;
      status.replaceChildren(alertBox("error", errorText(e)));
    }
  });
  main.append(h("section", { class: "card narrow", "aria-labelledby": "unsub-title" },
    h("h1", { id: "unsub-title" }, "Unsubscribe"),
    h("p", { class: "muted" }, "Stop interview reminder emails to your address."),
    status,
    button,
  ));
}
