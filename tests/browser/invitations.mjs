// Browser scenario: the invitations panel of an open job. A bulk paste (newlines and commas)
// with one address repeated in another case: two invitations, their links shown once, the repeat
// shown as skipped; inviting a live address again is skipped as already invited. The list shows
// statuses and send attempts; the emailed link is in the dev mailbox; resend shows a new link,
// revoke (confirmed) marks the invitation revoked. Usage:
//   RECRUITER_TOKEN=... JOB_ID=... node tests/browser/invitations.mjs <base_url>
import { apiCall, check, mailbox, newPage, run, shot, uniqueEmail } from "./lib.mjs";

const base = process.argv[2];
const token = process.env.RECRUITER_TOKEN;
const job = process.env.JOB_ID;
if (!base || !token || !job) {
  console.error("usage: RECRUITER_TOKEN=... JOB_ID=... node invitations.mjs <base_url>");
  process.exit(2);
}

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "recruiter", token);
  await page.goto(`${base}/#/jobs/${job}`);
  await page.locator("#invitations").waitFor();
  await page.locator("#invitation-list", { hasText: "No invitations yet" }).waitFor();

  const [ada, bob] = [uniqueEmail("ada"), uniqueEmail("bob")];
  await page.getByLabel("Email addresses").fill(`${ada}\n${bob}, ${ada.toUpperCase()}`);
  await page.locator("#send-invitations").click();
  await page.locator("#invite-result .alert.ok", { hasText: "2 invitations sent, 1 skipped" }).waitFor();
  const skipped = page.locator(`#skipped li[data-email="${ada}"][data-reason="duplicate"]`);
  check(await skipped.count() === 1, "the repeated address is skipped as a duplicate");
  const links = await page.locator("#created-links input").evaluateAll((els) => els.map((e) => e.value));
  check(links.length === 2 && links.every((l) => /#\/invite\/[A-Za-z0-9_-]{43}$/.test(l)), `links shown once (${links})`);
  await page.locator("#invitations-table tbody tr").nth(1).waitFor();
  await shot(page, "job-invitations", "#invitations");

  // The email carries the same link as the one shown.
  const mail = await mailbox(base, ada);
  const adaLink = await page.locator(`#created-links li[data-email="${ada}"] input`).inputValue();
  check(mail[0].text.includes(adaLink), "the dev mailbox has the link shown");

  // Inviting a live address again: skipped as already invited.
  await page.getByLabel("Email addresses").fill(bob);
  await page.locator("#send-invitations").click();
  await page.locator(`#skipped li[data-email="${bob}"][data-reason="already_invited"]`).waitFor();
  await page.locator("#invite-result .alert.ok", { hasText: "0 invitations sent, 1 skipped" }).waitFor();

  // The list: both sent, delivery attempts shown.
  const rowOf = (email) => page.locator("#invitations-table tbody tr", { hasText: email });
  check(await rowOf(ada).getAttribute("data-status") === "sent", "ada's invitation is sent");
  const adaId = await rowOf(ada).getAttribute("data-id");
  const bobId = await rowOf(bob).getAttribute("data-id");

  // Resend: a new link, shown once, different from the first.
  await rowOf(ada).getByRole("button", { name: "Resend" }).click();
  const fresh = page.locator(`#invitations-table tr[data-id="${adaId}"] .invite-link`);
  await page.locator(`#invitations-table tr[data-id="${adaId}"] :is(.invite-link, .alert)`).first().waitFor();
  check(await fresh.count() === 1, `resent (${await page.locator(`#invitations-table tr[data-id="${adaId}"]`).textContent()})`);
  const newLink = await fresh.inputValue();
  check(newLink !== adaLink && /#\/invite\/[A-Za-z0-9_-]{43}$/.test(newLink), "resend shows a new link");

  // Revoke asks for confirmation, then the invitation is revoked (and offers no more actions).
  const revoke = rowOf(bob).getByRole("button", { name: "Revoke" });
  await revoke.click();
  await rowOf(bob).getByRole("button", { name: "Confirm revoke" }).click();
  await page.locator(`#invitations-table tr[data-id="${bobId}"][data-status="revoked"]`).waitFor();
  check(await page.locator(`#invitations-table tr[data-id="${bobId}"] button`).count() === 0, "a revoked invitation has no actions");
  const read = await apiCall(base, token, "GET", `/api/v1/invitations/${bobId}`);
  check(read.status === "revoked", `the server agrees (${read.status})`);

  // A reload lists them from the server, statuses kept.
  await page.reload();
  await page.locator(`#invitations-table tr[data-id="${bobId}"][data-status="revoked"]`).waitFor();
  check(await page.locator(`#invitations-table tr[data-id="${adaId}"]`).getAttribute("data-status") === "sent", "ada still sent");
});
