// Browser scenario: privacy. A candidate asks for an export of their data on #/account/privacy,
// sees it become ready, downloads the JSON document (their profile and interview) and gets the
// email; a wrong password does not delete the account (the error sits next to the field), the
// right one does: signed out, and the token no longer works. An org admin sets retention
// periods on #/org/retention (a bad value is refused next to its field). Usage:
//   ADMIN_TOKEN=... node tests/browser/privacy.mjs <base_url>
import { readFile } from "node:fs/promises";
import { apiCall, check, mailbox, newPage, PASSWORD, refusals, run, shot, uniqueEmail } from "./lib.mjs";

const base = process.argv[2];
const admin = process.env.ADMIN_TOKEN;
if (!base || !admin) {
  console.error("usage: ADMIN_TOKEN=... node privacy.mjs <base_url>");
  process.exit(2);
}

await run(async (browser, errors) => {
  const email = uniqueEmail("privacy");
  const account = await apiCall(base, null, "POST", "/api/v1/auth/register", { email, password: PASSWORD, full_name: "Pia Privacy" });
  const token = account.token;
  const started = await apiCall(base, token, "POST", "/api/v1/interviews/start", { role_type: "python" });
  await apiCall(base, token, "POST", `/api/v1/interviews/${started.id}/messages`, { message_text: "Generators yield values lazily." });

  const page = await newPage(browser, errors, "candidate", token, refusals(422, 401));
  await page.goto(`${base}/#/account`);
  await page.getByRole("link", { name: "Privacy and my data" }).waitFor();
  await page.goto(`${base}/#/dashboard`);
  await page.getByRole("link", { name: "Privacy", exact: true }).click();
  await page.waitForURL(/#\/account\/privacy$/);
  await page.locator("#request-export").click();
  // The frequent cron builds it (run here every second while the page polls).
  const cron = setInterval(() => void fetch(`${base}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`), 1000);
  await page.locator('#export-state[data-status="ready"]').waitFor({ timeout: 60_000 });
  clearInterval(cron);
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#download-export").click()]);
  const doc = JSON.parse(await readFile(await download.path(), "utf8"));
  check(doc.profile?.email === email, "the downloaded export is the candidate's");
  check(doc.interviews?.[0]?.id === started.id, "with their interview");
  const [mail] = await mailbox(base, email);
  check(mail.text.includes("#/account/privacy"), "the export is announced by email");
  await shot(page, "privacy");

  // A wrong password keeps the account; the right one deletes it.
  page.on("dialog", (d) => void d.accept());
  await page.getByLabel("Confirm with your password").fill("Wrong-Password-1");
  await page.locator("#delete-submit").click();
  await page.locator('[data-field="password"] .field-error').waitFor();
  await apiCall(base, token, "GET", "/api/v1/auth/me");
  await page.getByLabel("Confirm with your password").fill(PASSWORD);
  await page.locator("#delete-submit").click();
  await page.waitForURL(/#\/login$/);
  const me = await fetch(`${base}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
  check(me.status === 401, "the deleted account's token no longer works");

  // The org admin's retention settings.
  const staff = await newPage(browser, errors, "admin", admin, refusals(422));
  await staff.goto(`${base}/#/recruiter`);
  await staff.getByRole("link", { name: "Retention", exact: true }).click();
  await staff.waitForURL(/#\/org\/retention$/);
  await staff.getByLabel("Transcripts (days)").fill("0");
  await staff.locator("#retention-save").click();
  await staff.locator('[data-field="transcript_days"] .field-error').waitFor();
  await staff.getByLabel("Transcripts (days)").fill("30");
  await staff.getByLabel("Videos (days)").fill("14");
  await staff.locator("#retention-save").click();
  await staff.locator("#retention-form .alert.ok").waitFor();
  const saved = await apiCall(base, admin, "GET", "/api/v1/org/settings/retention");
  check(saved.transcript_days === 30 && saved.video_days === 14 && saved.audio_days === null, "the periods are stored");
  await shot(staff, "retention");
});
