"""pfctl(8) [SRC sbin/pfctl/pfctl.c, pfctl_parser.c]; the ruleset model lives in ``pf.py``.

The VNET operated on is ``host`` unless ``TESTBED_VNET`` names a jail (set by jexec, if any).
"""
from __future__ import annotations

import os
import sys
import time

from .. import hoststate, pf
from ._common import UsageError, getopt, progname, warnx
from ._common import strerror as _strerror

USAGE = """usage: pfctl [-AdeghMmNnOPqRrvz] [-a anchor] [-D macro=value] [-F modifier]
	[-f file] [-i interface] [-K host | network]
	[-k host | network | gateway | label | id] [-o level] [-p device]
	[-s modifier] [-t table -T command [address ...]] [-x level]
"""

SHOW = ["queue", "rules", "Anchors", "Sources", "nat", "info", "states", "labels", "timeouts",
        "memory", "Tables", "osfp", "Running", "Interfaces", "all", "creatorids", "ether"]
FLUSH = ["nat", "queue", "ethernet", "rules", "Sources", "states", "info", "Interfaces",
         "Tables", "osfp", "all", "Reset"]


def _pick(arg: str, choices: list[str]) -> str | None:
    for c in choices:
        if c.startswith(arg) and arg:
            return c
    return None


def _status_lines(s: dict, verbose: bool) -> list[str]:
    since = s.get("since") or 0
    running = "Enabled" if s.get("enabled") else "Disabled"
    runtime = int(time.time()) - since
    if since:
        d = runtime
        sec, d = d % 60, d // 60
        mi, d = d % 60, d // 60
        hrs, day = d % 24, d // 24
        stat = f"Status: {running} for {day} days {hrs:02d}:{mi:02d}:{sec:02d}"
    else:
        stat = f"Status: {running}"
    out = [f"{stat:<44s}{'Debug: ' + s.get('debug', 'Urgent'):>15s}", ""]
    if verbose:
        out += ["Hostid:   0x%08x" % s.get("hostid", 0x1a2b3c4d),
                "Checksum: 0x" + "0" * 32, ""]
    logif = s.get("options", {}).get("loginterface")
    if logif:
        out.append(f"Interface Stats for {logif:<16s} {'IPv4':>5s} {'IPv6':>16s}")
        out.append(f"  {'Bytes In':<25s} {0:14d} {0:16d}")
        out.append(f"  {'Bytes Out':<25s} {0:14d} {0:16d}")
        out.append("  Packets In")
        out.append(f"    {'Passed':<23s} {0:14d} {0:16d}")
        out.append(f"    {'Blocked':<23s} {0:14d} {0:16d}")
        out.append("  Packets Out")
        out.append(f"    {'Passed':<23s} {0:14d} {0:16d}")
        out.append(f"    {'Blocked':<23s} {0:14d} {0:16d}")
        out.append("")

    def ctr(name: str, val: int) -> str:
        if runtime > 0 and since:
            return f"  {name:<25s} {val:14d} {val / runtime:14.1f}/s"
        return f"  {name:<25s} {val:14d} {'':14s}"
    out.append(f"{'State Table':<27s} {'Total':>14s} {'Rate':>16s}")
    out.append(f"  {'current entries':<25s} {s.get('states', 0):14d} {'':14s}")
    for n in ("searches", "inserts", "removals"):
        out.append(ctr(n, 0))
    if verbose:
        out.append("Source Tracking Table")
        out.append(f"  {'current entries':<25s} {0:14d} {'':14s}")
        for n in ("searches", "inserts", "removals"):
            out.append(ctr(n, 0))
    out.append("Counters")
    for n in ("match", "bad-offset", "fragment", "short", "normalize", "memory", "bad-timestamp",
              "congestion", "ip-option", "proto-cksum", "state-mismatch", "state-insert",
              "state-limit", "src-limit", "synproxy", "map-failed", "translate"):
        out.append(ctr(n, 0))
    if verbose:
        out.append("Limit Counters")
        for n in ("max states per rule", "max-src-states", "max-src-nodes", "max-src-conn",
                  "max-src-conn-rate", "overload table insertion", "overload flush states",
                  "synfloods detected", "syncookies sent", "syncookies validated"):
            out.append(ctr(n, 0))
        out.append("Syncookies")
        out.append(f"  {'mode':<25s} never")
    return out


def _rules_of(s: dict, anchor: str, key: str) -> list[dict]:
    return s.get("anchors", {}).get(anchor, {}).get(key, [])


