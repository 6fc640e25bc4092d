// Browser scenario: a job's results. Three invited candidates (two completed and assessed, one
// started): the table sorted by score (default, descending), then by name both ways by the
// server; two completed candidates compared side by side (scores per area, levels reached,
// boundaries, integrity flags). Usage:
//   RECRUITER_TOKEN=... JOB_ID=... INTERVIEW_IDS=a,b,c node tests/browser/job_results.mjs <base_url>
import { apiCall, check, newPage, run, shot } from "./lib.mjs";

const base = process.argv[2];
const token = process.env.RECRUITER_TOKEN;
const job = process.env.JOB_ID;
const ids = (process.env.INTERVIEW_IDS ?? "").split(",").filter(Boolean);
if (!base || !token || !job || ids.length !== 3) {
  console.error("usage: RECRUITER_TOKEN=... JOB_ID=... INTERVIEW_IDS=a,b,c node job_results.mjs <base_url>");
  process.exit(2);
}

const names = async (page) => page.locator("#results-table tbody td.name").evaluateAll((tds) => tds.map((td) => td.firstChild.textContent));

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "recruiter", token);
  await page.goto(`${base}/#/jobs/${job}`);
  await page.locator("#results-link").click();
  await page.waitForURL(new RegExp(`#/jobs/${job}/results$`));
  await page.locator("#job-results[data-sort='-score'] #results-table").waitFor();

  // The server's order is the table's order, for each sort.
  const expect = async (sort) => (await apiCall(base, token, "GET", `/api/v1/jobs/${job}/results?sort=${sort}`)).items.map((r) => r.candidate_name ?? "—");
  check(JSON.stringify(await names(page)) === JSON.stringify(await expect("-score")), `score order (${await names(page)})`);
  check((await names(page)).at(-1) === "Carol Started", "the unscored candidate is last");
  await page.locator("button.sort[data-sort='name']").click();
  await page.locator("#job-results[data-sort='name'] #results-table").waitFor();
  check(JSON.stringify(await names(page)) === JSON.stringify(["Alice Strong", "Bob Brief", "Carol Started"]), `name order (${await names(page)})`);
  check(await page.locator("th[aria-sort='ascending']").textContent().then((t) => t.startsWith("Candidate")), "the sorted column says so");
  await page.locator("button.sort[data-sort='name']").click();
  await page.locator("#job-results[data-sort='-name'] #results-table").waitFor();
  check(JSON.stringify(await names(page)) === JSON.stringify(["Carol Started", "Bob Brief", "Alice Strong"]), `name order descending (${await names(page)})`);
  await page.locator("button.sort[data-sort='status']").click();
  await page.locator("#job-results[data-sort='status'] #results-table").waitFor();
  check(JSON.stringify(await names(page)) === JSON.stringify(await expect("status")), "status order");
  await shot(page, "job-results");

  // Compare the two completed candidates: enabled only with 2–4 selected.
  const compare = page.locator("#compare-button");
  check(await compare.isDisabled(), "compare needs a selection");
  await page.locator(`tr[data-interview="${ids[0]}"] input.pick`).check();
  check(await compare.isDisabled(), "one candidate is not a comparison");
  await page.locator(`tr[data-interview="${ids[1]}"] input.pick`).check();
  await compare.click();
  const table = page.locator("#compare-table");
  await table.waitFor();
  const heads = await table.locator("thead th").allTextContents();
  check(JSON.stringify(heads) === JSON.stringify(["Alice Strong", "Bob Brief"]), `side by side in the order chosen (${heads})`);
  const api = await apiCall(base, token, "GET", `/api/v1/jobs/${job}/compare?interview_ids=${ids[0]},${ids[1]}`);
  check(await table.locator("tr.area-score").count() === api.candidates[0].areas.length && api.candidates[0].areas.length > 0, "a score row per area");
  check(await table.locator("tr.level").count() === api.candidates[0].areas.length, "a level-reached row per area");
  check(await table.locator("tr.boundary").count() === api.candidates[0].areas.length, "a boundary row per area");
  check(await table.locator("tr.flags").count() === 1, "integrity flags row");
  const overall = await table.locator("tr.overall td").allTextContents();
  check(overall.every((t) => /^\d+\.\d$/.test(t)), `both have overall scores (${overall})`);
  await shot(page, "job-compare", "#compare");
});
