#!/usr/bin/env python3
"""Summarises a V8 CPU profile (scripts/cpu_profile.mjs): self and inclusive time per function,
and optionally the call tree under the functions whose name contains a pattern.

  scripts/cpu_profile_summary.py PROFILE [N]                 top N by self and inclusive time
  scripts/cpu_profile_summary.py PROFILE --tree PATTERN [D]  the tree under PATTERN, D levels

workerd samples the isolate only while it runs, so a sample's time delta can span idle time:
deltas are capped at 2 sampling intervals (200 µs), i.e. the figures count samples, not wall time.
"""
import collections
import json
import sys

CAP_US = 200


def load(path):
    p = json.load(open(path))
    nodes = {n["id"]: n for n in p["nodes"]}
    parent = {c: n["id"] for n in p["nodes"] for c in n.get("children", [])}
    self_us = collections.Counter()
    for sample, delta in zip(p["samples"], p["timeDeltas"]):
        self_us[sample] += min(delta, CAP_US)
    return nodes, parent, self_us


def name(node):
    frame = node["callFrame"]
    return f'{frame["functionName"] or "(anonymous)"} [{frame["url"].split("/")[-1]}:{frame["lineNumber"]}]'


def top(path, n):
    nodes, parent, self_us = load(path)
    by_self, inclusive = collections.Counter(), collections.Counter()
    for node_id, us in self_us.items():
        by_self[name(nodes[node_id])] += us
        seen, x = set(), node_id
        while x is not None:
            label = name(nodes[x])
            if label not in seen:
                inclusive[label] += us
                seen.add(label)
            x = parent.get(x)
    idle = sum(us for label, us in by_self.items() if label.startswith("(idle)"))
    busy = max(sum(by_self.values()) - idle, 1)
    print(f"busy {busy / 1000:.0f} ms (idle {idle / 1000:.0f} ms)")
    for title, counter in (("self", by_self), ("inclusive", inclusive)):
        print(f"--- {title}")
        for label, us in counter.most_common(n):
            print(f"{us / 1000:9.1f} ms {100 * us / busy:5.1f} %  {label[:160]}")


def tree(path, pattern, depth):
    nodes, parent, self_us = load(path)
    total = {}

    def subtree(i):
        if i not in total:
            total[i] = self_us[i] + sum(subtree(c) for c in nodes[i].get("children", []))
        return total[i]

    def outermost(i):
        x = parent.get(i)
        while x is not None:
            if pattern in name(nodes[x]):
                return False
            x = parent.get(x)
        return True

    def show(ids, level):
        groups = collections.defaultdict(list)
        for i in ids:
            groups[name(nodes[i])].append(i)
        for us, label, group in sorted(((sum(subtree(i) for i in g), k, g) for k, g in groups.items()), reverse=True):
            if us < 2000:
                continue
            print(f"{'  ' * level}{us / 1000:8.1f} ms  {label[:150]}")
            if level < depth:
                show([c for i in group for c in nodes[i].get("children", [])], level + 1)

    sys.setrecursionlimit(100000)
    show([i for i, n in nodes.items() if pattern in name(n) and outermost(i)], 0)


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 3 and args[1] == "--tree":
        tree(args[0], args[2], int(args[3]) if len(args) > 3 else 8)
    elif args:
        top(args[0], int(args[1]) if len(args) > 1 else 40)
    else:
        sys.exit(__doc__)
