// Shared helpers for the browser tests: Debian's Chromium driven by playwright-core, fake media
// devices, and a hard failure on any console error or uncaught page error.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
const SHOTS = process.env.WEB_SCREENSHOTS || "";

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

/** A new context+page whose console errors, page errors and failed requests are collected into
 * `errors`, except messages matching one of `allow` (failures a scenario injects on purpose). */
export async function newPage(browser, errors, name, token, allow = []) {
  const context = await browser.newContext({
    viewport: DESKTOP,
    permissions: ["microphone", "camera"],
  });
  if (token) {
    await context.addInitScript((t) => {
      if (!sessionStorage.getItem("ie.token")) sessionStorage.setItem("ie.token", t);
    }, token);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const report = (text) => {
    if (!allow.some((re) => re.test(text))) errors.push(text);
  };
  page.on("console", (msg) => {
    if (msg.type() === "error") report(`[${name}] console error: ${msg.text()} (${msg.location().url ?? ""})`);
  });
  page.on("pageerror", (err) => report(`[${name}] page error: ${err.message}`));
  page.on("requestfailed", (req) => {
    const failure = req.failure()?.errorText ?? "";
    // Navigations away abort in-flight fetches; those are not failures of the app.
    if (!failure.includes("ERR_ABORTED")) report(`[${name}] request failed: ${req.url()} ${failure}`);
  });
  return page;
}

/** Checks the page fits a phone (no horizontal scrolling at 390 px) and, when WEB_SCREENSHOTS is
 * set, saves a desktop and a phone screenshot of it (scrolled to `scrollTo` when given). */
export async function shot(page, name, scrollTo = null) {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  for (const [suffix, size] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    // `scrollTo` (a selector) brings the part of the page the screenshot is about into view.
    if (scrollTo) await page.locator(scrollTo).first().evaluate((el) => el.scrollIntoView({ block: "start" }));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = overflow <= 0 ? "" : await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.children.length === 0)
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className ? `.${String(el.className).split(" ").join(".")}` : ""}`)
        .join(", "));
    check(overflow <= 0, `${name} fits the ${suffix} width (overflow ${overflow} px${wide ? `: ${wide}` : ""})`);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}-${suffix}.png`), animations: "disabled", caret: "hide" });
  }
  await page.setViewportSize(DESKTOP);
}

export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

export function uniqueEmail(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export const PASSWORD = "Correct-Horse-9";

/** Registers a candidate through the UI; ends on the dashboard. */
export async function register(page, base, name) {
  await page.goto(`${base}/`);
  await page.waitForURL(/#\/login$/);
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.waitForURL(/#\/register$/);
  const email = uniqueEmail("web");
  await page.getByLabel("Full name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  return email;
}

/** Starts an interview for `role` from the dashboard; returns its id (on the tech-check page). */
export async function startInterview(page, role) {
  await page.getByLabel("Role").selectOption(role);
  await page.getByRole("button", { name: "Start interview" }).click();
  await page.waitForURL(/#\/tech-check\/[0-9a-f-]{36}$/);
  return page.url().split("/").pop();
}

/** Runs `body` and exits non-zero on a thrown error or any collected browser error. */
export async function run(body) {
  const errors = [];
  const browser = await launch();
  let failed = null;
  try {
    await body(browser, errors);
  } catch (e) {
    failed = e;
  } finally {
    await browser.close();
  }
  if (failed) {
    console.error(failed.stack || String(failed));
  }
  if (errors.length > 0) {
    console.error(`browser errors:\n${errors.join("\n")}`);
  }
  if (failed || errors.length > 0) process.exit(1);
  console.log("ok");
}

/** A JSON API call from the test itself (setup and cross-checks), asserting a 2xx answer. */
export async function apiCall(base, token, method, path, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await resp.text();
  const data = text ? JSON.parse(text) : null;
  if (!resp.ok) throw new Error(`${method} ${path} answered ${resp.status}: ${text}`);
  return data;
}

/** The dev mailbox's messages to `to` (MAILER = "dev"), running the mail sender through the
 * scheduled handler until `count` arrived. */
export async function mailbox(base, to, count = 1) {
  for (let i = 0; i < 60; i++) {
    const { messages } = await apiCall(base, null, "GET", `/api/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
    if (messages.length >= count) return messages;
    await fetch(`${base}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${count} message(s) to ${to} never arrived`);
}

/** Console errors Chromium logs for the API's refusals a scenario provokes on purpose. */
export function refusals(...statuses) {
  return statuses.map((s) => new RegExp(`status of ${s}`));
}
