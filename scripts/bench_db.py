#!/usr/bin/env python3
"""The recruiter routes on D1 vs Postgres in one run (issue #20), started by `scripts/bench --db`
after the `postgres`-feature build (one wasm serving both backends: `DB_BACKEND` chooses).

Starts a throwaway cluster (`scripts/pg start --dir <tmp>` + `migrate`) and two `wrangler dev`
from the same build: one on D1 (the default), one on Postgres through the `HYPERDRIVE` binding
(`--var DB_BACKEND:postgres`, the local connection string in the environment). Seeds the same
data into each through the API only (the default organization's admin from `scripts/create-admin`,
a recruiter it creates, candidates completing built-in interviews), then times, in alternating
rounds (the backend asked first alternates, so the machine's noise hits both alike):

  GET /api/v1/recruiter/interviews?limit=20                          the first page
  GET /api/v1/recruiter/interviews?status=completed&min_score=S&limit=20   a filtered page
  GET /api/v1/recruiter/interviews/{id}                              the detail (cycling the ids)

and writes docs/benchmarks/db-backends.{json,md} and the summary between the
`<!-- db-backends:begin … -->` / `<!-- db-backends:end -->` markers of docs/benchmarks.md.
Everything it started (servers, cluster) is stopped at the end. A route answering other than 200
on a backend is not timed further there: its status and the server's `error` log lines are kept.

  scripts/bench_db.py               measure (BENCH_QUICK=1: fewer interviews and samples)
  scripts/bench_db.py --markdown    rewrite db-backends.md and the summary from db-backends.json
  BENCH_DB_SAMPLES=N                samples per route and backend (300; 40 quick)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (scripts/bench.py: ROOT, OUT, Wrangler, call, summary, machine)

NAME = "db-backends"
QUICK = bench.QUICK
SAMPLES = int(os.environ.get("BENCH_DB_SAMPLES", "40" if QUICK else "300"))
CANDIDATES = 8 if QUICK else 10         # each completes INTERVIEWS_EACH interviews
INTERVIEWS_EACH = 4
IN_PROGRESS = 4                          # interviews left in progress (so the status filter filters)
TURNS = 6                                # answers before POST …/complete
WARMUP = 5                               # untimed requests per route and backend
MAX_FAILURES = 3                         # non-200 answers before a route stops being timed
SUMMARY_BEGIN = "<!-- db-backends:begin (written by scripts/bench --db) -->"
SUMMARY_END = "<!-- db-backends:end -->"
HYPERDRIVE_ENV = "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE"
ANSWER = bench.ANSWER


def api(server, method, path, body=None, token=None, ok=(200,)):
    """One request; the decoded body, or an AssertionError naming the status."""
    _, status, payload = bench.call(method, server.base + path, body, token)
    assert status in ok, f"{method} {path}: {status} {payload[:300]!r}"
    return json.loads(payload) if payload else {}


def pg(*args):
    out = subprocess.run(["bash", os.path.join(bench.ROOT, "scripts", "pg"), *args], cwd=bench.ROOT,
                         check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip()


def create_admin(server, email, pg_url=None):
    """The default organization's first admin (`scripts/create-admin`), logged in; retried while
    the running server holds local D1's write lock."""
    target = ["--postgres", pg_url] if pg_url else ["--persist-to", server.state]
    env = dict(server.env, ADMIN_PASSWORD=bench.PASSWORD)
    for _ in range(8):
        out = subprocess.run(["bash", "scripts/create-admin", "--email", email, "--name", "Bench Admin", *target],
                             cwd=bench.ROOT, env=env, capture_output=True, text=True)
        if out.returncode == 0:
            break
        assert "SQLITE_BUSY" in out.stderr, f"create-admin failed: {out.stderr[-500:]}"
        time.sleep(0.3)
    return login(server, email)


def login(server, email):
    return api(server, "POST", "/api/v1/auth/login", {"email": email, "password": bench.PASSWORD})["token"]