def _show_rules(s: dict, anchor: str, keys: tuple[str, ...], verbose: int) -> list[str]:
    out = []
    for key in keys:
        for nr, x in enumerate(_rules_of(s, anchor, key)):
            line = (f"@{nr} " if verbose > 1 else "") + x["text"]
            out.append(line)
            if verbose:
                out.append("  [ Evaluations: 0         Packets: 0         Bytes: 0           States: 0     ]")
                out.append(f"  [ Inserted: uid 0 pid {os.getpid()} State Creations: 0     ]")
    return out


def main(argv: list[str]) -> int:
    prog = progname(argv, "pfctl")
    try:
        opts, args = getopt(prog, argv[1:], "a:AdD:eqf:F:ghi:k:K:mMnNOo:Pp:rRs:St:T:vx:z")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    if args and not any(o == "T" for o, _ in opts):
        sys.stderr.write(USAGE)
        return 1
    anchor = ""
    enable = disable = noaction = quiet = False
    verbose = 0
    files: list[str] = []
    shows: list[str] = []
    flushes: list[str] = []
    table = tcmd = None
    kills: list[str] = []
    macros: dict[str, str] = {}
    optimize = None
    for o, v in opts:
        if o == "a":
            anchor = v.strip("/")
        elif o == "d":
            disable = True
        elif o == "e":
            enable = True
        elif o == "D":
            if "=" not in v:
                warnx(prog, f"could not parse macro definition {v}")
                return 1
            k, _, val = v.partition("=")
            macros[k] = val
        elif o == "q":
            quiet = True
        elif o == "f":
            files.append(v)
        elif o == "F":
            m = _pick(v, FLUSH)
            if m is None:
                warnx(prog, f"Unknown flush modifier '{v}'")
                sys.stderr.write(USAGE)
                return 1
            flushes.append(m)
        elif o == "h":
            sys.stderr.write(USAGE)
            return 0
        elif o == "n":
            noaction = True
        elif o == "o":
            optimize = v not in ("none", "0")
        elif o == "s":
            m = _pick(v, SHOW)
            if m is None:
                warnx(prog, f"Unknown show modifier '{v}'")
                sys.stderr.write(USAGE)
                return 1
            shows.append(m)
        elif o == "t":
            table = v
        elif o == "T":
            tcmd = v
        elif o == "k":
            kills.append(v)
        elif o == "v":
            verbose += 1
    if tcmd and not table:
        sys.stderr.write(USAGE)
        return 1

    vnet = os.environ.get("TESTBED_VNET", "host") or "host"
    rc = 0
    with hoststate.locked() as st:
        rt = st.runtime
        if vnet == "host" and not pf.module_loaded(rt) and not (noaction and files and not (
                shows or flushes or enable or disable or table or kills)):
            warnx(prog, "/dev/pf: No such file or directory")
            return 1
        s = pf.vnet_state(rt, vnet)

        # order as in pfctl.c: -d, -F, -k, -f, -t/-T, -e, -s
        if disable:
            if not s["enabled"]:
                warnx(prog, "pf not enabled")
                rc = 1
            else:
                s["enabled"] = False
                s["since"] = int(time.time())
                if not quiet:
                    sys.stderr.write("pf disabled\n")
        for f in flushes:
            rc |= _flush(s, f, anchor, quiet)
        for _ in kills[:1]:
            n = s.get("states", 0)
            if not quiet:
                sys.stderr.write(f"killed {0} states from {len(kills)} sources and 0 destinations\n" if False else
                                 f"killed 0 states from 1 sources and 0 destinations\n")
        for fn in files:
            try:
                if fn == "-":
                    text = sys.stdin.read()
                    cfg = pf.parse_text(text, "-", anchor=anchor, verbose=bool(verbose),
                                        optimize=optimize, macros=macros)
                else:
                    cfg = pf.parse_file(fn, anchor=anchor, verbose=bool(verbose),
                                        optimize=optimize, macros=macros)
            except OSError as e:
                # parse.y pushfile(): warn("%s", nfile->name); parse_config():
                # warn("cannot open the main config file!"); pfctl.c pfctl_rules(): ERRX unless -n
                msg = _strerror(e.errno or 2)
                warnx(prog, f"{fn}: {msg}")
                warnx(prog, f"cannot open the main config file!: {msg}")
                if not noaction:
                    warnx(prog, "Syntax error in config file: pf rules not loaded")
                return 1
            for m in cfg.messages:
                sys.stderr.write(m + "\n")
            if cfg.errors:
                if not noaction:
                    warnx(prog, "Syntax error in config file: pf rules not loaded")
                return 1
            if verbose:
                for line in cfg.out:
                    sys.stdout.write(line + "\n")
                for line in cfg.verbose_lines():
                    sys.stdout.write(line + "\n")
            if not noaction:
                pf.load_config(s, cfg, anchor)
                for name, afile in cfg.loadanchors:
                    try:
                        sub = pf.parse_file(afile, anchor=name, optimize=optimize, macros=macros)
                    except OSError as e:
                        warnx(prog, f"{afile}: {os.strerror(e.errno or 2)}")
                        return 1
                    for m in sub.messages:
                        sys.stderr.write(m + "\n")
                    if sub.errors:
                        warnx(prog, "Syntax error in config file: pf rules not loaded")
                        return 1
                    pf.load_config(s, sub, name)
        if table:
            rc |= _table_cmd(prog, s, anchor, table, tcmd or "show", args, quiet, noaction)
        if enable:
            if s["enabled"]:
                warnx(prog, "pf already enabled")
                rc = 1
            else:
                s["enabled"] = True
                s["since"] = int(time.time())
                if not quiet:
                    sys.stderr.write("pf enabled\n")
        for m in shows:
            r = _show(s, m, anchor, verbose)
            rc |= r
    return rc


