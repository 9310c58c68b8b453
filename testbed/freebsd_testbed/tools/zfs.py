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
from . import zfs_engine as eng_mod
from . import zfs_model as zm
from ._common import scan_options
from .zfs_common import VERSION, Exit, echo_bytes, err, out, print_version, run_guarded
from .zfs_engine import fmt_time, nicenum  # noqa: F401 (re-exported)
from .zfs_props import PROPS
from .zfs_usage import COMMANDS, FULL_USAGE, USAGE


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


def getopt(args: list[str], spec: str, longs: dict[str, str] | None = None,
           colon_case: bool | str = True):
    """getopt(3) / getopt_long(3) of FreeBSD libc as zfs_main.c's option loops see them.

    Returns (opts, operands). Without ``longs`` it is lib/libc/stdlib/getopt.c: stops at the first
    operand and, unless ``spec`` starts with ':', prints "zfs: illegal option -- c" / "zfs: option
    requires an argument -- c" itself. With ``longs`` it is getopt_long.c (GNU_COMPATIBLE,
    FLAG_PERMUTE): options may follow operands, its own messages are "invalid option -- c" and
    "unrecognized option `--x'". The zfs_main.c switch then prints "invalid option 'c'" for '?'
    and, where it has a ``case ':'`` (``colon_case``), "missing argument for 'c' option"; both
    go to usage(B_FALSE). A ':' with no such case is ignored by the loop.
    """
    quiet = spec.startswith(":")
    body = spec[1:] if quiet else spec

    def illegal(c: str) -> None:
        if not quiet:
            err("zfs: %s -- %s" % ("invalid option" if longs is not None else "illegal option", c))
        err("invalid option '%s'" % c)
        usage()

    def missing(c: str) -> None:
        if not quiet:
            err("zfs: option requires an argument -- %s" % c)
            err("invalid option '%s'" % c)
            usage()
        elif colon_case:
            err(colon_case if isinstance(colon_case, str) else
                "missing argument for '%s' option" % c)
            usage()
        # a ':' with no case ':' in the switch: the option is dropped

    def longopt(a: str) -> str:
        assert longs is not None
        if a[2:] in longs:
            return longs[a[2:]]
        if not quiet:
            err("zfs: unrecognized option `%s'" % a)
        err("invalid option '\0'")  # optopt = 0 for an unknown long option
        usage()
        return ""
    permute = longs is not None      # getopt_long permutes operands to the end
    return scan_options(args, body, illegal, missing, longopt if permute else None,
                        permute, flag=None)


# --------------------------------------------------------------------------- names

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
    if len(path.encode(errors="surrogateescape")) >= 256:  # argv bytes that are not UTF-8 count as bytes
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
    name = eng_mod.name_to_prop(prop)
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


def json_info(z: dict[str, Any], name: str, as_int: bool) -> dict[str, Any]:
    """zfs_main.c fill_dataset_info()."""
    d = z["datasets"][name]
    info: dict[str, Any] = {"name": name, "type": d["type"].upper(), "pool": zm.pool_of(name),
                            "createtxg": d["createtxg"] if as_int else str(d["createtxg"])}
    if d["type"] == "snapshot":
        info["dataset"], info["snapshot_name"] = name.split("@", 1)
    return info


def print_json_doc(cmd: str, body: dict[str, Any]) -> None:
    """zfs_json_schema() + zcmd_print_json(): one compact line."""
    doc = {"output_version": {"command": "zfs " + cmd, "vers_major": 0, "vers_minor": 1}}
    doc.update(body)
    out(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))


def print_json(cmd: str, datasets: dict[str, Any]) -> None:
    print_json_doc(cmd, {"datasets": datasets})


# --------------------------------------------------------------------------- iteration

def sort_key(z: dict[str, Any], name: str):
    """zfs_iter.c zfs_compare(): by name, a dataset before its snapshots, those by createtxg."""
    fs, _, snap = name.partition("@")
    return (fs.encode(), 1 if snap else 0, z["datasets"][name]["createtxg"] if snap else 0)