def completed_interview(server, token, turns=TURNS):
    """A built-in interview answered `turns` times (or until it ends), completed, its assessment
    written: its id."""
    iid = api(server, "POST", "/api/v1/interviews/start", {"role_type": "react"}, token, ok=(201,))["id"]
    done = False
    for turn in range(turns):
        body = api(server, "POST", f"/api/v1/interviews/{iid}/messages",
                   {"message_text": f"{ANSWER} ({turn})"}, token)
        if body.get("interview_complete"):
            done = True
            break
    if not done:
        api(server, "POST", f"/api/v1/interviews/{iid}/complete", {}, token)
    deadline = time.time() + 60
    while True:
        _, status, payload = bench.call("GET", f"{server.base}/api/v1/interviews/{iid}/assessment", token=token)
        if status == 200:
            return iid
        assert status == 202 and time.time() < deadline, f"assessment: {status} {payload[:300]!r}"
        time.sleep(0.05)


def seed(server, pg_url=None):
    """The same data on either backend, through the API: an admin, a recruiter it creates, and
    CANDIDATES × INTERVIEWS_EACH completed interviews plus IN_PROGRESS started ones. Returns the
    reader's token, the completed ids and how the reader was made."""
    tag = "pg" if pg_url else "d1"
    admin = create_admin(server, f"bench-admin-{tag}-{os.getpid()}@example.com", pg_url)
    reader, reader_role = admin, "admin"
    email = f"bench-recruiter-{tag}-{os.getpid()}@example.com"
    _, status, payload = bench.call("POST", server.base + "/api/v1/admin/users",
                                    {"email": email, "password": bench.PASSWORD, "full_name": "Bench Recruiter",
                                     "role": "recruiter"}, admin)
    if status == 201:
        reader, reader_role = login(server, email), "recruiter"
    else:
        print(f"  {tag}: creating the recruiter answered {status} {payload[:200]!r}; reading as the admin")
    ids, each_ms = [], []
    for c in range(CANDIDATES):
        _, token = bench.register(server.base)
        for _ in range(INTERVIEWS_EACH):
            started = time.perf_counter()
            ids.append(completed_interview(server, token))
            each_ms.append((time.perf_counter() - started) * 1000)
        if c < IN_PROGRESS:
            iid = api(server, "POST", "/api/v1/interviews/start", {"role_type": "python"}, token, ok=(201,))["id"]
            api(server, "POST", f"/api/v1/interviews/{iid}/messages", {"message_text": ANSWER}, token)
    return reader, reader_role, ids, each_ms


def wait_listed(server, token, ids, timeout=20):
    """Waits until the recruiter list shows every completed interview with its score (the
    projection is written after the Durable Object answers); returns the listed rows."""
    deadline = time.time() + timeout
    rows = []
    while time.time() < deadline:
        _, status, payload = bench.call("GET", server.base + "/api/v1/recruiter/interviews?status=completed&limit=100",
                                        token=token)
        if status == 200:
            rows = json.loads(payload)["interviews"]
            scored = {r["id"] for r in rows if r.get("overall_score") is not None}
            if set(ids) <= scored:
                return rows
        time.sleep(0.2)
    return rows


def error_events(server):
    """The server's failure log lines: `error` (context, cause) and every `…_failed` event (its
    reason), counted by kind with the first one's text (no personal data is logged there)."""
    kinds = {}
    for e in server.log_events():
        name = str(e.get("event"))
        if name != "error" and not name.endswith("_failed"):
            continue
        context = str(e.get("context") or name)
        cause = str(e.get("cause") or e.get("reason") or e.get("error") or "")[:300]
        kind = kinds.setdefault((name, context, cause), {"event": name, "context": context, "cause": cause,
                                                        "count": 0})
        kind["count"] += 1
    return list(kinds.values())


