// Browser scenario: the job editor. A recruiter creates a custom job with three questions and
// their rubric points; a too-short question is refused and the error is shown next to that
// field; once fixed the job is created. An edit is saved as version 2; an edit started from a
// version someone else has replaced meanwhile is refused (409 EDIT_CONFLICT, shown) and the job
// reloaded. The job is in the list under its status. Usage:
//   RECRUITER_TOKEN=... node tests/browser/jobs_editor.mjs <base_url>
import { apiCall, check, newPage, refusals, run, shot } from "./lib.mjs";

const base = process.argv[2];
const token = process.env.RECRUITER_TOKEN;
if (!base || !token) {
  console.error("usage: RECRUITER_TOKEN=... node jobs_editor.mjs <base_url>");
  process.exit(2);
}

const f = (path) => `[data-field="${path}"] > input, [data-field="${path}"] > textarea, [data-field="${path}"] > select`;
const TITLE = `Analytics engineer ${Date.now().toString(36)}`;
const QUESTIONS = [
  ["Joins?", "sql", "warmup", "a left join keeps every left row", "keeps all rows, unmatched rows", "left join+drops rows|loses rows"],
  ["When would you denormalise a reporting table, and what does it cost?", "modeling", "intermediate", "reads get faster", "fewer joins, faster reads", ""],
  ["How do you make a nightly load safe to rerun after a failure?", "sql", "advanced", "the load is idempotent", "idempotent, upsert, merge", ""],
];

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "recruiter", token, refusals(409, 422));
  await page.goto(`${base}/#/jobs`);
  await page.getByRole("link", { name: "Jobs", exact: true }).waitFor();
  await page.locator("#new-job").click();
  await page.waitForURL(/#\/jobs\/new$/);

  await page.locator("#job-title").fill(TITLE);
  await page.locator("#job-description").fill("Own the warehouse models behind our finance dashboards.");
  await page.locator("#job-family").selectOption("custom");
  await page.locator(f("skill_areas[0].name")).fill("sql");
  await page.locator("#add-area").click();
  await page.locator(f("skill_areas[1].name")).fill("modeling");
  await page.locator(f("skill_areas[1].weight")).fill("2");
  await page.locator("#job-min").fill("3");
  await page.locator("#job-max").fill("5");
  for (const [i, [text, area, level, point, synonyms, misconception]] of QUESTIONS.entries()) {
    await page.locator("#add-question").click();
    const q = `questions[${i}]`;
    await page.locator(f(`${q}.text`)).fill(text);
    await page.locator(f(`${q}.skill_area`)).fill(area);
    await page.locator(f(`${q}.level`)).selectOption(level);
    await page.locator(f(`${q}.rubric[0].point`)).fill(point);
    await page.locator(f(`${q}.rubric[0].synonyms`)).fill(synonyms);
    if (misconception) await page.locator(f(`${q}.rubric[0].misconceptions`)).fill(misconception);
  }
  // A second rubric point on the second question, weighted.
  await page.locator('[data-field="questions[1].rubric"] .add-point').click();
  await page.locator(f("questions[1].rubric[1].point")).fill("updates get harder");
  await page.locator(f("questions[1].rubric[1].weight")).fill("0.5");

  // The too-short question is refused; its error sits next to its field, nothing is created.
  await page.locator("#save-job").click();
  const err = page.locator('[data-field="questions[0].text"] .field-error');
  await err.waitFor();
  check((await err.textContent()).includes("10 to 1000"), `the error names the rule (${await err.textContent()})`);
  check(await page.locator(f("questions[0].text")).getAttribute("aria-invalid") === "true", "the field is marked invalid");
  check(await page.locator('#job-errors .alert[data-code="VALIDATION_ERROR"]').count() === 1, "the summary names the error");
  check(page.url().endsWith("#/jobs/new"), "still on the new job");
  await shot(page, "job-editor-error", "#job-errors");

  await page.locator(f("questions[0].text")).fill("What does a left join keep that an inner join drops?");
  await page.locator("#save-job").click();
  await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").pop();
  await page.locator("#job-heading", { hasText: TITLE }).waitFor();
  check(await page.locator("fieldset.question").count() === 3, "three questions shown");
  check(await page.locator(f("questions[1].rubric[1].point")).inputValue() === "updates get harder", "second rubric point kept");

  // What was stored is what was typed.
  const stored = await apiCall(base, token, "GET", `/api/v1/jobs/${id}`);
  check(stored.version === 1 && stored.status === "draft" && stored.role_family === "custom", `stored ${stored.version} ${stored.status}`);
  check(JSON.stringify(stored.skill_areas) === JSON.stringify([{ name: "sql", weight: 1 }, { name: "modeling", weight: 2 }]), `areas ${JSON.stringify(stored.skill_areas)}`);
  check(stored.questions.map((q) => q.level).join() === "warmup,intermediate,advanced", "levels stored");
  check(JSON.stringify(stored.questions[0].rubric[0].synonyms) === JSON.stringify(["keeps all rows", "unmatched rows"]), "synonyms split on commas");
  check(stored.questions[0].rubric[0].misconceptions[0] === "left join+drops rows|loses rows", "misconception pattern kept");
  check(stored.questions[1].rubric[1].weight === 0.5, "rubric weight stored");
  check(stored.min_questions === 3 && stored.max_questions === 5, "question bounds stored");
  await shot(page, "job-editor");

  // An edit: a new version.
  await page.locator("#job-title").fill(`${TITLE} (senior)`);
  await page.locator("#job-status").selectOption("open");
  await page.locator("#save-job").click();
  await page.locator("#job-saved .alert.ok, #job-errors .alert").first().waitFor();
  check(await page.locator("#job-errors .alert").count() === 0, `saved without errors (${await page.locator("#job-errors").textContent()})`);
  await page.locator("#job-saved .alert.ok", { hasText: "version 2" }).waitFor();
  await page.locator("#job-heading", { hasText: "(senior)" }).waitFor();

  // Someone else saves version 3 while this editor still holds version 2: the save is refused,
  // shown, and reloading brings their change.
  await apiCall(base, token, "PATCH", `/api/v1/jobs/${id}`, { description: "Changed by a colleague.", version: 2 });
  await page.locator("#job-title").fill(`${TITLE} (lead)`);
  await page.locator("#save-job").click();
  const conflict = page.locator('#job-errors .alert[data-code="EDIT_CONFLICT"]');
  await conflict.waitFor();
  check((await apiCall(base, token, "GET", `/api/v1/jobs/${id}`)).title === `${TITLE} (senior)`, "the stale edit changed nothing");
  await page.locator("#reload-job").click();
  await page.waitForFunction(() => document.getElementById("job-description")?.value === "Changed by a colleague.");
  check(await page.locator("#job-title").inputValue() === `${TITLE} (senior)`, "reloaded title");
  check(await page.locator("text=Version 3").count() === 1, "the editor now holds version 3");

  // The list: under "open", not under "draft".
  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  await page.waitForURL(/#\/jobs$/);
  await page.locator("#jobs-status").selectOption("open");
  await page.locator(`#jobs-table tr[data-id="${id}"]`, { hasText: "open" }).waitFor();
  await page.locator("#jobs-status").selectOption("draft");
  await page.waitForFunction((jid) => !document.querySelector(`#jobs-table tr[data-id="${jid}"]`), id);
  await page.locator("#jobs-status").selectOption("");
  await page.locator(`#jobs-table tr[data-id="${id}"]`).waitFor();
  await shot(page, "jobs");
});
