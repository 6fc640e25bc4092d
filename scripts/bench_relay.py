#!/usr/bin/env python3
"""The realtime relay against its floor (issue #16), started by `scripts/bench --relay` after the
release build: runs tests/relay_bench.rs (the product's relay, (d), measured in one run beside a
direct connection to the fake upstream, (a), and the bench-only controls of
tests/relay_bench/controls.mjs: (b) a plain Worker relay, (c) a Durable Object relay with the client
socket accept()ed or hibernatable) and writes docs/benchmarks/relay-floor.{json,md}.

  scripts/bench_relay.py               measure (BENCH_QUICK=1: shorter) and write both files
  scripts/bench_relay.py --markdown    rewrite relay-floor.md from relay-floor.json
  BENCH_RELAY_NAME=relay-floor-x       write docs/benchmarks/relay-floor-x.{json,md} instead
  BENCH_RELAY_NOTE="..."               a paragraph under the title (what this build is, e.g. a probe)
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (scripts/bench.py: ROOT, OUT, bench_relay, machine)

NAME = os.environ.get("BENCH_RELAY_NAME", "relay-floor")
TARGET = 1.2  # the relay's added latency within 1.2x the DO floor's (issue #16)


def fmt(x):
    return "-" if x is None else (f"{x:.2f}" if isinstance(x, float) else str(x))


def markdown(r):
    relay = r.get("relay", {})
    lat = relay.get("relay_latency", {})
    paths = lat.get("paths", {})
    m = r.get("machine", {})
    lines = [
        "# The realtime relay against its floor",
        "",
        f"Written by `scripts/bench --relay` ({r.get('date')}, build {r.get('revision')}; {m.get('nproc')} "
        f"shared cores, load average {m.get('load_average_at_start')} at the start). One run: every path below "
        "was measured in the same run, on the same fake OpenAI Realtime upstream (loopback), so the machine's "
        "load hit all alike. The controls (b) and (c) are bench-only JavaScript "
        "(`tests/relay_bench/controls.mjs`, their own `wrangler dev`); they measure what the platform costs "
        "(a Worker hop, a Durable Object hop, a socket mode), not a language, and are never part of the "
        "product's Worker. The product's DO socket mode: " + r.get("product_socket_mode", "-") + ".",
    ]
    if r.get("note"):
        lines += ["", "**" + r["note"] + "**"]
    if not relay.get("passed"):
        lines += ["", "**The relay benchmark failed; see its output.**"]
    if lat:
        lines += ["", f"## Added latency per event ({lat.get('round_trips')} round trips per path)", "",
                  "One 20 ms `input_audio_buffer.append` (PCM16, base64) → the fake's "
                  "`input_audio_buffer.speech_started`; one round trip on each path per iteration, the first "
                  "path rotating. *Added* = the path's percentile minus (a)'s; *paired* = the per-iteration "
                  "difference to (a).", "",
                  "| path | median ms | p95 ms | p99 ms | added median ms | added p99 ms | paired median ms | paired p99 ms |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, p in paths.items():
            rt, pd = p["round_trip"], p["paired_difference"]
            first = name == "direct"
            lines.append(f"| {p['label']} | {rt['median_ms']} | {rt['p95_ms']} | {rt['p99_ms']} | "
                         f"{'—' if first else p['added_median_ms']} | {'—' if first else p['added_p99_ms']} | "
                         f"{'—' if first else pd['median_ms']} | {'—' if first else pd['p99_ms']} |")
        floor, plain = lat.get("relay_over_do_floor", {}), lat.get("relay_over_plain_worker", {})
        inproc = lat.get("relay_over_in_product_floor", {})
        fl = lat.get("do_floor")
        met = lambda x: isinstance(x, (int, float)) and x <= TARGET
        lines += ["", "| ratio of the relay (d) to | added median | added p99 | round trip median | round trip p99 |",
                  "|---|---|---|---|---|",
                  f"| the DO floor (c) = `{fl}` | **{fmt(floor.get('added_median'))}** | **{fmt(floor.get('added_p99'))}** | "
                  f"{fmt(floor.get('round_trip_median'))} | {fmt(floor.get('round_trip_p99'))} |",
                  f"| the plain-Worker control (b) | {fmt(plain.get('added_median'))} | {fmt(plain.get('added_p99'))} | "
                  f"{fmt(plain.get('round_trip_median'))} | {fmt(plain.get('round_trip_p99'))} |"]
        if inproc:
            lines.append(f"| the DO floor in the product's own `wrangler dev` (c0) | **{fmt(inproc.get('added_median'))}** | "
                         f"**{fmt(inproc.get('added_p99'))}** | {fmt(inproc.get('round_trip_median'))} | "
                         f"{fmt(inproc.get('round_trip_p99'))} |")
        verdict = lambda r: (f"median {'met' if met(r.get('added_median')) else 'not met'}, p99 "
                             f"{'met' if met(r.get('added_p99')) else 'not met'}")
        lines += ["", f"Target (issue #16): the relay's added latency within {TARGET}× the DO floor's at the median and "
                  f"p99. Against (c), the faster of the two DO controls in their own `wrangler dev` at the median: "
                  f"{verdict(floor)} in this run."]
        if inproc:
            lines.append(f"Against (c0), the same DO control inside the product's `wrangler dev` "
                         f"(tests/relay_bench/entry.mjs): {verdict(inproc)} in this run.")
    voice = relay.get("voice_sessions_by_path")
    if voice:
        labels = {k: v["label"] for k, v in paths.items()}
        lines += ["", "## Concurrent voice sessions", "",
                  "Each session streams 20 ms PCM16 24 kHz frames (960 bytes, base64 in "
                  "`input_audio_buffer.append`) at real-time pace; the fake echoes each frame back as "
                  "`response.output_audio.delta`. Frames carry their index, so a lost, duplicated or reordered "
                  "frame is counted. *Frames / s per workerd core* = frames relayed (up + down) / workerd CPU "
                  "seconds of that path's `wrangler dev`.", "",
                  "| path | sessions | frames sent | received | dropped | frame RTT median ms | p99 ms | "
                  "workerd cores | frames / s per workerd core | load average |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for v in sorted(voice, key=lambda v: (list(paths).index(v["path"]) if v["path"] in paths else 9, v["sessions"])):
            cores = v.get("server_cpu_cores_by_process", {}).get("workerd", "-")
            lines.append(f"| {labels.get(v['path'], v['path'])} | {v['sessions']} | {v['frames_sent']} | "
                         f"{v['frames_received']} | {v['dropped']} | {v['rtt'].get('median_ms', '-')} | "
                         f"{v['rtt'].get('p99_ms', '-')} | {cores} | {v.get('frames_per_workerd_core_s', '-')} | "
                         f"{' → '.join(str(x) for x in v.get('load_average_before_after', []))} |")
    return "\n".join(lines) + "\n"


def main():
    path_json = os.path.join(bench.OUT, f"{NAME}.json")
    path_md = os.path.join(bench.OUT, f"{NAME}.md")
    if sys.argv[1:] == ["--markdown"]:
        with open(path_json) as f:
            results = json.load(f)
    else:
        rev = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], cwd=bench.ROOT, capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=bench.ROOT,
                               capture_output=True, text=True).stdout.strip()
        results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": bench.machine(),
                   "revision": rev + ("+changes" if dirty else ""),
                   "product_socket_mode": os.environ.get("BENCH_RELAY_MODE", "see docs/decisions")}
        if os.environ.get("BENCH_RELAY_NOTE"):
            results["note"] = os.environ["BENCH_RELAY_NOTE"]
        bench.bench_relay(results, voice_targets=None)
        with open(path_json, "w") as f:
            json.dump(results, f, indent=2)
    with open(path_md, "w") as f:
        f.write(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    sys.exit(main())
