// Browser scenario: video consent in the tech check, a recording made with the fake camera during
// a text interview, uploaded in chunks (progress bar) and finalised when the interview ends, then
// played back in the recruiter view (the stream is fetched with the bearer token into a blob URL).
// Needs the video API (docs/video.md). Usage:
//   RECRUITER_TOKEN=... node tests/browser/video.mjs <base_url>
import { check, newPage, register, run, shot, startInterview } from "./lib.mjs";

const base = process.argv[2];
const recruiterToken = process.env.RECRUITER_TOKEN;
if (!base || !recruiterToken) {
  console.error("usage: RECRUITER_TOKEN=... node video.mjs <base_url>");
  process.exit(2);
}

await run(async (browser, errors) => {
  const page = await newPage(browser, errors, "candidate");
  await register(page, base, "Katherine Johnson");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/#\/dashboard$/);
  const id = await startInterview(page, "javascript");
  await page.getByRole("button", { name: "Start check" }).click();
  await page.locator("#cam-status", { hasText: "Camera working" }).waitFor();
  const consent = page.getByLabel(/Record video of my interview/);
  check(await consent.count() === 1, "the video API is available (consent checkbox shown)");
  await consent.check();
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.waitForURL(new RegExp(`#/interview/${id}$`));

  await page.getByRole("button", { name: "Start recording" }).click();
  await page.locator("#video-status", { hasText: "Recording" }).waitFor();
  await page.waitForTimeout(4000);
  await page.getByLabel("Your answer").fill("Closures capture variables from the enclosing scope; I use them for private state and callbacks.");
  await page.getByRole("button", { name: "Send answer" }).click();
  await page.locator("#transcript li.ai_question").nth(1).waitFor();
  await page.waitForTimeout(2000);
  await page.getByRole("button", { name: "Finish interview" }).click();
  await page.getByRole("button", { name: "Yes, finish" }).click();
  await page.locator("#results-link").waitFor();
  await page.locator("#video-status", { hasText: "Video uploaded." }).waitFor({ timeout: 120_000 });
  check(Number(await page.locator("#video-progress").getAttribute("value")) === 1 ||
    (await page.locator("#video-progress").evaluate((p) => p.value)) === 1, "the progress bar is full");
  await shot(page, "interview-video");

  const rec = await newPage(browser, errors, "recruiter", recruiterToken);
  await rec.goto(`${base}/#/recruiter/interview/${id}`);
  const video = rec.locator("#recruiter-video");
  await video.waitFor({ timeout: 60_000 });
  check((await video.getAttribute("src")).startsWith("blob:"), "the video plays from a blob URL");
  await rec.waitForFunction(() => {
    const v = document.getElementById("recruiter-video");
    return v && v.readyState >= 1;
  });
  await rec.evaluate(() => document.getElementById("recruiter-video").play());
  await rec.waitForFunction(() => document.getElementById("recruiter-video").currentTime > 0.2, null, { timeout: 20_000 });
  await shot(rec, "recruiter-video");
  await rec.context().close();
  await page.context().close();
});
