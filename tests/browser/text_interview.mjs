// Browser scenario: register, tech check, a full text interview to automatic completion with a
// reload in the middle, the results page with its chart and evidence links, then a recruiter
// finding the interview by filter and reading its assessment. Usage:
//   node tests/browser/text_interview.mjs <base_url>   (RECRUITER_TOKEN: a staff token)
import { check, newPage, register, run, shot, startInterview } from "./lib.mjs";

const base = process.argv[2];
const recruiterToken = process.env.RECRUITER_TOKEN;
if (!base || !recruiterToken) {
  console.error("usage: RECRUITER_TOKEN=... node text_interview.mjs <base_url>");
  process.exit(2);
}

const ANSWERS = [
  "I would use a dictionary for constant-time lookups by key, and a list when order matters and I iterate. " +
    "Hashing makes membership tests O(1) on average; lists are O(n). I measure with timeit before optimising.",
  "Generators produce values lazily with yield, so memory stays constant for large inputs; I use them for " +
    "streaming files line by line and chain them like a pipeline. Exceptions propagate through next().",
  "Decorators wrap a function to add behaviour such as caching, retries or timing. I use functools.wraps to keep " +
    "the name and docstring, and functools.lru_cache for memoisation of pure functions.",
  "I write tests with pytest fixtures and parametrize, mock external services at the boundary, and run them in CI " +
    "with coverage. Type hints checked by mypy catch many mistakes before runtime.",
  "The GIL means only one thread runs Python bytecode at a time, so I use multiprocessing or asyncio for " +
    "concurrency depending on whether the work is CPU-bound or I/O-bound.",
];

async function aiCount(page) {
  return page.locator("#transcript li.ai_question").count();
}

