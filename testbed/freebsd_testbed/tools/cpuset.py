"""cpuset(1) for jails [SRC usr.bin/cpuset/cpuset.c]: ``-l LIST -j JAIL``, ``-g -j JAIL``, ``-g``.

A jail's mask is ``runtime["jails"][name]["cpuset"]``; CPUs are 0 .. hw.ncpu-1.
"""
from __future__ import annotations

import sys

from .. import hoststate, jailctx
from ._common import UsageError, getopt

USAGE = """usage: cpuset [-l cpu-list] [-n policy:domain-list] [-s setid] cmd ...
       cpuset [-l cpu-list] [-n policy:domain-list] [-s setid] -p pid
       cpuset [-c] [-l cpu-list] [-n policy:domain-list] -C -p pid
       cpuset [-c] [-l cpu-list] [-n policy:domain-list]
              [-j jailid | -p pid | -t tid | -s setid | -x irq]
       cpuset -g [-cir]
              [-d domain | -j jailid | -p pid | -t tid | -s setid | -x irq]
"""


def _ncpu(rt) -> int:
    try:
        from . import sysctl
        return int(sysctl.value(rt, "hw.ncpu"))
    except Exception:  # noqa: BLE001
        return 4


def parse_list(s: str, ncpu: int) -> list[int] | None:
    if s == "all":
        return list(range(ncpu))
    out: set[int] = set()
    for part in s.split(","):
        if not part:
            return None
        a, dash, b = part.partition("-")
        if not a.isdigit() or (dash and not b.isdigit()):
            return None
        lo, hi = int(a), int(b) if dash else int(a)
        if hi < lo:
            return None
        out.update(range(lo, hi + 1))
    return sorted(out)


def fmt_set(cpus: list[int]) -> str:
    return ", ".join(str(c) for c in cpus)


def main(argv: list[str]) -> int:
    try:
        opts, args = getopt("cpuset", argv[1:], "Ccd:gij:l:n:p:rs:t:x:")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    o = dict(opts)
    get = "g" in o
    with hoststate.locked() as st:
        ncpu = _ncpu(st.runtime)
        inside = jailctx.current_jail()
        if "j" in o:
            jr = jailctx.jail_info(st, o["j"])
            if jr is None or (inside and inside != jr["name"]):
                sys.stderr.write(f"cpuset: {jailctx.not_found_msg(o['j'])}\n")
                return 1
            which, ident, mask = "jail", jr["jid"], jr.setdefault("cpuset", list(range(ncpu)))
        elif "p" in o or "t" in o or "s" in o or "x" in o or "d" in o:
            which = {"p": "pid", "t": "tid", "s": "cpuset", "x": "irq", "d": "domain"}[
                next(k for k in "ptsxd" if k in o)]
            key = next(k for k in "ptsxd" if k in o)
            try:
                ident = int(o[key])
            except ValueError:
                sys.stderr.write(USAGE)
                return 1
            jr = jailctx.jail_info(st, inside) if inside else None
            mask = list(jr["cpuset"]) if jr else list(range(ncpu))
        else:
            if not get and "l" in o and args:
                pass
            which, ident = "pid", -1
            jr = jailctx.jail_info(st, inside) if inside else None
            mask = list(jr["cpuset"]) if jr else list(range(ncpu))
        if get:
            if "l" in o:
                sys.stderr.write(USAGE)
                return 1
            level = " root" if "r" in o else (" cpuset" if "c" in o else "")
            sys.stdout.write(f"{which} {ident}{level} mask: {fmt_set(mask)}\n")
            sys.stdout.write(f"{which} {ident}{level} domain policy: first-touch mask: 0\n")
            return 0
        if "l" not in o and "n" not in o:
            sys.stderr.write(USAGE)
            return 1
        if "l" in o:
            cpus = parse_list(o["l"], ncpu)
            if cpus is None:
                sys.stderr.write(f"cpuset: Invalid cpu list: {o['l']}\n")  # [UNCONFIRMED]
                return 1
            if any(c >= ncpu for c in cpus):
                sys.stderr.write("cpuset: setaffinity: Resource deadlock avoided\n")
                return 1
            if which == "jail":
                jr["cpuset"] = cpus
                return 0
            if args:
                import os
                st_cpus = cpus
        else:
            return 0
    if args:
        import os
        try:
            os.execvp(args[0], args)
        except OSError as e:
            sys.stderr.write(f"cpuset: {args[0]}: {os.strerror(e.errno or 0)}\n")
            return 1
    return 0
