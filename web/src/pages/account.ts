// The account lifecycle (docs/accounts.md): `#/account` (password change, sessions, sign out
// everywhere, email verification status), `#/verify/{token}`, `#/reset` and `#/reset/{token}`.
import { api, errorText, getSession, isStaff, setSession } from "../api";
import { alertBox, announce, fmtDate, h } from "../dom";
import { clearErrors, field, showErrors } from "../forms";
import { navigate } from "../nav";

const PASSWORD_HINT = "8–128 characters with an uppercase letter, a digit and a special character.";

/** `#/account`: change the password, see and sign out sessions. */
export async function accountPage(main: HTMLElement): Promise<void> {
  const me = (await api<any>("GET", "/api/v1/auth/me")).data;

  // Email verification status (and a new link for an unverified address).
  const verifyBox = h("section", { class: "card", "aria-labelledby": "acct-email" }, h("h2", { id: "acct-email" }, "Email address"));
  const verifyStatus = h("p", { id: "acct-verified" }, `${me.email}: ${me.email_verified ? "verified" : "not verified yet"}.`);
  verifyBox.append(verifyStatus);
  if (!me.email_verified) {
    const out = h("div", { role: "status" });
    const resend = h("button", { type: "button", class: "secondary", id: "acct-resend" }, "Email me a new verification link");
    resend.addEventListener("click", async () => {
      resend.disabled = true;
      out.replaceChildren();
      try {
        const r = await api<any>("POST", "/api/v1/auth/verify/resend");
        out.append(alertBox("ok", r.data.message ?? "Your address is already verified."));
      } catch (e) {
        out.append(alertBox("error", errorText(e)));
      } finally {
        resend.disabled = false;
      }
    });
    verifyBox.append(resend, out);
  }

  // Change password: every other session is signed out.
  const summary = h("div");
  const current = h("input", { type: "password", id: "acct-current", autocomplete: "current-password" });
  const next = h("input", { type: "password", id: "acct-new", autocomplete: "new-password" });
  const change = h("button", { type: "submit", id: "acct-change" }, "Change password");
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "acct-pw" },
    h("h2", { id: "acct-pw" }, "Change password"),
    h("p", { class: "muted" }, "Your other sessions are signed out; this one stays signed in."),
    summary,
    field("current_password", "Current password", current),
    field("new_password", "New password", next, PASSWORD_HINT),
    change,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    change.disabled = true;
    try {
      const r = await api<any>("POST", "/api/v1/auth/password", { body: { current_password: current.value, new_password: next.value } });
      clearErrors(form, summary);
      current.value = "";
      next.value = "";
      summary.append(alertBox("ok", `Password changed. ${r.data.sessions_revoked} other session(s) signed out.`));
      await loadSessions();
    } catch (e) {
      showErrors(form, summary, e);
    } finally {
      change.disabled = false;
    }
  });

  // Sessions: one row each, "sign out" per row, and "sign out everywhere".
  const rows = h("tbody");
  const sessionsOut = h("div", { role: "status" });
  const everywhere = h("button", { type: "button", class: "danger", id: "acct-everywhere" }, "Sign out everywhere");
  const sessionsBox = h("section", { class: "card", "aria-labelledby": "acct-sessions" },
    h("h2", { id: "acct-sessions" }, "Sessions"),
    h("p", { class: "muted" }, "Where your account is signed in. Signing a session out also ends its open interview connections."),
    sessionsOut,
    h("div", { class: "table-wrap" }, h("table", { id: "sessions-table" },
      h("caption", { class: "visually-hidden" }, "Sessions"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Device"), h("th", { scope: "col", class: "hide-phone" }, "Signed in"),
        h("th", { scope: "col" }, "Last used"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
      rows)),
    everywhere,
  );
  async function loadSessions(): Promise<void> {
    const r = await api<any>("GET", "/api/v1/auth/sessions");
    rows.replaceChildren(
      ...r.data.items.map((s: any) => {
        const out = h("button", { type: "button", class: "secondary", "data-session": s.id }, "Sign out");
        out.addEventListener("click", async () => {
          out.disabled = true;
          try {
            await api("DELETE", `/api/v1/auth/sessions/${s.id}`);
            if (s.current) {
              setSession(null);
              navigate("/login");
              return;
            }
            announce("Session signed out.");
            await loadSessions();
          } catch (e) {
            sessionsOut.replaceChildren(alertBox("error", errorText(e)));
            out.disabled = false;
          }
        });
        return h("tr", { class: s.current ? "current" : "" },
          h("td", { class: "wrap" }, `${s.client}${s.current ? " (this session)" : ""}`, h("br"), h("span", { class: "muted" }, s.ip)),
          h("td", { class: "hide-phone" }, fmtDate(s.created_at)),
          h("td", {}, fmtDate(s.last_used_at)),
          h("td", {}, out));
      }),
    );
  }
  everywhere.addEventListener("click", async () => {
    if (!confirm("Sign out every session of this account, this one included?")) return;
    everywhere.disabled = true;
    try {
      await api("POST", "/api/v1/auth/sessions/revoke-all");
      setSession(null);
      navigate("/login");
    } catch (e) {
      sessionsOut.replaceChildren(alertBox("error", errorText(e)));
      everywhere.disabled = false;
    }
  });

  const links = h("nav", { class: "card", id: "account-links", "aria-label": "More account settings" });
  // Candidates export or delete their data on the privacy page (staff accounts are their admin's).
  if (!isStaff(getSession()?.role)) links.append(h("a", { href: "#/account/privacy" }, "Privacy and my data"));

  main.append(h("h1", {}, "Your account"), verifyBox, form, sessionsBox, links);
  await loadSessions();
}

/** `#/verify/{token}`: verifies the address the link was sent to. */
export async function verifyPage(main: HTMLElement, [token]: string[]): Promise<void> {
  const box = h("section", { class: "card narrow", "aria-labelledby": "verify-title" }, h("h1", { id: "verify-title" }, "Confirm your email"));
  main.append(box);
  try {
    await api("POST", "/api/v1/auth/verify", { body: { token }, token: null });
    box.append(alertBox("ok", "Your email address is verified. You can start interviews now."),
      h("a", { href: getSession() ? "#/dashboard" : "#/login" }, getSession() ? "Go to my interviews" : "Sign in"));
  } catch (e) {
    box.append(alertBox("error", errorText(e)), h("a", { href: "#/account" }, "Ask for a new link from your account page"));
  }
}

/** `#/reset`: asks for a reset link (the same answer whether or not the address has an account). */
export function resetRequestPage(main: HTMLElement): void {
  const summary = h("div");
  const email = h("input", { type: "email", id: "reset-email", autocomplete: "email" });
  const send = h("button", { type: "submit", id: "reset-send" }, "Email me a link");
  const form = h("form", { class: "card narrow", novalidate: true, "aria-labelledby": "reset-title" },
    h("h1", { id: "reset-title" }, "Reset your password"),
    h("p", { class: "muted" }, "We email a link to choose a new password. It works once, for a short time."),
    summary,
    field("email", "Email", email),
    send,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    send.disabled = true;
    try {
      const r = await api<any>("POST", "/api/v1/auth/password-reset", { body: { email: email.value.trim() }, token: null });
      clearErrors(form, summary);
      summary.append(alertBox("ok", r.data.message));
    } catch (e) {
      showErrors(form, summary, e);
    } finally {
      send.disabled = false;
    }
  });
  main.append(form);
}

/** `#/reset/{token}`: chooses the new password; every session is signed out. */
export function resetConfirmPage(main: HTMLElement, [token]: string[]): void {
  const summary = h("div");
  const password = h("input", { type: "password", id: "reset-password", autocomplete: "new-password" });
  const save = h("button", { type: "submit", id: "reset-save" }, "Set new password");
  const form = h("form", { class: "card narrow", novalidate: true, "aria-labelledby": "reset-new-title" },
    h("h1", { id: "reset-new-title" }, "Choose a new password"),
    h("p", { class: "muted" }, "Every session of your account is signed out."),
    summary,
    field("password", "New password", password, PASSWORD_HINT),
    save,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    try {
      await api("POST", "/api/v1/auth/password-reset/confirm", { body: { token, password: password.value }, token: null });
      setSession(null);
      clearErrors(form, summary);
      form.replaceChildren(h("h1", { id: "reset-new-title" }, "Password changed"),
        alertBox("ok", "Your password is set. Sign in with it."), h("a", { href: "#/login", id: "reset-signin" }, "Sign in"));
    } catch (e) {
      showErrors(form, summary, e);
      save.disabled = false;
    }
  });
  main.append(form);
}