def _flush(s: dict, what: str, anchor: str, quiet: bool) -> int:
    def msg(t: str) -> None:
        if not quiet:
            sys.stderr.write(t + "\n")
    rs = s.setdefault("anchors", {}).setdefault(anchor, {"scrub": [], "filter": [], "nat": [],
                                                          "rdr": [], "binat": []})
    if what in ("rules", "all"):
        rs["filter"] = []
        rs["scrub"] = []
        msg("rules cleared")
    if what in ("nat", "all"):
        rs["nat"] = rs["rdr"] = rs["binat"] = []
        msg("nat cleared")
    if what in ("ethernet", "all"):
        msg("Ethernet rules cleared")
    if what == "all" or what == "queue":
        pass
    if what in ("states", "all"):
        msg(f"{s.get('states', 0)} states cleared")
        s["states"] = 0
    if what in ("Sources", "all"):
        msg("source tracking entries cleared")
    if what in ("info", "all"):
        msg("pf: statistics cleared")
    if what in ("Tables", "all"):
        tabs = s.setdefault("tables", {}).get(anchor, {})
        n = len(tabs)
        s["tables"][anchor] = {}
        msg(f"{n} tables deleted.")
    if what in ("osfp", "all"):
        msg("pf: OS fingerprints cleared")
    if what in ("Interfaces", "Reset"):
        msg("pf: interface flags reset")
    if what == "all":
        for path in [p for p in s["anchors"] if p]:
            pass
    return 0


def _table_cmd(prog: str, s: dict, anchor: str, name: str, cmd: str, args: list[str],
               quiet: bool, noaction: bool) -> int:
    tabs = s.setdefault("tables", {}).setdefault(anchor, {})
    cmds = ["kill", "flush", "add", "delete", "replace", "show", "test", "zero", "expire"]
    c = _pick(cmd, cmds)
    if c is None:
        warnx(prog, f"Unknown table command '{cmd}'")
        return 1
    t = tabs.get(name)
    if c in ("show", "flush", "delete", "test", "zero", "replace", "kill", "expire") and t is None:
        if c == "kill":
            warnx(prog, "Table does not exist.")
        else:
            warnx(prog, "Table does not exist.")
        return 1
    if c == "show":
        for a in t["addrs"]:
            neg = a.startswith("!")
            sys.stdout.write(("  !" if neg else "   ") + a.lstrip("!") + "\n")
        return 0
    if c == "kill":
        del tabs[name]
        if not quiet:
            sys.stderr.write("1 table deleted.\n")
        return 0
    if c == "flush":
        n = len(t["addrs"])
        if not noaction:
            t["addrs"] = []
        if not quiet:
            sys.stderr.write(f"{n} addresses deleted.\n")
        return 0
    norm = []
    for a in args:
        node = pf._ip_node(a.split("/")[0].lstrip("!"), int(a.split("/")[1]) if "/" in a else None)
        if node is None:
            sys.stderr.write(f"no IP address found for {a}\n")
            warnx(prog, "cannot decode address")
            return 1
        norm.append(("!" if a.startswith("!") else "") + pf.addr_text(node))
    if c == "add":
        if t is None:
            t = tabs[name] = {"flags": [], "addrs": []}
            if not quiet:
                sys.stderr.write("1 table created.\n")
        added = [a for a in norm if a not in t["addrs"]]
        if not noaction:
            t["addrs"].extend(added)
        if not quiet:
            sys.stderr.write(f"{len(added)}/{len(norm)} addresses added.\n")
        return 0
    if c == "delete":
        gone = [a for a in norm if a in t["addrs"]]
        if not noaction:
            t["addrs"] = [a for a in t["addrs"] if a not in gone]
        if not quiet:
            sys.stderr.write(f"{len(gone)}/{len(norm)} addresses deleted.\n")
        return 0
    if c == "replace":
        if not noaction:
            t["addrs"] = norm
        return 0
    if c == "test":
        import ipaddress
        ok = 0
        for a in norm:
            if pf._table_match(s, name, ipaddress.ip_address(a.split("/")[0])):
                ok += 1
        if not quiet:
            sys.stderr.write(f"{ok}/{len(norm)} addresses match.\n")
        return 0 if ok == len(norm) else 2
    return 0


