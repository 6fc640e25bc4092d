// Tiny DOM helpers. Text always goes in as text nodes (never innerHTML), so API data cannot
// inject markup.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function svg(tag: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v as EventListener);
    } else if (v === true) {
      el.setAttribute(k, "");
    } else {
      el.setAttribute(k, String(v));
    }
  }
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function alertBox(kind: "error" | "info" | "ok" | "warn", text: string): HTMLElement {
  return h("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** Announces `text` to screen readers through the page's polite live region. */
export function announce(text: string): void {
  const el = document.getElementById("announcer");
  if (el) {
    el.textContent = "";
    window.setTimeout(() => (el.textContent = text), 50);
  }
}

export function fmtDate(s: string | null | undefined): string {
  if (!s) return "—";
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

export function fmtScore(n: number | null | undefined): string {
  return typeof n === "number" ? n.toFixed(1) : "—";
}

export function fmtUsd(n: number | null | undefined): string {
  return typeof n === "number" ? `$${n.toFixed(4)}` : "—";
}

export function label(s: string): string {
  return s.replace(/_/g, " ");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => window.setTimeout(r, ms));
}

const ROLE_NAMES: Record<string, string> = { react: "React", python: "Python", javascript: "JavaScript", fullstack: "Full-stack" };
export function roleName(r: string | undefined): string {
  return r ? ROLE_NAMES[r] ?? label(r) : "—";
}
