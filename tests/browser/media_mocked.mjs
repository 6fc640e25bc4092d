// Browser scenario for the media clients against mocked endpoints (playwright request and
// WebSocket routing), so the voice and video code is exercised before those server APIs exist:
//   - voice: ticket → WebSocket with the ticket in the query (never the token), hold-to-speak
//     (keyboard) streams base64 PCM16 at 24 kHz via the AudioWorklet, commit on release,
//     interviewer audio and captions, reconnect with a fresh ticket after an abnormal close;
//   - text answers: a 503 AI_UNAVAILABLE (Retry-After: 1) is retried with the same
//     Idempotency-Key and a notice, then the real server answers;
//   - video: consent, MediaRecorder with the fake camera, a dropped chunk upload retried after
//     asking /upload-status, progress to 100 %, /finalize.
// The real server answers everything else (auth, interview, tech check, video consent).
// Usage: node tests/browser/media_mocked.mjs <base_url>
import { check, newPage, register, run, startInterview } from "./lib.mjs";

const base = process.argv[2];
if (!base) {
  console.error("usage: node media_mocked.mjs <base_url>");
  process.exit(2);
}

await run(async (browser, errors) => {
  // The one injected failure: the first chunk upload's connection is reset.
  // The injected failures: the first chunk upload's connection is reset, and the first answer
  // gets a 503 (the browser logs both as failed resources).
  const page = await newPage(browser, errors, "candidate", null, [
    /upload-chunk.*(ERR_CONNECTION_RESET|ERR_FAILED)|net::ERR_CONNECTION_RESET|net::ERR_FAILED/,
    /status of 503/,
  ]);
  const log = { tickets: [], sockets: [], events: [], appendBytes: 0, appendCount: 0, chunks: [], statusCalls: 0, finalized: 0, authHeaders: [] };

  // The server's OpenAPI document, plus the endpoints this scenario mocks.
  await page.route("**/api/v1/openapi.json", async (route) => {
    const resp = await route.fetch();
    const doc = await resp.json();
    doc.paths["/api/v1/interviews/{id}/realtime-ticket"] ??= { post: {} };
    doc.paths["/api/v1/videos/{interview_id}/upload-chunk"] ??= { post: {} };
    await route.fulfill({ response: resp, json: doc });
  });
  await page.route("**/api/v1/interviews/*/realtime-ticket", async (route) => {
    log.authHeaders.push(route.request().headers()["authorization"] ?? "");
    const id = route.request().url().split("/").slice(-2)[0];
    const ticket = `ticket-${log.tickets.length + 1}`;
    log.tickets.push(ticket);
    await route.fulfill({ json: { ticket, expires_in: 60, url: `/api/v1/realtime/${id}` } });
  });
  let failNextChunk = true;
  await page.route("**/api/v1/videos/*/upload-chunk", async (route) => {
    if (failNextChunk) {
      failNextChunk = false;
      await route.abort("connectionreset");
      return;
    }
    const body = route.request().postDataBuffer() ?? Buffer.alloc(0);
    log.chunks.push(body);
    await route.fulfill({ json: { chunk_uploaded: true, chunk_index: 0, total_uploaded: log.chunks.length } });
  });
  await page.route("**/api/v1/videos/*/upload-status", async (route) => {
    log.statusCalls++;
    await route.fulfill({ json: { upload_id: "u1", total_chunks: 1, received: [], missing: [0] } });
  });
  await page.route("**/api/v1/videos/*/finalize", async (route) => {
    log.finalized++;
    await route.fulfill({ json: { video_recording_url: "videos/x.webm", total_chunks: 1, file_size_bytes: 1 } });
  });
  const answerKeys = [];
  let unavailableOnce = true;
  await page.route("**/api/v1/interviews/*/messages", async (route) => {
    if (route.request().method() !== "POST") return route.fallback();
    answerKeys.push(route.request().headers()["idempotency-key"]);
    if (unavailableOnce) {
      unavailableOnce = false;
      await route.fulfill({
        status: 503,
        headers: { "Retry-After": "1" },
        json: { error: { code: "AI_UNAVAILABLE", message: "The AI service is temporarily unavailable.", request_id: "r" } },
      });
      return;
    }
    await route.fallback();
  });
  let dropFirst = true;
  await page.routeWebSocket(/\/api\/v1\/realtime\//, (ws) => {
    const url = new URL(ws.url());
    log.sockets.push({ ticket: url.searchParams.get("ticket"), search: url.search });
    ws.send(JSON.stringify({ type: "interview.state", question_number: 1, total_questions: 4, current_difficulty: "warmup", questions_asked: 1 }));
    ws.onMessage((raw) => {
      const ev = JSON.parse(String(raw));
      log.events.push(ev.type);
      if (ev.type === "input_audio_buffer.append") {
        log.appendCount++;
        log.appendBytes += Buffer.from(ev.audio, "base64").length;
      } else if (ev.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      } else if (ev.type === "input_audio_buffer.commit") {
        ws.send(JSON.stringify({ type: "response.created" }));
        ws.send(JSON.stringify({ type: "response.output_audio_transcript.delta", delta: "Tell me about " }));
        ws.send(JSON.stringify({ type: "response.output_audio.delta", delta: Buffer.alloc(4800).toString("base64") }));
        ws.send(JSON.stringify({ type: "response.output_audio_transcript.delta", delta: "closures." }));
        ws.send(JSON.stringify({ type: "response.done" }));
        if (dropFirst) {
          dropFirst = false;
          setTimeout(() => ws.close({ code: 4001, reason: "test drop" }), 300);
        }
      }
    });
  });

  await register(page, base, "Dorothy Vaughan");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/#\/dashboard$/);
  const id = await startInterview(page, "react");
  await page.getByRole("button", { name: "Start check" }).click();
  await page.locator("#cam-status", { hasText: "Camera working" }).waitFor();
  await page.getByLabel(/Record video of my interview/).check();
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.waitForURL(new RegExp(`#/interview/${id}$`));
  await page.locator("#transcript li.ai_question").first().waitFor();

  // A text answer whose first attempt meets 503 AI_UNAVAILABLE: retried with the same key.
  await page.getByLabel("Your answer").fill("Hooks let function components hold state with useState and run effects with useEffect.");
  await page.getByRole("button", { name: "Send answer" }).click();
  await page.locator("#notices", { hasText: "temporarily unavailable" }).waitFor();
  check(await page.locator("#thinking").isVisible(), "the thinking indicator shows while the turn is pending");
  await page.locator("#transcript li.ai_question").nth(1).waitFor();
  check(answerKeys.length === 2 && answerKeys[0] && answerKeys[0] === answerKeys[1], `the retry reuses the Idempotency-Key (${answerKeys})`);
  check((await page.locator("#transcript li.candidate_response").count()) === 1, "the answer is not duplicated");
  check(await page.locator("#notices").textContent() === "", "the notice clears after the retry");

  // Voice: connect, hold Space on the button for ~1.5 s, release.
  await page.getByRole("button", { name: "Use voice mode" }).click();
  await page.locator("#voice-status", { hasText: "connected" }).waitFor();
  check(log.sockets[0].ticket === "ticket-1", "the socket carries the ticket");
  check(!/token|bearer|eyJ/i.test(log.sockets[0].search), "no token in the socket URL");
  check(log.authHeaders[0].startsWith("Bearer "), "the ticket request is authenticated by header");
  const hold = page.getByRole("button", { name: "Hold to speak" });
  await hold.focus();
  await page.keyboard.down("Space");
  await page.waitForFunction(() => document.getElementById("hold-to-speak").getAttribute("aria-pressed") === "true");
  // The microphone pipeline starts on the press; on a loaded machine its first frame can take a
  // while. The rate is measured from the first frame on.
  for (const deadline = Date.now() + 15_000; log.appendCount === 0 && Date.now() < deadline;) {
    await page.waitForTimeout(50);
  }
  check(log.appendCount > 0, "audio frames start while the key is held");
  const bytesBefore = log.appendBytes;
  const t0 = Date.now();
  await page.waitForTimeout(1500);
  await page.keyboard.up("Space");
  const held = (Date.now() - t0) / 1000;
  await page.locator("#captions", { hasText: "Tell me about closures." }).waitFor();
  check(log.events.includes("input_audio_buffer.commit"), "release commits the audio buffer");
  check(log.appendCount >= 5, `audio is streamed in frames (${log.appendCount})`);
  check(log.appendBytes % 2 === 0, "PCM16 frames have an even byte count");
  const rate = (log.appendBytes - bytesBefore) / 2 / held;
  check(rate > 24000 * 0.6 && rate < 24000 * 1.25, `captured at ~24 kHz (${Math.round(rate)} samples/s over ${held} s)`);
  console.log(`voice: ${log.appendCount} frames, ${log.appendBytes} bytes in ${held} s = ${Math.round(rate)} samples/s`);
  check(!log.events.some((t) => t === "session.update" || t === "response.create"), "the client never sends forbidden events");

  // The mock drops the socket (4001): the client reconnects with a fresh ticket.
  const deadline = Date.now() + 10_000;
  while (log.sockets.length < 2 && Date.now() < deadline) await page.waitForTimeout(200);
  check(log.sockets.length === 2, `reconnected after the drop (${log.sockets.length} sockets)`);
  check(log.sockets[1].ticket === "ticket-2", "the reconnect uses a new ticket");
  await page.locator("#voice-status", { hasText: "connected" }).waitFor();

  // Video: record a few seconds, finish the interview, upload (one dropped attempt), finalize.
  await page.getByRole("button", { name: "Start recording" }).click();
  await page.locator("#video-status", { hasText: "Recording" }).waitFor();
  await page.waitForTimeout(3000);
  await page.getByRole("button", { name: "Finish interview" }).click();
  await page.getByRole("button", { name: "Yes, finish" }).click();
  await page.locator("#results-link").waitFor();
  await page.locator("#video-status", { hasText: "Video uploaded." }).waitFor({ timeout: 60_000 });
  check(log.chunks.length === 1, `one chunk stored after the retry (${log.chunks.length})`);
  check(log.statusCalls >= 1, "the retry asked /upload-status first");
  check(log.finalized === 1, "finalized once");
  const body = log.chunks[0];
  check(body.includes(Buffer.from('name="total_chunks"')) && body.includes(Buffer.from('name="video_chunk"')), "multipart fields");
  check(body.includes(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])), "the chunk is a WebM recording (EBML header)");
  check(body.length > 10_000, `the recording has data (${body.length} bytes)`);
  check((await page.locator("#video-progress").evaluate((p) => p.value)) === 1, "the progress bar is full");
  console.log(`video: ${body.length} bytes uploaded in one chunk after one dropped attempt`);
  await page.context().close();
});
