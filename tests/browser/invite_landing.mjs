// Browser scenario: a candidate opens an emailed invitation link: the organization, the job's
// title and description; registers with the invited address (prefilled), accepts and lands on
// the interview with its first question. The same link is then refused as used; a revoked, an
// expired and another address's link each get their own message. Usage:
//   INVITE_TOKEN=... INVITE_EMAIL=... OTHER_TOKEN=... REVOKED_TOKEN=... EXPIRED_TOKEN=... \
//     node tests/browser/invite_landing.mjs <base_url>
import { check, newPage, PASSWORD, refusals, run, shot } from "./lib.mjs";

const base = process.argv[2];
const env = (k) => process.env[k] ?? "";
const [token, email, other, revoked, expired] = ["INVITE_TOKEN", "INVITE_EMAIL", "OTHER_TOKEN", "REVOKED_TOKEN", "EXPIRED_TOKEN"].map(env);
if (!base || !token || !email || !other || !revoked || !expired) {
  console.error("usage: INVITE_TOKEN=... INVITE_EMAIL=... OTHER_TOKEN=... REVOKED_TOKEN=... EXPIRED_TOKEN=... node invite_landing.mjs <base_url>");
  process.exit(2);
}

/** Opens `#/invite/{t}` and waits for the page to settle. */
async function open(page, t) {
  await page.goto(`${base}/#/invite/${t}`);
  await page.locator("#invite-title, #invite-error").first().waitFor();
}

async function refusedWith(page, code, words) {
  const alert = page.locator(`#invite-error[data-code="${code}"]`);
  await alert.waitFor();
  const text = await alert.textContent();
  check(words.test(text), `${code}: a clear message (${text})`);
}

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "candidate", null, refusals(403, 404, 410));
  await open(page, token);
  check((await page.locator("#invite-org").textContent()).includes("invites you"), "the organization is named");
  check((await page.locator("#invite-title").textContent()) === "Platform engineer", "the job title is shown");
  check((await page.locator("#invite-description").textContent()).includes("billing platform"), "the description is shown");
  check(await page.locator("#inv-email").inputValue() === email, "the invited address is prefilled");
  await shot(page, "invite-landing");

  // Register with the invited address, then accept: the interview's first question.
  await page.getByLabel("Full name").fill("Ingrid Invited");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.locator("#inv-submit").click();
  await page.locator("#accept-invite").waitFor();
  check((await page.locator("#invite-action").textContent()).includes(email), "signed in as the invited address");
  await page.locator("#accept-invite").click();
  await page.waitForURL(/#\/interview\/[0-9a-f-]{36}$/);
  await page.locator("#transcript li.ai_question").first().waitFor();

  // The same link again: used.
  await open(page, token);
  await refusedWith(page, "INVITATION_USED", /already been used/);
  await shot(page, "invite-used");

  // Another address's invitation, signed in as this candidate: refused on accept.
  await open(page, other);
  await page.locator("#accept-invite").click();
  await refusedWith(page, "INVITATION_EMAIL_MISMATCH", /different email address/);

  // Revoked and expired links: refused on opening, signed in or not.
  await open(page, revoked);
  await refusedWith(page, "INVITATION_REVOKED", /withdrawn/);
  const anon = await newPage(browser, errors, "visitor", null, refusals(404, 410));
  await open(anon, expired);
  await refusedWith(anon, "INVITATION_EXPIRED", /expired/);
  await shot(anon, "invite-expired");
  await open(anon, "A".repeat(43));
  await refusedWith(anon, "INVITATION_NOT_FOUND", /not valid/);
});