def collect(z: dict[str, Any], args: list[str], types: int, recurse: bool, depth: int | None,
            listsnaps: bool = False) -> tuple[list[str], int]:
    """zfs_iter.c zfs_for_each() + zfs_callback(): the matching dataset names (sorted) and an
    error flag. No operands means every pool's root, recursively (zfs_iter_root).
    ``listsnaps`` is ZFS_ITER_PROP_LISTSNAPS (zfs list without -t): snapshots are included when
    the pool's listsnapshots property is on (zfs_include_snapshots())."""
    rc = 0
    found: set[str] = set()

    def include_snaps(name: str) -> bool:
        if listsnaps:
            rec = zm.pool_rec(z, name) or {}
            return rec.get("props", {}).get("listsnapshots", "off") == "on"
        return bool(types & zm.T_SNAP)

    def walk(name: str, level: int) -> None:
        d = z["datasets"][name]
        if zm.TYPE_BITS[d["type"]] & types or (d["type"] == "snapshot" and include_snaps(name)):
            found.add(name)
        if d["type"] == "snapshot":
            return
        if not (recurse or depth is not None):
            return
        if depth is not None and level >= depth:
            return
        for c in zm.children(z, name):
            walk(c, level + 1)
        if include_snaps(name):
            for s in zm.snapshots(z, name):
                found.add(s)

    if not args:
        recurse = True
        for pool in sorted(z.get("pools", {z["pool"]: None})):
            if pool in z["datasets"]:
                walk(pool, 0)
    for a in args:
        name = a
        if a.startswith("/") or a.startswith("./"):
            # ZFS_ITER_ARGS_CAN_BE_PATHS: the filesystem mounted at/above the path
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


TYPE_WORDS = {"filesystem": 1, "fs": 1, "volume": 4, "vol": 4, "snapshot": 2, "snap": 2,
              "bookmark": 16, "all": 23}


def parse_types(arg: str) -> int:
    """The -t loops of zfs_do_list() / zfs_do_get(): 'invalid type' then usage."""
    t = 0
    for tok in arg.split(","):
        m = TYPE_WORDS.get(tok)
        if m is None:
            err("invalid type '%s'" % tok)
            usage()
        t |= m
    return t


def parse_depth(arg: str) -> int:
    """zfs_main.c parse_depth()."""
    try:
        n = int(arg)
    except ValueError:
        err("%s is not an integer" % arg)
        usage()
    if n < 0:
        err("Depth can not be negative.")
        usage()
    return n


def proplist(fields: str) -> list[eng_mod.Entry] | None:
    """zprop_get_list() failing: 'bad property list: <why>' then usage (exit 2)."""
    try:
        return eng_mod.get_list(fields)
    except eng_mod.PropListError as e:
        err("bad property list: %s" % e)
        usage()
    return None


# --------------------------------------------------------------------------- commands

