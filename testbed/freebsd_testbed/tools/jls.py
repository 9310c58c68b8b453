"""jls(8) [SRC usr.sbin/jls/jls.c with libxo, JLS_XO_VERSION "2"].

Modes: default table, ``-N`` (names instead of jids), ``-v`` (verbose), named parameters (one
line per jail, ``-h`` header, ``-n`` name=value, ``-q`` quoting, ``-s`` = -nq without read-only
and unused parameters), ``-j jail``, ``-d`` (dying jails), ``-c`` (existence check), and
``--libxo json|xml|text``.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from .. import hoststate, jailctx
from ._common import UsageError, getopt

USAGE = "usage: jls [-dhNnqv] [-j jail] [param ...]\n"


def _export(v: Any) -> str:
    from ..jails import export
    return export("", v)


def _needs_quote(s: str) -> bool:
    return s == "" or any(c in s for c in " \t\n\"'\\$`")


def _quote(s: str) -> str:
    if not _needs_quote(s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str]) -> int:
    args = list(argv[1:])
    libxo = None
    rest = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--libxo" and i + 1 < len(args):
            libxo = args[i + 1]
            i += 2
            continue
        if a.startswith("--libxo="):
            libxo = a.split("=", 1)[1]
            i += 1
            continue
        if a.startswith("--libxo:"):
            libxo = "text"
            i += 1
            continue
        rest.append(a)
        i += 1
    try:
        opts, params = getopt("jls", rest, "cdj:hNnqsv")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    fl = {o for o, _ in opts}
    jsel = None
    for o, a in opts:
        if o == "j":
            jsel = a
    nameval = "n" in fl or "s" in fl
    quoted = "q" in fl or "s" in fl
    skip = "s" in fl
    header = "h" in fl and "s" not in fl
    verbose = "v" in fl and "s" not in fl
    fmt = (libxo or "text").split(",")[0].split(":")[0]
    from ..jails import kernel_param_names, READONLY
    allnames = kernel_param_names()
    if params == ["all"] or ((header or nameval) and not params):
        params = list(allnames)
    for p in params:
        if p not in allnames and p != "all":
            sys.stderr.write(f"jls: unknown parameter: {p}\n")
            return 1
    with hoststate.locked(write=False) as st:
        jails = jailctx.running_jails(st, dying="d" in fl)
        inside = jailctx.current_jail()
        if inside:
            jails = []  # children of the jail: none (children.max=0)
        if jsel is not None:
            j = jailctx.jail_info(st, jsel)
            if j is None or inside:
                if "c" in fl:
                    return 1
                sys.stderr.write(f"jls: {jailctx.not_found_msg(jsel)}\n")
                return 1
            jails = [j]
    if "c" in fl:
        return 0 if jails else 1
    out = sys.stdout.write
    records: list[dict[str, Any]] = []
    if params and not verbose:
        if header and fmt == "text":
            out(" ".join(params) + "\n")
        for j in jails:
            full = j["params"]
            vals = []
            rec: dict[str, Any] = {}
            for p in params:
                v = full.get(p, "")
                if skip and p in READONLY:
                    continue
                if isinstance(v, bool) and nameval:
                    vals.append(p if v else _no(p))
                    rec[p] = v
                    continue
                s = _export(v)
                rec[p] = v if isinstance(v, list) else s
                if s == "":
                    s = '""' if quoted else ("" if nameval else "-")
                elif quoted:
                    s = _quote(s)
                vals.append(f"{p}={s}" if nameval else s)
            records.append(rec)
            if fmt == "text":
                out(" ".join(vals) + "\n")
    elif verbose:
        if fmt == "text":
            out("   JID  Hostname                      Path\n")
            out("        Name                          State\n")
            out("        CPUSetID\n")
            out("        IP Address(es)\n")
        for j in jails:
            full = j["params"]
            state = "DYING" if j.get("dying") else "ACTIVE"
            rec = {"jid": j["jid"], "hostname": full.get("host.hostname", ""), "path": j["path"],
                   "name": j["name"], "state": state, "cpusetid": full.get("cpuset.id", 0)}
            if full.get("ip4.addr"):
                rec["ipv4_addrs"] = {"ipv4_addr": list(full["ip4.addr"])}
            if full.get("ip6.addr"):
                rec["ipv6_addrs"] = {"ipv6_addr": list(full["ip6.addr"])}
            records.append(rec)
            if fmt == "text":
                out("%6d  %-29.29s %.74s\n" % (j["jid"], rec["hostname"], j["path"]))
                out("        %-29.29s %.74s\n" % (j["name"], state))
                out("        %d\n" % rec["cpusetid"])
                for a in list(full.get("ip4.addr") or []) + list(full.get("ip6.addr") or []):
                    out(f"        {a}\n")
    else:
        byname = "N" in fl
        if fmt == "text":
            if byname:
                out(" %-15s %-15s %-29s %s\n" % ("JID", "IP Address", "Hostname", "Path"))
            else:
                out("%6s  %s%6s%s%22s%s\n" % ("JID", "IP Address", "", "Hostname", "", "Path"))
        for j in jails:
            full = j["params"]
            ip = (full.get("ip4.addr") or [""])[0].split("|")[-1].split("/")[0]
            host = full.get("host.hostname", "")
            if byname:
                rec = {"name": j["name"]}
                line = " %-15s " % j["name"]
            else:
                rec = {"jid": j["jid"]}
                line = "%6d  " % j["jid"]
            rec.update({"ipv4": ip, "hostname": host, "path": j["path"]})
            records.append(rec)
            if fmt == "text":
                out(line + "%-15.15s %-29.29s %.74s\n" % (ip, host, j["path"]))
    if fmt == "json":
        pretty = "pretty" in (libxo or "")
        doc = {"__version": "2", "jail-information": {"jail": records}}
        if pretty:
            out(json.dumps(doc, indent=2) + "\n")
        else:
            inner = ",".join(json.dumps(r, separators=(",", ":")) for r in records)
            out('{"__version": "2", "jail-information": {"jail": [' + inner + ']}\n}\n')
    elif fmt == "xml":
        out('<jail-information xo:version="2"><jail>' if False else "")
        for r in records:
            out("<jail>" + "".join(f"<{k}>{_export(v)}</{k}>" for k, v in r.items()) + "</jail>")
        out("\n")
    return 0


def _no(k: str) -> str:
    head, _, last = k.rpartition(".")
    return f"{head}.no{last}" if head else f"no{last}"
