"""ps(1) over the simulated process table (freebsd_testbed.jailctx procs_*).

Inside a jail (TESTBED_JAIL) only the jail's processes are visible; on the host ``ps ax`` shows
all of them, jailed ones with ``J`` in STAT.  ``-J jail[,jail]`` selects processes of jails
(15.0: a filter on its own, not combined with -a).  Formats: default (``PID TT STAT TIME
COMMAND``), ``u`` (``USER PID %CPU %MEM VSZ RSS TT STAT STARTED TIME COMMAND``), ``-o list``.
"""
from __future__ import annotations

import sys
import time

from .. import hoststate, jailctx

USAGE = ("usage: ps [--libxo] [-aCcdefHhjlmrSTuvwXxZ] [-O fmt | -o fmt]\n"
         "          [-G gid[,gid...]] [-J jid[,jid...]] [-M core] [-N system]\n"
         "          [-p pid[,pid...]] [-t tty[,tty...]] [-U user[,user...]]\n"
         "       ps [--libxo] -L\n")
KEYWORDS = {
    "pid": ("PID", "r"), "ppid": ("PPID", "r"), "jid": ("JID", "r"), "user": ("USER", "l"),
    "uid": ("UID", "r"), "command": ("COMMAND", "l"), "args": ("COMMAND", "l"),
    "comm": ("COMMAND", "l"), "stat": ("STAT", "l"), "state": ("STAT", "l"),
    "%cpu": ("%CPU", "r"), "pcpu": ("%CPU", "r"), "%mem": ("%MEM", "r"), "pmem": ("%MEM", "r"),
    "vsz": ("VSZ", "r"), "rss": ("RSS", "r"), "tt": ("TT", "l"), "tty": ("TTY", "l"),
    "started": ("STARTED", "l"), "time": ("TIME", "r"), "etime": ("ELAPSED", "r"),
}
UIDS = {"root": 0, "www": 80, "postgres": 770, "nobody": 65534}


def _value(p: dict, kw: str, now: float) -> str:
    if kw in ("pid", "ppid", "jid", "vsz", "rss"):
        return str(p.get(kw, 0))
    if kw == "uid":
        return str(UIDS.get(p["user"], 1001))
    if kw == "user":
        return p["user"]
    if kw in ("command", "args"):
        return p["command"]
    if kw == "comm":
        return p["command"].split()[0].rsplit("/", 1)[-1].rstrip(":")
    if kw in ("stat", "state"):
        return p["flags"] + ("J" if p["jail"] else "")
    if kw in ("%cpu", "pcpu", "%mem", "pmem"):
        return "0.0"
    if kw in ("tt", "tty"):
        return " - "   # tname(): "- " (no tty), right-justified in the 3-wide TT column
    if kw == "started":
        return time.strftime("%H:%M", time.localtime(p["started"]))
    if kw == "time":
        return "0:00.00"
    if kw == "etime":
        s = int(now - p["started"])
        return "%02d:%02d" % (s // 60, s % 60)
    return "-"


def main(argv: list[str]) -> int:
    args = argv[1:]
    if args and not args[0].startswith("-"):
        args = ["-" + args[0]] + args[1:]
    flags = set()
    jails_sel: list[str] | None = None
    pids: list[int] | None = None
    fmt: list[str] | None = None
    i = 0
    while i < len(args):
        a = args[i]
        if not a.startswith("-") or a == "-":
            sys.stderr.write(USAGE)
            return 1
        j = 1
        while j < len(a):
            c = a[j]
            if c in "JopU":
                val = a[j + 1:] or (args[i + 1] if i + 1 < len(args) else None)
                if val is None:
                    sys.stderr.write(f"ps: option requires an argument -- {c}\n" + USAGE)
                    return 1
                if not a[j + 1:]:
                    i += 1
                if c == "J":
                    jails_sel = (jails_sel or []) + val.split(",")
                elif c == "o":
                    fmt = (fmt or []) + [x for x in val.replace(" ", ",").split(",") if x]
                elif c == "p":
                    try:
                        pids = (pids or []) + [int(x) for x in val.split(",")]
                    except ValueError:
                        sys.stderr.write(f"ps: process id is invalid: {val}\n")
                        return 1
                break
            if c not in "aCcdefHhjlmrSTuvwXxZ":
                sys.stderr.write(f"ps: illegal option -- {c}\n" + USAGE)
                return 1
            flags.add(c)
            j += 1
        i += 1
    inside = jailctx.current_jail()
    now = time.time()
    with hoststate.locked() as st:
        if jails_sel is not None:
            sel = []
            for js in jails_sel:
                jr = jailctx.jail_info(st, js)
                if jr is None:
                    sys.stderr.write(f"ps: {jailctx.not_found_msg(js)}\n")
                    return 1
                sel.append(jr["name"])
            procs = [p for p in jailctx.procs_list(st, all_jails=True) if p["jail"] in sel]
        elif inside:
            procs = jailctx.procs_list(st, inside)
        else:
            procs = jailctx.procs_list(st, all_jails=True)
        pt = jailctx._procs(st)
        nxt = pt["next_pid"]
        pt["next_pid"] = nxt + 1   # the ps process itself used a pid
        jr = jailctx.jail_info(st, inside) if inside else None
    if pids is not None:
        procs = [p for p in procs if p["pid"] in pids]
    if "a" not in flags and jails_sel is None and pids is None:
        procs = [p for p in procs if p["user"] == "root"]
    # the ps process itself
    if pids is None and (jails_sel is None or (inside and inside in jails_sel)):
        cmdline = "ps " + " ".join(argv[1:]) if len(argv) > 1 else "ps"
        procs = procs + [{"pid": nxt, "ppid": nxt - 1, "jid": jr["jid"] if jr else 0,
                          "jail": inside or "", "user": "root", "command": cmdline,
                          "flags": "R+", "started": now, "vsz": 14164, "rss": 2660}]
    procs.sort(key=lambda p: p["pid"])
    if fmt is None:
        if "u" in flags:
            fmt = ["user", "pid", "%cpu", "%mem", "vsz", "rss", "tt", "stat", "started", "time",
                   "command"]
        else:
            fmt = ["pid", "tt", "stat", "time", "command"]
    rows = [[_value(p, kw, now) for kw in fmt] for p in procs]
    heads = [KEYWORDS.get(kw, (kw.upper(), "l"))[0] for kw in fmt]
    minw = {"pid": 5, "ppid": 5, "tt": 3, "tty": 3}   # pid width: digits of kern.pid_max (99999)
    widths = [max([len(h), minw.get(fmt[k], 0)] + [len(r[k]) for r in rows])
              for k, h in enumerate(heads)]
    out = []
    for line in [heads] + rows:
        cells = []
        for k, kw in enumerate(fmt):
            just = KEYWORDS.get(kw, ("", "l"))[1]
            last = k == len(fmt) - 1
            v = line[k]
            if last and just == "l":
                cells.append(v)
            elif just == "r":
                cells.append(v.rjust(widths[k]))
            else:
                cells.append(v.ljust(widths[k]))
        out.append(" ".join(cells).rstrip())
    sys.stdout.write("\n".join(out) + "\n")
    return 0
