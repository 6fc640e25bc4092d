// Browser scenario against the real resume, feedback and realtime APIs: a candidate uploads a text
// resume from the dashboard and watches it parsed (status, skills), starts an interview with it,
// connects voice mode over the real realtime socket (ticket, interview.state, the current question
// as a caption; spoken answers refused by the built-in provider with `voice_unavailable`, typed
// answers still work); a recruiter opens the interview (its resume and pending feedback), edits and
// approves the feedback; the candidate then sees the edited feedback. Usage:
//   RECRUITER_TOKEN=... node tests/browser/resumes.mjs <base_url>
import { check, newPage, register, run, shot } from "./lib.mjs";

const base = process.argv[2];
const recruiterToken = process.env.RECRUITER_TOKEN;
if (!base || !recruiterToken) {
  console.error("usage: RECRUITER_TOKEN=... node resumes.mjs <base_url>");
  process.exit(2);
}

const RESUME = [
  "Ada Lovelace",
  "Senior frontend engineer, 6 years of experience",
  "",
  "Experience",
  "2019-2025 Frontend engineer at Analytical Engines Ltd: built React and TypeScript single-page apps,",
  "a design system and a Node.js backend-for-frontend with Express.",
  "",
  "Skills: React, TypeScript, JavaScript, Node.js, Redux, Jest, CSS",
  "",
  "Education: BSc Computer Science",
].join("\n");

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "candidate");
  const name = "Ada Lovelace";
  await register(page, base, name);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/#\/dashboard$/);
  await page.locator("#resumes", { hasText: "No resumes uploaded yet" }).waitFor();

  // Upload: 202, then the list polls until the parse completes and shows the skills found.
  await page.getByLabel(/Resume file/).setInputFiles({
    name: "ada-lovelace.txt",
    mimeType: "text/plain",
    buffer: Buffer.from(RESUME, "utf8"),
  });
  await page.getByRole("button", { name: "Upload resume" }).click();
  await page.locator(".alert.ok", { hasText: "Uploaded" }).waitFor();
  const card = page.locator("#resumes article[data-resume]").first();
  await card.waitFor();
  const resumeId = await card.getAttribute("data-resume");
  check(/^[0-9a-f-]{36}$/.test(resumeId ?? ""), `the card carries the resume id (${resumeId})`);
  await page.locator(`#resumes article[data-resume="${resumeId}"][data-status="completed"]`).waitFor({ timeout: 60_000 });
  const skills = await card.locator(".chip").allTextContents();
  for (const want of ["React", "TypeScript", "Node.js"]) {
    check(skills.includes(want), `parsed skills include ${want} (${skills.join(", ")})`);
  }
  check(await card.locator('[data-feedback="waiting"]').count() === 1, "feedback is announced as being prepared");
  check(await card.locator('[data-feedback="sent"]').count() === 0, "no feedback is shown before it is sent");
  await shot(page, "dashboard-resume", "#resumes-title");

  // Start an interview with the parsed resume.
  const select = page.getByLabel("Resume (optional)");
  await select.selectOption(resumeId);
  await page.getByLabel("Role").selectOption("react");
  await page.getByRole("button", { name: "Start interview" }).click();
  await page.waitForURL(/#\/tech-check\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").pop();
  await page.getByRole("button", { name: "Start check" }).click();
  await page.locator("#cam-status", { hasText: "Camera working" }).waitFor();
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.waitForURL(new RegExp(`#/interview/${id}$`));
  await page.locator("#transcript li.ai_question").first().waitFor();
  const firstQuestion = (await page.locator("#transcript li.ai_question").first().innerText()).trim();

  // Voice mode over the real socket: a ticket, then interview.state and the current question.
  await page.getByRole("button", { name: "Use voice mode" }).click();
  await page.locator("#voice-status", { hasText: "Voice mode connected" }).waitFor();
  await page.locator("#voice-progress", { hasText: "question 1" }).waitFor();
  await page.waitForFunction(() => (document.getElementById("captions")?.textContent ?? "").trim().length > 10);
  const caption = (await page.locator("#captions").textContent()).trim();
  check(firstQuestion.includes(caption.slice(0, 40)), "the caption is the current question");
  // The built-in provider has no voice: holding to speak is refused and the button disabled.
  const hold = page.getByRole("button", { name: "Hold to speak" });
  await hold.focus();
  await page.keyboard.down("Space");
  await page.waitForTimeout(700);
  await page.keyboard.up("Space");
  await page.locator("#voice-status", { hasText: "not available" }).waitFor();
  check(await page.locator("#hold-to-speak").isDisabled(), "hold-to-speak is disabled without a voice provider");
  // A typed answer (REST) still works and the socket hears about the new question.
  await page.getByLabel("Your answer").fill(
    "I keep state close to where it is used, lift it when siblings need it, and use context or a store for app-wide data; effects only sync with external systems.",
  );
  await page.getByRole("button", { name: "Send answer" }).click();
  await page.locator("#transcript li.ai_question").nth(1).waitFor();
  await page.locator("#voice-progress", { hasText: "question 2" }).waitFor();
  await page.waitForFunction(() => {
    const c = (document.getElementById("captions")?.textContent ?? "").trim();
    const q2 = document.querySelectorAll("#transcript li.ai_question")[1]?.textContent ?? "";
    return c.length > 10 && q2.includes(c);
  });
  await shot(page, "interview-voice-unavailable", "#voice-title");

  // Recruiter: the interview shows its resume with pending feedback; edit and approve it.
  const rec = await newPage(browser, errors, "recruiter", recruiterToken);
  await rec.goto(`${base}/#/recruiter/interview/${id}`);
  await rec.locator("#resume-feedback-status", { hasText: /pending approval/i }).waitFor();
  await shot(rec, "recruiter-detail-resume", "#resume-title");
  check((await rec.locator("#resume .chip").allTextContents()).includes("React"), "the recruiter sees the parsed skills");
  await rec.getByRole("link", { name: "Review pending feedback" }).click();
  await rec.waitForURL(/#\/recruiter\/feedback$/);
  const item = rec.locator(`#feedback-list article[data-resume="${resumeId}"]`);
  await item.waitFor();
  check((await item.locator("h2").textContent()) === name, "the feedback names the candidate");
  await shot(rec, "recruiter-feedback");
  const edited = `Thanks for your resume, Ada. Your React and TypeScript work stands out. (edited ${Date.now()})`;
  await item.getByLabel(/Feedback/).fill(edited);
  await item.getByRole("button", { name: "Approve and send" }).click();
  await item.locator(".alert.ok", { hasText: "Approved" }).waitFor();
  const status = await item.locator(".badge[data-status]").getAttribute("data-status");
  check(status === "approved" || status === "sent", `approved (${status})`);
  check(await item.getByRole("button", { name: "Approve and send" }).isHidden(), "approved feedback is no longer editable");
  // It leaves the pending list.
  await rec.reload();
  await rec.locator("#feedback-list[aria-busy=false]").waitFor();
  check(await rec.locator(`#feedback-list article[data-resume="${resumeId}"]`).count() === 0, "approved feedback left the pending list");
  await rec.context().close();

  // The candidate sees the edited feedback once delivered (delivery runs right after approval).
  await page.goto(`${base}/#/dashboard`);
  const sent = page.locator(`#resumes article[data-resume="${resumeId}"] [data-feedback="sent"]`);
  for (let i = 0; i < 30 && (await sent.count()) === 0; i++) {
    await page.waitForTimeout(1000);
    await page.reload();
    await page.locator(`#resumes article[data-resume="${resumeId}"]`).waitFor();
  }
  await sent.waitFor({ timeout: 5000 });
  check((await sent.innerText()).includes(edited), "the candidate sees the recruiter's edited text");
  check(await sent.locator("a[href^='https://']").count() > 0, "recommended resources are links");
  await shot(page, "dashboard-feedback", `#resumes article[data-resume="${resumeId}"] [data-feedback="sent"]`);
  await page.context().close();
});