def measure(backends, routes):
    """SAMPLES rounds; in each, every route is asked of both backends, the first alternating."""
    samples = {(b["name"], r): [] for b in backends for r, _ in routes}
    failures = {}
    for i in range(-WARMUP, SAMPLES):
        order = backends if i % 2 == 0 else backends[::-1]
        for route, path_of in routes:
            for b in order:
                key = (b["name"], route)
                if len(failures.get(key, [])) >= MAX_FAILURES or route in b["skip"]:
                    continue
                ms, status, payload = bench.call("GET", b["server"].base + path_of(b, i), token=b["token"])
                if status != 200:
                    failures.setdefault(key, []).append({"status": status, "body": payload[:300].decode(errors="replace")})
                elif i >= 0:
                    samples[key].append(ms)
    return samples, failures


def run():
    # Not under a mkdtemp() directory: as root the cluster runs as `postgres`, which must reach it.
    pg_dir = os.path.join(tempfile.gettempdir(), f"bench-db-pg-{os.getpid()}")
    servers = []
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": bench.machine(),
               "revision": revision(), "samples_per_route": SAMPLES}
    try:
        url = pg("start", "--dir", pg_dir, "--owner", str(os.getpid()))
        subprocess.run(["bash", os.path.join(bench.ROOT, "scripts", "pg"), "migrate", url], cwd=bench.ROOT,
                       check=True, stderr=subprocess.DEVNULL)
        pg_version = subprocess.run(["psql", "-X", "-At", url, "-c", "SHOW server_version"], capture_output=True,
                                    text=True).stdout.strip()
        d1 = bench.Wrangler()
        servers.append(d1)
        pgs = bench.Wrangler(extra_vars=[("DB_BACKEND", "postgres")], extra_env={HYPERDRIVE_ENV: url})
        servers.append(pgs)
        results["postgres_version"] = pg_version
        results["cold_start_s"] = {"d1": round(d1.cold_start_s, 2), "postgres": round(pgs.cold_start_s, 2)}
        backends = []
        for name, server, pg_url in (("d1", d1, None), ("postgres", pgs, url)):
            print(f"==> seeding {name}")
            started = time.perf_counter()
            try:
                token, role, ids, each_ms = seed(server, pg_url)
            except AssertionError as e:
                results.setdefault("seed_failures", {})[name] = {"error": str(e)[:500],
                                                                 "server_errors": error_events(server)[:5]}
                print(f"  {name}: seeding failed: {e}")
                continue
            listed = time.perf_counter()
            rows = wait_listed(server, token, ids)
            n_listed = sum(1 for r in rows if r.get("overall_score") is not None)
            skip = {}
            if n_listed < len(ids):
                # An empty or partial page would be timed against a full one: not comparable.
                reason = f"{n_listed} of {len(ids)} completed interviews listed with a score"
                skip = {"list": reason, "list_filtered": reason}
                print(f"  {name}: {reason}; the list routes are not timed there")
            backends.append({"name": name, "server": server, "token": token, "ids": ids, "skip": skip})
            results.setdefault("seeded", {})[name] = {
                "reader_role": role, "completed_interviews": len(ids), "in_progress_interviews": IN_PROGRESS,
                "listed_completed_with_score": n_listed,
                "seconds": round(time.perf_counter() - started, 1),
                "interview_ms": bench.summary(each_ms),
                "listed_after_s": round(time.perf_counter() - listed, 1)}
        scores = sorted(r["overall_score"] for r in (rows_of(backends[0]) if backends else [])
                        if r.get("overall_score") is not None)
        min_score = scores[len(scores) // 2] if scores else 0
        results["min_score"] = min_score
        routes = [
            ("me", lambda b, i: "/api/v1/auth/me"),
            ("list", lambda b, i: "/api/v1/recruiter/interviews?limit=20"),
            ("list_filtered", lambda b, i: f"/api/v1/recruiter/interviews?status=completed&min_score={min_score}&limit=20"),
            ("detail", lambda b, i: f"/api/v1/recruiter/interviews/{b['ids'][i % len(b['ids'])]}"),
        ]
        results["routes"] = {r: path_of({"ids": ["{id}"]}, 0) for r, path_of in routes}
        results["load_average_before_measuring"] = bench.load_average()
        print(f"==> measuring {SAMPLES} rounds on {', '.join(b['name'] for b in backends)}")
        started = time.perf_counter()
        samples, failures = measure(backends, routes) if backends else ({}, {})
        results["measuring_seconds"] = round(time.perf_counter() - started, 1)
        results["load_average_after_measuring"] = bench.load_average()
        figures = {}
        for route, path_of in routes:
            row = {}
            for b in backends:
                s = samples.get((b["name"], route), [])
                fail = failures.get((b["name"], route))
                if route in b["skip"]:
                    row[b["name"]] = {"skipped": b["skip"][route]}
                elif fail:
                    row[b["name"]] = {"failed": fail[0], "failures": len(fail),
                                      "server_errors": error_events(b["server"])[:5]}
                elif s:
                    row[b["name"]] = bench.summary(s)
                    if route.startswith("list"):
                        # What the page held, to show the two backends served the same rows.
                        _, _, payload = bench.call("GET", b["server"].base + path_of(b, 0), token=b["token"])
                        row[b["name"]]["rows"] = len(json.loads(payload).get("interviews", []))
            if all(isinstance(row.get(k), dict) and "median_ms" in row[k] for k in ("d1", "postgres")):
                row["postgres_over_d1"] = {q: round(row["postgres"][q] / row["d1"][q], 2)
                                           for q in ("median_ms", "p95_ms", "p99_ms")}
            figures[route] = row
        results["figures"] = figures
        results["server_errors"] = {b["name"]: error_events(b["server"]) for b in backends}
    finally:
        for s in servers:
            s.stop()
        subprocess.run(["bash", os.path.join(bench.ROOT, "scripts", "pg"), "stop", "--dir", pg_dir], cwd=bench.ROOT)
    return results


def rows_of(backend):
    _, _, payload = bench.call("GET", backend["server"].base + "/api/v1/recruiter/interviews?status=completed&limit=100",
                               token=backend["token"])
    return json.loads(payload).get("interviews", [])


def revision():
    rev = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], cwd=bench.ROOT, capture_output=True,
                         text=True).stdout.strip()
    # docs/ (this bench's own output included) does not change the build.
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs"],
                           cwd=bench.ROOT, capture_output=True, text=True).stdout.strip()
    return rev + ("+changes" if dirty else "")


