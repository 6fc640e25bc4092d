#!/usr/bin/env python3
"""Where a model turn's time goes beyond the model (issue #21; docs/benchmarks.md#a-model-turn-split).

One `wrangler dev` on the existing build/ (as scripts/bench.py starts it, with BENCH_TIMINGS on) and
scripts/bench.py's fake chat-completions model answering after MODEL_MS (default 300). One
interview, answered turn by turn; for each turn with exactly one model call it splits the client's
round trip at the fake model's clock:

  before model  client sends -> the fake model's handler starts (client, proxy, Worker, auth, DO)
  in fake       the fake model's handler (its sleep and one write)
  after model   the handler's answer written -> the client has the reply (DO, Worker, proxy)

and prints medians and maxima, beside the Worker's `timing` stages and the object's `turn` log
fields (`model_ms`: the object's own clock around the model call; `server_ms`: the whole turn in
the object). Not part of the suite: run it by hand, `python3 scripts/bench_model_split.py`.
"""
import json
import os
import statistics
import sys
import threading
import time
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (scripts/bench.py: Wrangler, FakeModel, register, call, ANSWER)

MODEL_MS = int(os.environ.get("MODEL_MS", "300"))
handled = []
connections = set()
answer = bench.FakeModel.do_POST


def timed_post(self):
    started = time.perf_counter()
    answer(self)
    handled.append((started, time.perf_counter()))
    connections.add(self.client_address[1])


def stats(name, values):
    print(f"{name:14s} median {statistics.median(values):7.1f} ms   max {max(values):7.1f} ms")


def main():
    bench.FakeModel.do_POST = timed_post
    bench.FakeModel.latency_s = MODEL_MS / 1000
    fake = ThreadingHTTPServer(("127.0.0.1", 0), bench.FakeModel)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    server = bench.Wrangler([("OPENAI_API_KEY", "sk-bench"), ("BENCH_TIMINGS", "true"),
                             ("OPENAI_BASE_URL", f"http://127.0.0.1:{fake.server_address[1]}/v1")])
    try:
        _, token = bench.register(server.base)
        _, status, payload = bench.call("POST", server.base + "/api/v1/interviews/start",
                                        {"role_type": "react"}, token)
        assert status == 201, (status, payload)
        iid = json.loads(payload)["id"]
        rows = []
        for turn in range(25):
            handled.clear()
            sent = time.perf_counter()
            _, status, payload = bench.call("POST", f"{server.base}/api/v1/interviews/{iid}/messages",
                                            {"message_text": f"{bench.ANSWER} ({turn})"}, token)
            received = time.perf_counter()
            assert status == 200, (status, payload)
            if len(handled) == 1:
                start, end = handled[0]
                rows.append([(start - sent) * 1000, (end - start) * 1000, (received - end) * 1000,
                             (received - sent) * 1000])
            if json.loads(payload)["interview_complete"]:
                break
        print(f"model at {MODEL_MS} ms, {len(rows)} turns with one model call, "
              f"{len(connections)} connection(s) to the model")
        for i, name in enumerate(("before model", "in fake", "after model", "client total")):
            stats(name, [r[i] for r in rows])
        events = server.log_events()
        turns = [e for e in events if e.get("event") == "turn"]
        stages = [e["stages"] for e in events
                  if e.get("event") == "timing" and e.get("route", "").endswith("/messages")]
        if turns:
            stats("DO model_ms", [t["model_ms"] for t in turns if "model_ms" in t])
            stats("DO server_ms", [t["server_ms"] for t in turns if "server_ms" in t])
        if stages:
            stats("Worker: DO done", [s["interview_do"] for s in stages if "interview_do" in s])
    finally:
        server.stop()
        fake.shutdown()


if __name__ == "__main__":
    sys.exit(main())
