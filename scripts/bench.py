#!/usr/bin/env python3
"""Benchmarks the service under `wrangler dev` (release build, loopback only, bounded counts).

Started by `scripts/bench`, which builds the Worker first. Writes docs/benchmarks/results.json,
docs/benchmarks/results.md and docs/benchmarks/turn_latency.svg.

Measures (medians and tails; the machine is shared and noisy, so compare ratios within a run):
  1. a text turn with the built-in interviewer vs GET /health on the same server;
  2. a turn with a fake model answering after a fixed latency L (300 ms, 1000 ms): turn / L;
  3. throughput and latency with 1, 10 and 50 interviews answering concurrently;
  4. login (one PBKDF2 derivation) vs GET /auth/me;
  5. wasm size (raw, gzip) and cold start (process start to the first 200).
"""
import concurrent.futures as cf
import gzip
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "benchmarks")
PASSWORD = "Bench-Password-1"
QUICK = os.environ.get("BENCH_QUICK") == "1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Wrangler:
    """One `wrangler dev` on a free port with a fresh state directory."""

    def __init__(self, extra_vars=()):
        self.port = free_port()
        self.state = tempfile.mkdtemp(prefix="bench-state-")
        env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false",
                   SKIP_WASM_BUILD="1", PATH=os.path.join(ROOT, "node_modules", ".bin") + ":" + os.environ["PATH"])
        self.env = env
        subprocess.run(["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", self.state],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        args = ["wrangler", "dev", "--local", "--ip", "127.0.0.1", "--port", str(self.port), "--inspector-port", "0",
                "--persist-to", self.state, "--show-interactive-dev-session=false",
                "--var", "JWT_SECRET:bench-secret-0123456789abcdef0123456789abcdef",
                "--var", "AUTH_IP_RATE_PER_MINUTE:1000000", "--var", "STARTS_PER_HOUR:1000000",
                "--var", "ANSWER_RATE_BURST:1000000", "--var", "ANSWER_RATE_PER_MINUTE:1000000"]
        for k, v in extra_vars:
            args += ["--var", f"{k}:{v}"]
        self.started = time.perf_counter()
        self.log_path = os.path.join(self.state, "wrangler.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if call("GET", self.base + "/health")[1] == 200:
                    self.cold_start_s = time.perf_counter() - self.started
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("wrangler dev did not become ready")

    def events(self, name):
        """The service's own JSON log lines with `"event": name`."""
        self.log.flush()
        out = []
        with open(self.log_path) as f:
            for line in f:
                start = line.find("{")
                if start < 0 or '"event"' not in line:
                    continue
                try:
                    v = json.loads(line[start:])
                except ValueError:
                    continue
                if v.get("event") == name:
                    out.append(v)
        return out

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["rm", "-rf", self.state])


def call(method, url, body=None, token=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    req.add_header("CF-Connecting-IP", "198.51.100.%d" % (uuid.uuid4().int % 250))
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload, status = resp.read(), resp.status
    except urllib.error.HTTPError as e:
        payload, status = e.read(), e.code
    return (time.perf_counter() - start) * 1000, status, payload


def summary(samples):
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(round(q * (len(s) - 1))))]
    return {"n": len(s), "median_ms": round(statistics.median(s), 2), "p95_ms": round(pick(0.95), 2),
            "p99_ms": round(pick(0.99), 2), "max_ms": round(s[-1], 2)}


def register(base):
    email = "bench-%s@example.com" % uuid.uuid4().hex
    _, status, payload = call("POST", base + "/api/v1/auth/register",
                              {"email": email, "password": PASSWORD, "full_name": "Bench Candidate"})
    assert status == 201, (status, payload)
    return email, json.loads(payload)["token"]


ANSWER = ("I would keep the state local and lift it only when siblings need it, because shared state "
          "couples components; for example a form keeps its input state and passes values up on submit.")


def run_interview(base, token, role="react", max_turns=25):
    """Runs one interview to completion; returns the turn latencies (ms)."""
    _, status, payload = call("POST", base + "/api/v1/interviews/start", {"role_type": role}, token)
    assert status == 201, (status, payload)
    iid = json.loads(payload)["id"]
    latencies = []
    for turn in range(max_turns):
        ms, status, payload = call("POST", f"{base}/api/v1/interviews/{iid}/messages",
                                   {"message_text": f"{ANSWER} ({turn})"}, token)
        assert status == 200, (status, payload)
        latencies.append(ms)
        if json.loads(payload)["interview_complete"]:
            break
    return latencies


