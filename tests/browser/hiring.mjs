// Browser scenario: the hiring workflow's pages. On a completed, assessed interview a recruiter
// (admin) records decisions (a field-named validation error first; the second one emails the
// candidate, shown on the interview's emails), reviews with 1–5 ratings per
// area (the average shown), and a score override shown beside the original; a viewer sees the
// same records read-only. The job's results export downloads a CSV with its header. The
// printable report renders (chart, cited answers, decision, notes) and prints to a non-empty PDF
// with nothing clipped in print media. The audit trail lists the entries, filters by action,
// actor and date, and exports. Usage:
//   ADMIN_TOKEN=... VIEWER_TOKEN=... JOB_ID=... INTERVIEW_ID=... node tests/browser/hiring.mjs <base_url>
import { readFileSync } from "node:fs";
import { apiCall, check, newPage, refusals, run, shot } from "./lib.mjs";

const base = process.argv[2];
const { ADMIN_TOKEN: admin, VIEWER_TOKEN: viewer, JOB_ID: job, INTERVIEW_ID: id } = process.env;
if (!base || !admin || !viewer || !job || !id) {
  console.error("usage: ADMIN_TOKEN=... VIEWER_TOKEN=... JOB_ID=... INTERVIEW_ID=... node hiring.mjs <base_url>");
  process.exit(2);
}

const downloaded = async (page, click) => {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), text: readFileSync(path, "utf8") };
};

