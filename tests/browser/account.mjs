// Browser scenario: the account page and the emailed account links. A candidate registers, sees
// both of their sessions on `#/account`, verifies their address through the emailed
// `#/verify/{token}` link, changes the password (a wrong current password is refused next to
// nothing: a summary with WRONG_PASSWORD; the other session is signed out, this one stays),
// signs out everywhere, then forgets the password: `#/reset` emails a link, `#/reset/{token}`
// sets a new one and signing in with it works. Usage:
//   node tests/browser/account.mjs <base_url>
import { apiCall, check, mailbox, newPage, PASSWORD, refusals, register, run, shot } from "./lib.mjs";

const base = process.argv[2];
if (!base) {
  console.error("usage: node account.mjs <base_url>");
  process.exit(2);
}
const NEW_PASSWORD = "Battery-Staple-7";
const RESET_PASSWORD = "Reset-Password-5";

/** The status `token` gets from `/api/v1/auth/me`. */
async function meStatus(token) {
  const resp = await fetch(`${base}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
  return resp.status;
}

/** The token of the newest `#/{page}/{token}` link of `kind` emailed to `to`. */
async function linkToken(to, kind, page, count = 1) {
  const messages = (await mailbox(base, to, count)).filter((m) => m.kind === kind);
  check(messages.length > 0, `a ${kind} email to ${to}`);
  const token = messages[0].text.match(new RegExp(`#/${page}/([A-Za-z0-9_-]+)`))?.[1];
  check(token, `the ${kind} email has a #/${page}/ link`);
  return token;
}

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "candidate", null, refusals(403, 401));
  const email = await register(page, base, "Ada Account");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/#\/dashboard$/);
  const other = (await apiCall(base, null, "POST", "/api/v1/auth/login", { email, password: PASSWORD })).token;

  await page.locator("#nav-account").click();
  await page.waitForURL(/#\/account$/);
  await page.locator("#acct-verified", { hasText: "not verified yet" }).waitFor();
  const rows = page.locator("#sessions-table tbody tr");
  await rows.nth(1).waitFor();
  check((await rows.count()) === 2, "both sessions are listed");
  check((await page.locator("#sessions-table tr.current").count()) === 1, "this session is marked");
  check(await page.locator("#account-links").count() === 1, "the spot for more account links exists");
  await shot(page, "account", "#sessions-table");

  // A new verification link by email; the link verifies the address.
  await page.locator("#acct-resend").click();
  await page.locator("#acct-resend ~ div .alert.ok").waitFor();
  const verifyToken = await linkToken(email, "email_verification", "verify");
  await page.goto(`${base}/#/verify/${verifyToken}`);
  await page.locator(".alert.ok", { hasText: "verified" }).waitFor();
  await page.goto(`${base}/#/account`);
  await page.locator("#acct-verified", { hasText: ": verified" }).waitFor();
  check(await page.locator("#acct-resend").count() === 0, "no resend button once verified");

  // Change the password: a wrong current one is refused; then the other session is signed out.
  await page.getByLabel("Current password").fill("Wrong-Guess-1");
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.locator("#acct-change").click();
  await page.locator('.alert.error[data-code="WRONG_PASSWORD"]').waitFor();
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.locator("#acct-change").click();
  await page.locator(".alert.ok", { hasText: "1 other session(s) signed out" }).waitFor();
  // The list reloads after the answer: wait for the other session's row to go.
  await rows.nth(1).waitFor({ state: "detached" });
  check((await rows.count()) === 1, "only this session is left");
  check((await meStatus(other)) === 401, "the other session is signed out");

  // Sign out everywhere: back to the sign-in page, the token no longer works.
  const mine = await page.evaluate(() => sessionStorage.getItem("ie.token"));
  page.once("dialog", (d) => void d.accept());
  await page.locator("#acct-everywhere").click();
  await page.waitForURL(/#\/login$/);
  check((await meStatus(mine)) === 401, "this session is signed out too");

  // Forgotten password: the link from the sign-in page, the emailed link, the new password.
  await page.locator("#forgot").click();
  await page.waitForURL(/#\/reset$/);
  await page.getByLabel("Email").fill(email);
  await page.locator("#reset-send").click();
  await page.locator(".alert.ok").waitFor();
  await shot(page, "reset");
  const resetToken = await linkToken(email, "password_reset", "reset", 2);
  const fresh = await newPage(browser, errors, "reset", null);
  await fresh.goto(`${base}/#/reset/${resetToken}`);
  await fresh.getByLabel("New password", { exact: true }).fill(RESET_PASSWORD);
  await fresh.locator("#reset-save").click();
  await fresh.locator("#reset-signin").click();
  await fresh.waitForURL(/#\/login$/);
  await fresh.getByLabel("Email").fill(email);
  await fresh.getByLabel("Password").fill(RESET_PASSWORD);
  await fresh.getByRole("button", { name: "Sign in" }).click();
  await fresh.waitForURL(/#\/dashboard$/);
});