def cmd_list(z: dict[str, Any], args: list[str]) -> int:
    """zfs_main.c zfs_do_list() / print_header() / collect_dataset()."""
    opts, args = getopt(args, "jHS:d:o:prs:t:", {"json": "j", "json-int": "J"})
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
            # zfs_iter.c zfs_add_sort_column(): any table name (hidden too) or a user property
            n = eng_mod.name_to_prop(a)
            if n is None and not zm.is_user_prop(a):
                err("invalid property '%s'" % a)
                usage()
            sorts.append((n or a, o == "S"))
        elif o == "t":
            types, tspec = parse_types(a), True
    if as_int and not js:
        err("'--json-int' only works with '-j' option")
        usage()
    if fields == "space" and not tspec:
        types &= ~zm.T_SNAP
    if types in (zm.T_SNAP, 16) and args and not recurse and depth is None:
        depth = 1
    entries = proplist(fields)
    if entries is None:
        entries = eng_mod.expand_all()
    names, rc = collect(z, args, types, recurse, depth, listsnaps=not tspec)
    eng = eng_mod.Engine(z)
    if sorts:
        names = eng.sort(names, sorts)
    # widths over every row first (zfs_callback() expands while collecting); only -p passes
    # ZFS_ITER_LITERAL_PROPS, so the fixed numeric columns widen only then
    for n in names:
        eng.expand(entries, n, literal)
    jsd: dict[str, Any] = {}
    lines: list[str] = []
    if names and not scripted and not js:
        parts = []
        for i, e in enumerate(entries):
            last = i == len(entries) - 1
            if last and not e.right:
                parts.append(e.header)
            else:
                parts.append(e.header.rjust(e.width) if e.right else e.header.ljust(e.width))
        lines.append("  ".join(parts))
    for n in names:
        parts = []
        props: dict[str, Any] = {}
        s, frm = "none", ""
        for i, e in enumerate(entries):
            g = eng.lookup(n, e.prop, literal, e.native)
            # collect_dataset(): a failed lookup leaves sourcetype as the previous column set it
            val, s, frm = g if g is not None else ("-", s, frm)
            if js:
                if e.prop != "name":
                    props[e.prop] = eng_mod.json_prop(val, s, frm, as_int)
                continue
            last = i == len(entries) - 1
            if scripted or (last and not e.right):
                parts.append(val)
            else:
                parts.append(val.rjust(e.width) if e.right else val.ljust(e.width))
        if js:
            info = json_info(z, n, as_int)
            info["properties"] = props
            jsd[n] = info
        else:
            lines.append(("\t" if scripted else "  ").join(parts))
    for ln in lines:
        out(ln)
    if js and rc == 0:
        print_json("list", jsd)
    if rc == 0 and not names and not scripted:
        err("no datasets available")
    return rc


GET_COLS = ("name", "property", "value", "received", "source")


