"""jls(8) [SRC usr.sbin/jls/jls.c with libxo, JLS_XO_VERSION "2"].

Modes: default table, ``-N`` (names instead of jids), ``-v`` (verbose), named parameters (one
line per jail, ``-h`` header, ``-n`` name=value, ``-q`` quoting, ``-s`` = -nq without read-only
and unused parameters), ``-j jail``, ``-d`` (dying jails), ``-c`` (existence check), and
``--libxo json|xml|text``.

[SRC usr.sbin/jls/jls.c main, print_jail, quoted_print]: -h/-n/-q/-s/-v are applied in option
order, each clearing others (-h clears -s/-v, -n clears -v, -s sets -nq and clears -h/-v, -v
clears -h/-n/-s); -s leaves out read-only (CTLFLAG_RD) parameters and those whose jailsys parent
(``ip4`` for ip4.addr, ``host`` for host.hostname, ...) is not ``new``; -q quotes values with
quoted_print ('"' for blanks or ', "'" for ").  Inside a jail only its descendants are listed,
named and pathed relative to it.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from .. import hoststate, jailctx
from ._common import UsageError, getopt

# jls.c main: xo_errx(1, "usage: jls [-dhNnqv] [-j jail] [param ...]") -- xo_errx puts the
# program name first [SRC usr.sbin/jls/jls.c, fel1x-developer/freebsd-src @2d614aa2]
USAGE = "jls: usage: jls [-dhNnqv] [-j jail] [param ...]\n"
# CTLFLAG_RD jail parameters (sys/kern/kern_jail.c SYSCTL_JAIL_PARAM): what -s leaves out
SKIP_RDONLY = {"children.cur", "cpuset.id", "dying", "parent"}
JAILSYS = {"host", "ip4", "ip6", "vnet", "sysvmsg", "sysvsem", "sysvshm"}


def _export(v: Any) -> str:
    from ..jails import export
    return export("", v)


def _quote(s: str) -> str:
    """jls.c quoted_print: "" for empty; quotes only for ' (as "), " (as ') and blanks."""
    from ..jails import quoted_print
    return quoted_print(s)


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
        opts, params = getopt("jls", rest, "acdj:hNnqsv")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    fl = {o for o, _ in opts}
    jsel = None
    # jls.c main: the print flags are set in option order, each clearing some others
    header = nameval = quoted = skip = verbose = False
    for o, a in opts:
        if o == "j":
            jsel = a
        elif o == "h":
            header, skip, verbose = True, False, False
        elif o == "n":
            nameval, verbose = True, False
        elif o == "q":
            quoted = True
        elif o == "s":
            nameval, quoted, skip, header, verbose = True, True, True, False, False
        elif o == "v":
            verbose, header, nameval, skip = True, False, False, False
    fmt = (libxo or "text").split(",")[0].split(":")[0]
    from ..jails import kernel_param_names
    allnames = kernel_param_names()
    if params == ["all"] or ((header or nameval) and not params):
        params = list(allnames)
    for p in params:
        if p not in allnames and p != "all":
            sys.stderr.write(f"jls: unknown parameter: {p}\n")
            return 1
    with hoststate.locked(write=False) as st:
        jails = jailctx.running_jails(st, dying=bool({"a", "d"} & fl))   # jls.c: -a is -d
        inside = jailctx.current_jail()
        if inside:
            # a jail sees only its descendants, named and pathed relative to itself
            # (kern_jail.c prison_name / prison_path; jail_get walks the caller's children)
            me = jailctx.jail_info(st, inside) or {}
            jails = [_relative(j, inside, me) for j in jails
                     if j["name"].startswith(inside + ".")]
        if jsel is not None:
            key = jsel if not inside or jsel.isdigit() else f"{inside}.{jsel}"
            j = jailctx.jail_info(st, key)
            if j is not None and inside:
                j = _relative(j, inside, jailctx.jail_info(st, inside) or {}) \
                    if j["name"].startswith(inside + ".") else None
            if j is None:
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
                # -s skips read-only parameters (no CTLFLAG_WR/TUN) and those whose jailsys
                # parent ("ip4" for ip4.addr, "host" for host.hostname) is not "new"
                if skip and (p in SKIP_RDONLY or (
                        "." in p and p.split(".", 1)[0] in JAILSYS
                        and full.get(p.split(".", 1)[0]) != "new")):
                    continue
                if isinstance(v, bool) and nameval:
                    vals.append(p if v else _no(p))
                    rec[p] = v
                    continue
                s = _export(v)
                rec[p] = v if isinstance(v, list) else s
                if s == "" and isinstance(v, list):
                    # jls.c special_print: an empty array (jp_valuelen 0)
                    s = '""' if quoted else ("" if nameval else "-")
                elif s == "":
                    s = '""'      # jls.c quoted_print: an empty string is always ""
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


def _relative(j: dict[str, Any], inside: str, me: dict[str, Any]) -> dict[str, Any]:
    """Jail ``j`` as seen from inside jail ``inside`` (record ``me``)."""
    r = dict(j)
    r["params"] = dict(j.get("params") or {})
    name = j["name"][len(inside) + 1:]
    ppath = (me.get("path") or "/").rstrip("/")
    path = j.get("path") or "/"
    if ppath and (path == ppath or path.startswith(ppath + "/")):
        path = path[len(ppath):] or "/"
    r["name"], r["path"] = name, path
    r["params"]["name"], r["params"]["path"] = name, path
    if r["params"].get("parent") == me.get("jid"):
        r["params"]["parent"] = 0
    return r


def _no(k: str) -> str:
    head, _, last = k.rpartition(".")
    return f"{head}.no{last}" if head else f"no{last}"
