#!/usr/bin/env python3
"""Measures login cost against a running server (scripts/dev): the PBKDF2 work per login is the
difference between a login (one KDF) and GET /auth/me (no KDF) on the same server, and the
wrong-email vs wrong-password comparison shows whether timing reveals accounts.

    python3 scripts/bench_auth.py [BASE_URL] [N]

Prints medians and p95 in milliseconds. Loopback only; bounded request count. The machine is
shared and noisy: compare the figures of one run with each other, not across runs.
"""
import json, statistics, sys, time, urllib.request, uuid

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8787"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 40
PASSWORD = "Bench-Password-1"


def call(method, path, body=None, token=None, ip=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    req.add_header("CF-Connecting-IP", ip or "203.0.113.%d" % (uuid.uuid4().int % 250))
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req) as resp:
            payload = resp.read()
            status = resp.status
    except urllib.error.HTTPError as e:
        payload, status = e.read(), e.code
    return (time.perf_counter() - start) * 1000, status, payload


def stats(samples):
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(len(s) * 0.95))]


def main():
    email = "bench-%s@example.com" % uuid.uuid4().hex
    _, status, payload = call("POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "full_name": "Bench User"})
    assert status == 201, (status, payload)
    token = json.loads(payload)["token"]
    rows = {"GET /auth/me (no KDF)": [], "login, right password": [], "login, wrong password": [], "login, unknown email": []}
    for i in range(N):
        rows["GET /auth/me (no KDF)"].append(call("GET", "/api/v1/auth/me", token=token)[0])
        rows["login, right password"].append(call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})[0])
        # Wrong passwords lock the account after 5: use a fresh account every 4 attempts.
        if i % 4 == 0:
            victim = "bench-%s@example.com" % uuid.uuid4().hex
            call("POST", "/api/v1/auth/register", {"email": victim, "password": PASSWORD, "full_name": "Bench User"})
        rows["login, wrong password"].append(call("POST", "/api/v1/auth/login", {"email": victim, "password": "Wrong-Pass-1"})[0])
        rows["login, unknown email"].append(call("POST", "/api/v1/auth/login", {"email": "nobody-%s@example.com" % uuid.uuid4().hex, "password": PASSWORD})[0])
    print("| request | median ms | p95 ms |\n|---|---|---|")
    for name, samples in rows.items():
        med, p95 = stats(samples)
        print("| %s | %.1f | %.1f |" % (name, med, p95))
    base = stats(rows["GET /auth/me (no KDF)"])[0]
    print("\nPBKDF2 (100,000 iterations) cost per login ~ %.1f ms (login median - /me median), N=%d"
          % (stats(rows["login, right password"])[0] - base, N))
    wp, ue = stats(rows["login, wrong password"])[0], stats(rows["login, unknown email"])[0]
    print("wrong password / unknown email median ratio: %.2f" % (wp / ue))


if __name__ == "__main__":
    main()