def cmd_get(z: dict[str, Any], args: list[str]) -> int:
    """zfs_main.c zfs_do_get() / get_callback(); libzfs_util.c zprop_print_headers(),
    zprop_print_one_property() (the -s filter, the columns) and zprop_nvlist_one_property()."""
    opts, args = getopt(args, ":d:o:s:jrt:Hp", {"json": "j", "json-int": "J"})
    cols = ["name", "property", "value", "source"]
    sources = set(eng_mod.SOURCES)
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
            n = 0
            for tok in a.split(","):
                if n == 5:
                    err("too many fields given to -o option")
                    usage()
                if tok not in GET_COLS + ("all",):
                    err("invalid column name '%s'" % tok)
                    usage()
                if tok == "all":
                    if n > 0:
                        err("\"all\" conflicts with specific fields given to -o option")
                        usage()
                    cols, n = list(GET_COLS), 5
                else:
                    cols.append(tok)
                    n += 1
        elif o == "s":
            sources = set()
            for tok in a.split(","):
                if tok not in eng_mod.SOURCES:
                    err("invalid source '%s'" % tok)
                    usage()
                sources.add(tok)
        elif o == "t":
            types = parse_types(a)
    if not args:
        err("missing property argument")
        usage()
    if as_int and not js:
        err("'--json-int' only works with '-j' option")
        usage()
    fields = args[0]
    if types in (zm.T_SNAP, 16) and len(args) > 1 and not recurse and depth is None:
        depth = 1
    given = proplist(fields)
    # the fake 'name' entry zfs_do_get() puts first (its width sizes NAME and SOURCE)
    entries = eng_mod.expand_all() if given is None else [eng_mod.Entry("name", True, 4)] + given
    names, rc = collect(z, args[1:], types, recurse, depth)
    eng = eng_mod.Engine(z)
    received = "received" in cols
    for n in names:
        eng.expand(entries, n, False, received)
    rows: list[list[str]] = []
    jsd: dict[str, Any] = {}
    for n in names:
        jprops: dict[str, Any] = {}
        for e in entries[1:]:
            g = eng.lookup(n, e.prop, literal, e.native)
            if g is None:
                if e.all:
                    continue
                g = ("-", "none", "")
            val, s, frm = g
            if s not in sources:
                continue
            if js:
                jprops[e.prop] = eng_mod.json_prop(val, s, frm, as_int)
                continue
            cells = {"name": n, "property": e.prop, "value": val, "received": "-",
                     "source": eng_mod.source_text(s, frm)}
            rows.append([cells[c] for c in cols])
        if js and jprops:
            info = json_info(z, n, as_int)
            info["properties"] = jprops
            jsd[n] = info
    if js:
        if rc == 0:
            print_json("get", jsd)
        return rc
    if rows and not scripted:
        widths = {"name": len("NAME"), "property": len("PROPERTY"), "value": len("VALUE"),
                  "received": len("RECEIVED"), "source": len("SOURCE")}
        for i, e in enumerate(entries):
            widths["property"] = max(widths["property"], len(e.prop))
            if i > 0:
                widths["value"] = max(widths["value"], e.width)
                widths["received"] = max(widths["received"], e.recvd_width)
            if e.prop == "name" and e.native and e.width > widths["name"]:
                widths["name"] = e.width
                widths["source"] = e.width + len("inherited from")
        rows.insert(0, [c.upper() for c in cols])
    for r in rows:
        line = ""
        for i, c in enumerate(r):
            if i == len(r) - 1:
                line += c
            elif scripted:
                line += c + "\t"
            else:
                line += c.ljust(widths[cols[i]]) + "  "
        out(line)
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
    opts, args = getopt(args, ":PV:b:nso:puv", colon_case="missing size argument")
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
    opts, args = getopt(args, "o:p")
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
    name = eng_mod.name_to_prop(prop)
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
    opts, args = getopt(args, ":ajRlvo:Of", {"json": "j"})
    flags = {o for o, _ in opts}
    for o, a in opts:
        if o == "o" and a == "":
            err("empty mount options (-o) specified")
            usage()
    if "j" in flags and args:
        err("too many arguments")
        usage()
    if "a" in flags and args:
        err("too many arguments")
        usage()
    if "R" in flags and not args:
        err("no dataset provided")
        usage()
    if not args and "a" not in flags and any(o == "o" for o, _ in opts):
        err("missing filesystem argument (specify -a for all)")
        usage()
    if len(args) > 1 and "R" not in flags:
        err("too many arguments")
        usage()
    if not args and "a" not in flags:
        mounted = [n for n in sorted(z["datasets"]) if zm.mount_path(z, n)]
        # zfs_main.c share_mount(), argc == 0: the mnttab, "%-30s  %s"; -j prints nothing
        # when no ZFS filesystem is mounted
        if "j" in flags:
            d = {n: {"filesystem": n, "mountpoint": zm.mount_path(z, n)} for n in mounted}
            if d:
                out(json.dumps({"output_version": {"command": "zfs mount", "vers_major": 0,
                                                   "vers_minor": 1}, "datasets": d},
                               separators=(",", ":")))
            return 0
        for n in mounted:
            out("%-30s  %s" % (n, zm.mount_path(z, n)))
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


def cmd_version(args: list[str]) -> int:
    """zfs_main.c zfs_do_version(); libzfs_util.c zfs_version_print() / zfs_version_nvlist()."""
    opts, args = getopt(args, "j", {"json": "j"})
    if args:
        err("too many arguments")
        usage()
    if opts:
        print_json_doc("version", {"zfs_version": {"userland": VERSION[0], "kernel": VERSION[1]}})
        return 0
    print_version()
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
    return run_guarded(_main, argv)


def _main(argv: list[str]) -> int:
    CMD[0] = None
    echo_bytes()
    args = list(argv[1:])
    try:
        if not args:
            err("missing command")
            usage()
        cmd = args[0]
        if cmd in ("-?", "--help", "-h", "help"):
            sys.stdout.write(FULL_USAGE)
            return 0
        if cmd in ("-V", "--version"):
            print_version()          # zfs_main.c main(): zfs_version_print()
            return 0
        if cmd == "version":
            CMD[0] = "version"
            return cmd_version(args[1:])
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