class FakeModel(BaseHTTPRequestHandler):
    """A chat-completions endpoint answering a valid structured turn after `latency_s`."""
    latency_s = 0.3
    calls = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        FakeModel.calls += 1
        time.sleep(FakeModel.latency_s)
        content = {
            "evaluation": {"answer_quality": "good", "technical_accuracy": 0.7, "explanation_clarity": 0.7,
                           "identified_skills": ["state"], "missed_concepts": []},
            "next_questions": {"probe": "Could you go deeper on that?", "easier": "What is a prop?",
                               "same": "How do you share state between siblings?",
                               "harder": "How would you avoid tearing with an external store?"},
        }
        body = json.dumps({
            "id": "chatcmpl-bench", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(content), "refusal": None}}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 120, "total_tokens": 1020},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def bench_builtin(results):
    server = Wrangler()
    try:
        results["cold_start_s"] = round(server.cold_start_s, 2)
        health = [call("GET", server.base + "/health")[0] for _ in range(50 if QUICK else 200)]
        _, token = register(server.base)
        turns = []
        for _ in range(2 if QUICK else 8):
            turns += run_interview(server.base, token)
        time.sleep(0.5)
        # Server-side time of the same turns: the Worker's request log (auth + DO round trip) and
        # the interview DO's own time for the turn (evaluation, engine, storage writes).
        worker_ms = [e["duration_ms"] for e in server.events("request")
                     if e.get("route") == "/api/v1/interviews/{id}/messages" and e.get("status") == 200]
        do_ms = [e["server_ms"] for e in server.events("turn")]
        results["turn_builtin_worker_ms"] = summary(worker_ms)
        results["turn_builtin_do_ms"] = summary(do_ms)
        h, t = summary(health), summary(turns)
        results["health"] = h
        results["turn_builtin"] = t
        results["turn_builtin_over_health_median"] = round(t["median_ms"] / h["median_ms"], 2)

        # Login (one PBKDF2) vs /auth/me.
        email, token = register(server.base)
        me = [call("GET", server.base + "/api/v1/auth/me", token=token)[0] for _ in range(20 if QUICK else 60)]
        login = [call("POST", server.base + "/api/v1/auth/login", {"email": email, "password": PASSWORD})[0]
                 for _ in range(20 if QUICK else 60)]
        results["auth_me"], results["login"] = summary(me), summary(login)
        results["kdf_ms_estimate"] = round(results["login"]["median_ms"] - results["auth_me"]["median_ms"], 1)

        # Concurrency: N interviews answering at once.
        results["concurrency"] = []
        for n in ([1, 10] if QUICK else [1, 10, 50]):
            tokens = [register(server.base)[1] for _ in range(n)]
            started = time.perf_counter()
            with cf.ThreadPoolExecutor(max_workers=n) as pool:
                per = list(pool.map(lambda tok: run_interview(server.base, tok), tokens))
            wall = time.perf_counter() - started
            lat = [x for xs in per for x in xs]
            results["concurrency"].append(dict(concurrent_interviews=n, turns=len(lat),
                                               turns_per_s=round(len(lat) / wall, 1), **summary(lat)))
    finally:
        server.stop()


def bench_model(results):
    results["turn_model"] = []
    for latency in (0.3, 1.0):
        FakeModel.latency_s, FakeModel.calls = latency, 0
        fake = ThreadingHTTPServer(("127.0.0.1", 0), FakeModel)
        threading.Thread(target=fake.serve_forever, daemon=True).start()
        server = Wrangler([("OPENAI_API_KEY", "sk-bench"),
                           ("OPENAI_BASE_URL", f"http://127.0.0.1:{fake.server_address[1]}/v1")])
        try:
            _, token = register(server.base)
            turns = []
            for _ in range(1 if QUICK else 2):
                turns += run_interview(server.base, token)
            s = summary(turns)
            s.update(model_latency_ms=latency * 1000, model_calls=FakeModel.calls,
                     median_over_model_latency=round(s["median_ms"] / (latency * 1000), 3),
                     p95_over_model_latency=round(s["p95_ms"] / (latency * 1000), 3))
            results["turn_model"].append(s)
        finally:
            server.stop()
            fake.shutdown()


