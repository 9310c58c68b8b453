"""Simulated zfs(8) (OpenZFS 2.4.0 on FreeBSD 15.0) over the single pool ``zroot``.

See zfs_model.py for the state layout. Messages, usage texts, column layout and exit codes
follow cmd/zfs/zfs_main.c and lib/libzfs of tag zfs-2.4.0.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from typing import Any

from .. import hoststate
from . import zfs_model as zm
from .zfs_props import PROPS
from .zfs_usage import COMMANDS, FULL_USAGE, USAGE


class Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def err(msg: str) -> None:
    sys.stderr.write(msg + "\n")


def out(msg: str) -> None:
    sys.stdout.write(msg + "\n")


CMD: list[str | None] = [None]


def usage() -> None:
    cmd = CMD[0]
    if cmd is None:
        sys.stderr.write(FULL_USAGE)
        sys.stderr.write("\nFor the property list, run: zfs set|get\n"
                         "\nFor the delegated permission list, run: zfs allow|unallow\n"
                         "\nFor further help on a command or topic, run: zfs help [<topic>]\n")
        raise Exit(2)
    sys.stderr.write("usage:\n" + USAGE[COMMANDS[cmd]])
    if cmd in ("set", "get", "inherit", "list"):
        w = sys.stderr.write
        w("\nThe following properties are supported:\n")
        w("\n\t%-21s %s  %s   %s\n\n" % ("PROPERTY", "EDIT", "INHERIT", "VALUES"))
        plist = [p for p in PROPS.values() if p["visible"]]
        plist.sort(key=lambda p: (p["attr"] != "readonly", p["name"]))
        for p in plist:
            w("\t%-22s " % p["name"])
            w(" NO    " if p["attr"] == "readonly" else "YES    ")
            w("  YES   " if p["attr"] == "inherit" else "   NO   ")
            w("%s\n" % (p["values"] or "-"))
        for n in ("userused@...", "groupused@...", "projectused@...", "userobjused@...",
                  "groupobjused@...", "projectobjused@..."):
            w("\t%-22s " % n + " NO       NO   <size>\n")
        for n in ("userquota@...", "groupquota@...", "projectquota@...", "userobjquota@...",
                  "groupobjquota@...", "projectobjquota@..."):
            w("\t%-22s " % n + "YES       NO   <size> | none\n")
        w("\t%-22s " % "written@<snap>" + " NO       NO   <size>\n")
        w("\t%-22s " % "written#<bookmark>" + " NO       NO   <size>\n")
        w("\nSizes are specified in bytes with standard units such as K, M, G, etc.\n")
        w("\nUser-defined properties can be specified by using a name containing a colon (:).\n")
        w("\nThe {user|group|project}[obj]{used|quota}@ properties must be appended with\n"
          "a user|group|project specifier of one of these forms:\n"
          "    POSIX name      (eg: \"matt\")\n"
          "    POSIX id        (eg: \"126829\")\n"
          "    SMB name@domain (eg: \"matt@sun\")\n"
          "    SMB SID         (eg: \"S-1-234-567-89\")\n")
    else:
        sys.stderr.write("\nFor the property list, run: zfs set|get\n"
                         "\nFor the delegated permission list, run: zfs allow|unallow\n"
                         "\nFor further help on a command or topic, run: zfs help [<topic>]\n")
    raise Exit(2)


def getopt(args: list[str], spec: str, longs: dict[str, str] | None = None):
    """POSIX getopt (stops at the first operand). Yields (opt, arg); returns operands."""
    opts: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if a.startswith("--") and longs is not None:
            if a[2:] in longs:
                opts.append((longs[a[2:]], None))
                i += 1
                continue
            err("invalid option '%s'" % a[2:])  # approximation of getopt_long's '?'
            usage()
        if not a.startswith("-") or a == "-":
            break
        j = 1
        while j < len(a):
            c = a[j]
            k = spec.find(c)
            if k < 0 or c == ":":
                err("invalid option '%s'" % c)
                usage()
            if k + 1 < len(spec) and spec[k + 1] == ":":
                if j + 1 < len(a):
                    opts.append((c, a[j + 1:]))
                elif i + 1 < len(args):
                    i += 1
                    opts.append((c, args[i]))
                else:
                    err("missing argument for '%s' option" % c)
                    usage()
                break
            opts.append((c, None))
            j += 1
        i += 1
    return opts, args[i:]


# --------------------------------------------------------------------------- formatting

def nicenum(num: int, unit_bytes: bool = True) -> str:
    units = ["B" if unit_bytes else "", "K", "M", "G", "T", "P", "E"]
    n, idx = num, 0
    while n >= 1024 and idx < 6:
        n //= 1024
        idx += 1
    u = units[idx]
    if idx == 0 or num % (1024 ** idx) == 0:
        return "%d%s" % (n, u)
    for prec in (2, 1, 0):
        s = "%.*f%s" % (prec, num / (1024 ** idx), u)
        if len(s) <= 5:
            return s
    return s


def fmt_time(t: int, seconds: bool = False) -> str:
    lt = time.localtime(t)
    s = time.strftime("%a %b ", lt) + "%2d " % lt.tm_mday + "%2d" % lt.tm_hour
    s += time.strftime(":%M", lt) + (time.strftime(":%S", lt) if seconds else "")
    return s + time.strftime(" %Y", lt)


NAME_ERRS = {
    "toolong": "name is too long", "leadslash": "leading slash in name",
    "empty": "empty component or misplaced '@' or '#' delimiter in name",
    "trailslash": "trailing slash in name", "multi": "multiple '@' and/or '#' delimiters in name",
    "noletter": "pool doesn't begin with a letter", "self": "self reference, '.' is found in name",
    "parent": "parent reference, '..' is found in name",
}


def _valid_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in "-_.: ")


def validate_name(path: str, types: int, modifying: bool = True) -> str | None:
    """zfs_validate_name(): None if valid, else the auxiliary error text."""
    if not (types & zm.T_SNAP) and "@" in path:
        return "snapshot delimiter '@' is not expected here"
    if types == zm.T_SNAP and "@" not in path:
        return "missing '@' delimiter in snapshot name"
    if "#" in path:
        return "bookmark delimiter '#' is not expected here"
    if modifying and "%" in path:
        return "invalid character % in name"
    if len(path.encode()) >= 256:
        return NAME_ERRS["toolong"]
    if path.startswith("/"):
        return NAME_ERRS["leadslash"]
    if path == "":
        return NAME_ERRS["empty"]
    start, found = 0, False
    while True:
        end = start
        while end < len(path) and path[end] not in "/@#":
            end += 1
        if end == len(path) and path.endswith("/"):
            return NAME_ERRS["trailslash"]
        for c in path[start:end]:
            if not _valid_char(c) and c != "%":
                return "invalid character '%s' in name" % c
        comp = path[start:end]
        if end == len(path) or path[end] == "/":
            if comp == ".":
                return NAME_ERRS["self"]
            if comp == "..":
                return NAME_ERRS["parent"]
        if end < len(path) and path[end] in "@#":
            if found:
                return NAME_ERRS["multi"]
            found = True
        if start == end:
            return NAME_ERRS["empty"]
        if end == len(path):
            break
        if path[end] == "/" and found:
            return NAME_ERRS["trailslash"]
        start = end + 1
    pool = path.split("/")[0].split("@")[0]
    if not (pool[:1].isascii() and pool[:1].isalpha()):
        return NAME_ERRS["noletter"]
    if pool in ("mirror", "raidz", "draid"):
        return "name is reserved"
    return None


# --------------------------------------------------------------------------- property values

def parse_number(val: str) -> int | str:
    """zfs_nicestrtonum(): int or error text."""
    if not val or (not val[0].isdigit() and val[0] != "."):
        return "bad numeric value '%s'" % val
    i = 0
    while i < len(val) and (val[i].isdigit()):
        i += 1
    num_s, rest = val[:i], val[i:]
    isfloat = rest.startswith(".")
    if isfloat:
        j = 1
        while j < len(rest) and rest[j].isdigit():
            j += 1
        num_s, rest = val[:i + j], rest[j:]
    suf = rest.upper()
    shifts = {"": 0, "B": 0, "K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}
    if suf in shifts:
        sh = shifts[suf]
    elif len(suf) == 2 and suf[0] in shifts and suf[1] == "B" and suf[0] != "B":
        sh = shifts[suf[0]]
    elif len(suf) == 3 and suf[0] in shifts and suf[1:] == "IB" and suf[0] != "B":
        sh = shifts[suf[0]]
    else:
        return "invalid numeric suffix '%s'" % rest
    try:
        n = int(float(num_s) * (1 << sh)) if isfloat else int(num_s or "0") << sh
    except ValueError:
        return "bad numeric value '%s'" % val
    if n >= 2**64:
        return "numeric value is too large"
    return n


def check_prop(prop: str, value: str, dstype: str, creating: bool) -> tuple[str, str] | str:
    """Validate prop=value for a dataset type. Returns (canonical prop, stored value) or error."""
    if zm.is_user_prop(prop):
        if len(prop) >= 256:
            return "property name '%s' is too long" % prop
        if len(value) >= 8192:
            return "'%s' is too long" % prop
        return prop, value
    if dstype == "snapshot":
        return "this property can not be modified for snapshots"
    if prop.startswith(("userused@", "groupused@", "projectused@", "written@", "written#")):
        return "'%s' is readonly" % prop
    name = zm.resolve_name(prop)
    if name is None:
        return "invalid property '%s'" % prop
    p = PROPS[name]
    if not p["types"] & zm.TYPE_BITS[dstype]:
        return "'%s' does not apply to datasets of this type" % prop
    if p["attr"] == "readonly" or (p["attr"] in ("onetime", "onetime_default") and not creating):
        return "'%s' is readonly" % prop
    if p["ptype"] == "index":
        if value not in p["table"]:
            return "'%s' must be one of '%s'" % (name, p["values"])
        return name, value
    if p["ptype"] == "number":
        if value == "none":
            n = 0 if name not in ("filesystem_limit", "snapshot_limit") else zm.UINT64_MAX
        elif value == "auto":
            if name == "refreservation":
                return "'%s=auto' only allowed on volumes" % prop
            return "'auto' is invalid value for '%s'" % prop
        else:
            n = parse_number(value)
            if isinstance(n, str):
                return n
            if n == 0 and name in ("quota", "refquota"):
                return "use 'none' to disable quota/refquota"
        if name == "recordsize" and (n < 512 or n > 16 * zm.M or n & (n - 1)):
            return "'%s' must be power of 2 from 512B to 16M" % prop
        if name == "special_small_blocks" and n > 16 * zm.M:
            return "invalid '%s' property: must be between zero and 16M" % prop
        return name, str(n)
    # strings
    if name == "mountpoint":
        if value not in ("none", "legacy") and not value.startswith("/"):
            return "'mountpoint' must be an absolute path, 'none', or 'legacy'"
        if value.startswith("/") and len(value) > 1:
            value = value.rstrip("/") or "/"
        return name, value
    if len(value) >= 4096:
        return "'%s' is too long" % prop
    return name, value


class View:
    """Read-side helpers over the pool for get/list."""

    def __init__(self, z: dict[str, Any], literal: bool):
        self.z = z
        self.sz = zm.Sizer(z)
        self.literal = literal

    def dstype(self, name: str) -> str:
        return self.z["datasets"][name]["type"]

    def get(self, name: str, prop: str) -> tuple[str, str, str] | None:
        """(value, source-type, source-name) or None when zfs_prop_get() fails."""
        z, d, lit = self.z, self.z["datasets"][name], self.literal
        p = PROPS[prop]
        t = zm.TYPE_BITS[d["type"]]
        if not p["types"] & t or not p["visible"] and prop != "name":
            return None
        snap = d["type"] == "snapshot"

        def num(v: int, bytes_: bool = True) -> str:
            return str(v) if lit else nicenum(v, bytes_)

        if prop == "name":
            return name, "none", ""
        if prop == "type":
            return d["type"], "none", ""
        if prop == "creation":
            return (str(d["creation"]) if lit else fmt_time(d["creation"])), "none", ""
        if prop == "snapshots_changed":
            v = d.get("snapchanged")
            if not v:
                return None
            return (str(v) if lit else fmt_time(v, True)), "none", ""
        if prop in ("used", "available", "referenced", "usedbysnapshots", "usedbydataset",
                    "usedbychildren", "usedbyrefreservation"):
            f = {"used": self.sz.used, "available": self.sz.avail, "referenced": self.sz.refer,
                 "usedbysnapshots": self.sz.used_snap, "usedbydataset": self.sz.used_ds,
                 "usedbychildren": self.sz.used_child,
                 "usedbyrefreservation": self.sz.used_refreserv}[prop]
            return num(f(name)), "none", ""
        if prop in ("logicalused", "logicalreferenced", "written"):
            if prop == "logicalreferenced":
                v = self.sz.lrefer(name)
            elif prop == "logicalused":
                v = self.sz.lrefer(name) + sum(self.sz.lrefer(c) for c in zm.descendants(z, name))
                if d.get("origin"):
                    v = max(0, v - self.sz.lrefer(d["origin"])) + 42 * zm.K if False else max(0, self.sz.used(name) // 2)
            else:
                if snap:
                    prev = zm.snapshots(z, name.split("@")[0])
                    i = prev.index(name)
                    v = self.sz.refer(name) if i == 0 else max(0, self.sz.refer(name) - self.sz.refer(prev[i - 1]))
                    if d.get("origin") is None and i == 0 and z["datasets"][name.split("@")[0]].get("origin"):
                        v = 0
                else:
                    sn = zm.snapshots(z, name)
                    v = max(0, self.sz.refer(name) - self.sz.refer(sn[-1])) if sn else self.sz.used_ds(name)
            return num(v, False), "none", ""
        if prop in ("compressratio", "refcompressratio"):
            return ("1.00" if lit else "1.00x"), "none", ""
        if prop == "mounted":
            return ("yes" if d.get("mounted") else "no"), "none", ""
        if prop == "origin":
            return (d["origin"], "none", "") if d.get("origin") else None
        if prop == "clones":
            return ",".join(zm.clones_of(z, name)), "none", ""
        if prop in ("guid", "createtxg", "objsetid"):
            return str(d[prop]), "none", ""
        if prop == "version":
            return "5", "none", ""
        if prop in ("utf8only", "normalization", "casesensitivity"):
            return d["props"].get(prop, zm.default_value(prop)), "none", ""
        if prop in ("defer_destroy",):
            return "off", "none", ""
        if prop == "userrefs":
            return "0", "none", ""
        if prop == "keystatus":
            return None
        if prop in ("filesystem_count", "snapshot_count"):
            return "none", "default", ""
        if prop in ("receive_resume_token", "encryptionroot", "redact_snaps"):
            return None
        if snap and p["attr"] == "inherit":
            fs = name.split("@")[0]
            v, s, frm = zm.prop_source(z, fs, prop)
            if s == "local":
                s = "inherited" if False else "default" if False else "inherited"
                frm = fs
            if prop in d["props"]:
                v, s, frm = d["props"][prop], "local", name
            return v, s, frm
        if prop == "mountpoint":
            v, s, frm = zm.prop_source(z, name, prop)
            return zm.mountpoint(z, name), s, frm
        v, s, frm = zm.prop_source(z, name, prop)
        if p["ptype"] == "number":
            n = int(v)
            if prop in ("quota", "refquota", "reservation", "refreservation"):
                v = ("0" if lit else "none") if n == 0 else num(n)
            elif prop in ("filesystem_limit", "snapshot_limit"):
                v = "none" if n == zm.UINT64_MAX else num(n, False)
            elif prop == "pbkdf2iters":
                v = str(n)
            else:
                v = num(n, False)
        return v, s, frm

    def user(self, name: str, prop: str) -> tuple[str, str, str] | None:
        z = self.z
        if self.dstype(name) == "snapshot":
            d = z["datasets"][name]
            if prop in d["props"]:
                return d["props"][prop], "local", name
            v, s, frm = zm.prop_source(z, name.split("@")[0], prop)
            if s == "none":
                return None
            return v, "inherited", frm
        v, s, frm = zm.prop_source(z, name, prop)
        return None if s == "none" else (v, s, frm)

    def user_props(self, name: str) -> list[str]:
        names: set[str] = set()
        cur: str | None = name
        while cur is not None:
            d = self.z["datasets"].get(cur)
            if d:
                names.update(k for k in d["props"] if zm.is_user_prop(k))
            cur = zm.parent_of(cur)
        return sorted(names)


def source_text(s: str, frm: str) -> str:
    return {"local": "local", "default": "default", "none": "-", "temporary": "temporary",
            "received": "received"}.get(s, "inherited from %s" % frm)


JSON_SRC = {"local": "LOCAL", "default": "DEFAULT", "none": "NONE", "inherited": "INHERITED",
            "temporary": "TEMPORARY", "received": "RECEIVED"}


def json_prop(value: str, s: str, frm: str, as_int: bool) -> dict[str, Any]:
    v: Any = int(value) if as_int and value.isdigit() else value
    return {"value": v, "source": {"type": JSON_SRC[s], "data": frm if s == "inherited" else "-"}}


def json_info(z: dict[str, Any], name: str, as_int: bool) -> dict[str, Any]:
    d = z["datasets"][name]
    info: dict[str, Any] = {"name": name, "type": d["type"].upper(), "pool": zm.pool_of(name),
                            "createtxg": d["createtxg"] if as_int else str(d["createtxg"])}
    if d["type"] == "snapshot":
        info["dataset"], info["snapshot_name"] = name.split("@", 1)
    return info


def print_json(cmd: str, datasets: dict[str, Any]) -> None:
    doc = {"output_version": {"command": "zfs " + cmd, "vers_major": 0, "vers_minor": 1},
           "datasets": datasets}
    out(json.dumps(doc, separators=(",", ":")))


# --------------------------------------------------------------------------- iteration

def sort_key(z: dict[str, Any], name: str):
    fs, _, snap = name.partition("@")
    return (fs.encode(), 1 if snap else 0, z["datasets"][name]["createtxg"] if snap else 0)


def collect(z: dict[str, Any], args: list[str], types: int, recurse: bool, depth: int | None,
            op: str = "open") -> tuple[list[str], int]:
    """zfs_for_each(): the matching dataset names (sorted) and an error flag."""
    rc = 0
    found: set[str] = set()

    def walk(name: str, level: int) -> None:
        d = z["datasets"][name]
        if zm.TYPE_BITS[d["type"]] & types:
            found.add(name)
        if d["type"] == "snapshot":
            return
        if depth is not None and level >= depth:
            return
        if recurse or depth is not None:
            for s in zm.snapshots(z, name):
                if types & zm.T_SNAP:
                    found.add(s)
            for c in zm.children(z, name):
                walk(c, level + 1)

    if not args:
        if recurse or depth is not None:
            # zfs_for_each() without operands: every imported pool's root (zfs_iter_root)
            for pool in sorted(z.get("pools", {z["pool"]: None})):
                if pool in z["datasets"]:
                    walk(pool, 0)
        if not (recurse or depth is not None):
            for n in z["datasets"]:
                if zm.TYPE_BITS[z["datasets"][n]["type"]] & types:
                    found.add(n)
    for a in args:
        name = a
        if a.startswith("/") or a.startswith("./"):
            path = os.path.normpath(os.path.join("/", a))
            best = None
            for n in z["datasets"]:
                mp = zm.mount_path(z, n)
                if mp and (path == mp or path.startswith(mp.rstrip("/") + "/")):
                    if best is None or len(mp) > len(zm.mount_path(z, best) or ""):
                        best = n
            if best is None:
                err("'%s': not a ZFS filesystem" % a)
                rc = 1
                continue
            name = best
        why = validate_name(name, zm.T_FS | zm.T_SNAP | zm.T_VOL, False)
        if why is not None:
            err("cannot open '%s': %s" % (name, why))
            rc = 1
            continue
        if name not in z["datasets"]:
            err("cannot open '%s': dataset does not exist" % name)
            rc = 1
            continue
        walk(name, 0)
    return sorted(found, key=lambda n: sort_key(z, n)), rc


def parse_types(arg: str) -> int:
    t = 0
    for tok in arg.split(","):
        m = {"filesystem": 1, "fs": 1, "volume": 4, "vol": 4, "snapshot": 2, "snap": 2,
             "bookmark": 16, "all": 23}.get(tok)
        if m is None:
            err("invalid type '%s'" % tok)
            usage()
        t |= m
    return t


def parse_depth(arg: str) -> int:
    try:
        n = int(arg)
    except ValueError:
        err("%s is not an integer" % arg)
        usage()
    if n < 0:
        err("Depth can not be negative.")
        usage()
    return n


def parse_proplist(fields: str, allow_all: bool = True) -> list[str] | None:
    """zprop_get_list(): canonical names / user props; None for 'all'."""
    res = []
    for tok in fields.split(","):
        if tok == "all" and allow_all:
            if len(fields.split(",")) > 1:
                err("bad property list: 'all' conflicts with other properties" if False else
                    "bad property list: invalid property 'all'")
                usage()
            return None
        name = zm.resolve_name(tok)
        if name is not None and (PROPS[name]["visible"] or name == "name"):
            res.append(name)
        elif zm.is_user_prop(tok) or tok.startswith(("written@", "userused@", "userquota@",
                                                      "groupused@", "groupquota@")):
            res.append(tok)
        else:
            err("bad property list: invalid property '%s'" % tok)
            usage()
    return res


# --------------------------------------------------------------------------- commands

def cmd_list(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, ":jHS:d:o:prs:t:", {"json": "j", "json-int": "J"})
    fields, types, tspec, recurse, depth = "name,used,available,referenced,mountpoint", 7, False, False, None
    literal = scripted = js = as_int = False
    sorts: list[tuple[str, bool]] = []
    for o, a in opts:
        if o == "o":
            fields = a
        elif o == "p":
            literal = True
        elif o == "d":
            depth = parse_depth(a)
        elif o == "r":
            recurse = True
        elif o == "j":
            js = True
        elif o == "J":
            as_int = literal = True
        elif o == "H":
            scripted = True
        elif o in "sS":
            n = zm.resolve_name(a)
            if n is None and not zm.is_user_prop(a):
                err("invalid property '%s'" % a)
                usage()
            sorts.append((n or a, o == "S"))
        elif o == "t":
            types, tspec = parse_types(a), True
    if as_int and not js:
        err("'--json-int' only works with '-j' option")
        usage()
    if not tspec:
        types = zm.T_FS | zm.T_VOL  # listsnapshots=off
    if fields == "space" and not tspec:
        types &= ~zm.T_SNAP
    if fields == "space":
        fields = "name,avail,used,usedsnap,usedds,usedrefreserv,usedchild"
    if types in (zm.T_SNAP, 16) and args and not recurse and depth is None:
        depth = 1
    plist = parse_proplist(fields)
    if plist is None:
        plist = ["name"] + [p["name"] for p in sorted(PROPS.values(), key=lambda p: p["num"])
                            if p["visible"]]
    names, rc = collect(z, args, types, recurse, depth)
    v = View(z, literal)
    rows: list[list[tuple[str, bool]]] = []
    jsd: dict[str, Any] = {}
    if sorts:
        def keyf(n: str):
            keys = []
            for prop, desc in sorts:
                if prop == "name":
                    k: Any = n
                elif prop in PROPS:
                    g = View(z, True).get(n, prop)
                    k = g[0] if g else ""
                    if PROPS[prop]["ptype"] == "number":
                        try:
                            k = int(k)
                        except ValueError:
                            k = -1
                else:
                    g = v.user(n, prop)
                    k = g[0] if g else ""
                keys.append((k, desc))
            return keys
        import functools

        def cmp(a: str, b: str) -> int:
            for (ka, desc), (kb, _) in zip(keyf(a), keyf(b)):
                if ka != kb:
                    try:
                        r = -1 if ka < kb else 1
                    except TypeError:
                        r = -1 if str(ka) < str(kb) else 1
                    return -r if desc else r
            return 0
        names = sorted(names, key=functools.cmp_to_key(cmp))
    for n in names:
        row = []
        props: dict[str, Any] = {}
        for prop in plist:
            if prop in PROPS:
                g = v.get(n, prop) if prop != "name" else (n, "none", "")
                val, s, frm = g if g else ("-", "none", "")
                right = PROPS[prop]["ptype"] == "number" and prop not in ("creation", "snapshots_changed")
            else:
                g = v.user(n, prop)
                val, s, frm = g if g else ("-", "none", "")
                right = False
            row.append((val, right))
            if js and prop != "name":
                props[prop] = json_prop(val, s, frm, as_int)
        rows.append(row)
        if js:
            info = json_info(z, n, as_int)
            info["properties"] = props
            jsd[n] = info
    if js:
        if rc == 0:
            print_json("list", jsd)
    elif rows or not scripted:
        widths = []
        for i, prop in enumerate(plist):
            if prop in PROPS:
                hdr = PROPS[prop]["colname"]
                w = len(hdr)
                fixed = PROPS[prop]["ptype"] == "number" and prop in (
                    "used", "available", "referenced", "compressratio", "refcompressratio",
                    "quota", "reservation", "refquota", "refreservation", "volsize",
                    "volblocksize", "recordsize", "usedbysnapshots", "usedbydataset",
                    "usedbychildren", "usedbyrefreservation", "userrefs", "written",
                    "logicalused", "logicalreferenced", "filesystem_count", "snapshot_count",
                    "filesystem_limit", "snapshot_limit", "special_small_blocks")
                if fixed and not literal:
                    w = max(w, 5)
                elif rows:
                    w = max([w] + [len(r[i][0]) for r in rows if r[i][0] != "-"])
            else:
                hdr = prop.upper()
                w = max([len(hdr)] + [len(r[i][0]) for r in rows if r[i][0] != "-"])
            widths.append((hdr, w))
        lines = []
        if rows and not scripted:
            parts = []
            for i, (hdr, w) in enumerate(widths):
                right = rows[0][i][1]
                if i == len(widths) - 1 and not right:
                    parts.append(hdr)
                else:
                    parts.append(hdr.rjust(w) if right else hdr.ljust(w))
            lines.append("  ".join(parts))
        for r in rows:
            if scripted:
                lines.append("\t".join(c for c, _ in r))
                continue
            parts = []
            for i, (c, right) in enumerate(r):
                w = widths[i][1]
                if i == len(r) - 1 and not right:
                    parts.append(c)
                else:
                    parts.append(c.rjust(w) if right else c.ljust(w))
            lines.append("  ".join(parts))
        for ln in lines:
            out(ln)
    if rc == 0 and not rows and not scripted:
        err("no datasets available")
    return rc


def cmd_get(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, ":d:o:s:rt:Hpj", {"json": "j", "json-int": "J"})
    cols = ["name", "property", "value", "source"]
    sources = None
    types, recurse, depth = 23, False, None
    literal = scripted = js = as_int = False
    for o, a in opts:
        if o == "p":
            literal = True
        elif o == "d":
            depth = parse_depth(a)
        elif o == "r":
            recurse = True
        elif o == "H":
            scripted = True
        elif o == "j":
            js = True
        elif o == "J":
            as_int = literal = True
        elif o == "o":
            cols = []
            for tok in a.split(","):
                if tok == "all":
                    if cols:
                        err("\"all\" conflicts with specific fields given to -o option")
                        usage()
                    cols = ["name", "property", "value", "received", "source"]
                    continue
                if tok not in ("name", "property", "value", "received", "source"):
                    err("invalid column name '%s'" % tok)
                    usage()
                if len(cols) >= 5:
                    err("too many fields given to -o option")
                    usage()
                cols.append(tok)
        elif o == "s":
            sources = set()
            for tok in a.split(","):
                if tok not in ("local", "default", "inherited", "received", "temporary", "none"):
                    err("invalid source '%s'" % tok)
                    usage()
                sources.add(tok)
        elif o == "t":
            types = parse_types(a)
            if types & 16 and types != 23:
                pass
    if not args:
        err("missing property argument")
        usage()
    if as_int and not js:
        err("'--json-int' only works with '-j' option")
        usage()
    fields = args[0]
    if types in (zm.T_SNAP, 16) and len(args) > 1 and not recurse and depth is None:
        depth = 1
    plist = parse_proplist(fields)
    is_all = plist is None
    names, rc = collect(z, args[1:], types, recurse, depth)
    v = View(z, literal)
    rows: list[list[str]] = []
    jsd: dict[str, Any] = {}
    native_all = [p["name"] for p in sorted(PROPS.values(), key=lambda p: p["num"]) if p["visible"]]
    for n in names:
        props_here = (native_all + v.user_props(n)) if is_all else plist
        jprops: dict[str, Any] = {}
        for prop in props_here:
            if prop in PROPS:
                g = v.get(n, prop) if prop != "name" else (n, "none", "")
                if g is None:
                    if is_all:
                        continue
                    g = ("-", "none", "")
            else:
                g = v.user(n, prop)
                if g is None:
                    if is_all:
                        continue
                    g = ("-", "none", "")
            val, s, frm = g
            if sources is not None and s not in sources:
                continue
            if js:
                jprops[prop] = json_prop(val, s, frm, as_int)
                continue
            row = []
            for c in cols:
                row.append({"name": n, "property": prop, "value": val, "received": "-",
                            "source": source_text(s, frm)}[c])
            rows.append(row)
        if js and jprops:
            info = json_info(z, n, as_int)
            info["properties"] = jprops
            jsd[n] = info
    if js:
        if rc == 0:
            print_json("get", jsd)
        return rc
    if scripted:
        for r in rows:
            out("\t".join(r))
        return rc
    if not rows:
        return rc
    # column widths as zprop_print_headers(): NAME/PROPERTY/VALUE from the property list
    namew = max([4] + [len(n) for n in names])
    plist_all = (native_all + sorted({p for n in names for p in v.user_props(n)})) if is_all else plist
    propw = max([8] + [len(p) for p in plist_all])
    valw = 5
    for p in plist_all:
        if p in PROPS:
            w = len(PROPS[p]["colname"])
            if PROPS[p]["ptype"] == "number" and p in ("used", "available", "referenced",
                                                       "usedbysnapshots", "usedbydataset",
                                                       "usedbychildren", "usedbyrefreservation",
                                                       "quota", "reservation", "refquota",
                                                       "refreservation", "recordsize", "written",
                                                       "logicalused", "logicalreferenced",
                                                       "compressratio", "refcompressratio",
                                                       "volsize", "volblocksize", "userrefs",
                                                       "special_small_blocks", "filesystem_limit",
                                                       "snapshot_limit", "filesystem_count",
                                                       "snapshot_count") and not literal:
                w = max(w, 5)
            else:
                for n in names:
                    g = v.get(n, p) if p != "name" else (n, "", "")
                    if g:
                        w = max(w, len(g[0]))
        else:
            w = len(p)
            for n in names:
                g = v.user(n, p)
                if g:
                    w = max(w, len(g[0]))
        valw = max(valw, w)
    widths = {"name": namew, "property": propw, "value": valw, "received": 8,
              "source": namew + len("inherited from")}
    titles = {"name": "NAME", "property": "PROPERTY", "value": "VALUE", "received": "RECEIVED",
              "source": "SOURCE"}

    def fmt(cells: list[str]) -> str:
        s = ""
        for i, c in enumerate(cells):
            if i == len(cells) - 1:
                s += c
            else:
                s += c.ljust(widths[cols[i]]) + "  "
        return s
    out(fmt([titles[c] for c in cols]))
    for r in rows:
        out(fmt(r))
    return rc


def parse_o(a: str, seen: dict[str, str]) -> None:
    if "=" not in a:
        err("missing '=' for property=value argument")
        raise Exit(2)
    k, val = a.split("=", 1)
    if k in seen:
        err("property '%s' specified multiple times" % k)
        raise Exit(2)
    seen[k] = val


def validate_props(raw: dict[str, str], dstype: str, errprefix: str) -> dict[str, str] | None:
    res = {}
    for k, val in raw.items():
        r = check_prop(k, val, dstype, True)
        if isinstance(r, str):
            err("%s: %s" % (errprefix, r))
            return None
        res[r[0]] = r[1]
    return res


def create_fs(z: dict[str, Any], name: str, props: dict[str, str], mount: bool,
              origin: str | None = None) -> None:
    rec = zm.new_record(z, "filesystem", props)
    rec["origin"] = origin
    z["datasets"][name] = rec
    if mount and zm.should_mount(z, name):
        zm.do_mount(z, name)


def parent_check(z: dict[str, Any], name: str, parents: bool, op: str, mount: bool) -> int | None:
    """Check (and with -p create) the ancestors of name. Returns an exit code on error."""
    pool = name.split("/")[0]
    if pool not in z.get("pools", {z["pool"]: None}):
        err("cannot %s '%s': no such pool '%s'" % (op, name, pool))
        return 1
    par = zm.parent_of(name)
    if par is None:
        err("cannot %s '%s': missing dataset name" % (op, name))
        return 1
    if par not in z["datasets"]:
        if not parents:
            err("cannot %s '%s': parent does not exist" % (op, name))
            return 1
        chain = []
        cur = par
        while cur not in z["datasets"]:
            chain.append(cur)
            cur = zm.parent_of(cur)
        for c in reversed(chain):
            create_fs(z, c, {}, mount)
    elif z["datasets"][par]["type"] != "filesystem":
        err("cannot %s '%s': parent is not a filesystem" % (op, name))
        return 1
    return None


def cmd_create(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, ":PV:b:nso:puv")
    parents = mount = True
    parents = False
    raw: dict[str, str] = {}
    dry = verbose = parsable = False
    volsize = None
    for o, a in opts:
        if o == "p":
            parents = True
        elif o == "u":
            mount = False
        elif o == "o":
            parse_o(a, raw)
        elif o == "n":
            dry = True
        elif o == "v":
            verbose = True
        elif o == "P":
            verbose = parsable = True
        elif o == "V":
            volsize = a
        elif o in "bs":
            pass
    if not args:
        err("missing %s argument" % ("volume" if volsize else "filesystem"))
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    name = args[0]
    if volsize is not None:
        err("cannot create '%s': volumes are not supported by the testbed" % name)
        return 1
    why = validate_name(name, zm.T_FS)
    if why:
        err("cannot create '%s': %s" % (name, why))
        return 1
    if name in z["datasets"]:
        if parents:
            return 0
        err("cannot create '%s': dataset already exists" % name)
        return 1
    props = validate_props(raw, "filesystem", "cannot create '%s'" % name)
    if props is None:
        return 1
    if verbose:
        if parsable:
            if parents and zm.parent_of(name) not in z["datasets"]:
                out("create_ancestors\t%s" % zm.parent_of(name))
            out("create\t%s" % name)
            for k, val in raw.items():
                out("property\t%s\t%s" % (k, val))
        else:
            out("%s %s" % ("would create" if dry else "create", name))
            for k, val in raw.items():
                out("\t%s=%s" % (k, val))
    if dry:
        if zm.parent_of(name) not in z["datasets"] and not parents:
            err("cannot create '%s': parent does not exist" % name)
            return 1
        return 0
    rc = parent_check(z, name, parents, "create", mount)
    if rc is not None:
        return rc
    create_fs(z, name, props, mount)
    return 0


def tree_post(z: dict[str, Any], name: str, with_clones: bool) -> list[str]:
    """Depth-first post-order list of the datasets under name (not including it)."""
    res: list[str] = []

    def visit(n: str) -> None:
        for s in zm.snapshots(z, n):
            if with_clones:
                for c in zm.clones_of(z, s):
                    visit(c)
                    res.append(c)
            res.append(s)
        for c in zm.children(z, n):
            visit(c)
            res.append(c)
    visit(name)
    return res


def destroy_one(z: dict[str, Any], name: str) -> None:
    d = z["datasets"].get(name)
    if d is None:
        return
    if d["type"] == "filesystem":
        for s in zm.snapshots(z, name):
            destroy_one(z, s)
        zm.remove_files(z, name)
    else:
        zm.remove_files(z, name)
        fs = z["datasets"].get(name.split("@")[0])
        if fs:
            fs["snapchanged"] = int(time.time())
    del z["datasets"][name]


def cmd_destroy(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "vpndfrR")
    flags = {o for o, _ in opts}
    dry, verbose, parsable = "n" in flags, "v" in flags or "p" in flags, "p" in flags
    rec, rec_clones = "r" in flags or "R" in flags, "R" in flags
    if not args:
        err("missing dataset argument")
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    target = args[0]
    sz = zm.Sizer(z)

    def report(names: list[str]) -> None:
        for n in names:
            if parsable:
                out("destroy\t%s" % n)
            elif verbose:
                out("%s destroy %s" % ("would" if dry else "will", n))

    if "@" in target:
        fs, snapspec = target.split("@", 1)
        if fs not in z["datasets"]:
            err("cannot open '%s': dataset does not exist" % fs)
            return 1
        roots = [fs] + (zm.descendants(z, fs) if rec else [])
        wanted = []
        for part in snapspec.split(","):
            for r in roots:
                snaps = zm.snapshots(z, r)
                if "%" in part:
                    a, b = part.split("%", 1)
                    names = [s.split("@")[1] for s in snaps]
                    i = names.index(a) if a in names else (0 if a == "" else None)
                    j = names.index(b) if b in names else (len(names) - 1 if b == "" else None)
                    if i is not None and j is not None:
                        wanted += snaps[i:j + 1]
                elif "%s@%s" % (r, part) in z["datasets"]:
                    wanted.append("%s@%s" % (r, part))
        if not wanted:
            if not rec:
                why = validate_name(target, zm.T_SNAP)
                if why:
                    err("cannot destroy '%s': %s" % (target, why))
                    return 1
            err("could not find any snapshots to destroy; check snapshot names.")
            return 1
        rc = 0
        extra = []
        for s in wanted:
            cl = zm.clones_of(z, s)
            if cl and not rec_clones:
                err("cannot destroy '%s': snapshot has dependent clones" % s)
                err("use '-R' to destroy the following datasets:")
                for c in cl:
                    for n in tree_post(z, c, True):
                        err(n)
                    err(c)
                return 1
            for c in cl:
                extra += tree_post(z, c, True) + [c]
        reclaim = sum(sz.snap_used(s) for s in wanted)
        report(extra + wanted)
        if verbose:
            if parsable:
                out("reclaim\t%d" % reclaim)
            else:
                out("%s reclaim %s" % ("would" if dry else "will", nicenum(reclaim)))
        if dry:
            return 0
        for n in extra + wanted:
            destroy_one(z, n)
        return rc

    why = validate_name(target, zm.T_FS | zm.T_VOL, False)
    if why:
        err("cannot open '%s': %s" % (target, why))
        return 1
    if target not in z["datasets"]:
        err("cannot open '%s': dataset does not exist" % target)
        return 1
    if "/" not in target and not rec:
        err("cannot destroy '%s': operation does not apply to pools" % target)
        err("use 'zfs destroy -r %s' to destroy all datasets in the pool" % target)
        err("use 'zpool destroy %s' to destroy the pool itself" % target)
        return 1
    under = tree_post(z, target, False)
    if under and not rec:
        err("cannot destroy '%s': filesystem has children" % target)
        err("use '-r' to destroy the following datasets:")
        for n in under:
            err(n)
        return 1
    # dependent clones outside the tree
    inside = set(under) | {target}
    outside = []
    for n in under + [target]:
        if "@" in n:
            for c in zm.clones_of(z, n):
                if c not in inside:
                    outside.append(c)
    if outside and not rec_clones:
        err("cannot destroy '%s': filesystem has dependent clones" % target)
        err("use '-R' to destroy the following datasets:")
        for c in outside:
            for n in tree_post(z, c, True):
                err(n)
            err(c)
        return 1
    allnames = tree_post(z, target, True) if rec_clones else under
    allnames = allnames + [target]
    report(allnames)
    if dry:
        return 0
    for n in allnames:
        destroy_one(z, n)
    if target == z["pool"]:
        pass
    return 0


def take_snapshot(z: dict[str, Any], snap: str, props: dict[str, str], sz: zm.Sizer) -> None:
    fs = snap.split("@")[0]
    rec = zm.new_record(z, "snapshot", props)
    fsd = z["datasets"][fs]
    rec["refer"], rec["lrefer"] = sz.refer(fs), sz.lrefer(fs)
    rec["createtxg"] = z["txg"]
    z["datasets"][snap] = rec
    fsd["snapchanged"] = int(time.time())
    mp = zm.mount_path(z, fs)
    store = zm.snap_path(rec)
    if fsd.get("static") is not None:
        os.makedirs(store, exist_ok=True)
        return
    src = zm.hoststate.hostpath(mp) if mp else zm.park_path(fsd)
    skip = zm.other_mounts_real(z, mp) if mp else set()
    zm.copy_tree(src, store, skip)


def cmd_snapshot(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "ro:")
    rec = False
    raw: dict[str, str] = {}
    for o, a in opts:
        if o == "r":
            rec = True
        elif o == "o":
            parse_o(a, raw)
    if not args:
        err("missing snapshot argument")
        usage()
    targets = []
    for a in args:
        if "@" not in a:
            usage()
        why = validate_name(a, zm.T_SNAP)
        if why:
            err("cannot create snapshot '%s': %s" % (a, why))
            return 1
        fs, sn = a.split("@", 1)
        if fs not in z["datasets"]:
            err("cannot open '%s': dataset does not exist" % fs)
            usage()
        targets.append(a)
        if rec:
            targets += ["%s@%s" % (d, sn) for d in zm.descendants(z, fs)]
    for sname in targets:
        if sname in z["datasets"]:
            err("cannot create snapshot '%s': dataset already exists" % sname)
            if rec or len(args) > 1:
                err("no snapshots were created")
            return 1
    props = {}
    for k, val in raw.items():
        if not zm.is_user_prop(k):
            err("cannot create snapshot '%s': this property can not be modified for snapshots"
                % targets[0])
            return 1
        props[k] = val
    next_txg = zm.next_txg(z)
    sz = zm.Sizer(z)
    for sname in targets:
        z["txg"] = next_txg
        take_snapshot(z, sname, props, sz)
    return 0


def cmd_clone(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "o:pu")
    parents, mount = False, True
    raw: dict[str, str] = {}
    for o, a in opts:
        if o == "p":
            parents = True
        elif o == "u":
            mount = False
        elif o == "o":
            parse_o(a, raw)
    if not args:
        err("missing source dataset argument")
        usage()
    if len(args) < 2:
        err("missing target dataset argument")
        usage()
    if len(args) > 2:
        err("too many arguments")
        usage()
    src, tgt = args
    why = validate_name(src, zm.T_SNAP, False)
    if why:
        err("cannot open '%s': %s" % (src, why))
        return 1
    if src not in z["datasets"]:
        err("cannot open '%s': dataset does not exist" % src)
        return 1
    if parents and tgt in z["datasets"]:
        return 0
    why = validate_name(tgt, zm.T_FS)
    if why:
        err("cannot create '%s': %s" % (tgt, why))
        return 1
    if tgt.split("/")[0] != src.split("/")[0]:
        err("cannot create '%s': source and target pools differ" % tgt)
        return 1
    if tgt in z["datasets"]:
        err("cannot create '%s': dataset already exists" % tgt)
        return 1
    props = validate_props(raw, "filesystem", "cannot create '%s'" % tgt)
    if props is None:
        return 1
    rc = parent_check(z, tgt, parents, "create", True)
    if rc is not None:
        return rc
    sd = z["datasets"][src]
    rec = zm.new_record(z, "filesystem", props)
    rec["origin"] = src
    rec["refer"], rec["lrefer"] = sd["refer"], sd["lrefer"]
    z["datasets"][tgt] = rec
    store = zm.snap_path(sd)
    if mount and zm.should_mount(z, tgt):
        mp = zm.mountpoint(z, tgt)
        zm.copy_tree(store, hoststate.hostpath(mp))
        rec["mounted"] = True
    else:
        zm.copy_tree(store, zm.park_path(rec))
    return 0


def remount_tree(z: dict[str, Any], name: str, change) -> None:
    """Unmount name and its mounted descendants, apply change(), remount what should be."""
    affected = [name] + zm.descendants(z, name)
    was = {n: z["datasets"][n].get("mounted") for n in affected}
    for n in reversed(affected):
        if was[n]:
            zm.do_unmount(z, n)
    change()
    for n in [x for x in affected if x in z["datasets"]]:
        d = z["datasets"][n]
        # changelist_postfix(): remount what was mounted, and mount every canmount=on one
        if zm.should_mount(z, n) or (was.get(n) and zm.mountpoint(z, n).startswith("/")
                                     and zm.prop_source(z, n, "canmount")[0] != "off"):
            zm.do_mount(z, n)


def cmd_set(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "u")
    nomount = any(o == "u" for o, _ in opts)
    if not args:
        err("missing arguments")
        usage()
    if "=" not in args[0]:
        err("missing property=value argument(s)")
        usage()
    i = 0
    pairs: list[tuple[str, str]] = []
    while i < len(args) and "=" in args[i]:
        k, val = args[i].split("=", 1)
        if not k:
            err("missing property in property=value argument")
            usage()
        pairs.append((k, val))
        i += 1
    targets = args[i:]
    if not targets:
        err("missing dataset name(s)")
        usage()
    for t in targets:
        if "=" in t:
            err("invalid argument order")
            usage()
    rc = 0
    for t in targets:
        why = validate_name(t, zm.T_FS | zm.T_SNAP | zm.T_VOL, False)
        if why:
            err("cannot open '%s': %s" % (t, why))
            rc = 1
            continue
        if t not in z["datasets"]:
            err("cannot open '%s': dataset does not exist" % t)
            rc = 1
            continue
        d = z["datasets"][t]
        newp = {}
        bad = False
        for k, val in pairs:
            r = check_prop(k, val, d["type"], False)
            if isinstance(r, str):
                err("cannot set property for '%s': %s" % (t, r))
                bad = True
                break
            newp[r[0]] = r[1]
        if bad:
            rc |= 255
            continue
        if "quota" in newp and newp["quota"] != "0":
            if int(newp["quota"]) < zm.Sizer(z).used(t):
                err("cannot set property for '%s': size is less than current used or reserved space" % t)
                rc |= 255
                continue
        mount_related = {"mountpoint", "canmount"} & set(newp)
        if mount_related and d["type"] == "filesystem" and not nomount:
            had_children = any(z["datasets"][c].get("mounted") for c in zm.descendants(z, t))
            old_mp = zm.mountpoint(z, t)

            def change() -> None:
                d["props"].update(newp)
            remount_tree(z, t, change)
            if "mountpoint" in newp and had_children and zm.mountpoint(z, t) != old_mp:
                d["extra"] = d.get("extra", 0) + 8 * zm.K
        else:
            d["props"].update(newp)
    return rc


def cmd_inherit(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "rS")
    rec = any(o == "r" for o, _ in opts)
    if not args:
        err("missing property argument")
        usage()
    if len(args) < 2:
        err("missing dataset argument")
        usage()
    prop, targets = args[0], args[1:]
    name = zm.resolve_name(prop)
    if name is not None:
        p = PROPS[name]
        if p["attr"] == "readonly":
            err("%s property is read-only" % prop)
            return 1
        if p["attr"] != "inherit":
            err("'%s' property cannot be inherited" % prop)
            if name in ("quota", "reservation", "refquota", "refreservation"):
                err("use 'zfs set %s=none' to clear" % prop)
                err("use 'zfs inherit -S %s' to revert to received value" % prop)
            return 1
    elif not zm.is_user_prop(prop):
        err("invalid property '%s'" % prop)
        usage()
    key = name or prop
    rc = 0
    for t in targets:
        if t not in z["datasets"]:
            err("cannot open '%s': dataset does not exist" % t)
            rc = 1
            continue
        names = [t] + (zm.descendants(z, t) + [s for n in [t] + zm.descendants(z, t)
                                             for s in zm.snapshots(z, n)] if rec else [])
        if name is not None and z["datasets"][t]["type"] == "snapshot":
            err("cannot inherit %s for '%s': property doesn't apply to datasets of this type"
                % (prop, t))
            rc = 1
            continue
        for n in names:
            d = z["datasets"][n]
            if key in ("mountpoint", "canmount") and key in d["props"] and d["type"] == "filesystem":
                remount_tree(z, n, lambda d=d: d["props"].pop(key, None))
            else:
                d["props"].pop(key, None)
    return rc


def rename_records(z: dict[str, Any], old: str, new: str) -> None:
    ds = z["datasets"]
    moves = {}
    for n in list(ds):
        if n == old or n.startswith(old + "/") or n.startswith(old + "@"):
            moves[n] = new + n[len(old):]
    for o, nn in moves.items():
        ds[nn] = ds.pop(o)
    for d in ds.values():
        if d.get("origin") in moves:
            d["origin"] = moves[d["origin"]]


def cmd_rename(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "pruf")
    flags = {o for o, _ in opts}
    if "p" in flags and "r" in flags:
        err("-p and -r options are mutually exclusive")
        usage()
    if "p" in flags and "u" in flags:
        err("-u and -p options are mutually exclusive")
        usage()
    if not args:
        err("missing source dataset argument")
        usage()
    if len(args) < 2:
        err("missing target dataset argument")
        usage()
    if len(args) > 2:
        err("too many arguments")
        usage()
    src, tgt = args
    if "r" in flags and "@" not in src:
        err("source dataset for recursive rename must be a snapshot")
        usage()
    types = zm.T_SNAP if "@" in src else zm.T_FS | zm.T_VOL
    why = validate_name(src, types, False)
    if why:
        err("cannot open '%s': %s" % (src, why))
        return 1
    if src not in z["datasets"]:
        err("cannot open '%s': dataset does not exist" % src)
        return 1
    if "@" in src:
        fs = src.split("@")[0]
        if tgt.startswith("@"):
            tgt = fs + tgt
        elif "@" not in tgt and "/" not in tgt:
            tgt = fs + "@" + tgt
        if tgt.split("@")[0] != fs:
            err("cannot rename to '%s': snapshots must be part of same dataset" % tgt)
            return 1
        why = validate_name(tgt, zm.T_SNAP)
        if why:
            err("cannot rename to '%s': %s" % (tgt, why))
            return 1
        if src == tgt:
            return 0
        pairs = [(src, tgt)]
        if "r" in flags:
            osn, nsn = src.split("@")[1], tgt.split("@")[1]
            pairs += [("%s@%s" % (d, osn), "%s@%s" % (d, nsn)) for d in zm.descendants(z, fs)
                      if "%s@%s" % (d, osn) in z["datasets"]]
        for o, n in pairs:
            if n in z["datasets"]:
                err("cannot rename to '%s': dataset already exists" % n)
                return 1
        for o, n in pairs:
            rename_records(z, o, n)
        return 0
    if "@" in tgt:
        err("cannot rename to '%s': snapshot delimiter '@' is not expected here" % tgt)
        return 1
    why = validate_name(tgt, zm.T_FS)
    if why:
        err("cannot rename to '%s': %s" % (tgt, why))
        return 1
    if src == tgt:
        return 0
    if tgt.split("/")[0] != src.split("/")[0]:
        err("cannot rename to '%s': datasets must be within same pool" % tgt)
        return 1
    if tgt.startswith(src + "/"):
        err("cannot rename to '%s': New dataset name cannot be a descendant of current "
            "dataset name" % tgt)
        return 1
    if "/" not in src:
        err("cannot rename '%s': operation does not apply to pools" % src)
        return 1
    if tgt in z["datasets"]:
        err("cannot rename '%s': dataset already exists" % src)
        return 1
    par = zm.parent_of(tgt)
    if par not in z["datasets"]:
        if "p" not in flags:
            err("cannot create '%s': parent does not exist" % tgt)
            return 1
        rc = parent_check(z, tgt, True, "create", True)
        if rc is not None:
            return rc

    def change() -> None:
        rename_records(z, src, tgt)
    if "u" in flags:
        change()
    else:
        affected = [src] + zm.descendants(z, src)
        was = {n: z["datasets"][n].get("mounted") for n in affected}
        for n in reversed(affected):
            if was[n]:
                zm.do_unmount(z, n)
        change()
        for n in affected:
            nn = tgt + n[len(src):]
            if was[n] and zm.should_mount(z, nn):
                zm.do_mount(z, nn)
    return 0


def cmd_promote(z: dict[str, Any], args: list[str]) -> int:
    getopt(args, "")
    if not args:
        err("missing clone filesystem argument")
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    c = args[0]
    why = validate_name(c, zm.T_FS | zm.T_VOL, False)
    if why:
        err("cannot open '%s': %s" % (c, why))
        return 1
    if c not in z["datasets"]:
        err("cannot open '%s': dataset does not exist" % c)
        return 1
    d = z["datasets"][c]
    origin = d.get("origin")
    if not origin:
        err("cannot promote '%s': not a cloned filesystem" % c)
        return 1
    ofs, osnap = origin.split("@")
    snaps = zm.snapshots(z, ofs)
    moving = snaps[:snaps.index(origin) + 1]
    mine = {s.split("@")[1] for s in zm.snapshots(z, c)}
    for s in moving:
        sn = s.split("@")[1]
        if sn in mine:
            err("cannot promote '%s': conflicting snapshot '%s' from parent '%s'" % (c, sn, ofs))
            return 1
    old_origin = z["datasets"][ofs].get("origin")
    for s in moving:
        rename_records(z, s, c + "@" + s.split("@")[1])
    d["origin"] = old_origin
    z["datasets"][ofs]["origin"] = c + "@" + osnap
    # accounting: the promoted clone now owns the origin's data
    return 0


def cmd_rollback(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "rRf")
    flags = {o for o, _ in opts}
    if not args:
        err("missing dataset argument")
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    snap = args[0]
    why = validate_name(snap, zm.T_SNAP, False)
    if why:
        err("cannot open '%s': %s" % (snap, why))
        return 1
    if snap not in z["datasets"]:
        err("cannot open '%s': dataset does not exist" % snap)
        return 1
    fs = snap.split("@")[0]
    snaps = zm.snapshots(z, fs)
    later = snaps[snaps.index(snap) + 1:]
    if later and not ("r" in flags or "R" in flags):
        err("cannot rollback to '%s': more recent snapshots or bookmarks exist" % snap)
        err("use '-r' to force deletion of the following snapshots and bookmarks:")
        for s in later:
            err(s)
        return 1
    for s in later:
        cl = zm.clones_of(z, s)
        if cl and "R" not in flags:
            err("cannot rollback to '%s': clones of previous snapshots exist" % snap)
            err("use '-R' to force deletion of the following clones and dependents:")
            for c in cl:
                err(c)
            return 1
    for s in reversed(later):
        for c in zm.clones_of(z, s):
            for n in tree_post(z, c, True) + [c]:
                destroy_one(z, n)
        destroy_one(z, s)
    fsd, sd = z["datasets"][fs], z["datasets"][snap]
    mp = zm.mount_path(z, fs)
    if fsd.get("static") is None:
        real = hoststate.hostpath(mp) if mp else zm.park_path(fsd)
        others = zm.other_mounts_real(z, mp) if mp else set()
        if os.path.isdir(real):
            for e in os.listdir(real):
                p = os.path.join(real, e)
                if p in others or any(o.startswith(p + "/") for o in others):
                    continue
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    os.unlink(p)
        zm.copy_tree(zm.snap_path(sd), real)
    fsd["refer"], fsd["lrefer"] = sd["refer"], sd["lrefer"]
    return 0


def cmd_mount(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "ajlvo:OfR", {"json": "j"})
    flags = {o for o, _ in opts}
    if not args and "a" not in flags:
        mounted = [n for n in sorted(z["datasets"]) if zm.mount_path(z, n)]
        if "j" in flags:
            d = {n: {"filesystem": n, "mountpoint": zm.mount_path(z, n)} for n in mounted}
            out(json.dumps({"output_version": {"command": "zfs mount", "vers_major": 0,
                                               "vers_minor": 1}, "datasets": d},
                           separators=(",", ":")))
            return 0
        w = max(len(n) for n in mounted)
        for n in mounted:
            out("%-*s  %s" % (w, n, zm.mount_path(z, n)))
        return 0
    if "a" in flags:
        for n in sorted(z["datasets"]):
            d = z["datasets"][n]
            if d["type"] == "filesystem" and not d.get("mounted") and zm.should_mount(z, n):
                zm.do_mount(z, n)
        return 0
    rc = 0
    for n in args:
        if n not in z["datasets"]:
            err("cannot open '%s': dataset does not exist" % n)
            rc = 1
            continue
        d = z["datasets"][n]
        mp = zm.mountpoint(z, n)
        if d.get("mounted"):
            err("cannot mount '%s': filesystem already mounted" % n)
            rc = 1
        elif mp == "legacy":
            err("cannot mount '%s': legacy mountpoint" % n)
            err("use mount(8) to mount this filesystem")
            rc = 1
        elif mp == "none":
            err("cannot mount '%s': no mountpoint set" % n)
            rc = 1
        elif zm.prop_source(z, n, "canmount")[0] == "off":
            err("cannot mount '%s': 'canmount' property is set to 'off'" % n)
            rc = 1
        else:
            zm.do_mount(z, n)
    return rc


def cmd_unmount(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "afu")
    flags = {o for o, _ in opts}
    if "a" in flags:
        for n in sorted(z["datasets"], reverse=True):
            if z["datasets"][n].get("mounted") and z["datasets"][n].get("static") is None:
                zm.do_unmount(z, n)
        return 0
    if not args:
        err("missing filesystem argument")
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    a = args[0]
    if a.startswith("/"):
        hits = [n for n in z["datasets"] if zm.mount_path(z, n) == os.path.normpath(a)]
        if not hits:
            err("cannot unmount '%s': not a mountpoint" % a)
            return 1
        a = hits[0]
    if a not in z["datasets"]:
        err("cannot open '%s': dataset does not exist" % a)
        return 1
    if not z["datasets"][a].get("mounted"):
        err("cannot unmount '%s': not currently mounted" % a)
        return 1
    for n in reversed([a] + zm.descendants(z, a)):
        if z["datasets"][n].get("mounted"):
            zm.do_unmount(z, n)
    return 0


HANDLERS = {
    "create": cmd_create, "destroy": cmd_destroy, "snapshot": cmd_snapshot, "snap": cmd_snapshot,
    "clone": cmd_clone, "promote": cmd_promote, "rename": cmd_rename, "set": cmd_set,
    "inherit": cmd_inherit, "get": cmd_get, "list": cmd_list, "mount": cmd_mount,
    "unmount": cmd_unmount, "umount": cmd_unmount, "rollback": cmd_rollback,
}
READ_ONLY = {"get", "list"}
ALIASES = {"snap": "snapshot", "umount": "unmount", "recv": "receive"}


def main(argv: list[str]) -> int:
    """zfs_main.c:main(); never lets a Python exception escape as a traceback."""
    try:
        return _main(argv)
    except Exception as e:  # noqa: BLE001 - a real zfs(8) never prints a traceback
        sys.stderr.write("internal error: %s\n" % type(e).__name__)
        return 1


def _main(argv: list[str]) -> int:
    CMD[0] = None
    for stream in (sys.stdout, sys.stderr):   # odd bytes in argv are echoed back as bytes
        try:
            stream.reconfigure(errors="surrogateescape")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass
    args = list(argv[1:])
    try:
        if not args:
            err("missing command")
            usage()
        cmd = args[0]
        if cmd in ("-?", "--help", "-h", "help"):
            sys.stdout.write(FULL_USAGE)
            return 0
        if cmd in ("-V", "--version", "version"):
            out("zfs-2.4.0-FreeBSD_g1d2e8c1b0")
            out("zfs-kmod-2.4.0-FreeBSD_g1d2e8c1b0")
            return 0
        canon = ALIASES.get(cmd, cmd)
        if canon not in COMMANDS or canon in ("zone", "unzone"):
            err("unrecognized command '%s'" % cmd)
            usage()
        CMD[0] = canon
        handler = HANDLERS.get(cmd)
        if handler is None:
            err("zfs %s: not supported by the testbed" % canon)
            return 1
        with hoststate.locked(write=True) as st:
            z = zm.ensure(st)
            return handler(z, args[1:])
    except Exit as e:
        return e.code
