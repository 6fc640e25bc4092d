// Forms: labelled fields that carry the API's field path (`data-field`), and the
// VALIDATION_ERROR envelope's `error.details` shown next to the field each one names.
import { ApiError, errorText } from "./api";
import { alertBox, h } from "./dom";

let seq = 0;
/** A unique element id for a generated control. */
export function uid(prefix: string): string {
  seq += 1;
  return `${prefix}-${seq}`;
}

/** A labelled field whose errors are those named `path` (e.g. `questions[0].rubric[1].point`). */
export function field(path: string, text: string, input: HTMLElement, hint?: string): HTMLElement {
  if (!input.id) input.id = uid("f");
  const hintEl = hint ? h("span", { class: "muted hint", id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field", "data-field": path }, h("label", { for: input.id }, text), hintEl, input);
}

/** Removes the errors `showErrors` put in `root`. */
export function clearErrors(root: HTMLElement, summary: HTMLElement): void {
  summary.replaceChildren();
  root.querySelectorAll(".field-error").forEach((el) => el.remove());
  root.querySelectorAll("[aria-invalid]").forEach((el) => {
    el.removeAttribute("aria-invalid");
    const d = (el.getAttribute("aria-describedby") ?? "").split(" ").filter((x) => x && !x.endsWith("-err"));
    if (d.length) el.setAttribute("aria-describedby", d.join(" "));
    else el.removeAttribute("aria-describedby");
  });
}

/** The element in `root` for `path`, or for the nearest enclosing path (`a[1].b` → `a[1]` → `a`). */
function target(root: HTMLElement, path: string): HTMLElement | null {
  let p = path;
  for (;;) {
    const el = root.querySelector<HTMLElement>(`[data-field="${CSS.escape(p)}"]`);
    if (el) return el;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) return null;
    p = p.slice(0, cut);
  }
}

/** Shows `e` in `summary`, and each validation detail next to the field it names in `root`
 * (details naming no field on the page stay in the summary). Focuses the first invalid control. */
export function showErrors(root: HTMLElement, summary: HTMLElement, e: unknown): void {
  clearErrors(root, summary);
  const details = e instanceof ApiError ? e.details : [];
  if (details.length === 0) {
    summary.append(withCode(alertBox("error", errorText(e)), e));
    return;
  }
  const unplaced: string[] = [];
  let first: HTMLElement | null = null;
  for (const d of details) {
    const box = target(root, d.field);
    if (!box) {
      unplaced.push(`${d.field}: ${d.message}`);
      continue;
    }
    const control = box.matches("input, select, textarea") ? box : box.querySelector<HTMLElement>(":scope > input, :scope > select, :scope > textarea");
    const msg = h("span", { class: "field-error", "data-error-for": d.field }, d.field === box.dataset.field ? d.message : `${d.field}: ${d.message}`);
    if (control) {
      msg.id = `${control.id}-err`;
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", `${control.getAttribute("aria-describedby") ?? ""} ${msg.id}`.trim());
      first = first ?? control;
    }
    box.append(msg);
  }
  const message = (e as ApiError).message;
  summary.append(
    withCode(alertBox("error", unplaced.length ? `${message} ${unplaced.join("; ")}` : `${message} See the ${details.length === 1 ? "field" : `${details.length} fields`} marked below.`), e),
  );
  first?.focus();
}

function withCode(el: HTMLElement, e: unknown): HTMLElement {
  if (e instanceof ApiError) el.dataset.code = e.code;
  return el;
}

/** `a, b\nc` → `["a", "b", "c"]` (trimmed, empties dropped). */
export function splitList(s: string, newlines = true): string[] {
  return s
    .split(newlines ? /[\n,;]+/ : /,/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}
