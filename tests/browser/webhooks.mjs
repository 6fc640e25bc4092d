// Browser scenario: the organization's webhooks and its messages to candidates (admins).
// Webhooks: a refused URL is named next to its field; a new endpoint (a receiver run by this
// script) shows its signing secret once — gone after a reload, never in the list; "Send test"
// shows the delivery log with the test event, delivered to the receiver with a signature made
// with the secret the page showed; a rotation shows the new secret and the overlap; the endpoint
// is deactivated. Messages: an unknown placeholder is named next to its field, a valid message is
// saved (custom), then the default restored. Usage:
//   ADMIN_TOKEN=... node tests/browser/webhooks.mjs <base_url>
import { createHmac } from "node:crypto";
import http from "node:http";
import { apiCall, check, newPage, refusals, run, shot } from "./lib.mjs";

const base = process.argv[2];
const token = process.env.ADMIN_TOKEN;
if (!base || !token) {
  console.error("usage: ADMIN_TOKEN=... node webhooks.mjs <base_url>");
  process.exit(2);
}

// The ATS: records every request and answers 204.
const received = [];
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    received.push({ headers: req.headers, body });
    res.writeHead(204);
    res.end();
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/ats/hook`;

try {
  await run(async (browser, errors) => {
    const page = await newPage(browser, errors, "admin", token, refusals(422));
    await page.goto(`${base}/#/recruiter`);
    await page.getByRole("link", { name: "Webhooks", exact: true }).click();
    await page.waitForURL(/#\/org\/webhooks$/);
    await page.locator("#webhooks p.muted", { hasText: "No webhooks yet." }).waitFor();

    // A refused URL: the error is next to the URL field.
    await page.getByLabel("Endpoint URL (https)").fill("ftp://example.com/hook");
    await page.locator("#webhook-create").click();
    await page.locator("[data-field='url'] .field-error").waitFor();

    // Created: the secret is shown once, and not in the list.
    await page.getByLabel("Endpoint URL (https)").fill(hookUrl);
    await page.getByLabel("Description (optional)").fill("Our ATS");
    await page.locator("#webhook-create").click();
    const secretInput = page.locator("#webhook-secret-value");
    await secretInput.waitFor();
    const secret = await secretInput.inputValue();
    check(secret.length >= 32, "a signing secret is shown");
    const card = page.locator("article.webhook", { hasText: hookUrl });
    await card.waitFor();
    check(!(await page.locator("#webhooks").textContent()).includes(secret), "the list never shows the secret");
    const [hook] = (await apiCall(base, token, "GET", "/api/v1/org/webhooks")).items;
    check(hook.url === hookUrl && hook.secret === undefined, "the API lists the endpoint without its secret");
    check(JSON.stringify(hook.events) === JSON.stringify(["interview.completed", "assessment.ready", "decision.made", "invitation.expired"]), `all events (${hook.events})`);
    await shot(page, "webhooks");
    await page.reload();
    await card.waitFor();
    check(await page.locator("#webhook-secret-value").count() === 0, "the secret is shown only once");
    check(!(await page.content()).includes(secret), "nowhere on the page after a reload");

    // A test event: the delivery log shows it; the receiver got it signed with that secret.
    await card.getByRole("button", { name: "Send test" }).click();
    await card.locator(".alert.ok", { hasText: "Test event queued." }).waitFor();
    await card.locator("tr.delivery[data-event-type='webhook.test']").waitFor();
    for (let i = 0; i < 40 && (await card.locator("tr.delivery[data-status='delivered']").count()) === 0; i++) {
      await fetch(`${base}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
      await card.getByRole("button", { name: "Deliveries" }).click();
      await page.waitForTimeout(250);
    }
    const row = card.locator("tr.delivery[data-event-type='webhook.test'][data-status='delivered']");
    await row.waitFor();
    check((await row.textContent()).includes("204"), "the log shows the receiver's answer");
    const got = received.find((r) => JSON.parse(r.body).type === "webhook.test");
    check(got, "the receiver got the test event");
    const ts = got.headers["x-webhook-timestamp"];
    const mac = createHmac("sha256", secret).update(`${ts}.${got.body}`).digest("hex");
    check(got.headers["x-webhook-signature"].split(",").map((s) => s.trim()).includes(`sha256=${mac}`), "signed with the secret the page showed");
    check(got.headers["x-webhook-id"] === JSON.parse(got.body).id, "the event id is the header's");
    await shot(page, "webhook-deliveries", "article.webhook");

    // Rotation: a new secret, and the old one's overlap.
    await card.getByRole("button", { name: "Rotate secret" }).click();
    await page.locator("#webhook-secret", { hasText: "The previous secret keeps signing until" }).waitFor();
    check((await secretInput.inputValue()) !== secret, "a new secret");

    // Deactivate.
    await card.getByRole("button", { name: "Deactivate" }).click();
    await page.locator("article.webhook .badge.inactive").waitFor();
    check((await apiCall(base, token, "GET", `/api/v1/org/webhooks/${hook.id}`)).active === false, "stored inactive");

    // Messages to candidates: an unknown placeholder is named by field; a valid one is saved.
    await page.getByRole("link", { name: "Messages", exact: true }).click();
    await page.waitForURL(/#\/org\/messages$/);
    await page.locator("#decision-templates[data-ready='true']").waitFor();
    check((await page.locator("#template-placeholders").textContent()).includes("{{candidate_name}}"), "the placeholders are listed");
    const reject = page.locator("fieldset[data-decision='reject']");
    check(await reject.getAttribute("data-default") === "true", "the built-in message at first");
    await page.locator("#tpl-reject-body").fill("Dear {{candidate_name}}, your {{salary}}.");
    await page.locator("#templates-save").click();
    await page.locator("[data-error-for='reject.body']").waitFor();
    await page.locator("#tpl-reject-body").fill("Dear {{candidate_name}}, thank you for your time. {{org_name}}");
    await page.locator("#templates-save").click();
    await page.locator("fieldset[data-decision='reject'][data-default='false']").waitFor();
    check(await page.locator("[data-error-for='reject.body']").count() === 0, "the error is cleared");
    const saved = await apiCall(base, token, "GET", "/api/v1/org/settings/decision-templates");
    check(saved.templates.reject.body.startsWith("Dear {{candidate_name}}") && saved.templates.advance.is_default, "only the changed message is custom");
    await shot(page, "decision-messages");
    await page.locator("#tpl-reject-restore").click();
    await page.locator("fieldset[data-decision='reject'][data-default='true']").waitFor();
  });
} finally {
  receiver.close();
}
