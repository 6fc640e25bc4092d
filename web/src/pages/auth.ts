import { api, errorText, setSession } from "../api";
import { alertBox, h } from "../dom";
import { homeFor, navigate } from "../nav";

function field(id: string, text: string, input: HTMLElement, hint?: string): HTMLElement {
  return h("div", { class: "field" }, h("label", { for: id }, text), hint ? h("span", { class: "muted", id: `${id}-hint` }, hint) : null, input);
}

async function submitAuth(path: string, body: Record<string, string>, errors: HTMLElement, button: HTMLButtonElement): Promise<void> {
  errors.replaceChildren();
  button.disabled = true;
  try {
    const r = await api<any>("POST", path, { body, token: null });
    if (!r.data.token) {
      // Email verification on: the same answer for every address, and a link in the inbox.
      errors.append(alertBox("ok", r.data.message ?? "Check your inbox to confirm your email address, then sign in."));
      return;
    }
    setSession({ token: r.data.token, role: r.data.role, email: r.data.email, fullName: body.full_name });
    navigate(homeFor(r.data.role));
  } catch (e) {
    errors.append(alertBox("error", errorText(e)));
    button.disabled = false;
  }
}

export function loginPage(main: HTMLElement): void {
  const errors = h("div");
  const email = h("input", { id: "email", type: "email", name: "email", autocomplete: "email", required: true });
  const password = h("input", { id: "password", type: "password", name: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "login-title", novalidate: true },
    h("h1", { id: "login-title" }, "Sign in"),
    errors,
    field("email", "Email", email),
    field("password", "Password", password),
    h("div", { class: "row" }, button, h("a", { href: "#/register" }, "Create an account"), h("a", { href: "#/reset", id: "forgot" }, "Forgot your password?")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void submitAuth("/api/v1/auth/login", { email: email.value.trim(), password: password.value }, errors, button);
  });
  main.append(form);
}

export function registerPage(main: HTMLElement): void {
  const errors = h("div");
  const name = h("input", { id: "full_name", type: "text", autocomplete: "name", required: true, minlength: 2, maxlength: 255 });
  const email = h("input", { id: "email", type: "email", autocomplete: "email", required: true });
  const password = h("input", {
    id: "password",
    type: "password",
    autocomplete: "new-password",
    required: true,
    minlength: 8,
    maxlength: 128,
    "aria-describedby": "password-hint",
  });
  const button = h("button", { type: "submit" }, "Create account");
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "register-title", novalidate: true },
    h("h1", { id: "register-title" }, "Create a candidate account"),
    errors,
    field("full_name", "Full name", name),
    field("email", "Email", email),
    field("password", "Password", password, "8–128 characters with an uppercase letter, a digit and a special character."),
    h("div", { class: "row" }, button, h("a", { href: "#/login" }, "I already have an account")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void submitAuth(
      "/api/v1/auth/register",
      { email: email.value.trim(), password: password.value, full_name: name.value.trim() },
      errors,
      button,
    );
  });
  main.append(form);
}