async function answer(page, text) {
  const before = await aiCount(page);
  await page.getByLabel("Your answer").fill(text);
  const counter = await page.locator("#answer-counter").textContent();
  check(counter === `${text.length} / 2000`, `counter shows the length (${counter})`);
  await page.getByRole("button", { name: "Send answer" }).click();
  // Either the next question arrives or the interview completes.
  await page.waitForFunction(
    (n) => document.querySelectorAll("#transcript li.ai_question").length > n || document.getElementById("results-link"),
    before,
  );
}

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "candidate");
  await page.goto(`${base}/`);
  await page.waitForURL(/#\/login$/);
  await shot(page, "login");
  // Keyboard: a route change focuses <main>, so Tab goes to the first field, with a visible
  // focus ring; the skip link becomes visible when focused.
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement?.id)) === "email", "Tab reaches the email field");
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(ring !== "none", `focus is visible (${ring})`);
  await page.locator("#skip-link").focus();
  check((await page.locator("#skip-link").boundingBox()).x >= 0, "the focused skip link is on screen");
  const email = await register(page, base, "Grace Hopper");
  await shot(page, "register");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/#\/dashboard$/);
  await page.getByRole("heading", { name: "My interviews" }).waitFor();

  // Tech check: the fake devices give a live camera and a beeping microphone.
  const id = await startInterview(page, "python");
  await page.getByRole("button", { name: "Start check" }).click();
  await page.locator("#mic-status", { hasText: "Microphone working" }).waitFor();
  await page.locator("#cam-status", { hasText: "Camera working" }).waitFor();
  await page.waitForFunction(() => {
    const v = document.getElementById("camera-preview");
    return v && v.readyState >= 2 && v.videoWidth > 0;
  });
  await shot(page, "tech-check");
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.waitForURL(new RegExp(`#/interview/${id}$`));

  // The interview: first question, one answer, then a reload mid-interview.
  await page.locator("#transcript li.ai_question").first().waitFor();
  check((await aiCount(page)) === 1, "one question at the start");
  check((await page.locator("#question-number").textContent()).startsWith("Question 1 "), "question number 1");
  await answer(page, ANSWERS[0]);
  check((await aiCount(page)) === 2, "the second question arrived");
  check((await page.locator("#question-number").textContent()).startsWith("Question 2 "), "question number 2");
  const box = page.getByLabel("Your answer");
  check((await box.getAttribute("maxlength")) === "2000", "the answer box is limited to 2000 characters");
  await box.fill("x".repeat(2000));
  check((await page.locator("#answer-counter").textContent()) === "2000 / 2000", "the counter shows the limit");
  check((await page.locator("#answer-counter").getAttribute("class")).includes("over"), "the counter flags the limit");
  await page.getByLabel("Your answer").fill("A draft answer that is only half written");
  await shot(page, "interview");
  await page.getByLabel("Your answer").fill("");

  await page.reload();
  await page.locator("#transcript li.ai_question").nth(1).waitFor();
  check((await page.locator("#transcript li").count()) === 3, "the transcript is restored after a reload");
  check((await page.locator("#transcript li.candidate_response").first().textContent()).includes("dictionary"), "my answer is in the restored transcript");
  check((await page.locator("#question-number").textContent()).startsWith("Question 2 "), "question number 2 after reload");

  // Continue until the server completes the interview (MAX_QUESTIONS is small in this test).
  for (let i = 1; i < ANSWERS.length; i++) {
    if (await page.locator("#results-link").count()) break;
    await answer(page, ANSWERS[i]);
  }
  await page.locator("#results-link").waitFor();
  check(await page.locator("#answer-form").isHidden(), "the answer box is gone after completion");
  const answered = await page.locator("#transcript li.candidate_response").count();
  check(answered >= 2, `answered several questions (${answered})`);

  // Results: score, chart, evidence links into the transcript.
  await page.locator("#results-link").click();
  await page.waitForURL(new RegExp(`#/results/${id}$`));
  await page.locator("#overall-score").waitFor({ timeout: 60_000 });
  const score = Number(await page.locator("#overall-score").textContent());
  check(Number.isFinite(score) && score >= 0 && score <= 100, `overall score is a number in 0..100 (${score})`);
  const bars = await page.locator("#skill-chart rect.bar").count();
  check(bars >= 1, `the chart has bars (${bars})`);
  const widths = await page.locator("#skill-chart rect.bar").evaluateAll((els) => els.map((e) => Number(e.getAttribute("width"))));
  check(widths.every((w) => w >= 0 && w <= 300), "bar widths are within the track");
  await shot(page, "results");
  const evidence = page.locator("#strengths a, #weaknesses a").first();
  if (await evidence.count()) {
    const seq = await evidence.getAttribute("data-seq");
    await evidence.click();
    await page.waitForURL(new RegExp(`#/results/${id}/answer/${seq}$`));
    await page.locator(`#msg-${seq}.highlight`).waitFor();
    check((await page.locator(`#msg-${seq}`).getAttribute("class")).includes("candidate_response"), "evidence points at an answer");
  } else {
    errors.push("no evidence links on the results page");
  }

  // The dashboard lists the completed interview with its score.
  await page.getByRole("link", { name: "My interviews", exact: true }).click();
  const row = page.locator(`#my-interviews tr[data-id="${id}"]`);
  await row.waitFor();
  check((await row.textContent()).includes("completed"), "dashboard shows completed");
  await shot(page, "dashboard");

  // Sign out and back in through the login form; the token lives in sessionStorage only.
  const stored = await page.evaluate(() => ({ session: sessionStorage.getItem("ie.token"), local: localStorage.length }));
  check(stored.session && stored.local === 0, "the token is in sessionStorage, nothing in localStorage");
  check(!page.url().includes(stored.session), "the token is not in the URL");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/#\/login$/);
  check((await page.evaluate(() => sessionStorage.getItem("ie.token"))) === null, "signing out forgets the token");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("Correct-Horse-9");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/#\/dashboard$/);
  await page.locator(`#my-interviews tr[data-id="${id}"]`).waitFor();

  // Recruiter: filter by status and role and score, open the interview, read the assessment.
  const rec = await newPage(browser, errors, "recruiter", recruiterToken);
  await rec.goto(`${base}/#/recruiter`);
  await rec.getByRole("heading", { name: "Interviews" }).waitFor();
  await rec.getByLabel("Status").selectOption("completed");
  await rec.getByLabel("Role").selectOption("python");
  await rec.getByLabel("Min score").fill(String(Math.max(0, Math.floor(score) - 1)));
  await rec.getByLabel("Max score").fill(String(Math.min(100, Math.ceil(score) + 1)));
  await rec.getByRole("button", { name: "Apply filters" }).click();
  await rec.locator('#results[aria-busy="false"][data-query*="status=completed&role_type=python&min_score="]').waitFor();
  const recRow = rec.locator(`#interviews tr[data-id="${id}"]`);
  await recRow.waitFor();
  const rows = await rec.locator("#interviews tbody tr").allTextContents();
  check(rows.every((t) => t.includes("completed") && t.includes("Python")), "every row matches the filters");
  await shot(rec, "recruiter");
  // A filter that excludes it.
  await rec.getByLabel("Status").selectOption("abandoned");
  await rec.getByRole("button", { name: "Apply filters" }).click();
  await rec.locator('#results[aria-busy="false"][data-query*="status=abandoned"]').waitFor();
  check((await recRow.count()) === 0, "a status filter that excludes the interview hides it");
  await rec.getByLabel("Status").selectOption("completed");
  await rec.getByRole("button", { name: "Apply filters" }).click();
  await recRow.getByRole("link").click();
  await rec.waitForURL(new RegExp(`#/recruiter/interview/${id}$`));
  await rec.locator("#overall-score").waitFor();
  check(Number(await rec.locator("#overall-score").textContent()) === score, "the recruiter sees the same score");
  check((await rec.locator("#skill-chart rect.bar").count()) === bars, "the recruiter sees the chart");
  check((await rec.locator("#transcript li").count()) >= 2 * answered, "the recruiter sees the transcript");
  check((await rec.locator("#cost-total").textContent()).startsWith("$"), "the recruiter sees the cost");
  await rec.locator("#integrity").waitFor();
  await shot(rec, "recruiter-detail");
  await rec.context().close();
  await page.context().close();
});
