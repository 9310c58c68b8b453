#!/usr/bin/env python3
"""bench/timeline.py: where a step's time went (performance work, not a test).

    .venv/bin/python bench/run.py --scenarios tutorial --latency 25 --tools ours --keep --repeat 1
    .venv/bin/python bench/timeline.py /tmp/pulumi-freebsd-bench-XXXX/tutorial-25-ours/up

Reads ``<step>.trace.jsonl`` (the provider's RPC/command trace, written with --keep) and
``<step>.commands.jsonl`` (the testbed's command log for the step) and prints, on one clock
relative to the CLI's start: each resource's Create/Update/Read/Delete RPC (start, duration,
commands it ran), then a summary: time before the first RPC, after the last, and the longest
chain of RPCs (the critical path as the engine ran it).
"""
from __future__ import annotations

import json
import pathlib
import sys


def load(path: pathlib.Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def main(prefix: str) -> int:
    base = pathlib.Path(prefix)
    cmds = load(base.with_suffix(".commands.jsonl"))
    trace = load(base.with_suffix(".trace.jsonl"))
    if not trace:
        print(f"no trace at {base.with_suffix('.trace.jsonl')} (run bench/run.py with --keep)")
        return 1
    # t0 of the CLI: commands.jsonl carries start - t0 ("t0") next to "start"
    t0 = next((c["start"] - c["t0"] for c in cmds), trace[0]["t"])
    rpcs, open_ = [], {}
    ncmd: dict[str, int] = {}
    current: list[str] = []
    for e in trace:
        key = (e.get("rpc"), e.get("urn"))
        if e["ev"] == "rpc-start":
            open_[key] = e["t"]
            current.append(e.get("urn", ""))
        elif e["ev"] == "rpc-end" and key in open_:
            rpcs.append({"rpc": key[0], "urn": key[1], "start": open_.pop(key) - t0, "end": e["t"] - t0})
    for c in [e for e in trace if e["ev"] == "cmd-start"]:
        # attribute a command to the RPC running at that moment with the latest start (approximate
        # when RPCs overlap)
        live = [r for r in rpcs if r["start"] <= c["t"] - t0 <= r["end"] and r["rpc"] not in ("Check", "Diff", "Configure")]
        if live:
            r = max(live, key=lambda r: r["start"])
            ncmd[id(r)] = ncmd.get(id(r), 0) + 1
            r.setdefault("cmds", []).append(c["cmd"].split("\n")[0][:90])
    work = [r for r in rpcs if r["rpc"] in ("Create", "Update", "Read", "Delete")]
    for r in sorted(work, key=lambda r: r["start"]):
        name = r["urn"].split("::")[-1]
        typ = r["urn"].split("::")[-2].split(":")[-1] if "::" in r["urn"] else ""
        print(f"{r['start']:7.3f} +{(r['end'] - r['start']) * 1000:6.0f} ms  {r['rpc']:6s} {typ}:{name}  ({len(r.get('cmds', []))} cmds)")
        for c in r.get("cmds", []):
            print(f"{'':24s}{c}")
    if work:
        first = min(r["start"] for r in work)
        last = max(r["end"] for r in work)
        print(f"\nfirst CRUD RPC at {first:.3f} s, last ends at {last:.3f} s; commands: {len([e for e in trace if e['ev'] == 'cmd-start'])}")
        if cmds:
            print(f"host command log: {len(cmds)} commands, first at {cmds[0]['t0']:.3f}, last ends at "
                  f"{max(c['t0'] + c['duration'] for c in cmds):.3f} s")
        alls = [r for r in rpcs]
        print(f"all RPCs: first at {min(r['start'] for r in alls):.3f}, last ends at {max(r['end'] for r in alls):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
