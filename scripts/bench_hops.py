#!/usr/bin/env python3
"""What each hop of a request costs workerd (issue #21; docs/benchmarks.md#what-a-request-costs).

One `wrangler dev` on the existing build/ (as scripts/bench.py starts it) and the Rust load
generator (examples/loadgen.rs) repeating one kind of request from CONCURRENCY clients (default
10), ROUNDS rounds (default 3) of each kind in turn, so that the machine's drift hits every kind
alike:

  notfound  GET /api/v1/nope: the proxy, the assets router and the Worker's router (a 404, no I/O)
  me        GET /api/v1/auth/me: + two D1 reads (auth, the user)
  read      GET /api/v1/interviews/{id}: + one D1 read (auth) and a read-only call to the object
  health    GET /health: one D1 read, one R2 head, a call to an object that writes its SQLite
  turn      POST /api/v1/interviews/{id}/messages: auth, the object's turn, its D1 projection

Prints a Markdown table and writes its figures (BENCH_OUT, default
docs/benchmarks/request-costs.json): workerd's CPU milliseconds per request (both workerd
processes, and each: wrangler dev runs the Worker's and its proxy's) and the latency, per kind,
pooled over the rounds, with each round's CPU figure for the spread. BENCH_VARS=NAME=VALUE,...
passes variables to the server. BENCH_BASELINE_ROOT=DIR also runs DIR's build (a worktree of
another revision, built with scripts/build) and alternates the two in every round. Not part of the suite: run it by hand,
`python3 scripts/bench_hops.py` (CONCURRENCY=1 for latencies without queueing).
"""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (scripts/bench.py: Wrangler, build_loadgen)

KINDS = os.environ.get("BENCH_HOPS_KINDS", "notfound,me,read,health,turn").split(",")
CONCURRENCY = int(os.environ.get("CONCURRENCY", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
REQUESTS = int(os.environ.get("REQUESTS", "25"))


def measure(loadgen, servers):
    """ROUNDS rounds; in each, every kind on every server (their order alternating by round)."""
    runs = {(label, k): [] for label, _ in servers for k in KINDS}
    for r in range(ROUNDS):
        for kind in KINDS:
            for label, server in (servers if r % 2 == 0 else servers[::-1]):
                out = subprocess.run([loadgen, "--base", server.base, "--concurrency", str(CONCURRENCY),
                                      "--turns", str(REQUESTS), "--server-pgid", str(server.proc.pid),
                                      "--probe", kind], check=True, stdout=subprocess.PIPE, text=True)
                runs[(label, kind)].append(json.loads(out.stdout))
    return runs


def pooled(rs):
    n = sum(r["n"] for r in rs)
    cpu = sum(r["workerd_cpu_s"] for r in rs)
    each = [sum(e) for e in zip(*[[x or 0 for x in r["workerd_cpu_ms_per_turn_each"]] for r in rs])]
    lat = sorted(x for r in rs for x in r["latencies_ms"])
    return {
        "n": n, "failed": sum(r["failed_interviews"] for r in rs),
        "workerd_cpu_ms_per_request": round(cpu * 1000 / n, 2) if n else None,
        "workerd_cpu_ms_per_request_each": [round(e / len(rs), 2) for e in each],
        "rounds_workerd_cpu_ms_per_request": [r["workerd_cpu_ms_per_turn"] for r in rs],
        "median_ms": round(statistics.median(lat), 2) if lat else None,
        "p99_ms": round(bench.percentile(lat, 0.99), 2) if lat else None,
        "loadgen_cpu_ms_per_request": round(sum(r["loadgen_cpu_s"] for r in rs) * 1000 / n, 2) if n else None,
        "other_processes_cores": [r["other_processes_cores"] for r in rs],
    }


def main():
    loadgen = bench.build_loadgen()
    extra = [tuple(kv.split("=", 1)) for kv in os.environ.get("BENCH_VARS", "").split(",") if kv]
    servers = [("current", bench.Wrangler(extra))]
    baseline_root = os.environ.get("BENCH_BASELINE_ROOT")
    try:
        if baseline_root:
            servers.append(("baseline", bench.Wrangler(extra, root=baseline_root)))
        runs = measure(loadgen, servers)
    finally:
        for _, server in servers:
            server.stop()
    rows = {label: {k: pooled(runs[(label, k)]) for k in KINDS} for label, _ in servers}
    print(f"{CONCURRENCY} clients, {ROUNDS} rounds of {REQUESTS} requests each"
          + (f", baseline {baseline_root} alternating with the current build" if baseline_root else "")
          + f", load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} at the end\n")
    print("| request | build | n | failed | workerd CPU ms / request | of which the Worker's process / the proxy's | "
          "per round | latency median ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in KINDS:
        for label, _ in servers:
            r = rows[label][kind]
            rounds = " / ".join(str(x) for x in r["rounds_workerd_cpu_ms_per_request"])
            each = " / ".join(str(x) for x in r["workerd_cpu_ms_per_request_each"])
            print(f"| {kind} | {label} | {r['n']} | {r['failed']} | {r['workerd_cpu_ms_per_request']} | "
                  f"{each} | {rounds} | {r['median_ms']} | {r['p99_ms']} |")
    out = os.environ.get("BENCH_OUT", os.path.join(bench.ROOT, "docs", "benchmarks", "request-costs.json"))
    with open(out, "w") as f:
        revision = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=bench.ROOT,
                                  stdout=subprocess.PIPE, text=True).stdout.strip()
        json.dump({"revision": revision, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   "concurrency": CONCURRENCY, "rounds": ROUNDS, "requests": REQUESTS,
                   "baseline_root": baseline_root,
                   "baseline_revision": baseline_root and subprocess.run(
                       ["git", "describe", "--always", "--dirty"], cwd=baseline_root, stdout=subprocess.PIPE,
                       text=True).stdout.strip(), "load_average": os.getloadavg(), "builds": rows}, f, indent=1)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