LABELS = {"me": "reference: `GET /auth/me` (the account read alone)",
          "list": "recruiter list, first page (`limit=20`)",
          "list_filtered": "recruiter list, filtered (`status=completed&min_score=S&limit=20`)",
          "detail": "interview detail (`/recruiter/interviews/{id}`)"}


def cell(fig, q):
    if not isinstance(fig, dict):
        return "-"
    if "failed" in fig:
        return f"**{fig['failed']['status']}**"
    if "skipped" in fig:
        return "n/a"
    return str(fig.get(q, "-"))


def table(r):
    lines = ["| route | D1 median | D1 p95 | D1 p99 | Postgres median | Postgres p95 | Postgres p99 | "
             "Postgres / D1 median | p95 | p99 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for route, row in r.get("figures", {}).items():
        d1, p = row.get("d1"), row.get("postgres")
        ratio = row.get("postgres_over_d1", {})
        lines.append(f"| {LABELS.get(route, route)} | {cell(d1, 'median_ms')} | {cell(d1, 'p95_ms')} | "
                     f"{cell(d1, 'p99_ms')} | {cell(p, 'median_ms')} | {cell(p, 'p95_ms')} | {cell(p, 'p99_ms')} | "
                     f"**{ratio.get('median_ms', '-')}** | {ratio.get('p95_ms', '-')} | {ratio.get('p99_ms', '-')} |")
    return lines


def over_me(r):
    """'route − /auth/me' at the median per backend: what a route adds to the per-request fixed cost
    (authentication and, on Postgres, opening the connection)."""
    fig = r.get("figures", {})
    me = fig.get("me", {})
    parts = []
    for route in ("list", "list_filtered", "detail"):
        row = fig.get(route, {})
        diffs = [f"{n} {round(row[n]['median_ms'] - me[n]['median_ms'], 1)} ms" for n in ("d1", "postgres")
                 if "median_ms" in row.get(n, {}) and "median_ms" in me.get(n, {})]
        if len(diffs) == 2:
            parts.append(f"`{route}` " + " / ".join(diffs))
    if not parts:
        return []
    return ["- Median minus `/auth/me`'s, per backend (what the route adds beyond the per-request fixed cost): "
            + "; ".join(parts) + "."]


def failures_markdown(r):
    lines = []
    for name, f in r.get("seed_failures", {}).items():
        lines.append(f"- Seeding on {name} failed: `{f['error']}`")
        lines += [f"  - server log: `{e['context']}`: `{e['cause']}`" for e in f.get("server_errors", [])]
    for name, v in r.get("seeded", {}).items():
        if v.get("listed_completed_with_score", 0) < v.get("completed_interviews", 0):
            lines.append(f"- On {name} only {v.get('listed_completed_with_score')} of {v.get('completed_interviews')} "
                         "completed interviews reached the recruiter list (with a score) within 20 s of seeding, so "
                         "its list routes are not timed (an empty page against a full one would not compare)")
    for route, row in r.get("figures", {}).items():
        for name in ("d1", "postgres"):
            fig = row.get(name)
            if isinstance(fig, dict) and "failed" in fig:
                lines.append(f"- {LABELS.get(route, route)} on {name} answered {fig['failed']['status']} "
                             f"({fig['failures']} times, then not timed): `{fig['failed']['body'][:200]}`")
                lines += [f"  - server log: `{e['context']}`: `{e['cause']}`" for e in fig.get("server_errors", [])]
    for name, kinds in r.get("server_errors", {}).items():
        lines += [f"- {name} server log, {k['count']}× `{k['event']}`"
                  + (f" (`{k['context']}`)" if k["context"] != k["event"] else "") + f": `{k['cause']}`" for k in kinds]
    return lines


def page_rows(r):
    """' Rows per page: list d1 20 / postgres 20; …' for the list routes timed on a backend."""
    parts = []
    for route, row in r.get("figures", {}).items():
        counts = [f"{n} {v['rows']}" for n, v in row.items() if isinstance(v, dict) and "rows" in v]
        if counts:
            parts.append(f"`{route}` " + " / ".join(counts))
    return f" Rows per page: {'; '.join(parts)}." if parts else ""


def markdown(r):
    m = r.get("machine", {})
    seeded = r.get("seeded", {})
    any_seed = next(iter(seeded.values()), {})
    lines = [
        "# D1 vs Postgres: the recruiter routes",
        "",
        f"Written by `scripts/bench --db` ({r.get('date')}, build {r.get('revision')}; {m.get('nproc')} shared cores; "
        f"load average {' / '.join(str(x) for x in r.get('load_average_before_measuring', []))} before measuring, "
        f"{' / '.join(str(x) for x in r.get('load_average_after_measuring', []))} after; PostgreSQL "
        f"{r.get('postgres_version', '-')}). One run, one `postgres`-feature build serving both backends from two "
        "`wrangler dev` (loopback): D1 (local, SQLite) and Postgres through the `HYPERDRIVE` binding, whose local "
        "connection string is a direct TCP connection to a throwaway cluster (`scripts/pg`) — the Worker opens one "
        "connection per request, with no pool in between (deployed, Hyperdrive pools them near the database).",
        "",
        f"Same data on both, seeded through the API: a recruiter (made by the default organization's admin) sees "
        f"{any_seed.get('completed_interviews', '-')} completed built-in interviews with assessments and "
        f"{any_seed.get('in_progress_interviews', '-')} in progress. {r.get('samples_per_route')} samples per route "
        "and backend (after a few untimed), in alternating rounds: each round asks every route of both servers, the "
        "one asked first alternating, so the machine's noise hits both alike. Times are client round trips in ms "
        f"(`min_score` = {r.get('min_score')}, the median score).{page_rows(r)}",
        "",
    ] + table(r) + [""] + over_me(r) + [
        "- The list routes are one authenticated read of the account plus one keyset-page query "
        "(`store::listing`); the detail route asks the interview's Durable Object (the same on both backends), "
        "writes an audit entry and reads the video metadata — so its database share is an insert and a select.",
        "- On Postgres each request first opens its connection (TCP, then the Worker's SCRAM authentication) "
        "before its first statement; `GET /auth/me`, one account read, shows that fixed cost per request, which a "
        "deployment's Hyperdrive pool removes.",
        f"- Cold start (process start to first 200): D1 {r.get('cold_start_s', {}).get('d1')} s, Postgres "
        f"{r.get('cold_start_s', {}).get('postgres')} s. Seeding took "
        + ", ".join(f"{k} {v.get('seconds')} s (one interview: median {v.get('interview_ms', {}).get('median_ms')} ms, "
                    f"p95 {v.get('interview_ms', {}).get('p95_ms')} ms; waited {v.get('listed_after_s')} s for the list; "
                    f"reader: {v.get('reader_role')})" for k, v in seeded.items()) + ".",
    ]
    fails = failures_markdown(r)
    if fails:
        lines += ["", "## Failures", ""] + fails
    errors = r.get("server_errors", {})
    if errors:
        lines += ["", "Server failure log lines (`error`, `…_failed`) during the run: "
                  + ", ".join(f"{k} {sum(e['count'] for e in v)}" for k, v in errors.items()) + "."]
    return "\n".join(lines) + "\n"


def summary_markdown(r):
    m = r.get("machine", {})
    lines = [f"One run ({r.get('date')}, build {r.get('revision')}; {m.get('nproc')} shared cores, load average "
             f"{' / '.join(str(x) for x in r.get('load_average_before_measuring', []))} before measuring; "
             f"{r.get('samples_per_route')} samples per route and backend, client round trips in ms — "
             "full table in [`benchmarks/db-backends.md`](benchmarks/db-backends.md), figures in "
             "[`benchmarks/db-backends.json`](benchmarks/db-backends.json)):", ""] + table(r) + [""] + over_me(r)
    fails = failures_markdown(r)
    if fails:
        lines += [""] + fails
    return "\n".join(lines)


def update_summary(r):
    path = os.path.join(bench.ROOT, "docs", "benchmarks.md")
    with open(path) as f:
        text = f.read()
    start, end = text.find(SUMMARY_BEGIN), text.find(SUMMARY_END)
    if start < 0 or end < start:
        print(f"docs/benchmarks.md has no {SUMMARY_BEGIN!r} … {SUMMARY_END!r} markers: summary not written")
        return
    text = text[:start + len(SUMMARY_BEGIN)] + "\n" + summary_markdown(r) + "\n" + text[end:]
    with open(path, "w") as f:
        f.write(text)


def main():
    path_json = os.path.join(bench.OUT, f"{NAME}.json")
    if sys.argv[1:] == ["--markdown"]:
        with open(path_json) as f:
            results = json.load(f)
    else:
        results = run()
        with open(path_json, "w") as f:
            json.dump(results, f, indent=2)
    with open(os.path.join(bench.OUT, f"{NAME}.md"), "w") as f:
        f.write(markdown(results))
    update_summary(results)
    print(markdown(results))
    return 1 if results.get("seed_failures") else 0


if __name__ == "__main__":
    sys.exit(main())
