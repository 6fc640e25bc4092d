// The organization's members (admins): staff with roles, invite staff by email, change a role,
// deactivate or reactivate; and the page an emailed staff invitation opens (set a password →
// signed in).
import { api, errorText, getSession, setSession } from "../api";
import { alertBox, clear, fmtDate, h, label } from "../dom";
import { clearErrors, field, showErrors } from "../forms";
import { homeFor, navigate } from "../nav";

const STAFF_ROLES = ["admin", "recruiter", "viewer"];

export async function membersPage(main: HTMLElement): Promise<void> {
  const heading = h("h1", {}, "Members");
  main.append(heading);
  try {
    const org = (await api<any>("GET", "/api/v1/org")).data;
    heading.textContent = `Members of ${org.name}`;
    heading.id = "org-name";
  } catch (e) {
    main.append(alertBox("error", errorText(e)));
    return;
  }
  if (getSession()?.role !== "admin") {
    main.append(alertBox("info", "Only the organization's admins manage its members."));
    return;
  }
  const listBox = h("div", { id: "members", "aria-live": "polite" });
  const me = getSession()?.email;

  const row = (m: any): HTMLTableRowElement => {
    const note = h("div");
    const role = h("select", { "aria-label": `Role of ${m.email}`, class: "member-role" }, STAFF_ROLES.map((r) => h("option", { value: r, selected: r === m.role }, label(r))));
    const patch = async (body: Record<string, unknown>, control: HTMLSelectElement | HTMLButtonElement) => {
      control.disabled = true;
      note.replaceChildren();
      try {
        const r = await api<any>("PATCH", `/api/v1/org/members/${m.id}`, { body });
        const fresh = row({ ...r.data, invited: m.invited });
        tr.replaceWith(fresh);
        fresh.querySelector(".member-note")?.append(alertBox("ok", "Saved."));
      } catch (e) {
        control.disabled = false;
        role.value = m.role;
        note.append(alertBox("error", errorText(e)));
      }
    };
    role.addEventListener("change", () => void patch({ role: role.value }, role));
    const toggle = h("button", { type: "button", class: m.is_active ? "danger" : "secondary" }, m.is_active ? "Deactivate" : "Reactivate");
    toggle.addEventListener("click", () => void patch({ is_active: !m.is_active }, toggle));
    note.className = "member-note";
    const tr = h("tr", { "data-id": m.id, "data-email": m.email, "data-role": m.role },
      h("td", {}, m.full_name || "—", h("div", { class: "muted small" }, m.email), note),
      h("td", {}, role),
      h("td", {}, h("span", { class: `badge ${m.is_active ? "active" : "inactive"}` }, m.invited ? "invited" : m.is_active ? "active" : "deactivated")),
      h("td", { class: "hide-phone" }, fmtDate(m.last_login_at)),
      h("td", {}, m.email === me ? h("span", { class: "muted" }, "you") : toggle),
    );
    return tr;
  };

  const load = async () => {
    try {
      const items: any[] = (await api<any>("GET", "/api/v1/org/members")).data.items ?? [];
      clear(listBox);
      listBox.append(h("div", { class: "table-wrap" }, h("table", { id: "members-table" },
        h("caption", { class: "visually-hidden" }, "Members"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Member"), h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col", class: "hide-phone" }, "Last sign-in"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, items.map(row)))));
    } catch (e) {
      clear(listBox);
      listBox.append(alertBox("error", errorText(e)));
    }
  };

  const summary = h("div");
  const email = h("input", { type: "email", id: "staff-email", autocomplete: "off" });
  const name = h("input", { type: "text", id: "staff-name", maxlength: 255 });
  const role = h("select", { id: "staff-role" }, STAFF_ROLES.map((r) => h("option", { value: r, selected: r === "recruiter" }, label(r))));
  const send = h("button", { type: "submit", id: "invite-staff" }, "Send invitation");
  const result = h("div", { id: "staff-invite-result", "aria-live": "polite" });
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "staff-invite-title" },
    h("h2", { id: "staff-invite-title" }, "Invite staff"),
    summary,
    h("div", { class: "grid" }, field("email", "Email", email), field("full_name", "Full name (optional)", name), field("role", "Role", role)),
    send,
    result,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    send.disabled = true;
    const body: Record<string, string> = { email: email.value.trim(), role: role.value };
    if (name.value.trim()) body.full_name = name.value.trim();
    try {
      const r = await api<any>("POST", "/api/v1/org/members/invite", { body });
      clearErrors(form, summary);
      email.value = "";
      name.value = "";
      await load();
      result.append(alertBox("ok", `Invitation emailed to ${r.data.member?.email ?? body.email}. The link works for 7 days; it is shown only now:`),
        h("input", { type: "text", readonly: true, value: r.data.link, class: "invite-link", "aria-label": "Staff invitation link" }));
    } catch (e) {
      showErrors(form, summary, e);
    } finally {
      send.disabled = false;
    }
  });
  main.append(form, listBox);
  await load();
}

/** `#/staff-invite/{token}`: choose a password (and name) → signed in. */
export function staffInvitePage(main: HTMLElement, [token]: string[]): void {
  const errors = h("div");
  const name = h("input", { type: "text", id: "si-name", autocomplete: "name", maxlength: 255 });
  const password = h("input", { type: "password", id: "si-password", autocomplete: "new-password" });
  const submit = h("button", { type: "submit", id: "si-submit" }, "Join and sign in");
  const form = h("form", { class: "card narrow", novalidate: true, "aria-labelledby": "si-title" },
    h("h1", { id: "si-title" }, "Join your team"),
    h("p", { class: "muted" }, "Choose a password to activate the staff account you were invited to."),
    errors,
    field("full_name", "Full name (optional)", name),
    field("password", "Password", password, "8–128 characters with an uppercase letter, a digit and a special character."),
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    const body: Record<string, string> = { password: password.value };
    if (name.value.trim()) body.full_name = name.value.trim();
    try {
      const r = await api<any>("POST", `/api/v1/auth/staff-invite/${token}`, { body, token: null });
      setSession({ token: r.data.token, role: r.data.role, email: r.data.email, fullName: body.full_name });
      navigate(homeFor(r.data.role));
    } catch (e) {
      submit.disabled = false;
      showErrors(form, errors, e);
    }
  });
  main.append(form);
}
