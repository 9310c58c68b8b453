"""Simulated zfs(8) (OpenZFS 2.4.0 on FreeBSD 15.0) over every pool of zpool_model.py.

See zfs_model.py for the state layout. Messages, usage texts, column layout and exit codes
follow cmd/zfs/zfs_main.c and lib/libzfs of tag zfs-2.4.0; each command's docstring cites the
function and line it models. Filesystems, volumes (zfs create -V: volsize, volblocksize and
the refreservation of zvol_volsize_to_reservation()), snapshots, clones and user holds are
modelled; bookmarks are not (nothing is ever found), nor send/receive/allow/diff.
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
from ._common import getopt_switch
from .zfs_common import (VERSION, Exit, echo_bytes, err, out, print_version, run_guarded,
                         validate_name)
from .zfs_engine import collect, nicenum, sort_key
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
    return getopt_switch(args, spec, err, usage, longs, prog="zfs", colon_case=colon_case)


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
        # libzfs_dataset.c:1237: volblocksize and recordsize, 512B to the pool's
        # maxblocksize (16M)
        if name in ("recordsize", "volblocksize") and (n < 512 or n > 16 * zm.M or n & (n - 1)):
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


def print_json_doc(cmd: str, body: dict[str, Any]) -> None:
    """zfs_json_schema() + zcmd_print_json(): one compact line."""
    doc = {"output_version": {"command": "zfs " + cmd, "vers_major": 0, "vers_minor": 1}}
    doc.update(body)
    out(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))


def print_json(cmd: str, datasets: dict[str, Any]) -> None:
    print_json_doc(cmd, {"datasets": datasets})


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

def query_opt(q: eng_mod.Query, o: str, a: str) -> bool:
    """One of the options zfs_do_list() and zfs_do_get() parse alike (False: another one)."""
    if o == "p":
        q.literal = True
    elif o == "d":
        q.depth = parse_depth(a)
    elif o == "r":
        q.recurse = True
    elif o == "H":
        q.scripted = True
    elif o == "j":
        q.js = True
    elif o == "J":
        q.as_int = q.literal = True
    elif o == "t":
        q.types, q.tspec = parse_types(a), True
    else:
        return False
    return True


def check_json_int(q: eng_mod.Query) -> None:
    if q.as_int and not q.js:
        err("'--json-int' only works with '-j' option")
        usage()


def cmd_list(z: dict[str, Any], args: list[str]) -> int:
    """zfs_main.c zfs_do_list() / print_header() / collect_dataset()."""
    opts, args = getopt(args, "jHS:d:o:prs:t:", {"json": "j", "json-int": "J"})
    fields = "name,used,available,referenced,mountpoint"
    q = eng_mod.Query(types=7)
    sorts: list[tuple[str, bool]] = []
    for o, a in opts:
        if query_opt(q, o, a):
            continue
        if o == "o":
            fields = a
        elif o in "sS":
            # zfs_iter.c zfs_add_sort_column(): any table name (hidden too) or a user property
            n = eng_mod.name_to_prop(a)
            if n is None and not zm.is_user_prop(a):
                err("invalid property '%s'" % a)
                usage()
            sorts.append((n or a, o == "S"))
    check_json_int(q)
    if fields == "space" and not q.tspec:
        q.types &= ~zm.T_SNAP
    entries = proplist(fields)
    if entries is None:
        entries = eng_mod.expand_all()
    eng = eng_mod.Engine(z)
    names, rc = eng.select(q, args, listsnaps=not q.tspec)
    if sorts:
        names = eng.sort(names, sorts)
    # only -p passes ZFS_ITER_LITERAL_PROPS, so the fixed numeric columns widen only then
    eng.widths(entries, names, q.literal)
    js, scripted = q.js, q.scripted
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
        for i, (e, g) in enumerate(eng.values(n, entries, q.literal)):
            # collect_dataset(): a failed lookup leaves sourcetype as the previous column set it
            val, s, frm = g if g is not None else ("-", s, frm)
            if js:
                if e.prop != "name":
                    props[e.prop] = eng_mod.json_prop(val, s, frm, q.as_int)
                continue
            last = i == len(entries) - 1
            if scripted or (last and not e.right):
                parts.append(val)
            else:
                parts.append(val.rjust(e.width) if e.right else val.ljust(e.width))
        if js:
            jsd[n] = eng_mod.json_dataset(z, n, q.as_int, props)
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
    q = eng_mod.Query(types=23)
    for o, a in opts:
        if query_opt(q, o, a):
            continue
        if o == "o":
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
    if not args:
        err("missing property argument")
        usage()
    check_json_int(q)
    given = proplist(args[0])
    # the fake 'name' entry zfs_do_get() puts first (its width sizes NAME and SOURCE)
    entries = eng_mod.expand_all() if given is None else [eng_mod.Entry("name", True, 4)] + given
    eng = eng_mod.Engine(z)
    names, rc = eng.select(q, args[1:])
    eng.widths(entries, names, False, "received" in cols)
    js, scripted = q.js, q.scripted
    rows: list[list[str]] = []
    jsd: dict[str, Any] = {}
    for n in names:
        jprops: dict[str, Any] = {}
        for e, g in eng.values(n, entries[1:], q.literal):
            if g is None:
                if e.all:
                    continue
                g = ("-", "none", "")
            val, s, frm = g
            if s not in sources:
                continue
            if js:
                jprops[e.prop] = eng_mod.json_prop(val, s, frm, q.as_int)
                continue
            cells = {"name": n, "property": e.prop, "value": val, "received": "-",
                     "source": eng_mod.source_text(s, frm)}
            rows.append([cells[c] for c in cols])
        if js and jprops:
            jsd[n] = eng_mod.json_dataset(z, n, q.as_int, jprops)
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


def open_ds(z: dict[str, Any], path: str, types: int) -> dict[str, Any] | None:
    """lib/libzfs/libzfs_dataset.c:707 zfs_open() (zfs-2.4.0): validate the name
    ("cannot open 'x': <why>"), look it up (zfs_standard_error(ENOENT): "dataset does not
    exist"), then check the type (EZFS_BADTYPE: "operation not applicable to datasets of this
    type"). Prints the error and returns None on failure."""
    why = validate_name(path, types, False)
    if why is not None:
        err("cannot open '%s': %s" % (path, why))
        return None
    if "#" in path:
        # bookmarks are not modelled: the iteration finds none (EZFS_NOENT, no aux)
        if path.split("#", 1)[0] not in z["datasets"]:
            err("cannot open '%s': dataset does not exist" % path)
        else:
            err("cannot open '%s': no such pool or dataset" % path)
        return None
    d = z["datasets"].get(path)
    if d is None:
        err("cannot open '%s': dataset does not exist" % path)
        return None
    if not zm.TYPE_BITS[d["type"]] & types:
        err("cannot open '%s': operation not applicable to datasets of this type" % path)
        return None
    return d


def parse_o(a: str, seen: dict[str, str]) -> bool:
    """cmd/zfs/zfs_main.c:651 parseprop() (zfs-2.4.0). False after printing the error; every
    caller (create, clone, snapshot) then exits 1, zfs set exits 255 (ret = -1)."""
    if "=" not in a:
        err("missing '=' for property=value argument")
        return False
    k, val = a.split("=", 1)
    if k in seen:
        err("property '%s' specified multiple times" % k)
        return False
    seen[k] = val
    return True


def validate_props(raw: dict[str, str], dstype: str, errprefix: str) -> dict[str, str] | None:
    """libzfs_dataset.c:1031 zfs_valid_proplist(): the first bad property ends it,
    printed as '<errbuf>: <why>'."""
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


def pools(z: dict[str, Any]) -> dict[str, Any]:
    return z.get("pools", {z["pool"]: None})


def nest_ok(path: str) -> bool:
    """module/zcommon/zfs_namecheck.c:71 get_dataset_depth() < zfs_max_dataset_nesting (50)."""
    depth = 0
    for c in path:
        if c in "@#":
            break
        if c == "/":
            depth += 1
    return depth < 50


def check_parents(z: dict[str, Any], path: str, accept_ancestor: bool = False) -> str | None:
    """libzfs_dataset.c:3483 check_parents() (zfs-2.4.0), errbuf "cannot create '<path>'".
    Returns the existing ancestor it stopped at, or None after printing the error."""
    errbuf = "cannot create '%s'" % path
    parent = zm.parent_of(path)
    if parent is None or "@" in path:
        if parent is None:
            err("%s: missing dataset name" % errbuf)
            return None
    pool = parent.split("/")[0]
    if pool not in pools(z) or pool not in z["datasets"]:
        err("%s: no such pool '%s'" % (errbuf, pool))
        return None
    while parent not in z["datasets"]:
        if accept_ancestor:
            parent = zm.parent_of(parent)
            if parent is None:
                err("%s: no such pool '%s'" % (errbuf, pool))
                return None
        else:
            err("%s: parent does not exist" % errbuf)
            return None
    if z["datasets"][parent]["type"] != "filesystem":
        err("%s: parent is not a filesystem" % errbuf)
        return None
    return parent


def create_ancestors(z: dict[str, Any], path: str) -> bool:
    """libzfs_dataset.c:3664 zfs_create_ancestors() + :3590 create_parents(): every missing
    ancestor is created and mounted (canmount/mountpoint permitting)."""
    if not nest_ok(path):
        err("cannot create '%s': maximum name nesting depth exceeded" % path)
        return False
    have = check_parents(z, path, accept_ancestor=True)
    if have is None:
        return False
    parts = path.split("/")
    for i in range(len(have.split("/")) + 1, len(parts)):
        anc = "/".join(parts[:i])
        if anc not in z["datasets"]:
            create_fs(z, anc, {}, True)
    return True


def zvol_reservation(volsize: int, volblocksize: int) -> int:
    """lib/libzfs/libzfs_dataset.c:5604 zvol_volsize_to_reservation() (zfs-2.4.0) for pools
    without raidz/draid (volsize_from_vdevs() is then nblocks * blocksize). ncopies is 1: the
    caller passes the validated list, where copies is a number, not the string looked up."""
    nblocks = volsize // volblocksize
    size = nblocks * volblocksize
    numdb = 7                                   # metadnode L0-L6
    while nblocks > 1:
        nblocks += 1024 - 1                     # DNODES_PER_LEVEL (1 << (17 - 7))
        nblocks //= 1024
        numdb += nblocks
    numdb *= min(3, 1 + 1)                      # MIN(SPA_DVAS_PER_BP, ncopies + 1)
    return size + numdb * (1 << 17)             # DN_MAX_INDBLKSHIFT


def cmd_create(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:1077 zfs_do_create() and libzfs_dataset.c:3701 zfs_create()
    (zfs-2.4.0). Order of checks: options (-V/-b size parse errors exit 1, '-s'/'-b'/'-u'
    misuse exits 2 with usage), operand count, then with -n (or -V) the pool and the -o list
    ("cannot verify '<name>': ..."), the volume's volblocksize / rounded volsize /
    refreservation (zfs_main.c:1206-1258), then -p ancestors, the -v/-P report (the property
    nvlist in insertion order; numbers from -V/-b and the computed ones print as %llu), and
    zfs_create()'s name / parent / exists / property / volume-size checks
    ("cannot create '<name>': ...")."""
    opts, args = getopt(args, ":PV:b:nso:puv", colon_case="missing size argument")
    parents = nomount = dry = verbose = parsable = noreserve = bflag = False
    raw: dict[str, str] = {}
    nvl: dict[str, str] = {}      # the props nvlist: insertion order, re-adding moves to end
    volsize: int | None = None

    def nv_add(k: str, v: str) -> None:
        nvl.pop(k, None)
        nvl[k] = v
    for o, a in opts:
        if o == "p":
            parents = True
        elif o == "u":
            nomount = True
        elif o == "o":
            if not parse_o(a, raw):
                return 1
            nv_add(*a.split("=", 1))
        elif o == "n":
            dry = True
        elif o == "v":
            verbose = True
        elif o == "P":
            verbose = parsable = True
        elif o == "V":
            n = parse_number(a)
            if isinstance(n, str):
                err("bad volume size '%s': %s" % (a, n))
                return 1
            volsize = n
            nv_add("volsize", str(n))
        elif o == "b":
            bflag = True
            n = parse_number(a)
            if isinstance(n, str):
                err("bad volume block size '%s': %s" % (a, n))
                return 1
            nv_add("volblocksize", str(n))
        elif o == "s":
            noreserve = True
    vol = volsize is not None
    dstype = "volume" if vol else "filesystem"
    if (bflag or noreserve) and not vol:
        err("'-s' and '-b' can only be used when creating a volume")
        usage()
    if nomount and vol:
        err("'-u' can only be used when creating a filesystem")
        usage()
    if not args:
        err("missing %s argument" % dstype)
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    name = args[0]
    real: dict[str, str] = {}
    if dry or vol:
        # zpool_open() of the first component (zfs_main.c:1187), then zfs_valid_proplist()
        pool = name.split("/", 1)[0]
        pwhy = _pool_name_error(pool)
        if pwhy is not None:
            err("cannot open '%s': %s" % (pool, pwhy))
            return 1
        if pool not in pools(z):
            err("cannot open '%s': no such pool" % pool)
            return 1
        msg = ("cannot verify '%s'" if dry else "cannot create '%s'") % name
        checked = validate_props(nvl, dstype, msg)
        if checked is None:
            return 1
        real = checked
    if vol:
        assert volsize is not None
        vbs = int(real.get("volblocksize", zm.ZVOL_DEFAULT_BLOCKSIZE))
        if volsize % vbs:
            volsize = -(-volsize // vbs) * vbs
            nv_add("volsize", str(volsize))
        if not noreserve and "refreservation" not in raw:
            nv_add("refreservation", str(zvol_reservation(volsize, vbs)))
    ztype = zm.T_VOL if vol else zm.T_FS
    if parents and validate_name(name, ztype, False) is None:
        if name in z["datasets"] and z["datasets"][name]["type"] == dstype:
            return 0
        if verbose:
            out("create_ancestors\t%s" % name if parsable else
                ("would create ancestors of %s" if dry else "create ancestors of %s") % name)
        if not dry and not create_ancestors(z, name):
            return 1
    if verbose:
        out("create\t%s" % name if parsable else
            ("would create %s" if dry else "create %s") % name)
        for k, val in nvl.items():
            out(("property\t%s\t%s" if parsable else "\t%s=%s") % (k, val))
    if dry:
        return 0
    why = validate_name(name, ztype)
    if why:
        err("cannot create '%s': %s" % (name, why))
        return 1
    if not nest_ok(name):
        err("cannot create '%s': maximum name nesting depth exceeded" % name)
        return 1
    if check_parents(z, name) is None:
        return 1
    if name in z["datasets"]:
        err("cannot create '%s': dataset already exists" % name)
        return 1
    props = validate_props(nvl, dstype, "cannot create '%s'" % name)
    if props is None:
        return 1
    if not vol:
        create_fs(z, name, props, not nomount)
        return 0
    # libzfs_dataset.c:3799-3811
    if volsize == 0:
        err("cannot create '%s': volume size cannot be zero" % name)
        return 1
    rec = zm.new_record(z, "volume", props)
    rec["refer"], rec["lrefer"], rec["static"] = zm.EMPTY_ZVOL, zm.EMPTY_ZVOL // 2, None
    z["datasets"][name] = rec
    return 0


def _pool_name_error(pool: str) -> str | None:
    """libzfs_pool.c zpool_open_canfail(): zpool_name_valid()'s aux text (zpool.py)."""
    from .zpool import pool_name_error
    return pool_name_error(pool, True)


def dependents(z: dict[str, Any], name: str) -> list[str]:
    """lib/libzfs/libzfs_iter.c:528 iter_dependents_cb() (zfs-2.4.0), post-order: for a
    filesystem its child filesystems first, then its snapshots by createtxg; each snapshot is
    preceded by its clones (and theirs). The starting dataset itself is not included."""
    res: list[str] = []
    seen: set[str] = set()

    def visit(n: str) -> None:
        if n in seen:
            return
        seen.add(n)
        d = z["datasets"][n]
        if d["type"] == "snapshot":
            for c in zm.clones_of(z, n):
                visit(c)
                res.append(c)
        else:
            for c in zm.children(z, n):
                visit(c)
                res.append(c)
            for s in zm.snapshots(z, n):
                visit(s)
                res.append(s)
    visit(name)
    return res


def destroy_one(z: dict[str, Any], name: str) -> None:
    d = z["datasets"].get(name)
    if d is None:
        return
    if d["type"] in ("filesystem", "volume"):
        for s in zm.snapshots(z, name):
            destroy_one(z, s)
        zm.remove_files(z, name)
    else:
        zm.remove_files(z, name)
        fs = z["datasets"].get(name.split("@")[0])
        if fs:
            fs["snapchanged"] = int(time.time())
    del z["datasets"][name]


def held_error(z: dict[str, Any], snap: str) -> bool:
    """libzfs_dataset.c:3968 zfs_destroy_snaps_nvl(): EBUSY with user holds."""
    if z["datasets"][snap].get("holds"):
        err("cannot destroy snapshot %s: it's being held. Run 'zfs holds -r %s' to see "
            "holders." % (snap, snap))
        return True
    return False


def destroy_snaps(z: dict[str, Any], snaps: list[str], defer: bool) -> bool:
    """lzc_destroy_snaps(): all or nothing; held snapshots fail with EBUSY unless -d (then
    they are marked defer_destroy and go with their last hold). True on success."""
    bad = False
    if not defer:
        for s in snaps:
            if s in z["datasets"] and held_error(z, s):
                bad = True
        if bad:
            return False
    for s in snaps:
        d = z["datasets"].get(s)
        if d is None:
            continue
        if defer and d.get("holds"):
            d["defer_destroy"] = True
            continue
        destroy_one(z, s)
    return True


def cmd_destroy(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:1675 zfs_do_destroy() (zfs-2.4.0).

    * ``fs@snap[%snap][,...]``: gather_snapshots() (:1587) over the filesystem (and with -r its
      descendants, zfs_iter_snapspec_v2(), libzfs_iter.c:419); a snapshot with clones and no
      -R prints "cannot destroy '<snap>': snapshot has dependent clones" + "use '-R' to destroy
      the following datasets:" and its dependents (destroy_check_dependent(), :1391); -v
      prints "would/will destroy <snap>" per filesystem, then "would/will reclaim <size>"
      (-p: "destroy\\t<snap>", "reclaim\\t<bytes>"); -R destroys the clones after that line
      (destroy_clones(), printing them with -v).
    * ``fs#bookmark``: the bookmark checks (:1822) -- bookmarks are not modelled.
    * a filesystem: pool check, dependents check ("<type> has children" / "<type> has
      dependent clones"), then destroy_callback() (:1454) over the dependents in
      iter_dependents_cb() order and the target; the pool's root is reported but kept.
    """
    opts, args = getopt(args, "vpndfrR")
    flags = {o for o, _ in opts}
    dry, verbose, parsable = "n" in flags, "v" in flags or "p" in flags, "p" in flags
    rec, doclones, defer = "r" in flags or "R" in flags, "R" in flags, "d" in flags
    if not args:
        err("missing dataset argument")
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    target = args[0]
    sz = zm.Sizer(z)

    def report(n: str, dryrun: bool) -> None:
        if not verbose:
            return
        if parsable:
            out("destroy\t%s" % n)
        else:
            out("%s destroy %s" % ("would" if dryrun else "will", n))

    if "@" in target:
        fs, snapspec = target.split("@", 1)
        if open_ds(z, fs, zm.T_FS | zm.T_VOL) is None:
            return 1
        nvl: list[str] = []
        error = False
        used = 0

        def spec_matches(f: str) -> list[str]:
            """zfs_iter_snapspec_v2(): names, 'a%b' ranges (either end may be empty)."""
            snaps = zm.snapshots(z, f)
            short = [s.split("@", 1)[1] for s in snaps]
            res: list[str] = []
            for part in snapspec.split(","):
                if "%" in part:
                    a, b = part.split("%", 1)
                    if b and b not in short:
                        continue
                    seenfirst = a == ""
                    for s, sn in zip(snaps, short):
                        if not seenfirst and sn == a:
                            seenfirst = True
                        if seenfirst:
                            res.append(s)
                        if b and sn == b:
                            break
                else:
                    s = "%s@%s" % (f, part)
                    if s in z["datasets"]:
                        res.append(s)
            return res

        def gather(f: str) -> None:
            nonlocal error, used, dry
            for s in spec_matches(f):
                if not doclones and not defer:
                    deps = dependents(z, s)
                    if deps:
                        err("cannot destroy '%s': snapshot has dependent clones" % s)
                        err("use '-R' to destroy the following datasets:")
                        for n in deps:
                            err(n)
                        error = True
                        dry = True
                if s not in nvl:
                    nvl.append(s)
            if verbose:
                # destroy_print_snapshots(): this filesystem's snapshots in createtxg order
                for s in zm.snapshots(z, f):
                    if s in nvl:
                        report(s, dry)
                        used += sz.snap_used(s)
            if rec:
                for c in zm.children(z, f):
                    gather(c)
        gather(fs)
        if error:
            return 1
        if not nvl:
            err("could not find any snapshots to destroy; check snapshot names.")
            return 1
        if verbose:
            if parsable:
                out("reclaim\t%d" % used)
            else:
                out("%s reclaim %s" % ("would" if dry else "will", nicenum(used)))
        if dry:
            return 0
        if doclones:
            # destroy_clones(): every snapshot's dependents through destroy_callback()
            batch: list[str] = []
            for s in nvl:
                if s not in z["datasets"]:
                    continue
                for n in dependents(z, s):
                    report(n, False)
                    if n not in z["datasets"]:
                        continue
                    if z["datasets"][n]["type"] == "snapshot":
                        batch.append(n)
                    else:
                        if not destroy_snaps(z, batch, False):
                            return 1
                        batch = []
                        destroy_one(z, n)
            if not destroy_snaps(z, batch, False):
                return 1
        return 0 if destroy_snaps(z, nvl, defer) else 1

    if "#" in target:
        if dry:
            err("dryrun is not supported with bookmark")
            return 255
        if defer:
            err("defer destroy is not supported with bookmark")
            return 255
        if rec:
            err("recursive is not supported with bookmark")
            return 255
        err("bookmark '%s' does not exist." % target)
        return 1

    d = open_ds(z, target, zm.T_SNAP if defer else zm.T_FS | zm.T_VOL | zm.T_SNAP)
    if d is None:
        return 1
    ttype = d["type"]
    if not rec and "/" not in target and ttype == "filesystem":
        err("cannot destroy '%s': operation does not apply to pools" % target)
        err("use 'zfs destroy -r %s' to destroy all datasets in the pool" % target)
        err("use 'zpool destroy %s' to destroy the pool itself" % target)
        return 1
    deps = dependents(z, target)
    first, error = True, False
    if not doclones:
        for n in deps:
            if n.startswith(target + "/") or n.startswith(target + "@"):
                if rec:
                    continue
                if first:
                    err("cannot destroy '%s': %s has children" % (target, ttype))
                    err("use '-r' to destroy the following datasets:")
                    first, error = False, True
                err(n)
            else:
                if not rec and ttype != "snapshot":
                    continue
                if first:
                    err("cannot destroy '%s': %s has dependent clones" % (target, ttype))
                    err("use '-R' to destroy the following datasets:")
                    first, error = False, True
                err(n)
    if error:
        return 1
    batch = []
    failed = False
    for n in deps + [target]:
        report(n, dry)
        if "/" not in n and "@" not in n:
            continue            # the pool's root filesystem is never destroyed
        if dry or n not in z["datasets"]:
            continue
        if z["datasets"][n]["type"] == "snapshot":
            batch.append(n)
            continue
        ok = destroy_snaps(z, batch, False)
        batch = []
        if not ok:
            failed = True
            if rec and n != target:
                continue
            return 1
        destroy_one(z, n)
    if batch and not dry and not destroy_snaps(z, batch, defer):
        failed = True
    return 1 if failed else 0


def take_snapshot(z: dict[str, Any], snap: str, props: dict[str, str], sz: zm.Sizer) -> None:
    fs = snap.split("@")[0]
    txg = z["txg"]          # lzc_snapshot(): every snapshot of one call is in one txg
    rec = zm.new_record(z, "snapshot", props)
    fsd = z["datasets"][fs]
    rec["refer"], rec["lrefer"] = sz.refer(fs), sz.lrefer(fs)
    rec["createtxg"] = txg
    for k in ("volsize", "volblocksize"):       # a volume's snapshot keeps its size
        if k in fsd["props"]:
            rec[k] = fsd["props"][k]
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
    """cmd/zfs/zfs_main.c:4641 zfs_do_snapshot() (zfs-2.4.0): an operand without '@' or whose
    filesystem zfs_open() cannot open goes to usage (exit 2, after "cannot open ..."); a bad
    -o exits 1. libzfs_dataset.c:4205 zfs_snapshot_nvl(): name check ("cannot create snapshot
    '<name>': ..."), the -o list (errbuf "cannot create snapshots "), then lzc_snapshot()'s
    per-snapshot errors; "no snapshots were created" when -r or several operands."""
    opts, args = getopt(args, "ro:")
    rec = False
    raw: dict[str, str] = {}
    for o, a in opts:
        if o == "r":
            rec = True
        elif o == "o":
            if not parse_o(a, raw):
                return 1
    if not args:
        err("missing snapshot argument")
        usage()
    multiple = rec or len(args) > 1
    targets: list[str] = []
    for a in args:
        if "@" not in a:
            usage()
        fs, sn = a.split("@", 1)
        if open_ds(z, fs, zm.T_FS | zm.T_VOL) is None:
            usage()
        for t in ["%s@%s" % (fs, sn)] + (["%s@%s" % (d, sn) for d in zm.descendants(z, fs)]
                                          if rec else []):
            if t not in targets:
                targets.append(t)
    for t in targets:
        why = validate_name(t, zm.T_SNAP)
        if why:
            err("cannot create snapshot '%s': %s" % (t, why))
            if multiple:
                err("no snapshots were created")
            return 1
    props = {}
    for k, val in raw.items():
        r = check_prop(k, val, "snapshot", True)
        if isinstance(r, str):
            err("cannot create snapshots : %s" % r)
            if multiple:
                err("no snapshots were created")
            return 1
        props[r[0]] = r[1]
    existing = [t for t in targets if t in z["datasets"]]
    if existing:
        for t in existing:
            err("cannot create snapshot '%s': dataset already exists" % t)
        if multiple:
            err("no snapshots were created")
        return 1
    next_txg = zm.next_txg(z)
    sz = zm.Sizer(z)
    for sname in targets:
        z["txg"] = next_txg
        take_snapshot(z, sname, props, sz)
    z["txg"] = next_txg + 1  # later records get later txgs
    return 0


def cmd_clone(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:832 zfs_do_clone() (zfs-2.4.0): a bad -o exits 1; zfs_open() of the
    snapshot; -p returns 0 when the target exists, else creates the ancestors; then
    libzfs_dataset.c zfs_clone(): target name, parents, pools, properties, existence."""
    opts, args = getopt(args, "o:p")
    parents = False
    raw: dict[str, str] = {}
    for o, a in opts:
        if o == "p":
            parents = True
        elif o == "o":
            if not parse_o(a, raw):
                return 1
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
    sd = open_ds(z, src, zm.T_SNAP)
    if sd is None:
        return 1
    if parents and validate_name(tgt, zm.T_FS | zm.T_VOL, False) is None:
        if tgt in z["datasets"] and z["datasets"][tgt]["type"] != "snapshot":
            return 0
        if not create_ancestors(z, tgt):
            return 1
    # libzfs_dataset.c:4040 zfs_clone(): errbuf "cannot create '<target>'"; a clone has its
    # origin's type (a volume's snapshot clones to a volume)
    ctype = z["datasets"][src.split("@")[0]]["type"]
    why = validate_name(tgt, zm.T_FS)
    if why:
        err("cannot create '%s': %s" % (tgt, why))
        return 1
    if check_parents(z, tgt) is None:
        return 1
    if tgt.split("/")[0] != src.split("/")[0]:
        err("cannot create '%s': source and target pools differ" % tgt)
        return 1
    props = validate_props(raw, ctype, "cannot create '%s'" % tgt)
    if props is None:
        return 1
    if tgt in z["datasets"]:
        err("cannot create '%s': dataset already exists" % tgt)
        return 1
    if ctype == "volume":
        for k in ("volsize", "volblocksize"):
            if sd.get(k) is not None:
                props.setdefault(k, sd[k])
    rec = zm.new_record(z, ctype, props)
    rec["origin"] = src
    rec["refer"], rec["lrefer"] = sd["refer"], sd["lrefer"]
    z["datasets"][tgt] = rec
    if ctype == "volume":
        return 0
    store = zm.snap_path(sd)
    if zm.should_mount(z, tgt):
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
        # changelist_postfix(): remount what was mounted, and mount every canmount=on one
        if zm.should_mount(z, n) or (was.get(n) and zm.mountpoint(z, n).startswith("/")
                                     and zm.prop_source(z, n, "canmount")[0] != "off"):
            zm.do_mount(z, n)


def cmd_set(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:4526 zfs_do_set() (zfs-2.4.0): operand checks ("missing
    arguments", "missing property=value argument(s)" / "missing dataset name(s)", "invalid
    argument order"), parseprop() of every pair (a repeat exits 255), then zfs_for_each():
    every operand is opened first ("cannot open ..." sets 1), then set_callback() runs on the
    opened ones in name order; a failed zfs_prop_set_list() returns -1, so the exit is 255.
    Errors: libzfs_dataset.c zfs_valid_proplist() with errbuf "cannot set property for '<ds>'"."""
    opts, args = getopt(args, "u")
    nomount = any(o == "u" for o, _ in opts)
    if not args:
        err("missing arguments")
        usage()
    if len(args) < 2:
        if "=" not in args[0]:
            err("missing property=value argument(s)")
        else:
            err("missing dataset name(s)")
        usage()
    ds_start = -1
    for i, a in enumerate(args):
        if "=" in a:
            if ds_start > 0:
                err("invalid argument order")
                usage()
        elif ds_start < 0:
            ds_start = i
    if ds_start < 0:
        err("missing dataset name(s)")
        usage()
    seen: dict[str, str] = {}
    for a in args[:ds_start]:
        if not parse_o(a, seen):
            return 255
    pairs = list(seen.items())
    rc = 0
    opened = []
    for t in args[ds_start:]:
        if open_ds(z, t, zm.T_FS | zm.T_SNAP | zm.T_VOL) is None:
            rc = 1
            continue
        if t not in opened:
            opened.append(t)
    for t in sorted(opened, key=lambda n: sort_key(z, n)):
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
        if d["type"] == "volume" and "volsize" in newp:
            # libzfs_dataset.c:1516 (changes to an existing volume) and :1603
            # zfs_add_synthetic_resv(): a refreservation that matched the old size follows
            vbs = int(d["props"].get("volblocksize", zm.ZVOL_DEFAULT_BLOCKSIZE))
            nv = int(newp["volsize"])
            if nv % vbs:
                err("cannot set property for '%s': 'volsize' must be a multiple of volume "
                    "block size (%s)" % (t, nicenum(vbs)))
                rc |= 255
                continue
            if nv == 0:
                err("cannot set property for '%s': 'volsize' cannot be zero" % t)
                rc |= 255
                continue
            old = int(d["props"].get("volsize", "0"))
            if (int(d["props"].get("refreservation", "0")) == zvol_reservation(old, vbs)
                    and "refreservation" not in newp):
                newp["refreservation"] = str(zvol_reservation(nv, vbs))
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
    """cmd/zfs/zfs_main.c:2468 zfs_do_inherit() (zfs-2.4.0) and libzfs_dataset.c:1952
    zfs_prop_inherit(): "<prop> property is read-only", "'<prop>' property cannot be inherited"
    (+ the two hints for quotas/reservations), -S on volsize/version, "invalid property" +
    usage; then zfs_for_each() (opens first, then name order). Without -r a property that does
    not apply fails "cannot inherit <prop> for '<ds>': property doesn't apply to datasets of
    this type"; with -r such datasets are skipped (inherit_recurse_cb())."""
    opts, args = getopt(args, "rS")
    rec = any(o == "r" for o, _ in opts)
    received = any(o == "S" for o, _ in opts)
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
        if p["attr"] != "inherit" and not received:
            err("'%s' property cannot be inherited" % prop)
            if name in ("quota", "reservation", "refquota", "refreservation"):
                err("use 'zfs set %s=none' to clear" % prop)
                err("use 'zfs inherit -S %s' to revert to received value" % prop)
            return 1
        if received and name in ("volsize", "version"):
            err("'%s' property cannot be reverted to a received value" % prop)
            return 1
    elif not zm.is_user_prop(prop):
        err("invalid property '%s'" % prop)
        usage()
    key = name or prop
    rc = 0
    opened: list[str] = []
    for t in targets:
        if open_ds(z, t, zm.T_FS | zm.T_SNAP | zm.T_VOL) is None:
            rc = 1
            continue
        for n in [t] + ((zm.descendants(z, t) + [s for m in [t] + zm.descendants(z, t)
                                                  for s in zm.snapshots(z, m)])
                        if rec and "@" not in t else []):
            if n not in opened:
                opened.append(n)
    for n in sorted(opened, key=lambda x: sort_key(z, x)):
        d = z["datasets"][n]
        if name is not None and not PROPS[name]["types"] & zm.TYPE_BITS[d["type"]]:
            if rec:
                continue
            err("cannot inherit %s for '%s': property doesn't apply to datasets of this type"
                % (prop, n))
            rc = 1
            continue
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
    """cmd/zfs/zfs_main.c:4069 zfs_do_rename() (zfs-2.4.0): operand count first, then the -p/-r
    and -u/-p exclusions, -r needs a snapshot; zfs_open() with FILESYSTEM (-u), FS|VOL (-p) or
    any type; -p creates the target's ancestors. libzfs_dataset.c:4488 zfs_rename(): same name
    is success; snapshot targets may be abbreviated ('@new' or 'new'); "snapshots must be part
    of same dataset"; for filesystems check_parents() ("cannot create '<target>': ..."), "datasets
    must be within same pool", "New dataset name cannot be a descendant of current dataset
    name"; the ioctl's EEXIST is "cannot rename '<source>': dataset already exists" (with -r:
    "a child dataset already has a snapshot with the new name")."""
    opts, args = getopt(args, "pruf")
    flags = {o for o, _ in opts}
    if not args:
        err("missing source dataset argument")
        usage()
    if len(args) < 2:
        err("missing target dataset argument")
        usage()
    if len(args) > 2:
        err("too many arguments")
        usage()
    if "p" in flags and "r" in flags:
        err("-p and -r options are mutually exclusive")
        usage()
    if "p" in flags and "u" in flags:
        err("-u and -p options are mutually exclusive")
        usage()
    src, tgt = args
    if "r" in flags and "@" not in src:
        err("source dataset for recursive rename must be a snapshot")
        usage()
    if "u" in flags:
        types = zm.T_FS
    elif "p" in flags:
        types = zm.T_FS | zm.T_VOL
    else:
        types = zm.T_FS | zm.T_SNAP | zm.T_VOL
    sd = open_ds(z, src, types)
    if sd is None:
        return 1
    stype = zm.TYPE_BITS[sd["type"]]
    if "p" in flags and validate_name(tgt, stype, False) is None:
        if not create_ancestors(z, tgt):
            return 1
    if src == tgt:
        return 0
    if sd["type"] == "snapshot":
        fs = src.split("@")[0]
        if "@" not in tgt:
            tgt = fs + "@" + tgt
        elif tgt.startswith("@"):
            tgt = fs + tgt
        elif tgt.split("@")[0] != fs:
            err("cannot rename to '%s': snapshots must be part of same dataset" % tgt)
            return 1
        why = validate_name(tgt, zm.T_SNAP)
        if why:
            err("cannot rename to '%s': %s" % (tgt, why))
            return 1
        if src == tgt:
            return 0
        osn, nsn = src.split("@")[1], tgt.split("@")[1]
        pairs = [(src, tgt)]
        if "r" in flags:
            pairs += [("%s@%s" % (d, osn), "%s@%s" % (d, nsn)) for d in zm.descendants(z, fs)
                      if "%s@%s" % (d, osn) in z["datasets"]]
        for o, n in pairs:
            if n in z["datasets"]:
                if "r" in flags:
                    # zfs_ioc_rename() restores zc_name ('@' put back) before the copyout, so
                    # the name reported is the source snapshot's
                    err("cannot rename '%s': a child dataset already has a snapshot with the "
                        "new name" % src)
                else:
                    err("cannot rename '%s': dataset already exists" % src)
                return 1
        for o, n in pairs:
            rename_records(z, o, n)
        return 0
    if "r" in flags:
        err("cannot rename to '%s': recursive rename must be a snapshot" % tgt)
        return 1
    why = validate_name(tgt, stype)
    if why:
        err("cannot rename to '%s': %s" % (tgt, why))
        return 1
    if check_parents(z, tgt) is None:
        return 1
    if tgt.split("/")[0] != src.split("/")[0] or "/" not in src:
        if tgt.split("/")[0] != src.split("/")[0]:
            err("cannot rename to '%s': datasets must be within same pool" % tgt)
            return 1
    if tgt.startswith(src + "/"):
        err("cannot rename to '%s': New dataset name cannot be a descendant of current "
            "dataset name" % tgt)
        return 1
    if tgt in z["datasets"]:
        err("cannot rename '%s': dataset already exists" % src)
        return 1

    def change() -> None:
        rename_records(z, src, tgt)
    nounmount = "u" in flags or zm.mountpoint(z, src) in ("legacy", "none")
    if nounmount:
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
    """cmd/zfs/zfs_main.c:4167 zfs_do_promote() (zfs-2.4.0): any operand starting with '-' is
    "invalid option '<c>'"; libzfs_dataset.c:4121 zfs_promote(): "not a cloned filesystem";
    a snapshot name clash is "conflicting snapshot '<snap>' from parent '<origin>'"."""
    if args and args[0].startswith("-"):
        err("invalid option '%s'" % (args[0][1:2] or "\0"))
        usage()
    if not args:
        err("missing clone filesystem argument")
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    c = args[0]
    d = open_ds(z, c, zm.T_FS | zm.T_VOL)
    if d is None:
        return 1
    origin = d.get("origin")
    if not origin:
        err("cannot promote '%s': not a cloned filesystem" % c)
        return 1
    ofs, osnap = origin.split("@")
    snaps = zm.snapshots(z, ofs)
    moving = snaps[:snaps.index(origin) + 1] if origin in snaps else []
    mine = {s.split("@")[1] for s in zm.snapshots(z, c)}
    for s in moving:
        sn = s.split("@")[1]
        if sn in mine:
            err("cannot promote '%s': conflicting snapshot '%s' from parent '%s'"
                % (c, sn, origin))
            return 1
    old_origin = z["datasets"][ofs].get("origin")
    for s in moving:
        rename_records(z, s, c + "@" + s.split("@")[1])
    d["origin"] = old_origin
    z["datasets"][ofs]["origin"] = c + "@" + osnap
    return 0


def cmd_rollback(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:4405 zfs_do_rollback() (zfs-2.4.0) with rollback_check() (:4347) and
    rollback_check_dependent() (:4318): without -r the later snapshots are listed (at most 32,
    then "Output limited to 32 snapshots/bookmarks"); with -r but not -R the clones of later
    snapshots (and their dependents) are listed; any error exits 1."""
    opts, args = getopt(args, "rRf")
    flags = {o for o, _ in opts}
    recurse, doclones = "r" in flags or "R" in flags, "R" in flags
    if not args:
        err("missing dataset argument")
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    snap = args[0]
    sd = open_ds(z, snap, zm.T_SNAP)
    if sd is None:
        return 1
    fs = snap.split("@")[0]
    snaps = zm.snapshots(z, fs)
    later = [s for s in snaps if z["datasets"][s]["createtxg"] > sd["createtxg"]]
    if not doclones:
        first, printed = True, 0
        for s in later:
            if not recurse:
                if first:
                    err("cannot rollback to '%s': more recent snapshots or bookmarks exist"
                        % snap)
                    err("use '-r' to force deletion of the following snapshots and bookmarks:")
                    first = False
                err(s)
                printed += 1
                if printed == 32:
                    err("Output limited to 32 snapshots/bookmarks")
                    return 1
            else:
                for n in dependents(z, s):
                    if first:
                        err("cannot rollback to '%s': clones of previous snapshots exist"
                            % snap)
                        err("use '-R' to force deletion of the following clones and "
                            "dependents:")
                        first = False
                    err(n)
        if not first:
            return 1
    # zfs_rollback(): rollback_destroy() of every later snapshot and its dependents
    for s in later:
        if s not in z["datasets"]:
            continue
        deps = dependents(z, s)
        for n in deps:
            if n in z["datasets"] and z["datasets"][n]["type"] == "snapshot" and held_error(z, n):
                return 1
        if held_error(z, s):
            return 1
        for n in deps:
            destroy_one(z, n)
        destroy_one(z, s)
    fsd = z["datasets"][fs]
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


def cmd_hold_release(z: dict[str, Any], args: list[str], holding: bool) -> int:
    """cmd/zfs/zfs_main.c:6734 zfs_do_hold_rele_impl() (zfs-2.4.0): fewer than two operands is
    usage; "tag may not start with '.'" (hold) is usage; an operand without '@' is
    "'<x>' is not a snapshot"; each filesystem is zfs_open()ed; the exit is 1 if anything
    failed. libzfs_dataset.c:5000 zfs_hold() / :5138 zfs_release() and their errors."""
    opts, args = getopt(args, "rt" if holding else "r")
    recursive = any(o == "r" for o, _ in opts)
    if len(args) < 2:
        usage()
    tag = args[0]
    if holding and tag.startswith("."):
        err("tag may not start with '.'")
        usage()
    errors = 0
    for path in args[1:]:
        if "@" not in path:
            err("'%s' is not a snapshot" % path)
            errors += 1
            continue
        fs, sn = path.split("@", 1)
        if open_ds(z, fs, zm.T_FS | zm.T_VOL) is None:
            errors += 1
            continue
        fss = [fs] + (zm.descendants(z, fs) if recursive else [])
        found = ["%s@%s" % (f, sn) for f in fss if "%s@%s" % (f, sn) in z["datasets"]]
        if holding:
            if not found:
                err("cannot hold snapshot '%s@%s': dataset does not exist" % (fs, sn))
                errors += 1
                continue
            if len(tag) >= 256:
                for s in found:
                    err("cannot hold snapshot '%s': tag too long" % s)
                errors += 1
                continue
            clash = [s for s in found if tag in z["datasets"][s].get("holds", {})]
            if clash:
                for s in clash:
                    err("cannot hold snapshot '%s': tag already exists on this dataset" % s)
                errors += 1
                continue
            now = int(time.time())
            for s in found:
                z["datasets"][s].setdefault("holds", {})[tag] = now
        else:
            have = [s for s in found if tag in z["datasets"][s].get("holds", {})]
            if not have:
                if found:
                    err("cannot release hold from snapshot '%s@%s': no such tag on this "
                        "dataset" % (fs, sn))
                else:
                    err("cannot release hold from snapshot '%s@%s': dataset does not exist"
                        % (fs, sn))
                errors += 1
                continue
            for s in have:
                d = z["datasets"][s]
                del d["holds"][tag]
                if not d["holds"] and d.get("defer_destroy"):
                    destroy_one(z, s)
    return 1 if errors else 0


def cmd_hold(z: dict[str, Any], args: list[str]) -> int:
    return cmd_hold_release(z, args, True)


def cmd_release(z: dict[str, Any], args: list[str]) -> int:
    return cmd_hold_release(z, args, False)


def cmd_holds(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:6956 zfs_do_holds() and print_holds() (zfs-2.4.0): NAME/TAG columns
    as wide as the longest name/tag seen (not the headers), TIMESTAMP "%a %b %e %H:%M %Y" or
    seconds with -p; -H tabs; "no datasets available" on stderr when nothing was listed."""
    opts, args = getopt(args, "rHp")
    flags = {o for o, _ in opts}
    recursive, scripted, parsable = "r" in flags, "H" in flags, "p" in flags
    if not args:
        usage()
    errors = False
    rows: list[tuple[str, dict[str, int]]] = []
    namew = tagw = 0
    for snapshot in args:
        if "@" not in snapshot:
            err("'%s' is not a snapshot" % snapshot)
            errors = True
            continue
        fs, sn = snapshot.split("@", 1)
        if recursive:
            d = open_ds(z, fs, zm.T_SNAP | zm.T_FS | zm.T_VOL)
            if d is None:
                errors = True
                continue
            names = sorted([s for f in [fs] + zm.descendants(z, fs)
                            for s in zm.snapshots(z, f) if s.split("@", 1)[1] == sn],
                           key=lambda n: sort_key(z, n))
        else:
            if open_ds(z, snapshot, zm.T_SNAP) is None:
                errors = True
                continue
            names = [snapshot]
        for n in names:
            holds = dict(z["datasets"][n].get("holds", {}))
            namew = max(namew, len(n))
            for t in holds:
                tagw = max(tagw, len(t))
            rows.append((n, holds))
    if not scripted:
        out("%-*s  %-*s  %s" % (namew, "NAME", tagw, "TAG", "TIMESTAMP"))
    for n, holds in rows:
        for t, ts in holds.items():
            stamp = str(ts) if parsable else _holds_time(ts)
            if scripted:
                out("%s\t%s\t%s" % (n, t, stamp))
            else:
                out("%-*s  %-*s  %s" % (namew, n, tagw, t, stamp))
    if not rows:
        err("no datasets available")
    return 1 if errors else 0


def _holds_time(ts: int) -> str:
    """strftime(STRFTIME_FMT_STR = "%a %b %e %H:%M %Y") (zfs_main.c:6845)."""
    lt = time.localtime(ts)
    return time.strftime("%a %b ", lt) + "%2d" % lt.tm_mday + time.strftime(" %H:%M %Y", lt)


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
    # share_mount(): one operand (-R takes several); share_mount_one() (zfs_main.c:7155,
    # zfs-2.4.0) checks legacy, none, canmount=off, then "filesystem already mounted"
    for n in args:
        if open_ds(z, n, zm.T_FS) is None:
            if "R" in flags:
                usage()
            rc = 1
            continue
        d = z["datasets"][n]
        mp = zm.mountpoint(z, n)
        if mp == "legacy":
            err("cannot mount '%s': legacy mountpoint" % n)
            err("use mount(8) to mount this filesystem")
            rc = 1
        elif mp == "none":
            err("cannot mount '%s': no mountpoint set" % n)
            rc = 1
        elif zm.prop_source(z, n, "canmount")[0] == "off":
            err("cannot mount '%s': 'canmount' property is set to 'off'" % n)
            rc = 1
        elif d.get("mounted"):
            err("cannot mount '%s': filesystem already mounted" % n)
            rc = 1
        else:
            zm.do_mount(z, n)
    return rc


def cmd_unmount(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:7867 unshare_unmount() (zfs-2.4.0): -a unmounts every mounted ZFS
    filesystem (not legacy, not canmount=noauto); otherwise exactly one operand ("missing
    filesystem argument" / "too many arguments"). A path goes to unshare_unmount_path()
    (:7748, getextmntent() of lib/libspl/os/freebsd/getmntany.c:43); a name is zfs_open()ed
    as a filesystem: "legacy mountpoint" (+ "use umount(8) ..."), "not currently mounted"."""
    opts, args = getopt(args, "afu")
    flags = {o for o, _ in opts}
    if "a" in flags:
        if args:
            err("too many arguments")
            usage()
        for n in sorted(z["datasets"], reverse=True):
            d = z["datasets"][n]
            if not d.get("mounted") or d.get("static") is not None:
                continue
            if zm.mountpoint(z, n) == "legacy" or zm.prop_source(z, n, "canmount")[0] == "noauto":
                continue
            zm.do_unmount(z, n)
        return 0
    if len(args) != 1:
        err("missing filesystem argument" if not args else "too many arguments")
        usage()
    a = args[0]
    if a.startswith("/"):
        path = os.path.normpath(a)
        if path.startswith("//"):
            path = path[1:]
        hits = [n for n in z["datasets"] if zm.mount_path(z, n) == path]
        if not hits:
            if not os.path.lexists(hoststate.hostpath(path)):
                err("cannot open '%s': No such file or directory" % a)
                err("warning: %s not in/proc/self/mounts" % a)
                err("%s: No such file or directory" % a)
                return 1
            err("cannot unmount '%s': not a mountpoint" % a)
            return 1
        a = hits[0]
        # zfs_unmount() of just that filesystem: a mount below it (or '/') makes the
        # kernel's unmount fail EBUSY (libzfs_mount.c:547 unmount_one())
        below = [n for n in z["datasets"] if n != a and (zm.mount_path(z, n) or "").startswith(
            path.rstrip("/") + "/")]
        if below or path == "/":
            err("cannot unmount '%s': pool or dataset is busy" % path)
            return 1
        zm.do_unmount(z, a)
        return 0
    elif open_ds(z, a, zm.T_FS) is None:
        return 1
    if zm.mountpoint(z, a) == "legacy":
        err("cannot unmount '%s': legacy mountpoint" % a)
        err("use umount(8) to unmount this filesystem")
        return 1
    if not z["datasets"][a].get("mounted"):
        err("cannot unmount '%s': not currently mounted" % a)
        return 1
    for n in reversed([a] + zm.descendants(z, a)):
        if z["datasets"][n].get("mounted"):
            zm.do_unmount(z, n)
    return 0


def _diff_tree(real: str, skip: set[str]) -> dict[str, os.stat_result]:
    """Relative path ('' for the root) -> lstat of every object below a real directory."""
    res: dict[str, os.stat_result] = {}
    try:
        res[""] = os.lstat(real)
    except OSError:
        return res
    stack = [(real, "")]
    while stack:
        rp, rel = stack.pop()
        try:
            it = list(os.scandir(rp))
        except OSError:
            continue
        for e in it:
            if e.path in skip:
                continue
            r = rel + "/" + e.name
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            res[r] = st
            if e.is_dir(follow_symlinks=False):
                stack.append((e.path, r))
    return res


def _diff_mangle(s: str) -> str:
    """lib/libzfs/libzfs_diff.c:123 stream_bytes(): bytes outside '!'..'~' and the backslash
    as "\\\\%04o"."""
    out_ = []
    for b in s.encode("utf-8", "surrogateescape"):
        if 0x20 < b < 0x7f and b != 0x5c:
            out_.append(chr(b))
        else:
            out_.append("\\%04o" % b)
    return "".join(out_)


def cmd_diff(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:8193 zfs_do_diff() and lib/libzfs/libzfs_diff.c (zfs-2.4.0):
    get_snapshot_names() (:550) accepts 'fs@a', 'fs@a fs@b', 'fs@a @b', 'fs@a fs', '@a fs@b',
    '@a fs'; get_mountpoint() (:660) needs the filesystem mounted; write_inuse_diffs_one()
    (:263) prints "+", "-", "M" lines via print_file() (:238): optional "%10lld.%09lld\\t"
    ctime (-t), the type letter (-F, get_what()), then the mountpoint and the object's path,
    mangled by stream_bytes() unless -h. The model has no object identity, so renames show as
    a removal and an addition, and objects are ordered old ones (by path) before new ones (by
    creation), which is how object numbers usually run."""
    opts, args = getopt(args, "FHth")
    flags = {o for o, _ in opts}
    if not args:
        err("must provide at least one snapshot name")
        usage()
    if len(args) > 2:
        err("too many arguments")
        usage()
    fromsnap = args[0]
    tosnap = args[1] if len(args) == 2 else None
    if not fromsnap.startswith("@"):
        copy = fromsnap
    elif tosnap:
        copy = tosnap
    else:
        usage()
        return 2
    copy = copy.split("@", 1)[0]
    if open_ds(z, copy, zm.T_FS) is None:
        return 1
    if tosnap is None:
        why = validate_name(fromsnap, zm.T_SNAP, False)
        if why is not None:
            err("Badly formed snapshot name %s: %s" % (fromsnap, why))
            return 1
        ds = fromsnap.split("@", 1)[0]
        fsnap, tsnap = fromsnap, None
    else:
        fds, _, fsn = fromsnap.partition("@")
        tds, tat, tsn = tosnap.partition("@")
        if not fsn or (tat and not tsn) or (not fds and not tds):
            err("Unable to determine which snapshots to compare: invalid name")
            return 1
        if fds and tds and fds != tds:
            # a clone of an earlier snapshot is allowed (the origin chain)
            cur = z["datasets"].get(tds)
            ok_ = False
            while cur is not None and cur.get("origin"):
                if cur["origin"].startswith(fromsnap.split("@")[0] + "@"):
                    ok_ = True
                    break
                cur = z["datasets"].get(cur["origin"].split("@")[0])
            if not ok_:
                err("Not an earlier snapshot from the same fs: invalid name")
                return 1
            ds = tds
        else:
            ds = fds or tds
        fsnap = fromsnap if fds else ds + "@" + fsn
        tsnap = (tds or ds) + "@" + tsn if tsn else None
    mp = zm.mount_path(z, ds) if ds in z["datasets"] else None
    if mp is None:
        err("Cannot diff an unmounted snapshot: operation not applicable to datasets of "
            "this type")
        return 1
    dsmnt = "" if mp == "/" else mp
    for s in (fsnap, tsnap):
        if s is not None and s not in z["datasets"]:
            err("Unable to obtain diffs: No such file or directory")
            return 1
    fd = z["datasets"][fsnap]
    if tsnap is not None and z["datasets"][tsnap]["createtxg"] < fd["createtxg"]:
        err("Unable to obtain diffs: \n   Not an earlier snapshot from the same fs")
        return 1
    old = _diff_tree(zm.snap_path(fd), set())
    if tsnap is None:
        new = _diff_tree(hoststate.hostpath(mp), zm.other_mounts_real(z, mp))
    else:
        new = _diff_tree(zm.snap_path(z["datasets"][tsnap]), set())
    import stat as st_mod

    def what(s: os.stat_result) -> str:
        m = s.st_mode
        for test, c in ((st_mod.S_ISBLK, "B"), (st_mod.S_ISCHR, "C"), (st_mod.S_ISDIR, "/"),
                        (st_mod.S_ISFIFO, "|"), (st_mod.S_ISLNK, "@"), (st_mod.S_ISSOCK, "="),
                        (st_mod.S_ISREG, "F")):
            if test(m):
                return c
        return "?"

    def children_of(tree: dict[str, os.stat_result], rel: str) -> set[str]:
        pre = rel + "/"
        return {p for p in tree if p.startswith(pre) and "/" not in p[len(pre):]}

    def line(kind: str, rel: str, s: os.stat_result) -> None:
        parts = ""
        if "t" in flags:
            ns = s.st_ctime_ns
            parts += "%10d.%09d\t" % (ns // 10**9, ns % 10**9)
        parts += kind + "\t"
        if "F" in flags:
            parts += what(s) + "\t"
        out(parts + mangle(rel))

    # renames: the model keeps no object identity, so a removed file whose type, size,
    # mtime and bytes reappear under a new name is taken as the same object (print_rename(),
    # libzfs_diff.c:196: "R\t<old> -> <new>", a tab instead of " -> " with -H)
    renamed: dict[str, str] = {}
    added = [r for r in new if r not in old]
    old_root = zm.snap_path(fd)
    new_root = (hoststate.hostpath(mp) if tsnap is None
                else zm.snap_path(z["datasets"][tsnap]))

    def same_bytes(a: str, b: str) -> bool:
        try:
            if os.path.islink(a) or os.path.islink(b):
                return os.readlink(a) == os.readlink(b)
            with open(a, "rb") as fa, open(b, "rb") as fb:
                return fa.read(1 << 20) == fb.read(1 << 20)
        except OSError:
            return False
    for rel in sorted(r for r in old if r and r not in new):
        fs_ = old[rel]
        if st_mod.S_ISDIR(fs_.st_mode):
            continue
        for cand in added:
            ts_ = new[cand]
            if (cand not in renamed.values() and
                    st_mod.S_IFMT(ts_.st_mode) == st_mod.S_IFMT(fs_.st_mode) and
                    (ts_.st_size, ts_.st_mtime_ns) == (fs_.st_size, fs_.st_mtime_ns) and
                    same_bytes(old_root + rel, new_root + cand)):
                renamed[rel] = cand
                break

    def mangle(rel: str) -> str:
        path = dsmnt + (rel or "/")
        return path if "h" in flags else _diff_mangle(path)

    for rel in sorted(old):
        fs_, ts_ = old[rel], new.get(rel)
        if rel in renamed:
            tgt = renamed[rel]
            ts_ = new[tgt]
            parts = ""
            if "t" in flags:
                ns = ts_.st_ctime_ns
                parts += "%10d.%09d\t" % (ns // 10**9, ns % 10**9)
            parts += "R\t" + (what(ts_) + "\t" if "F" in flags else "")
            out(parts + mangle(rel) + ("\t" if "H" in flags else " -> ") + mangle(tgt))
            continue
        if ts_ is None:
            line("-", rel, fs_)
            continue
        if st_mod.S_IFMT(fs_.st_mode) != st_mod.S_IFMT(ts_.st_mode):
            line("-", rel, fs_)
            line("+", rel, ts_)
            continue
        if st_mod.S_ISDIR(fs_.st_mode):
            changed = children_of(old, rel) != children_of(new, rel)
        else:
            changed = (fs_.st_size, fs_.st_mtime_ns) != (ts_.st_size, ts_.st_mtime_ns)
        if changed:
            line("M", rel, ts_)
    for rel in sorted((r for r in added if r not in renamed.values()),
                      key=lambda r: (new[r].st_mtime_ns, r)):
        line("+", rel, new[rel])
    return 0


STATE: list[Any] = [None]      # the host state of the running command (zfs jail needs jails)


def cmd_jail_impl(z: dict[str, Any], args: list[str], attach: bool) -> int:
    """cmd/zfs/zfs_main.c:9580 zfs_do_jail_impl() (zfs-2.4.0, FreeBSD): exactly two operands;
    libjail jail_getid() takes a number as is and looks a name up ("invalid jail id or name"
    + usage when there is no such jail); zfs_open(ZFS_TYPE_FILESYSTEM); then
    lib/libzfs/os/freebsd/libzfs_compat.c:275 zfs_jail() and the kernel's
    zone_dataset_attach()/_detach() (module/os/freebsd/spl/spl_zone.c): no such jail or
    dataset not attached is ENOENT ("dataset does not exist"), attaching twice EEXIST."""
    if len(args) < 2:
        err("missing argument(s)")
        usage()
    if len(args) > 2:
        err("too many arguments")
        usage()
    who, name = args
    from .. import jailctx
    jid: int | None
    if who.isdigit():
        jid = int(who)
    else:
        j = jailctx.jail_info(STATE[0], who) if STATE[0] is not None else None
        if j is None:
            err("invalid jail id or name")
            usage()
            return 2
        jid = int(j["jid"])
    if open_ds(z, name, zm.T_FS) is None:
        return 1
    errbuf = ("cannot jail '%s'" if attach else "cannot unjail '%s'") % name
    running = jailctx.jail_info(STATE[0], str(jid)) if STATE[0] is not None else None
    attached = z.setdefault("jail_datasets", {})
    key = str(jid)
    if running is None or jid == 0:
        err("%s: dataset does not exist" % errbuf)
        return 1
    lst = attached.setdefault(key, [])
    if attach:
        if name in lst:
            err("%s: dataset already exists" % errbuf)
            return 1
        lst.insert(0, name)
        return 0
    if name not in lst:
        err("%s: dataset does not exist" % errbuf)
        return 1
    lst.remove(name)
    if not lst:
        del attached[key]
    return 0


def cmd_jail(z: dict[str, Any], args: list[str]) -> int:
    return cmd_jail_impl(z, args, True)


def cmd_unjail(z: dict[str, Any], args: list[str]) -> int:
    return cmd_jail_impl(z, args, False)


def cmd_upgrade(z: dict[str, Any], args: list[str]) -> int:
    """cmd/zfs/zfs_main.c:2686 zfs_do_upgrade() and upgrade_set_callback() (:2619)
    (zfs-2.4.0). Every modelled filesystem is at ZPL_VERSION 5, so: no operands lists none
    ("All filesystems are formatted with the current version."), -v prints the version table,
    -a / operands count them as "already at this version" (or "can not be downgraded" for
    -V below 5, exit 1)."""
    opts, args = getopt(args, "rvV:a")
    recurse = showversions = alla = False
    version = 0
    for o, a in opts:
        if o == "r":
            recurse = True
        elif o == "v":
            showversions = True
        elif o == "V":
            # zfs_prop_string_to_index(ZFS_PROP_VERSION): 1..5 or "current"
            table = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "current": 5}
            if a not in table:
                err("invalid version %s" % a)
                usage()
            version = table[a]
        elif o == "a":
            alla = True
    if (not alla and not args) and (recurse or version):
        usage()
    if showversions and (recurse or alla or version or args):
        usage()
    if (alla or args) and showversions:
        usage()
    if alla and args:
        usage()
    if showversions:
        out("The following filesystem versions are supported:\n")
        out("VER  DESCRIPTION")
        out("---  " + "-" * 56)
        out(" 1   Initial ZFS filesystem version")
        out(" 2   Enhanced directory entries")
        out(" 3   Case insensitive and filesystem user identifier (FUID)")
        out(" 4   userquota, groupquota properties")
        out(" 5   System attributes")
        out("\nFor more information on a particular version, including supported releases,")
        out("see the ZFS Administration Guide.\n")
        return 0
    if alla or args:
        version = version or 5
        names, rc = collect(z, args, zm.T_FS, recurse, None)
        same = failed = 0
        for n in names:
            if version < 5:
                out("%s: can not be downgraded; it is already at version %u" % (n, 5))
                failed += 1
            else:
                same += 1
        out("%d filesystems upgraded" % 0)
        if same:
            out("%d filesystems already at this version" % same)
        return 1 if failed or rc else 0
    out("This system is currently running ZFS filesystem version 5.\n")
    out("All filesystems are formatted with the current version.")
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
    "hold": cmd_hold, "release": cmd_release, "holds": cmd_holds, "diff": cmd_diff,
    "jail": cmd_jail, "unjail": cmd_unjail, "upgrade": cmd_upgrade,
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
            STATE[0] = st
            try:
                return handler(z, args[1:])
            finally:
                STATE[0] = None
    except Exit as e:
        return e.code
