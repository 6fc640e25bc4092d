// A V8 CPU profile of a running `wrangler dev` through its inspector (scripts/profile).
//   node scripts/cpu_profile.mjs INSPECTOR_PORT OUT.cpuprofile SECONDS
// Samples every 100 µs for SECONDS, then writes the profile (Chrome DevTools' format; open it in
// DevTools' Performance panel, or summarise it with scripts/cpu_profile_summary.py).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(path.join(process.cwd(), "package.json"));
const WebSocket = require("ws");
const [port, out, seconds] = process.argv.slice(2);
const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
if (!targets.length) throw new Error("no inspector target");
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
let next = 0;
const pending = new Map();
const send = (method, params = {}) =>
  new Promise((resolve) => {
    const id = ++next;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
ws.on("message", (data) => {
  const message = JSON.parse(data);
  if (message.id && pending.has(message.id)) {
    pending.get(message.id)(message);
    pending.delete(message.id);
  }
});
await new Promise((resolve) => ws.on("open", resolve));
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
console.error(`profiling ${targets[0].title} for ${seconds} s`);
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
const { result } = await send("Profiler.stop");
fs.writeFileSync(out, JSON.stringify(result.profile));
console.error(`wrote ${out}`);
process.exit(0);