def sizes(results):
    wasm = os.path.join(ROOT, "build", "index_bg.wasm")
    raw = open(wasm, "rb").read()
    results["wasm_bytes"] = len(raw)
    results["wasm_gzip_bytes"] = len(gzip.compress(raw, 9))


def svg_chart(results):
    rows = [("GET /health", results["health"]), ("turn, built-in", results["turn_builtin"])]
    rows += [(f"turn, model {int(m['model_latency_ms'])} ms", m) for m in results.get("turn_model", [])]
    width, bar_h, left = 640, 22, 170
    top = max(r[1]["p99_ms"] for r in rows) or 1
    scale = (width - left - 60) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{len(rows) * 3 * bar_h + 40}" '
             'font-family="sans-serif" font-size="12">',
             '<text x="10" y="18" font-weight="bold">Latency per request (ms): median, p95, p99</text>']
    y = 34
    for label, s in rows:
        parts.append(f'<text x="10" y="{y + 15}">{label}</text>')
        for key, color in (("median_ms", "#2b6cb0"), ("p95_ms", "#90cdf4"), ("p99_ms", "#cbd5e0")):
            w = max(1, s[key] * scale)
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 6}" fill="{color}"/>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 12}">{s[key]}</text>')
            y += bar_h - 4
        y += 12
    parts.append("</svg>")
    return "\n".join(parts)


def markdown(results):
    m = results["machine"]
    lines = [f"# Benchmarks ({results['date']})", "",
             f"Machine: {m['cpus']} cores, {m['system']}; `wrangler dev` (workerd + Miniflare, local D1/R2/DO), "
             "release build, loopback. Shared and noisy: compare ratios within one run, not across runs.", "",
             "| measurement | n | median ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
    row = lambda name, s: f"| {name} | {s['n']} | {s['median_ms']} | {s['p95_ms']} | {s['p99_ms']} |"
    lines.append(row("GET /health", results["health"]))
    lines.append(row("text turn, built-in interviewer (client round trip)", results["turn_builtin"]))
    lines.append(row("… the same turns, Worker time (request log)", results["turn_builtin_worker_ms"]))
    lines.append(row("… the same turns, interview DO time (engine + storage)", results["turn_builtin_do_ms"]))
    for m_ in results.get("turn_model", []):
        lines.append(row(f"text turn, fake model at {int(m_['model_latency_ms'])} ms", m_))
    lines.append(row("GET /auth/me", results["auth_me"]))
    lines.append(row("POST /auth/login (PBKDF2 100k)", results["login"]))
    lines += ["", f"- Built-in turn / health (medians): **{results['turn_builtin_over_health_median']}**",
              f"- Login KDF cost (login − me, medians): **{results['kdf_ms_estimate']} ms**"]
    for m_ in results.get("turn_model", []):
        lines.append(f"- Turn / model latency at {int(m_['model_latency_ms'])} ms: median "
                     f"**{m_['median_over_model_latency']}**, p95 {m_['p95_over_model_latency']} "
                     f"({m_['model_calls']} model calls for {m_['n']} turns)")
    lines += ["", "| concurrent interviews | turns | turns/s | median ms | p95 ms | p99 ms |", "|---|---|---|---|---|---|"]
    for c in results["concurrency"]:
        lines.append(f"| {c['concurrent_interviews']} | {c['turns']} | {c['turns_per_s']} | {c['median_ms']} | "
                     f"{c['p95_ms']} | {c['p99_ms']} |")
    lines += ["", f"- wasm: {results['wasm_bytes']} bytes raw, {results['wasm_gzip_bytes']} gzip",
              f"- cold start (wrangler dev process start to first 200): {results['cold_start_s']} s", "",
              "![latency](turn_latency.svg)", ""]
    return "\n".join(lines)


def main():
    os.makedirs(OUT, exist_ok=True)
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "machine": {"cpus": os.cpu_count(), "system": f"{platform.system()} {platform.machine()}"}}
    sizes(results)
    bench_builtin(results)
    bench_model(results)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(OUT, "turn_latency.svg"), "w") as f:
        f.write(svg_chart(results))
    md = markdown(results)
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    sys.exit(main())