await run(async (browser, errors) => {
  const hiringApi = `/api/v1/recruiter/interviews/${id}/hiring`;
  const page = await newPage(browser, errors, "admin", admin, refusals(422, 404));
  await page.goto(`${base}/#/recruiter/interview/${id}`);
  await page.locator("#hiring[data-ready='true']").waitFor();
  const areas = Object.keys((await apiCall(base, admin, "GET", `/api/v1/recruiter/interviews/${id}`)).assessment.skill_scores);
  check(areas.length > 0, "the interview has skill areas");
  check(await page.locator("#review-form select.rating").count() === areas.length, "a 1–5 rating per skill area of the interview");

  // A decision without a reason: the error is shown next to the reason field.
  const decision = page.locator("#decision-form");
  await decision.getByLabel("Hold").check();
  await decision.getByRole("button", { name: "Record decision" }).click();
  await decision.locator("[data-error-for='reason']").waitFor();
  check(await page.locator("#decision-reason").getAttribute("aria-invalid") === "true", "the reason is marked invalid");
  check(await decision.locator("[data-code='VALIDATION_ERROR']").count() === 1, "the summary names the error");

  await decision.getByLabel("Reason").fill("Wait for the second panel.");
  await decision.getByRole("button", { name: "Record decision" }).click();
  await page.locator("#hiring[data-decisions='1']").waitFor();
  check(await page.locator("#decision-reason").getAttribute("aria-invalid") === null, "the error is cleared");
  await decision.getByLabel("Advance").check();
  await decision.getByLabel("Reason").fill("Strong on data modelling.");
  // "Email the candidate": the decision message is queued and shows on the interview's emails.
  await decision.getByLabel("Email the candidate").check();
  await decision.getByRole("button", { name: "Record decision" }).click();
  await page.locator("#hiring[data-decisions='2']").waitFor();
  await page.locator("#hiring-emails li[data-kind='decision']").waitFor();
  check(!(await decision.getByLabel("Email the candidate").isChecked()), "the checkbox resets after a decision");
  const history = await page.locator("#decision-history li").evaluateAll((lis) => lis.map((li) => li.dataset.decision));
  check(JSON.stringify(history) === JSON.stringify(["advance", "hold"]), `history newest first (${history})`);
  check(await page.locator("#current-decision [data-decision='advance']").count() === 1, "the newest decision is in force");

  // Two reviews: the average per area is shown.
  const review = page.locator("#review-form");
  await review.getByLabel("Notes").fill("Clear explanations of immutability.");
  for (const a of areas) await page.locator(`#rating-${a}`).selectOption("4");
  await review.getByRole("button", { name: "Add review" }).click();
  await page.locator("#review-list li").first().waitFor();
  for (const a of areas) await page.locator(`#rating-${a}`).selectOption("2");
  await review.getByRole("button", { name: "Add review" }).click();
  await page.locator("#review-list li:nth-child(2)").waitFor();
  for (const a of areas) {
    const avg = await page.locator(`#average-ratings dd[data-area='${a}']`).textContent();
    check(avg === "3.0", `average of 4 and 2 for ${a} (${avg})`);
  }
  const api = await apiCall(base, admin, "GET", hiringApi);
  check(api.reviews.length === 2 && api.decisions.length === 2, "the records are the server's");

  // Override: the original stays beside the effective score.
  const original = await page.locator("#score-original").textContent();
  check(/^\d+\.\d$/.test(original), `an original score (${original})`);
  const override = page.locator("#override-form");
  await override.getByLabel("New score (0–100)").fill("88.5");
  await override.getByRole("button", { name: "Override score" }).click();
  await override.locator("[data-error-for='reason']").waitFor();
  await override.getByLabel("Reason (required)").fill("Panel interview was much stronger.");
  await override.getByRole("button", { name: "Override score" }).click();
  await page.locator("#override-history li").waitFor();
  check(await page.locator("#score-effective").textContent() === "88.5", "the effective score is the override");
  check(await page.locator("#score-original").textContent() === original, "the original is kept beside it");
  await shot(page, "recruiter-hiring", "#hiring");

  // The viewer: the same records, no forms.
  const vpage = await newPage(browser, errors, "viewer", viewer);
  await vpage.goto(`${base}/#/recruiter/interview/${id}`);
  await vpage.locator("#hiring[data-ready='true']").waitFor();
  check(await vpage.locator("#hiring form").count() === 0, "viewers get no hiring forms");
  check(await vpage.locator("#decision-history li").count() === 2, "viewers read the decisions");
  check(await vpage.locator("#score-effective").textContent() === "88.5", "viewers read the effective score");
  check(await vpage.locator("#hiring .alert.info").count() === 1, "viewers are told it is read-only");
  check(await vpage.getByRole("link", { name: "Audit" }).count() === 0, "viewers get no audit link");

  // The job's results export: a download with the CSV header.
  await page.goto(`${base}/#/jobs/${job}/results`);
  await page.locator("#results-table").waitFor();
  const csv = await downloaded(page, () => page.locator("#export-results").click());
  check(csv.name === `job-${job}-results.csv`, `the server's file name (${csv.name})`);
  check(csv.text.startsWith("candidate_name,email,invitation_status,interview_status,"), `the CSV header (${csv.text.slice(0, 80)})`);
  check(csv.text.split("\r\n").filter(Boolean).length === 2, "one candidate row");

  // The printable report, linked from the interview page.
  await page.goto(`${base}/#/recruiter/interview/${id}`);
  await page.locator("#report-link").click();
  await page.waitForURL(new RegExp(`#/report/${id}$`));
  await page.locator("main[data-report='ready']").waitFor();
  check(await page.locator("#report #skill-chart").count() === 1, "the skill chart");
  check(await page.locator("#report-effective").textContent() === "88.5", "the effective score");
  check(await page.locator("#report-original").textContent() === original, "the original score");
  check((await page.locator("#report-job").textContent()).length > 0, "the job");
  check(await page.locator("#report-decision [data-decision='advance']").count() === 1, "the decision");
  check((await page.locator("#report-notes").textContent()).includes("Clear explanations of immutability."), "the notes");
  const cited = await page.locator("#report blockquote.cited").allTextContents();
  const detail = await apiCall(base, admin, "GET", `/api/v1/recruiter/interviews/${id}`);
  const answers = detail.transcript.filter((m) => m.message_type !== "ai_question");
  const citations = [...detail.assessment.strengths, ...detail.assessment.weaknesses].flatMap((e) => e.evidence);
  check(cited.length === citations.length, `one quote per citation (${cited.length} of ${citations.length})`);
  check(cited.every((t) => answers.some((m) => t.includes(m.content_text))), `the cited answers' own text (${cited.length})`);
  await shot(page, "report");

  await page.setViewportSize({ width: 794, height: 1123 });
  await page.emulateMedia({ media: "print" });
  check(await page.locator(".topbar").isHidden(), "no navigation in print");
  check(await page.locator("#print-report").isHidden(), "no buttons in print");
  const clipped = await page.evaluate(() =>
    [...document.querySelectorAll("#report, #report *")]
      .filter((el) => el instanceof HTMLElement && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${el.className}`));
  check(clipped.length === 0, `nothing is clipped in print (${clipped.join(", ")})`);
  const pdf = await page.pdf({ format: "A4", printBackground: true });
  check(pdf.length > 1000 && pdf.subarray(0, 5).toString() === "%PDF-", `a non-empty PDF (${pdf.length} bytes)`);
  await page.emulateMedia({ media: "screen" });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The audit trail (admins): the entries, filters and export.
  await page.getByRole("link", { name: "Audit" }).click();
  await page.waitForURL(/#\/org\/audit$/);
  await page.locator("#audit-table").waitFor();
  // A view recorded by a request still in flight when the table loaded (the report's video, the
  // viewer's page) can land after it: reload the table until it and the server agree (or give up).
  let first;
  let rows;
  for (let attempt = 0; ; attempt++) {
    first = await apiCall(base, admin, "GET", "/api/v1/org/audit?limit=50");
    rows = await page.locator("#audit-table tbody tr").count();
    if (rows === first.items.length || attempt === 5) break;
    await page.reload();
    await page.locator("#audit-table").waitFor();
  }
  check(rows === first.items.length, `the first page is the server's (${rows} rows, ${first.items.length} entries)`);
  check(await page.locator("#audit-table tbody tr").first().getAttribute("data-action") === first.items[0].action, "newest first");
  await page.getByLabel("Action").selectOption("decision.made");
  await page.locator("#audit-apply").click();
  await page.locator("#audit[data-query='action=decision.made&limit=50'] #audit-table").waitFor();
  const actions = await page.locator("#audit-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
  check(actions.length === 2 && actions.every((a) => a === "decision.made"), `the two decisions (${actions})`);
  await shot(page, "audit");
  const exported = await downloaded(page, () => page.locator("#audit-export").click());
  const lines = exported.text.split("\r\n").filter(Boolean);
  check(lines[0].startsWith("created_at,actor_id,actor_name,action,"), `the audit CSV header (${lines[0]})`);
  check(lines.length === 3 && lines.slice(1).every((l) => l.includes(",decision.made,")), "the export follows the filters");

  const me = await apiCall(base, viewer, "GET", "/api/v1/auth/me");
  await page.getByLabel("Action").selectOption("");
  await page.getByLabel("Actor").selectOption(me.id);
  await page.locator("#audit-apply").click();
  await page.locator(`#audit[data-query='actor_id=${me.id}&limit=50'] #audit-table`).waitFor();
  const actors = await page.locator("#audit-table tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.actor));
  check(actors.length > 0 && actors.every((a) => a === me.id), "only the viewer's entries");
  await page.getByLabel("Actor").selectOption("");
  await page.getByLabel("From (inclusive)").fill("2099-01-01");
  await page.locator("#audit-apply").click();
  await page.locator("#audit[data-query='from=2099-01-01&limit=50']").waitFor();
  check((await page.locator("#audit").textContent()).includes("No entries match"), "a future date finds nothing");

  // Webhooks (admins): against this server's API, or its clear absence (a 404 from a server
  // that does not have it yet; the form is then hidden).
  const hasHooks = Object.keys((await apiCall(base, null, "GET", "/api/v1/openapi.json")).paths).includes("/api/v1/org/webhooks");
  await page.getByRole("link", { name: "Webhooks" }).click();
  await page.waitForURL(/#\/org\/webhooks$/);
  if (hasHooks) {
    await page.locator("#webhooks p, #webhooks article").first().waitFor();
    check(await page.locator("#webhook-create").isVisible(), "the create form");
  } else {
    await page.locator("#webhooks .alert.error").waitFor();
    check((await page.locator("#webhooks").textContent()).includes("not available on this server"), "the missing API is said clearly");
    check(await page.locator("#webhook-create").isHidden(), "no form that cannot work");
  }
  check(await vpage.getByRole("link", { name: "Webhooks" }).count() === 0, "viewers get no webhooks link");
});
