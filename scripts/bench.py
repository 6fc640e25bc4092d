#!/usr/bin/env python3
"""Benchmarks the service under `wrangler dev` (release build, loopback only, bounded counts).

Started by `scripts/bench`, which builds the Worker first. Writes docs/benchmarks/results.json,
docs/benchmarks/results.md and docs/benchmarks/turn_latency.svg, and rewrites the summary between
the `<!-- bench-summary:begin … -->` and `<!-- bench-summary:end -->` markers of
docs/benchmarks.md (`scripts/bench.py --summary` does only that, from the committed results).

Measures (medians and tails; the machine is shared and noisy, so compare ratios within a run):
  1. a text turn with the built-in interviewer vs GET /health on the same server;
  2. a turn with a fake model answering after a fixed latency L (300 ms, 1000 ms): turn / L;
  3. throughput and latency with 1, 10, 50 and 200 interviews answering concurrently;
  4. login (one PBKDF2 derivation) vs GET /auth/me;
  5. assessment generation: the completing turn's response to GET …/assessment answering 200;
  6. the realtime relay (tests/relay_bench.rs, run with cargo test against its own wrangler dev
     and the fake OpenAI Realtime upstream): added latency per event vs a direct connection, and
     sustained concurrent voice sessions at 24 kHz PCM16 both ways with no dropped frames;
  7. wasm size (raw, gzip) and cold start (process start to the first 200).

BENCH_QUICK=1: fewer samples and shorter runs. BENCH_CONCURRENCY=1,10,50,200 overrides the
concurrency levels; BENCH_VOICE_LEVELS=1,5,10,25 the voice session counts. The throughput runs
also report the CPU time of workerd and of this process (the load generator) from /proc.

`scripts/bench.py --compare DIR SHORTREV` (started by `scripts/bench --compare REV`, which checks
out and builds REV in DIR) measures instead this checkout's build and DIR's build in one run: 1, 3,
5 (/health and built-in turns, turn/health, throughput with CPU, assessment-ready time, cold start)
and 7 (wasm sizes), in alternating rounds with one wrangler dev at a time, and writes
docs/benchmarks/compare-SHORTREV.{md,json} with the ratio current / baseline and a verdict per
figure (noise bands in NOISE_BANDS). BENCH_ROUNDS overrides the rounds (3 quick, 4 full).
`scripts/bench.py --compare-markdown SHORTREV` rewrites that .md from the .json.
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


# wrangler's local trace collection (on by default since wrangler 4.118: every invocation streamed
# into a SQLite-backed trace-store Durable Object for the Local Explorer) is dev-only work on every
# request; the bench turns it off as the test harness does. BENCH_LOCAL_OBSERVABILITY=true keeps
# it on (wrangler's default), to measure what it costs.
LOCAL_OBSERVABILITY = os.environ.get("BENCH_LOCAL_OBSERVABILITY", "false")


class Wrangler:
    """One `wrangler dev` on a free port with a fresh state directory. `extra_vars` are passed as
    `--var NAME:VALUE`, `extra_env` added to its environment (e.g. the Hyperdrive binding's local
    connection string, scripts/bench_db.py)."""

    def __init__(self, extra_vars=(), root=ROOT, observability=None, extra_env=None):
        self.root = root
        self.port = free_port()
        self.state = tempfile.mkdtemp(prefix="bench-state-")
        env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false",
                   X_LOCAL_OBSERVABILITY=observability or LOCAL_OBSERVABILITY,
                   SKIP_WASM_BUILD="1", PATH=os.path.join(root, "node_modules", ".bin") + ":" + os.environ["PATH"],
                   **(extra_env or {}))
        self.env = env
        subprocess.run(["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", self.state],
                       cwd=root, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        args = ["wrangler", "dev", "--local", "--ip", "127.0.0.1", "--port", str(self.port), "--inspector-port", "0",
                "--persist-to", self.state, "--show-interactive-dev-session=false",
                "--var", "JWT_SECRET:bench-secret-0123456789abcdef0123456789abcdef",
                "--var", "AUTH_IP_RATE_PER_MINUTE:1000000", "--var", "STARTS_PER_HOUR:1000000",
                "--var", "ANSWER_RATE_BURST:1000000", "--var", "ANSWER_RATE_PER_MINUTE:1000000",
                "--var", "EMAIL_VERIFICATION:off"]
        for k, v in extra_vars:
            args += ["--var", f"{k}:{v}"]
        self.started = time.perf_counter()
        self.log_path = os.path.join(self.state, "wrangler.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
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

    def log_events(self):
        """Every one of the service's own JSON log lines (those with an `"event"`), in order."""
        self.log.flush()
        out = []
        with open(self.log_path) as f:
            for line in f:
                start = line.find("{")
                if start < 0 or '"event"' not in line:
                    continue
                try:
                    out.append(json.loads(line[start:]))
                except ValueError:
                    continue
        return out

    def events(self, name):
        """The service's own JSON log lines with `"event": name`."""
        return [v for v in self.log_events() if v.get("event") == name]

    def pids(self):
        """The server's processes: the process group `wrangler dev` leads (node, workerd, esbuild)."""
        return [pid for pid, stat in proc_stats() if stat[2] == str(self.proc.pid)]

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


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stats():
    """(pid, fields of /proc/<pid>/stat after the command name) of every process; fields[0] is the
    state, [2] the process group, [11] utime and [12] stime in clock ticks."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        out.append((int(name), stat[stat.rfind(")") + 2:].split()))
    return out


def cpu_snapshot(server):
    """CPU seconds (user + system) so far of this Python process (the load generator, all its
    threads) and of the server's process group, split by process name (`comm`)."""
    def cpu(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def comm(pid):
        try:
            with open(f"/proc/{pid}/comm") as f:
                return f.read().strip()
        except OSError:
            return "?"

    by_pid = {pid: (comm(pid), cpu(pid)) for pid in server.pids()}
    return {"loadgen": cpu(os.getpid()), "server": by_pid, "machine_busy": machine_busy_seconds()}


def machine_busy_seconds():
    """CPU seconds all processes of the machine spent busy so far (/proc/stat: all but idle and
    iowait), to tell how much of the cores other work took during a measurement."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def cpu_delta(before, after, wall, turns):
    """The CPU the load generator and the server spent between two snapshots: seconds, cores
    (seconds / wall) and server milliseconds per turn. workerd is reported apart from the rest of
    the group (wrangler's node)."""
    by_name = {}
    for pid, (name, sec) in after["server"].items():
        prev = before["server"].get(pid, (name, 0.0))[1]
        by_name[name] = by_name.get(name, 0.0) + max(0.0, sec - prev)
    workerd = sum(v for k, v in by_name.items() if k.startswith("workerd"))
    other = sum(v for k, v in by_name.items() if not k.startswith("workerd"))
    loadgen = after["loadgen"] - before["loadgen"]
    others = max(0.0, after["machine_busy"] - before["machine_busy"] - workerd - other - loadgen)
    return {"loadgen_cpu_s": round(loadgen, 2), "workerd_cpu_s": round(workerd, 2),
            "wrangler_other_cpu_s": round(other, 2), "other_processes_cpu_s": round(others, 2),
            "other_processes_cores": round(others / wall, 2) if wall else None,
            "loadgen_cores": round(loadgen / wall, 2) if wall else None,
            "workerd_cores": round(workerd / wall, 2) if wall else None,
            "workerd_cpu_ms_per_turn": round(workerd * 1000 / turns, 2) if turns else None,
            "loadgen_cpu_ms_per_turn": round(loadgen * 1000 / turns, 2) if turns else None}


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine():
    """The machine, `nproc` and the load average when measuring starts (and, from scripts/bench's
    BENCH_START_LOADAVG, when the run started, before the builds)."""
    out = {"cpus": os.cpu_count(), "nproc": len(os.sched_getaffinity(0)),
           "system": f"{platform.system()} {platform.machine()}", "load_average_at_start": load_average()}
    if os.environ.get("BENCH_START_LOADAVG"):
        out["load_average_before_builds"] = [float(x) for x in os.environ["BENCH_START_LOADAVG"].split()[:3]]
    return out


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


def run_interview(base, token, role="react", max_turns=25, info=None):
    """Runs one interview to completion (or `max_turns`); returns the turn latencies (ms). `info`,
    a dict, receives the interview id and the perf_counter() time the completing turn returned."""
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
            if info is not None:
                info.update(id=iid, completed_at=time.perf_counter())
            break
    return latencies


def assessment_wait(base, token):
    """Runs one interview to completion and polls GET /interviews/{id}/assessment every 10 ms
    until it answers 200: (ms from the completing turn's response, number of polls)."""
    info = {}
    run_interview(base, token, info=info)
    n = 0
    while True:
        _, status, payload = call("GET", f"{base}/api/v1/interviews/{info['id']}/assessment", token=token)
        n += 1
        if status == 200:
            break
        assert status == 202, (status, payload)
        assert time.perf_counter() - info["completed_at"] < 120, "assessment not ready after 120 s"
        time.sleep(0.01)
    return (time.perf_counter() - info["completed_at"]) * 1000, n


def bench_assessment(server, results):
    """Completion → assessment ready: from the completing turn's response until
    GET /interviews/{id}/assessment answers 200 (polled every 10 ms, so ±10 ms resolution)."""
    _, token = register(server.base)
    waits, polls = [], []
    for _ in range(3 if QUICK else 10):
        wait, n = assessment_wait(server.base, token)
        waits.append(wait)
        polls.append(n)
    results["assessment_ready"] = dict(summary(waits), polls_median=statistics.median(polls))


def levels(name, default):
    raw = os.environ.get(name)
    return [int(x) for x in raw.split(",") if x.strip()] if raw else default


LOADGEN = os.path.join(ROOT, "target", "loadgen", "examples", "loadgen")


def build_loadgen():
    """Builds the Rust load generator (examples/loadgen.rs) once per run, with the `loadgen`
    profile (optimised; not the wasm's size settings)."""
    subprocess.run(["cargo", "build", "--quiet", "--profile", "loadgen", "--example", "loadgen"], cwd=ROOT,
                   check=True)
    return LOADGEN


def run_concurrent(server, n, turns=None):
    """n interviews answering at once, driven by the Rust load generator (examples/loadgen.rs: one
    tokio thread, keep-alive connections); failures are counted, not raised. It registers the
    candidates first (not timed), then reads its own CPU time (/proc/self/stat, as getrusage) and
    that of the server's process group (/proc/<pid>/stat: workerd apart from wrangler's node) and
    the machine's busy time before and after the answering phase. BENCH_LOADGEN=python uses the
    former Python generator instead (a thread per interview, a connection per request)."""
    turns = turns or (5 if QUICK else 25)
    if os.environ.get("BENCH_LOADGEN") == "python":
        return run_concurrent_python(server, n, turns)
    out = subprocess.run([LOADGEN, "--base", server.base, "--concurrency", str(n), "--turns", str(turns),
                          "--server-pgid", str(server.proc.pid)], check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout)


def run_concurrent_python(server, n, turns):
    """n interviews answering at once (one thread each); failures are counted, not raised. The CPU
    time of this process (the load generator) and of the server's processes is read from /proc
    before and after the answering phase (registration excluded)."""
    base = server.base
    tokens = []
    with cf.ThreadPoolExecutor(max_workers=min(n, 32)) as pool:
        tokens = [tok for _, tok in pool.map(lambda _: register(base), range(n))]
    errors = []

    def one(tok):
        try:
            return run_interview(base, tok, max_turns=turns)
        except (AssertionError, OSError) as e:
            errors.append(repr(e)[:200])
            return []

    cpu0 = cpu_snapshot(server)
    started = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=n) as pool:
        per = list(pool.map(one, tokens))
    wall = time.perf_counter() - started
    cpu1 = cpu_snapshot(server)
    lat = [x for xs in per for x in xs]
    row = dict(concurrent_interviews=n, turns=len(lat), turns_per_s=round(len(lat) / wall, 1),
               wall_s=round(wall, 2), failed_interviews=len(errors), **summary(lat or [0.0]),
               **cpu_delta(cpu0, cpu1, wall, len(lat)))
    row["latencies_ms"] = lat
    row["load_generator"] = "scripts/bench.py (Python threads)"
    if errors:
        row["first_errors"] = errors[:3]
    return row


class FakeModel(BaseHTTPRequestHandler):
    """A chat-completions endpoint answering a valid structured turn after `latency_s`: HTTP/1.1
    with keep-alive, TCP_NODELAY on the accepted socket, and the status line, headers and body in
    one write, so the fake adds no Nagle/delayed-ACK stall to the turn it is timed against."""
    latency_s = 0.3
    calls = 0
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

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
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: keep-alive\r\n\r\n").encode()
        self.wfile.write(head + body)
        self.wfile.flush()


def turn_stages(server):
    """The Worker's time per built-in turn by stage, from the `timing` log lines (BENCH_TIMINGS):
    each stage's milliseconds (the Worker's clock, which advances at I/O, so CPU work shows in the
    stage whose I/O follows it): `auth` = the token check and the one D1 read of the account and
    revocation; `body` = reading and validating the answer; `interview_do` = the Durable Object's
    round trip (its own time included); `after` = from its answer to the end (headers, log)."""
    out = {}
    lines = [e for e in server.events("timing")
             if e.get("route") == "/api/v1/interviews/{id}/messages" and e.get("status") == 200]
    totals = {e["request_id"]: e["duration_ms"] for e in server.events("request") if "request_id" in e}
    for e in lines:
        st = e.get("stages", {})
        if not all(k in st for k in ("auth", "body", "interview_do")):
            continue
        parts = {"auth": st["auth"], "body": st["body"] - st["auth"], "interview_do": st["interview_do"] - st["body"]}
        if e.get("request_id") in totals:
            parts["after"] = totals[e["request_id"]] - st["interview_do"]
        for k, v in parts.items():
            out.setdefault(k, []).append(v)
    return {k: summary(v) for k, v in out.items()}


def bench_builtin(results):
    server = Wrangler([("BENCH_TIMINGS", "true")])
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
        results["turn_builtin_stages_ms"] = turn_stages(server)
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

        bench_assessment(server, results)

        # Concurrency: N interviews answering at once (quick mode: 5 turns per interview).
        results["concurrency"] = []
        for n in levels("BENCH_CONCURRENCY", [1, 10, 200] if QUICK else [1, 10, 50, 200]):
            row = run_concurrent(server, n)
            del row["latencies_ms"]
            results["concurrency"].append(row)
            print("concurrency", row, flush=True)
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


def bench_relay(results, voice_targets="relay"):
    """tests/relay_bench.rs (ignored by plain `cargo test`) against its own wrangler dev on the
    same build/ and the fake OpenAI Realtime upstream; its JSON lands in results["relay"]. The voice
    sessions stream through `voice_targets` only (None: every path, the bench-only controls too,
    as `scripts/bench --relay` does; BENCH_VOICE_TARGETS overrides)."""
    fd, path = tempfile.mkstemp(prefix="relay-bench-", suffix=".json")
    os.close(fd)
    os.unlink(path)
    env = dict(os.environ, BENCH_OUT=path, SKIP_WASM_BUILD="1")
    if voice_targets and "BENCH_VOICE_TARGETS" not in env:
        env["BENCH_VOICE_TARGETS"] = voice_targets
    proc = subprocess.run(["cargo", "test", "--test", "relay_bench", "--", "--ignored", "--nocapture",
                           "--test-threads=1"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    print(proc.stdout[-4000:], flush=True)
    relay = {}
    if os.path.exists(path):
        with open(path) as f:
            relay = json.load(f)
        os.unlink(path)
    relay["passed"] = proc.returncode == 0
    results["relay"] = relay


def sizes(results, root=ROOT):
    wasm = os.path.join(root, "build", "index_bg.wasm")
    raw = open(wasm, "rb").read()
    results["wasm_bytes"] = len(raw)
    results["wasm_gzip_bytes"] = len(gzip.compress(raw, 9))


def svg_chart(results):
    rows = [("GET /health", results["health"]), ("turn, built-in", results["turn_builtin"])]
    rows += [(f"turn, model {int(m['model_latency_ms'])} ms", m) for m in results.get("turn_model", [])]
    lat = results.get("relay", {}).get("relay_latency")
    if lat:
        rows += [("relay event, direct", lat["direct"]), ("relay event, via Worker", lat["relay"])]
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
             "release build, loopback. Shared and noisy: compare ratios within one run, not across runs."
             + (f" Load average at the start: {' / '.join(str(x) for x in m['load_average_at_start'])}."
                if m.get("load_average_at_start") else ""), "",
             "| measurement | n | median ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
    row = lambda name, s: f"| {name} | {s['n']} | {s['median_ms']} | {s['p95_ms']} | {s['p99_ms']} |"
    lines.append(row("GET /health", results["health"]))
    lines.append(row("text turn, built-in interviewer (client round trip)", results["turn_builtin"]))
    lines.append(row("… the same turns, Worker time (request log)", results["turn_builtin_worker_ms"]))
    lines.append(row("… the same turns, interview DO time (engine + storage)", results["turn_builtin_do_ms"]))
    names = {"auth": "… Worker stage: auth (the token verified; its account is checked in the object, decision 0014)", "body": "… Worker stage: body read and validated",
             "interview_do": "… Worker stage: Durable Object round trip", "after": "… Worker stage: response and log"}
    for k, s_ in results.get("turn_builtin_stages_ms", {}).items():
        lines.append(row(names.get(k, k), s_))
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
    if "assessment_ready" in results:
        lines.append(f"- Assessment ready after completion (built-in, n={results['assessment_ready']['n']}): "
                     f"median **{results['assessment_ready']['median_ms']} ms**, "
                     f"p95 {results['assessment_ready']['p95_ms']} ms (10 ms polling)")
    lines += ["", "| concurrent interviews | turns | turns/s | median ms | p95 ms | p99 ms | failed interviews "
              "| workerd CPU s (cores) | load generator CPU s (cores) | workerd CPU ms / turn | other processes' cores |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    cpu = lambda c, k: f"{c[k + '_cpu_s']} ({c[k + '_cores']})" if k + "_cpu_s" in c else "-"
    for c in results["concurrency"]:
        lines.append(f"| {c['concurrent_interviews']} | {c['turns']} | {c['turns_per_s']} | {c['median_ms']} | "
                     f"{c['p95_ms']} | {c['p99_ms']} | {c.get('failed_interviews', 0)} | {cpu(c, 'workerd')} | "
                     f"{cpu(c, 'loadgen')} | {c.get('workerd_cpu_ms_per_turn', '-')} | "
                     f"{c.get('other_processes_cores', '-')} |")
    gens = sorted({c.get("load_generator", "scripts/bench.py (Python threads)") for c in results["concurrency"]})
    lines += ["", "- CPU: user + system time from `/proc/<pid>/stat` before and after the answering phase of each "
              "level, of workerd (the server's process group) and of the load generator itself ("
              + ", ".join(f"`{g}`" for g in gens) + "); cores = CPU seconds / wall seconds. Both share the same "
              "cores, so a load generator near one core limits the throughput it can measure. Other processes' "
              "cores: the machine's busy time (`/proc/stat`) minus these, i.e. the neighbours' load."]
    lines += relay_markdown(results.get("relay", {}))
    lines += ["", f"- wasm: {results['wasm_bytes']} bytes raw, {results['wasm_gzip_bytes']} gzip",
              f"- cold start (wrangler dev process start to first 200): {results['cold_start_s']} s", "",
              "![latency](turn_latency.svg)", ""]
    return "\n".join(lines)


def relay_markdown(relay):
    if not relay:
        return []
    lines = ["", "Realtime relay (`tests/relay_bench.rs`, fake OpenAI Realtime upstream on loopback)"
             + ("" if relay.get("passed") else " — **the relay benchmark failed; see its output**") + ":"]
    lat = relay.get("relay_latency")
    if lat:
        row = lambda name, s: f"| {name} | {s['n']} | {s['median_ms']} | {s['p95_ms']} | {s['p99_ms']} |"
        lines += ["", "| append → echo event (20 ms PCM16) | n | median ms | p95 ms | p99 ms |", "|---|---|---|---|---|",
                  row("direct to the fake upstream", lat["direct"]), row("through the Worker's socket", lat["relay"]),
                  row("… paired difference (relay − direct)", lat["paired_difference"]), "",
                  f"- Added by the relay: **{lat['added_median_ms']} ms** median, {lat['added_p99_ms']} ms p99 "
                  f"({lat['round_trips']} round trips each, alternating); against the bench-only controls "
                  "(plain Worker, DO floor): [relay-floor.md](relay-floor.md), `scripts/bench --relay`"]
    voice = relay.get("voice_sessions")
    if voice:
        lines += ["", "| voice sessions (24 kHz PCM16, 20 ms frames, both ways) | s | frames sent | received | "
                  "dropped | upstream bytes / sent | frame RTT median ms | p99 ms | last second median ms | "
                  "workerd cores | load generator cores | load average |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for v in voice:
            lines.append(f"| {v['sessions']} | {v['seconds_per_session']} | {v['frames_sent']} | "
                         f"{v['frames_received']} | {v['dropped']} | {v['bytes_appended_upstream']} / "
                         f"{v['bytes_sent']} | {v['rtt'].get('median_ms', '-')} | {v['rtt'].get('p99_ms', '-')} | "
                         f"{v.get('rtt_last_second', {}).get('median_ms', '-')} | {v.get('server_cpu_cores', '-')} | "
                         f"{v.get('clients_and_fake_cpu_cores', '-')} | "
                         f"{' → '.join(str(x) for x in v.get('load_average_before_after', []))} |")
        lines += ["", "- Frames carry their index, so a lost, duplicated or reordered frame is counted; the "
                  "upstream's byte count is the fake's. A median round trip that grows into the last second "
                  "means the relay fell behind real time (a backlog, not a loss); the load average shows "
                  "neighbours on the shared machine."]
    return lines


SUMMARY_BEGIN = "<!-- bench-summary:begin (written by scripts/bench) -->"
SUMMARY_END = "<!-- bench-summary:end -->"


def summary_markdown(r):
    """The benchmark summary of docs/benchmarks.md, from a results dict (keys a run lacks are left
    out). Its links are relative to docs/."""
    ms = lambda x: f"{round(x, 1):g} ms"
    lines = [f"One run on this {r['machine']['cpus']}-core shared machine ({r['date'][:10]}; loopback; noisy, so "
             "compare ratios within the run — full table in",
             "[`benchmarks/results.md`](benchmarks/results.md)):", "",
             "| measurement | median | p95 | p99 |", "|---|---|---|---|"]
    row = lambda name, s_: lines.append(f"| {name} | {ms(s_['median_ms'])} | {ms(s_['p95_ms'])} | {ms(s_['p99_ms'])} |")
    row("`GET /health` (D1 + R2 + DO checks)", r["health"])
    row("text turn, built-in, client round trip", r["turn_builtin"])
    row("… Worker time (auth + DO round trip)", r["turn_builtin_worker_ms"])
    row("… interview DO time (engine + storage)", r["turn_builtin_do_ms"])
    models = r.get("turn_model", [])
    if models:
        row(f"text turn with a fake model at {int(models[-1]['model_latency_ms'])} ms", models[-1])
    lat = r.get("relay", {}).get("relay_latency")
    if lat:
        row("realtime event, direct to the fake upstream", lat["direct"])
        row("… the same event through the relay", lat["relay"])
    if "assessment_ready" in r:
        row("assessment ready after the completing turn", r["assessment_ready"])
    lines.append("")
    if models:
        ratios = " and ".join(f"{m['median_over_model_latency']} at {int(m['model_latency_ms'])} ms"
                              for m in reversed(models))
        calls = sum(m["model_calls"] for m in models)
        turns = sum(m["n"] for m in models)
        lines.append(f"- One model round trip per turn: turn / model latency = **{ratios}** (medians; "
                     f"{calls} model calls for {turns} turns).")
    conc = r.get("concurrency", [])
    if conc:
        levels_ = " / ".join(str(c["concurrent_interviews"]) for c in conc)
        rates = " / ".join(f"{c['turns_per_s']:g}" for c in conc)
        medians = " / ".join(f"{c['median_ms']:.0f}" for c in conc)
        failed = sum(c.get("failed_interviews", 0) for c in conc)
        cpu = ""
        if all("workerd_cores" in c for c in conc):
            cores = lambda key: " / ".join(f"{c[key]:g}" for c in conc)
            cpu = f"; CPU cores used by workerd {cores('workerd_cores')}, by the load generator {cores('loadgen_cores')}"
        per_turn = ""
        if all(c.get("workerd_cpu_ms_per_turn") is not None for c in conc):
            ms_ = lambda key: " / ".join(f"{c.get(key) or 0:g}" for c in conc)
            per_turn = (f"; CPU ms per turn: workerd {ms_('workerd_cpu_ms_per_turn')}, load generator "
                        f"{ms_('loadgen_cpu_ms_per_turn')}")
        lines.append(f"- {levels_} concurrent interviews: {rates} turns/s (medians {medians} ms; "
                     f"{failed} failed interviews{cpu}{per_turn}): the single local workerd process shares the "
                     f"{r['machine']['cpus']} cores with the load generator.")
    if lat:
        lines.append(f"- The realtime relay adds **{lat['added_median_ms']} ms** per event (median; "
                     f"{lat['added_p99_ms']} ms at p99) over a direct connection to the upstream.")
    voice = r.get("relay", {}).get("voice_sessions")
    if voice:
        join = lambda f: " / ".join(str(f(v)) for v in voice)
        lines.append(f"- {join(lambda v: v['sessions'])} concurrent voice sessions, "
                     f"{voice[0]['seconds_per_session']} s of 24 kHz PCM16 both ways each: "
                     f"**{join(lambda v: v['dropped'])} frames dropped** of {join(lambda v: v['frames_sent'])}; "
                     f"frame round trip medians {join(lambda v: v['rtt'].get('median_ms', '-'))} ms, p99 "
                     f"{join(lambda v: v['rtt'].get('p99_ms', '-'))} ms; workerd CPU "
                     f"{join(lambda v: v.get('server_cpu_cores', '-'))} cores.")
    lines.append(f"- Login (one PBKDF2-SHA256, 100k iterations): ≈ {r['kdf_ms_estimate']:g} ms of server time.")
    lines.append(f"- Release wasm {r['wasm_bytes'] / 1e6:.2f} MB raw, {r['wasm_gzip_bytes'] // 1000} KB gzip; "
                 f"cold start (wrangler dev process start to first 200) {r['cold_start_s']:g} s.")
    return "\n".join(lines)


SUMMARY_DOC = os.path.join(ROOT, "docs", "benchmarks.md")


def update_summary(results):
    """Rewrites the summary between the markers of docs/benchmarks.md (the README links there)."""
    path = SUMMARY_DOC
    with open(path) as f:
        text = f.read()
    start, end = text.find(SUMMARY_BEGIN), text.find(SUMMARY_END)
    if start < 0 or end < start:
        print("docs/benchmarks.md has no benchmark summary markers; not updated", file=sys.stderr)
        return
    text = text[:start + len(SUMMARY_BEGIN)] + "\n" + summary_markdown(results) + "\n" + text[end:]
    with open(path, "w") as f:
        f.write(text)


# --- Comparison against a baseline build (`scripts/bench --compare REV`) -----------------------

# Noise bands: a figure whose ratio current / baseline stays within 1 ± band is "within noise".
# Medians and rates are stable on this machine within about 10 %; tails much less so.
NOISE_BANDS = {"median": 0.10, "rate": 0.10, "ratio": 0.10, "p95": 0.20, "p99": 0.25, "cold start": 0.25,
               "cpu per turn": 0.15}
ASSESSMENT_FLOOR_MS = 10.0  # the assessment poll interval: smaller differences are not measurable
WASM_BUDGET = 0.05  # issue #13: the wasm may grow by at most 5 %


def noise_labels(bands):
    names = {"median": "medians", "rate": "turns/s", "ratio": "the turn/health ratio", "p95": "p95s",
             "p99": "p99s", "cold start": "cold start", "cpu per turn": "workerd CPU per turn"}
    return [(names[k], b) for k, b in bands.items()]


def compare_settings():
    quick = QUICK
    return {
        "rounds": int(os.environ.get("BENCH_ROUNDS", "3" if quick else "4")),
        "health_requests": 50 if quick else 150,
        "interviews": 1 if quick else 3,
        "assessments": 2 if quick else 4,
        "concurrency": levels("BENCH_CONCURRENCY", [1, 10, 200] if quick else [1, 10, 50, 200]),
        # Turns per interview at each level: whole interviews (≤ 25 turns) up to 10 at once, then
        # fewer so that 200 interviews stay within a minute.
        "turns_small_levels": 25, "turns_large_levels": 5 if quick else 10,
    }


def compare_round(root, cfg):
    """One `wrangler dev` of the build at `root` (fresh state): cold start, /health, built-in turns,
    assessment-ready time and the concurrency levels. Raw samples, for pooling across rounds."""
    load = load_average()
    server = Wrangler(root=root)
    try:
        r = {"load_average_before": load, "cold_start_s": server.cold_start_s}
        for _ in range(10):  # warm-up, discarded (the first requests compile and fill caches)
            call("GET", server.base + "/health")
        r["health"] = [call("GET", server.base + "/health")[0] for _ in range(cfg["health_requests"])]
        _, token = register(server.base)
        r["turn"] = [ms for _ in range(cfg["interviews"]) for ms in run_interview(server.base, token)]
        r["assessment"] = [assessment_wait(server.base, token)[0] for _ in range(cfg["assessments"])]
        r["concurrency"] = []
        for n in cfg["concurrency"]:
            turns = cfg["turns_small_levels"] if n <= 10 else cfg["turns_large_levels"]
            r["concurrency"].append(run_concurrent(server, n, turns=turns))
        return r
    finally:
        server.stop()


def percentile(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


def level_pooled(rows):
    """One concurrency level over several rounds: turns / wall summed, latencies pooled."""
    lat = [x for r in rows for x in r["latencies_ms"]]
    turns, wall = sum(r["turns"] for r in rows), sum(r["wall_s"] for r in rows)
    cpu = lambda k: sum(r[k] for r in rows)
    return {"turns": turns, "wall_s": round(wall, 2), "turns_per_s": round(turns / wall, 1) if wall else 0.0,
            "failed_interviews": sum(r["failed_interviews"] for r in rows), **summary(lat or [0.0]),
            "loadgen_cpu_s": round(cpu("loadgen_cpu_s"), 2), "workerd_cpu_s": round(cpu("workerd_cpu_s"), 2),
            "other_processes_cores": round(cpu("other_processes_cpu_s") / wall, 2) if wall else None,
            "loadgen_cores": round(cpu("loadgen_cpu_s") / wall, 2) if wall else None,
            "workerd_cores": round(cpu("workerd_cpu_s") / wall, 2) if wall else None,
            "workerd_cpu_ms_per_turn": round(cpu("workerd_cpu_s") * 1000 / turns, 2) if turns else None,
            "loadgen_cpu_ms_per_turn": round(cpu("loadgen_cpu_s") * 1000 / turns, 2) if turns else None}


def figures(cfg):
    """(label, kind, lower_is_better, value of a list of rounds) for each compared figure; the same
    function gives the pooled value (all rounds) and the per-round values ([one round])."""
    pool = lambda key: lambda rounds: [x for r in rounds for x in r[key]]
    med = lambda key: lambda rounds: statistics.median(pool(key)(rounds))
    pct = lambda key, q: lambda rounds: percentile(pool(key)(rounds), q)
    out = [
        ("GET /health median ms", "median", True, med("health")),
        ("GET /health p95 ms", "p95", True, pct("health", 0.95)),
        ("GET /health p99 ms", "p99", True, pct("health", 0.99)),
        ("built-in text turn median ms", "median", True, med("turn")),
        ("built-in text turn p95 ms", "p95", True, pct("turn", 0.95)),
        ("built-in text turn p99 ms", "p99", True, pct("turn", 0.99)),
        ("turn / health (medians)", "ratio", True,
         lambda rounds: statistics.median(pool("turn")(rounds)) / statistics.median(pool("health")(rounds))),
        ("assessment ready median ms", "median", True, med("assessment")),
        ("cold start s (median of rounds)", "cold start", True,
         lambda rounds: statistics.median(r["cold_start_s"] for r in rounds)),
    ]
    for i, n in enumerate(cfg["concurrency"]):
        level = lambda key, i=i: lambda rounds: level_pooled([r["concurrency"][i] for r in rounds])[key]
        out += [(f"{n} concurrent: turns/s", "rate", False, level("turns_per_s")),
                (f"{n} concurrent: turn p50 ms", "median", True, level("median_ms")),
                (f"{n} concurrent: turn p99 ms", "p99", True, level("p99_ms")),
                (f"{n} concurrent: failed interviews", "count", True, level("failed_interviews")),
                (f"{n} concurrent: workerd CPU ms / turn", "cpu per turn", True, level("workerd_cpu_ms_per_turn"))]
    return out


def spread(values):
    """How far one build's per-round values differ: max / min - 1 (0 with fewer than 2 rounds)."""
    values = [v for v in values or [] if v == v]
    return max(values) / min(values) - 1 if len(values) >= 2 and min(values) > 0 else 0.0


def verdict(row):
    """The verdict of one compared figure (a row of results["figures"]):
    - within noise: current / baseline within the figure's band, and each build's rounds agree
      with each other within that band;
    - within band, noisy: the ratio is within the band but one build's rounds differ by more than
      the band, so a regression of the band's size could hide in this run;
    - better / worse: outside the band, every round of one build beyond every round of the other,
      and the difference larger than either build's own round-to-round spread (complete
      separation alone happens by chance: with 3 rounds each, 1 time in 10);
    - inconclusive (better / worse): outside the band, but not established as above."""
    kind, base, cur = row["kind"], row["baseline"], row["current"]
    lower_better = row.get("lower_is_better", kind != "rate")
    if kind == "count":
        return "within noise" if cur == base else ("better" if (cur < base) == lower_better else "worse")
    if not base or base != base or cur != cur:
        return "n/a"
    band, ratio = NOISE_BANDS[kind], cur / base
    base_rounds, cur_rounds = row.get("baseline_rounds") or [], row.get("current_rounds") or []
    noise = max(spread(base_rounds), spread(cur_rounds))
    small = row["figure"].startswith("assessment") and abs(cur - base) < ASSESSMENT_FLOOR_MS
    if abs(ratio - 1) <= band or small:
        return "within noise" if noise <= band else "within band, noisy"
    direction = "better" if (ratio < 1) == lower_better else "worse"
    if len(base_rounds) >= 2 and len(cur_rounds) >= 2:
        separated = max(base_rounds) < min(cur_rounds) or max(cur_rounds) < min(base_rounds)
        if not separated:
            return f"inconclusive ({direction}, rounds overlap)"
        if abs(ratio - 1) <= noise:
            return f"inconclusive ({direction}, within the rounds' spread)"
    return direction


def apply_verdicts(results):
    for row in results["figures"]:
        if row["kind"] != "size":
            row["verdict"] = verdict(row)


def rev_label(root, rev="HEAD"):
    out = subprocess.run(["git", "-C", root, "rev-parse", "--short=7", rev], capture_output=True, text=True)
    label = out.stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return label + ("+uncommitted" if dirty else "")


def fmt(x):
    if x is None or x != x:
        return "-"
    if isinstance(x, int):
        return str(x)
    return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}" if abs(x) < 1000 else f"{x:.0f}"


def run_compare(baseline_root, baseline_rev):
    cfg = compare_settings()
    builds = {"baseline": baseline_root, "current": ROOT}
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
               "settings": cfg, "quick": QUICK,
               "revisions": {"baseline": rev_label(baseline_root), "current": rev_label(ROOT)},
               "wasm": {}, "rounds": {"baseline": [], "current": []}, "order": []}
    print(f"machine: {results['machine']}", flush=True)
    for name, root in builds.items():
        sizes(results["wasm"].setdefault(name, {}), root)
    raw = {"baseline": [], "current": []}
    for i in range(cfg["rounds"]):
        # A B, then B A: each build runs first in half the rounds, so a drift in the machine's load
        # during the run hits both builds alike. One wrangler dev at a time.
        order = ["baseline", "current"] if i % 2 == 0 else ["current", "baseline"]
        for name in order:
            print(f"round {i + 1}/{cfg['rounds']}: {name} ({results['revisions'][name]})", flush=True)
            r = compare_round(builds[name], cfg)
            raw[name].append(r)
            results["order"].append(name)
            results["rounds"][name].append({
                "load_average_before": r["load_average_before"], "cold_start_s": round(r["cold_start_s"], 2),
                "health": summary(r["health"]), "turn": summary(r["turn"]), "assessment": summary(r["assessment"]),
                "concurrency": [{k: v for k, v in c.items() if k != "latencies_ms"} for c in r["concurrency"]]})
            print(f"  health median {statistics.median(r['health']):.1f} ms, turn median "
                  f"{statistics.median(r['turn']):.1f} ms, turns/s "
                  f"{[c['turns_per_s'] for c in r['concurrency']]}", flush=True)
    results["pooled"] = {}
    for name in builds:
        rs = raw[name]
        results["pooled"][name] = {
            "health": summary([x for r in rs for x in r["health"]]),
            "turn": summary([x for r in rs for x in r["turn"]]),
            "assessment_ready": summary([x for r in rs for x in r["assessment"]]),
            "concurrency": [dict(concurrent_interviews=n, **level_pooled([r["concurrency"][i] for r in rs]))
                            for i, n in enumerate(cfg["concurrency"])]}
    rows = []
    for label, kind, lower_better, f in figures(cfg):
        base, cur = f(raw["baseline"]), f(raw["current"])
        base_rounds = [f([r]) for r in raw["baseline"]]
        cur_rounds = [f([r]) for r in raw["current"]]
        rows.append({"figure": label, "kind": kind, "lower_is_better": lower_better, "baseline": base,
                     "current": cur, "ratio": round(cur / base, 3) if base else None,
                     "baseline_rounds": base_rounds, "current_rounds": cur_rounds})
    for key in ("wasm_bytes", "wasm_gzip_bytes"):
        base, cur = results["wasm"]["baseline"][key], results["wasm"]["current"][key]
        ratio = cur / base
        v = "better" if ratio < 1 else ("within budget (≤ +5 %)" if ratio <= 1 + WASM_BUDGET else "worse (over +5 %)")
        rows.append({"figure": key.replace("_", " "), "kind": "size", "baseline": base, "current": cur,
                     "ratio": round(ratio, 4), "verdict": v})
    results["figures"] = rows
    apply_verdicts(results)
    short = baseline_rev
    with open(os.path.join(OUT, f"compare-{short}.json"), "w") as f:
        json.dump(results, f, indent=2, default=float)
    md = compare_markdown(results, short)
    with open(os.path.join(OUT, f"compare-{short}.md"), "w") as f:
        f.write(md)
    print(md)


def compare_markdown(r, short):
    m, cfg, revs = r["machine"], r["settings"], r["revisions"]
    rounds = lambda xs: " / ".join(fmt(x) for x in xs) if xs else ""
    lines = [f"# Benchmark comparison: {revs['current']} (current) vs {revs['baseline']} (baseline)", "",
             f"Run {r['date']} by `{'BENCH_QUICK=1 ' if r['quick'] else ''}scripts/bench --compare {short}` on "
             f"{m['cpus']} cores (`nproc` {m.get('nproc', m['cpus'])}; {m['system']}), load average "
             + (f"{' / '.join(str(x) for x in m['load_average_before_builds'])} before the builds and "
                if m.get("load_average_before_builds") else "")
             + f"**{' / '.join(str(x) for x in m['load_average_at_start'])}** when measuring started (1 / 5 / 15 "
             "min; the machine is shared with other engineers' builds). Both builds are release builds of their own revision, each run "
             "under its own `wrangler dev` (workerd + Miniflare, loopback, fresh local state), **one at a time**, "
             f"in {cfg['rounds']} rounds in the order {' '.join('B' if x == 'baseline' else 'C' for x in r['order'])} "
             "(B = baseline, C = current), so a drift in the machine's load hits both alike.", "",
             f"Per round and build: {cfg['health_requests']} × `GET /health` (after 10 discarded), "
             f"{cfg['interviews']} built-in interview(s) to completion (turn latency), {cfg['assessments']} "
             f"assessment-ready waits (10 ms polling), and {', '.join(map(str, cfg['concurrency']))} interviews "
             f"answering concurrently ({cfg['turns_small_levels']} turns each up to 10 at once, "
             f"{cfg['turns_large_levels']} above). Latencies are pooled over the rounds; turns/s is all turns / "
             "all answering time; the per-round values are listed for the spread.", "",
             "**Noise** (the verdict): a figure is *within noise* when current / baseline is within "
             + ", ".join(f"±{round(b * 100)} % for {k}" for k, b in noise_labels(NOISE_BANDS))
             + f" (and the assessment wait also when the difference is under {ASSESSMENT_FLOOR_MS:g} ms, its "
             "polling resolution) **and** each build's own rounds agree within that band; *within band, noisy* "
             "when the ratio is within the band but one build's rounds differ by more (a band-sized regression "
             "could hide). Outside the band a figure is *better* or *worse* only if every round of one build is "
             "beyond every round of the other **and** the difference exceeds each build's own round-to-round "
             "spread (max / min − 1 of its rounds); otherwise *inconclusive*. Failed interviews must not "
             "increase. The wasm's budget (issue #13) is +5 %; sizes are exact.", "",
             "| figure | baseline | current | current / baseline | verdict | rounds: baseline | rounds: current |",
             "|---|---|---|---|---|---|---|"]
    for row in r["figures"]:
        lines.append(f"| {row['figure']} | {fmt(row['baseline'])} | {fmt(row['current'])} | "
                     f"{'-' if row['ratio'] is None else format(row['ratio'], '.3f')} | {row['verdict']} | "
                     f"{rounds(row.get('baseline_rounds'))} | {rounds(row.get('current_rounds'))} |")
    worse = [x["figure"] for x in r["figures"] if x["verdict"].startswith("worse")]
    unclear = [x["figure"] for x in r["figures"] if x["verdict"].startswith("inconclusive")]
    counts = {}
    for x in r["figures"]:
        key = x["verdict"].split(" (")[0]
        counts[key] = counts.get(key, 0) + 1
    lines += ["", "## Verdict", "",
              "- " + "; ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + ".",
              (f"- **Worse beyond noise:** {', '.join(worse)}." if worse else "- No figure is worse beyond noise.")]
    if unclear:
        lines.append(f"- Outside the band but not established by this run (rounds overlap, or the difference is "
                     f"within one build's own round-to-round spread): {', '.join(unclear)}.")
    noisy = [x for x in r["figures"] if x["kind"] in NOISE_BANDS
             and max(spread(x.get("baseline_rounds")), spread(x.get("current_rounds"))) > NOISE_BANDS[x["kind"]]]
    timed = [x for x in r["figures"] if x["kind"] in NOISE_BANDS]
    if noisy:
        lines.append(f"- **Too noisy to conclude for {len(noisy)} of the {len(timed)} timing figures:** one build's "
                     "rounds differ from each other by more than the figure's band (largest spread: "
                     + ", ".join(f"{x['figure']} {round(100 * max(spread(x.get('baseline_rounds')), spread(x.get('current_rounds'))))} %"
                                 for x in sorted(noisy, key=lambda x: -max(spread(x.get("baseline_rounds")),
                                                                           spread(x.get("current_rounds"))))[:3])
                     + "), so this run cannot establish \"not worse beyond noise\" for them either way; rerun with "
                     "more rounds (`BENCH_ROUNDS`), without `BENCH_QUICK`, or on a quieter machine.")
    for name in ("baseline", "current"):
        w = r["wasm"][name]
        lines.append(f"- wasm {name}: {w['wasm_bytes']} bytes raw, {w['wasm_gzip_bytes']} gzip.")
    lines += ["", "## CPU during the throughput runs", "",
              "User + system CPU from `/proc/<pid>/stat` before and after each level's answering phase: workerd "
              "(the `wrangler dev` process group's workerd) and the Python load generator itself (all its threads); "
              "cores = CPU s / wall s, pooled over the rounds. *wrangler's node*: the rest of the `wrangler dev` process "
              "group. *Other processes' cores*: the machine's busy time (`/proc/stat`) minus all these, i.e. the "
              "neighbours' load while measuring (recorded since the first comparison run).", "",
              "| concurrent | build | turns | turns/s | workerd CPU s | workerd cores | workerd ms / turn | "
              "load generator CPU s | load generator cores | load generator ms / turn | wrangler's node cores | "
              "other processes' cores |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, n in enumerate(cfg["concurrency"]):
        for name in ("baseline", "current"):
            c = r["pooled"][name]["concurrency"][i]
            rows_ = [rr["concurrency"][i] for rr in r["rounds"][name]]
            wall = sum(x["wall_s"] for x in rows_)
            cores = lambda key: (f"{sum(x[key] for x in rows_) / wall:.2f}"
                                 if wall and all(key in x for x in rows_) else "-")
            lines.append(f"| {n} | {name} | {c['turns']} | {c['turns_per_s']} | {c['workerd_cpu_s']} | "
                         f"{c['workerd_cores']} | {c['workerd_cpu_ms_per_turn']} | {c['loadgen_cpu_s']} | "
                         f"{c['loadgen_cores']} | {c['loadgen_cpu_ms_per_turn']} | {cores('wrangler_other_cpu_s')} | "
                         f"{cores('other_processes_cpu_s')} |")
    lines += ["", "Load average before each build's run: "
              + "; ".join(f"{name} " + ", ".join(" / ".join(str(x) for x in rr["load_average_before"])
                                                  for rr in r["rounds"][name]) for name in ("baseline", "current"))
              + ".", ""]
    return "\n".join(lines)


def main():
    if sys.argv[1:] in (["--summary"], ["--readme"]):
        # Rewrites the summary in docs/benchmarks.md from the committed results (no measurements);
        # `--readme` is the old name of this option.
        with open(os.path.join(OUT, "results.json")) as f:
            update_summary(json.load(f))
        return
    if sys.argv[1:2] == ["--compare-markdown"] and len(sys.argv) == 3:
        # Rewrites docs/benchmarks/compare-REV.md from its .json (no measurements).
        path = os.path.join(OUT, f"compare-{sys.argv[2]}.json")
        with open(path) as f:
            results = json.load(f)
        apply_verdicts(results)
        with open(path, "w") as f:
            json.dump(results, f, indent=2)
        md = compare_markdown(results, sys.argv[2])
        with open(os.path.join(OUT, f"compare-{sys.argv[2]}.md"), "w") as f:
            f.write(md)
        return
    os.makedirs(OUT, exist_ok=True)
    if os.environ.get("BENCH_LOADGEN") != "python":
        build_loadgen()
    if sys.argv[1:2] == ["--compare"]:
        # scripts/bench --compare REV: `--compare <baseline checkout> <short rev>`, both built.
        run_compare(os.path.abspath(sys.argv[2]), sys.argv[3])
        return
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine()}
    sizes(results)
    bench_builtin(results)
    bench_model(results)
    bench_relay(results)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(OUT, "turn_latency.svg"), "w") as f:
        f.write(svg_chart(results))
    md = markdown(results)
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(md)
    update_summary(results)
    print(md)


if __name__ == "__main__":
    sys.exit(main())
