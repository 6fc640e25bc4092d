// Browser scenario: the organization's members. The admin sees the org's name and its staff,
// invites a viewer by email; the emailed link (dev mailbox) opens the staff page in a fresh
// browser where the new member sets a password and is signed in as a viewer (no Members link,
// no "New job"). The admin then makes them a recruiter and deactivates them; a bad address is
// refused next to its field. Usage:
//   ADMIN_TOKEN=... node tests/browser/members.mjs <base_url>
import { apiCall, check, mailbox, newPage, PASSWORD, refusals, run, shot, uniqueEmail } from "./lib.mjs";

const base = process.argv[2];
const token = process.env.ADMIN_TOKEN;
if (!base || !token) {
  console.error("usage: ADMIN_TOKEN=... node members.mjs <base_url>");
  process.exit(2);
}

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "admin", token, refusals(422));
  await page.goto(`${base}/#/recruiter`);
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await page.waitForURL(/#\/org\/members$/);
  const org = await apiCall(base, token, "GET", "/api/v1/org");
  await page.locator("#org-name", { hasText: org.name }).waitFor();
  await page.locator("#members-table tbody tr").first().waitFor();

  // A malformed address: the error is next to the email field.
  await page.getByLabel("Email", { exact: true }).fill("not-an-address");
  await page.locator("#invite-staff").click();
  await page.locator('[data-field="email"] .field-error').waitFor();

  const email = uniqueEmail("staff");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Full name (optional)").fill("Vera Viewer");
  await page.locator("#staff-role").selectOption("viewer");
  await page.locator("#invite-staff").click();
  await page.locator("#staff-invite-result .alert.ok").waitFor();
  check(await page.locator('[data-field="email"] .field-error').count() === 0, "the old error is gone");
  const row = page.locator(`#members-table tr[data-email="${email}"]`);
  await row.waitFor();
  check((await row.locator(".badge").textContent()) === "invited", "the new member is listed as invited");
  await shot(page, "members");

  // The emailed link opens the staff page in a fresh browser.
  const [message] = await mailbox(base, email);
  const link = message.text.match(/https?:\/\/\S*#\/staff-invite\/[A-Za-z0-9_-]+/)?.[0];
  check(link, "the email has a staff invitation link");
  const member = await newPage(browser, errors, "member", null);
  await member.goto(`${base}/#/staff-invite/${link.split("/staff-invite/")[1]}`);
  await member.getByLabel("Password").fill(PASSWORD);
  await member.locator("#si-submit").click();
  await member.waitForURL(/#\/recruiter$/);
  check((await member.locator("#nav").textContent()).includes(`${email} (viewer)`), "signed in as a viewer");
  check(await member.getByRole("link", { name: "Members", exact: true }).count() === 0, "viewers have no Members link");
  await member.getByRole("link", { name: "Jobs", exact: true }).click();
  await member.waitForURL(/#\/jobs$/);
  check(await member.locator("#new-job").count() === 0, "viewers cannot create jobs");

  // The admin makes them a recruiter, then deactivates them.
  await page.reload();
  await row.waitFor();
  check((await row.locator(".badge").textContent()) === "active", "active after accepting");
  await row.locator("select.member-role").selectOption("recruiter");
  await page.locator(`#members-table tr[data-email="${email}"][data-role="recruiter"]`).waitFor();
  const members = (await apiCall(base, token, "GET", "/api/v1/org/members")).items;
  check(members.find((m) => m.email === email)?.role === "recruiter", "the role is stored");
  await page.locator(`#members-table tr[data-email="${email}"]`).getByRole("button", { name: "Deactivate" }).click();
  await page.locator(`#members-table tr[data-email="${email}"]`, { hasText: "deactivated" }).waitFor();
  check(await page.locator(`#members-table tr[data-email="${email}"]`).getByRole("button", { name: "Reactivate" }).count() === 1, "can be reactivated");
});