def _show(s: dict, what: str, anchor: str, verbose: int) -> int:
    w = sys.stdout.write
    if what == "rules":
        for line in _show_rules(s, anchor, ("scrub", "filter"), verbose):
            w(line + "\n")
    elif what == "nat":
        for line in _show_rules(s, anchor, ("nat", "rdr", "binat"), verbose):
            w(line + "\n")
    elif what == "info":
        for line in _status_lines(s, bool(verbose)):
            w(line + "\n")
    elif what == "Running":
        w(("Enabled" if s.get("enabled") else "Disabled") + "\n")
        return 0 if s.get("enabled") else 1
    elif what == "states":
        pass
    elif what == "Tables":
        tabs = s.get("tables", {}).get(anchor, {})
        refs = pf.referenced_tables(s, anchor)
        for name in sorted(tabs):
            t = tabs[name]
            if "persist" not in t["flags"] and name not in refs:
                continue
            if verbose:
                fl = ("c" if "const" in t["flags"] else "-") + ("p" if "persist" in t["flags"] else "-") + \
                     "a" + "-" * 4
                w(f"{fl}\t{name}\n")
            else:
                w(name + "\n")
    elif what == "Anchors":
        pre = anchor + "/" if anchor else ""
        seen = []
        for path in sorted(s.get("anchors", {})):
            if not path or not path.startswith(pre) or path == anchor:
                continue
            rest = path[len(pre):]
            if not verbose and "/" in rest:
                continue
            if rest.split("/")[-1].startswith("_"):
                continue
            if path not in seen:
                seen.append(path)
                w(f"  {path}\n")
    elif what == "timeouts":
        to = s.get("options", {}).get("timeout", {})
        defaults = {"tcp.first": 120, "tcp.opening": 30, "tcp.established": 86400,
                    "tcp.closing": 900, "tcp.finwait": 45, "tcp.closed": 90, "tcp.tsdiff": 30,
                    "sctp.first": 120, "sctp.opening": 30, "sctp.established": 86400,
                    "sctp.closing": 900, "sctp.closed": 90, "udp.first": 60, "udp.single": 30,
                    "udp.multiple": 60, "icmp.first": 20, "icmp.error": 10, "other.first": 60,
                    "other.single": 30, "other.multiple": 60, "frag": 60, "interval": 10,
                    "adaptive.start": 60000, "adaptive.end": 120000, "src.track": 0}
        for k, v in defaults.items():
            v = to.get(k, v)
            unit = " states" if k.startswith("adaptive") else "s"
            w(f"{k:<20s}{v:>10d}{unit}\n")
    elif what == "memory":
        lim = s.get("options", {}).get("limit", {})
        for k, v in (("states", 100000), ("src-nodes", 100000), ("frags", 5000),
                     ("table-entries", 400000)):
            w(f"{k:<12s}hard limit {lim.get(k, v):>8d}\n")
    elif what == "all":
        w("FILTER RULES:\n")
        for line in _show_rules(s, anchor, ("scrub", "filter"), verbose):
            w(line + "\n")
        w("\nINFO:\n")
        for line in _status_lines(s, bool(verbose)):
            w(line + "\n")
        w("\nTABLES:\n")
        _show(s, "Tables", anchor, verbose)
    return 0
