"""Simulated zpool(8) (OpenZFS 2.4.0 on FreeBSD 15.0).

Messages, usage texts, column layout and exit codes follow tag zfs-2.4.0:
cmd/zpool/zpool_main.c (zpool_do_*), cmd/zpool/zpool_vdev.c (make_root_vdev and friends),
lib/libzfs/libzfs_pool.c (zpool_get_prop, zpool_valid_proplist, zpool_open_canfail,
zpool_name_valid) and lib/libzfs/libzfs_util.c (zprop_print_headers/zprop_print_one_property).
Pools share the dataset store of zfs(8); see zpool_model.py and zfs_model.py.
"""
from __future__ import annotations

import os
import sys
from typing import Any

from .. import hoststate
from . import zfs_model as zm
from . import zpool_model as pm
from ._common import getopt_switch
from .zfs_common import Exit, echo_bytes, err, out, print_version, run_guarded
from .zfs_engine import nicenum

# ----------------------------------------------------------------------------- usage
# zpool_main.c:get_usage()
USAGE = {
    "version": "\tversion [-j]\n",
    "create": "\tcreate [-fnd] [-o property=value] ... \n"
              "\t    [-O file-system-property=value] ... \n"
              "\t    [-m mountpoint] [-R root] <pool> <vdev> ...\n",
    "destroy": "\tdestroy [-f] <pool>\n",
    "add": "\tadd [-afgLnP] [-o property=value] <pool> <vdev> ...\n",
    "remove": "\tremove [-npsw] <pool> <device> ...\n",
    "labelclear": "\tlabelclear [-f] <vdev>\n",
    "checkpoint": "\tcheckpoint [-d [-w]] <pool> ...\n",
    "prefetch": "\tprefetch [-t <type>] <pool>\n",
    "list": "\tlist [-gHLpPv] [-o property[,...]] [-j [--json-int, --json-pool-key-guid]] ...\n"
            "\t    [-T d|u] [pool] [interval [count]]\n",
    "iostat": "\tiostat [[[-c [script1,script2,...][-lq]]|[-rw]] [-T d | u] [-ghHLpPvy]\n"
              "\t    [[pool ...]|[pool vdev ...]|[vdev ...]] [[-n] interval [count]]\n",
    "status": "\tstatus [-DdegiLPpstvx] [-c script1[,script2,...]] ...\n"
              "\t    [-j|--json [--json-flat-vdevs] [--json-int] [--json-pool-key-guid]] ...\n"
              "\t    [-T d|u] [--power] [pool] [interval [count]]\n",
    "online": "\tonline [--power][-e] <pool> <device> ...\n",
    "offline": "\toffline [--power]|[[-f][-t]] <pool> <device> ...\n",
    "clear": "\tclear [[--power]|[-nF]] <pool> [device]\n",
    "reopen": "\treopen [-n] <pool>\n",
    "attach": "\tattach [-fsw] [-o property=value] <pool> <vdev> <new-device>\n",
    "detach": "\tdetach <pool> <device>\n",
    "replace": "\treplace [-fsw] [-o property=value] <pool> <device> [new-device]\n",
    "split": "\tsplit [-gLnPl] [-R altroot] [-o mntopts]\n"
             "\t    [-o property=value] <pool> <newpool> [<device> ...]\n",
    "initialize": "\tinitialize [-c | -s | -u] [-w] <-a | <pool> [<device> ...]>\n",
    "resilver": "\tresilver <pool> ...\n",
    "scrub": "\tscrub [-e | -s | -p | -C | -E | -S] [-w] <-a | <pool> [<pool> ...]>\n",
    "trim": "\ttrim [-dw] [-r <rate>] [-c | -s] <-a | <pool> [<device> ...]>\n",
    "import": "\timport [-d dir] [-D]\n"
              "\timport [-o mntopts] [-o property=value] ... \n"
              "\t    [-d dir | -c cachefile] [-D] [-l] [-f] [-m] [-N] [-R root] [-F [-n]] -a\n"
              "\timport [-o mntopts] [-o property=value] ... \n"
              "\t    [-d dir | -c cachefile] [-D] [-l] [-f] [-m] [-N] [-R root] [-F [-n]]\n"
              "\t    [--rewind-to-checkpoint] <pool | id> [newpool]\n",
    "export": "\texport [-af] <pool> ...\n",
    "upgrade": "\tupgrade\n\tupgrade -v\n\tupgrade [-V version] <-a | pool ...>\n",
    "reguid": "\treguid [-g guid] <pool>\n",
    "history": "\thistory [-il] [<pool>] ...\n",
    "events": "\tevents [-vHf [pool] | -c]\n",
    "get": "\tget [-Hp] [-j [--json-int, --json-pool-key-guid]] ...\n"
           "\t    [-o \"all\" | field[,...]] <\"all\" | property[,...]> <pool> ...\n",
    "set": "\tset <property=value> <pool>\n\tset <vdev_property=value> <pool> <vdev>\n",
    "sync": "\tsync [pool] ...\n",
    "wait": "\twait [-Hp] [-T d|u] [-t <activity>[,...]] <pool> [interval]\n",
    "ddtprune": "\tddtprune -d|-p <amount> <pool>\n",
}
# zpool_main.c:command_table[] (None = blank line in the full usage)
TABLE: list[str | None] = [
    "version", None, "create", "destroy", None, "add", "remove", None, "labelclear", None,
    "checkpoint", "prefetch", None, "list", "iostat", "status", None, "online", "offline",
    "clear", "reopen", None, "attach", "detach", "replace", "split", None, "initialize",
    "resilver", "scrub", "trim", None, "import", "export", "upgrade", "reguid", None,
    "history", "events", None, "get", "set", "sync", None, "wait", None, "ddtprune"]

CUR: dict[str, Any] = {"cmd": None, "props": False}


def usage(requested: bool = False) -> None:
    """zpool_main.c:usage(): to stderr and exit 2 (stdout and 0 when requested)."""
    fp = sys.stdout if requested else sys.stderr
    cmd = CUR["cmd"]
    if cmd is None:
        fp.write("usage: zpool command args ...\n")
        fp.write("where 'command' is one of the following:\n\n")
        for c in TABLE:
            fp.write("\n" if c is None else USAGE[c])
        fp.write("\nFor further help on a command or topic, run: zpool help [<topic>]\n")
    else:
        fp.write("usage:\n" + USAGE[cmd])
    if cmd in ("set", "get", "list") and CUR["props"]:
        fp.write("\nthe following properties are supported:\n")
        fp.write("\n\t%-19s  %s   %s\n\n" % ("PROPERTY", "EDIT", "VALUES"))
        for name in sorted(pm.VISIBLE):       # zprop_iter(..., ordered=B_TRUE)
            p = pm.PROP[name]
            fp.write("\t%-19s  " % name)
            fp.write("  NO   " if p[2] == "ro" else " YES   ")
            fp.write("%s\n" % (p[5] or "-"))
        fp.write("\t%-19s   " % "feature@...")
        fp.write("YES   disabled | enabled | active\n")
        fp.write("\nThe feature@ properties must be appended with a feature name.\n"
                 "See zpool-features(7).\n")
    raise Exit(0 if requested else 2)


def getopt(args: list[str], spec: str, longs: dict[str, str] | None = None
           ) -> tuple[list[tuple[str, str | None]], list[str]]:
    """getopt(3)/getopt_long(3) with opterr=0 and a leading ':' as zpool_main.c uses it; a
    ``--name=value`` word is matched by its name, an unknown one is ``invalid option '?'``."""
    return getopt_switch(args, spec, err, usage, longs or {}, permute=False, long_eq=True,
                         bad_long="?")


def check_json_opts(js: bool, as_int: bool, keyguid: bool) -> None:
    """zpool_main.c: --json-int and --json-pool-key-guid only go with -j."""
    if as_int and not js:
        err("'--json-int' only works with '-j' option")
        usage()
    if keyguid and not js:
        err("'json-pool-key-guid' only works with '-j' option")
        usage()


# ----------------------------------------------------------------------------- names

def pool_name_error(name: str, isopen: bool) -> str | None:
    """libzfs_pool.c:zpool_name_valid() / zfs_namecheck.c:pool_namecheck(): aux text or None."""
    if len(name.encode("utf-8", "surrogateescape")) >= 256 - 2 - 7 * 2:
        return "name is too long"
    for c in name:
        if not (c.isascii() and (c.isalnum() or c in "-_.: ")):
            return "invalid character '%s' in pool name" % c
    if not (name[:1].isascii() and name[:1].isalpha()):
        return "name must begin with a letter"
    if name in ("mirror", "raidz", "draid"):
        return "name is reserved"
    if not isopen and (name.startswith(("mirror", "raidz", "draid", "spare")) or name == "log"):
        return "name is reserved"
    return None


def open_pool(z: dict[str, Any], name: str) -> dict[str, Any] | None:
    """libzfs_pool.c:zpool_open_canfail(): the record, or None after printing the error."""
    why = pool_name_error(name, True)
    if why:
        err("cannot open '%s': %s" % (name, why))
        return None
    rec = z["pools"].get(name)
    if rec is None:
        err("cannot open '%s': no such pool" % name)
    return rec


# ----------------------------------------------------------------------------- values

def space(z: dict[str, Any], name: str) -> tuple[int, int]:
    """(SIZE, ALLOC) of a pool: the root dataset's USED inflated by parity, plus MOS blocks."""
    rec = z["pools"][name]
    sz = zm.Sizer(z)
    used = sz.used(name) if name in z["datasets"] else 0
    # ALLOC counts written blocks only: a dataset's unused refreservation (a zvol's, say) is
    # charged to USED/AVAIL by the DSL but allocates nothing
    used -= sum(sz.used_refreserv(n) for n, d in z["datasets"].items()
                if zm.pool_of(n) == name and d["type"] != "snapshot")
    size = rec["size"]
    alloc = used * size // max(1, rec["dspace"]) + pm.MOS_ALLOC if name != z["pool"] else used
    return size, min(alloc, size)


def pool_prop(z: dict[str, Any], name: str, prop: str, literal: bool) -> tuple[str, str]:
    """libzfs_pool.c:zpool_get_prop(): (value, source) with source none/default/local."""
    rec = z["pools"][name]
    p = pm.PROP[prop]
    if prop == "name":
        return name, "none"
    if p[2] != "ro" and prop in rec["props"]:
        v, src = rec["props"][prop], "local"
    else:
        v, src = p[6], ("none" if p[2] == "ro" else "default")
    if prop == "readonly":
        src = "none"     # spa.c:spa_prop_get_config() adds it with ZPROP_SRC_NONE
    size, alloc = space(z, name) if prop in ("size", "allocated", "free", "capacity") else (0, 0)
    num = (lambda n: str(n)) if literal else (lambda n: nicenum(n, False))
    if prop == "size":
        return num(size), src
    if prop == "allocated":
        return num(alloc), src
    if prop == "free":
        return num(size - alloc), src
    if prop == "capacity":
        c = alloc * 100 // size if size else 0
        return (str(c) if literal else "%d%%" % c), src
    if prop == "health":
        return "ONLINE", src
    if prop in ("guid", "load_guid"):
        return rec[prop], src
    if prop == "version":
        return ("-" if int(v) >= 5000 else str(v)), src
    if prop in ("dedupratio", "bcloneratio"):
        return ("1.00" if literal else "1.00x"), src
    if prop in ("expandsize", "checkpoint"):
        return "-", src
    if prop == "fragmentation":
        return ("0" if literal else "0%"), src
    if prop == "dedup_table_quota":
        n = int(v)
        return ("auto" if n == 2**64 - 1 else ("0" if literal else "none") if n == 0
                else num(n)), src
    if p[1] == "s":
        return (v if v is not None else "-"), src
    return str(v), src


# ----------------------------------------------------------------------------- vdevs

def vdev_name(top: dict[str, Any], idx: int | None) -> str:
    """libzfs_pool.c:zpool_vdev_name(): '<type>-<id>' with VDEV_NAME_TYPE_ID."""
    t = top["type"]
    if t in ("disk", "file"):
        p = top["path"]
        return p[5:] if p.startswith("/dev/") else p
    base = "raidz%d" % top["parity"] if t == "raidz" else t
    return base if idx is None else "%s-%d" % (base, idx)


def vdev_rows(rec: dict[str, Any], type_id: bool = True) -> list[tuple[int, str, dict[str, Any] | None, bool]]:
    """(depth, name, vdev, toplevel) rows below the pool, classes with a header row (vdev None)."""
    rows: list[tuple[int, str, dict[str, Any] | None, bool]] = []
    for i, top in enumerate(rec["vdevs"]):
        rows.append((2, vdev_name(top, i if type_id else None), top, True))
        for leaf in top.get("children", []):
            rows.append((4, vdev_name(leaf, None), leaf, False))
    return rows


def make_root_vdev(z: dict[str, Any], args: list[str], force: bool) -> list[dict[str, Any]] | None:
    """zpool_vdev.c:construct_spec() + make_leaf_vdev() + check_in_use()/check_replication()."""
    tops: list[dict[str, Any]] = []
    i = 0
    mins = {"mirror": 2, "raidz": 2, "raidz1": 2, "raidz2": 3, "raidz3": 4}
    while i < len(args):
        a = args[i]
        if a in mins:
            kind = a
            i += 1
            kids = []
            while i < len(args) and args[i] not in mins and args[i] not in (
                    "log", "cache", "spare", "special", "dedup"):
                leaf = make_leaf(args[i])
                if leaf is None:
                    return None
                kids.append(leaf)
                i += 1
            if len(kids) < mins[kind]:
                err("invalid vdev specification: %s requires at least %d devices"
                    % (kind, mins[kind]))
                return None
            if kind == "mirror":
                tops.append({"type": "mirror", "parity": 0, "children": kids})
            else:
                tops.append({"type": "raidz", "parity": int(kind[5:] or "1"), "children": kids})
        elif a in ("log", "cache", "spare", "special", "dedup"):
            err("invalid vdev specification: '%s' devices are not supported by the testbed" % a)
            return None
        elif a.startswith(("draid", "raidz")):
            err("invalid vdev type '%s'" % a)
            return None
        else:
            leaf = make_leaf(a)
            if leaf is None:
                return None
            tops.append(leaf)
            i += 1
    if not tops:
        err("invalid vdev specification: at least one toplevel vdev must be specified")
        return None
    # check_in_use(): labels of other pools
    seen_err = False
    paths: list[str] = []
    for top in tops:
        for leaf in pm.leaves(top):
            lab = z["labels"].get(leaf["path"])
            # libzutil zpool_in_use(): a destroyed pool's label does not count as in use
            if lab and lab["state"] != "destroyed" and (lab["state"] == "active" or not force):
                if not seen_err:
                    err("invalid vdev specification")
                    err("use '-f' to override the following errors:" if not force else
                        "the following errors must be manually repaired:")
                    seen_err = True
                desc = {"active": "active", "exported": "exported",
                        "destroyed": "destroyed"}.get(lab["state"], "unknown")
                err("%s is part of %s pool '%s'" % (leaf["path"], desc, lab["pool"]))
            paths.append(leaf["path"])
    if seen_err:
        return None
    # check_replication(): mixed layouts need -f
    if not force and len(tops) > 1:
        kinds = {(t["type"] if t["type"] in ("mirror", "raidz") else "disk") for t in tops}
        if len(kinds) > 1:
            a, b = sorted(kinds, key=lambda k: [t["type"] if t["type"] in ("mirror", "raidz")
                                                else "disk" for t in tops].index(k))[:2]
            err("invalid vdev specification")
            err("use '-f' to override the following errors:")
            err("mismatched replication level: both %s and %s vdevs are present"
                % ("file" if a == "disk" else a, "file" if b == "disk" else b))
            return None
    return tops


def make_leaf(arg: str) -> dict[str, Any] | None:
    """zpool_vdev.c:make_leaf_vdev(): files by absolute path; bare names are /dev disks."""
    if arg.startswith("/"):
        real = hoststate.hostpath(os.path.normpath(arg))
        if not os.path.exists(real):
            err("cannot resolve path '%s'" % arg)
            return None
        if os.path.isdir(real):
            err("cannot use '%s': must be a block device or regular file" % arg)
            return None
        return {"type": "file", "path": arg, "psize": os.path.getsize(real)}
    err("cannot open '%s': no such device in /dev" % arg)
    err("must be a full path or shorthand device name")
    return None


# ----------------------------------------------------------------------------- properties

def parse_pool_props(raw: dict[str, str], creating: bool, errbuf: str) -> dict[str, str] | None:
    """libzfs_pool.c:zpool_valid_proplist()."""
    res: dict[str, str] = {}
    for k, v in raw.items():
        if k.startswith("feature@"):
            f = k[8:]
            if f not in pm.FEATURE_NAMES:
                err("%s: feature '%s' unsupported by kernel" % (errbuf, f))
                return None
            if v not in ("enabled", "disabled"):
                err("%s: property '%s' can only be set to 'enabled' or 'disabled'" % (errbuf, k))
                return None
            if not creating and v == "disabled":
                err("%s: property '%s' can only be set to 'disabled' at creation time"
                    % (errbuf, k))
                return None
            res[k] = v
            continue
        if ":" in k and zm.is_user_prop(k):
            res[k] = v
            continue
        p = pm.PROP.get(k)
        if p is None or k == "name":
            err("%s: invalid property '%s'" % (errbuf, k))
            return None
        if p[2] == "ro":
            err("%s: '%s' is readonly" % (errbuf, k))
            return None
        if k == "altroot" and not creating:
            err("%s: property '%s' can only be set during pool creation or import"
                % (errbuf, k))
            return None
        if k == "altroot" and not v.startswith("/"):
            err("%s: bad alternate root '%s'" % (errbuf, v))
            return None
        if p[1] == "i":
            if v not in p[7]:
                err("%s: '%s' must be one of '%s'" % (errbuf, k, p[5]))
                return None
        elif p[1] == "n":
            from .zfs import parse_number
            n = parse_number(v) if k != "version" else (int(v) if v.isdigit() else "bad")
            if isinstance(n, str):
                if k == "version":
                    err("%s: property '%s' number %s is invalid." % (errbuf, k, v))
                else:
                    err("%s: %s" % (errbuf, n))
                return None
            if k == "ashift" and n != 0 and not 9 <= n <= 16:
                err("%s: property 'ashift' number %d is invalid, only values between 9 and 16 "
                    "are allowed." % (errbuf, n))
                return None
            if k == "ashift" and not creating:
                err("%s: property 'ashift' can only be set at creation time" % errbuf)
                return None
            if k == "version" and not (1 <= n <= 28 or n == 5000):
                err("%s: property '%s' number %d is invalid." % (errbuf, k, n))
                return None
            v = str(n)
        elif k == "cachefile":
            if v not in ("", "none") and not v.startswith("/"):
                err("%s: property 'cachefile' must be empty, an absolute path, or 'none'"
                    % errbuf)
                return None
        elif k == "bootfs":
            if creating:
                err("%s: property 'bootfs' cannot be set at creation or import time" % errbuf)
                return None
        elif k == "comment":
            if any(not c.isprintable() for c in v):
                err("%s: comment may only have printable characters" % errbuf)
                return None
            if len(v) > 32:
                err("%s: comment must not exceed 32 characters" % errbuf)
                return None
        res[k] = v
    return res


# ----------------------------------------------------------------------------- commands

def cmd_create(z: dict[str, Any], args: list[str]) -> int:
    """zpool_main.c:zpool_do_create()."""
    opts, args = getopt(args, ":fndR:m:o:O:t:")
    force = dry = False
    altroot = mountpoint = None
    raw: dict[str, str] = {}
    fsraw: dict[str, str] = {}
    for o, a in opts:
        assert a is not None or o in "fnd"
        if o == "f":
            force = True
        elif o == "n":
            dry = True
        elif o == "R":
            altroot = a
            raw["altroot"] = a or ""
            raw.setdefault("cachefile", "none")
        elif o == "m":
            mountpoint = a
        elif o in "oO":
            if "=" not in (a or ""):
                err("missing '=' for -%s option" % o)
                return 1
            k, v = (a or "").split("=", 1)
            if o == "O" and k == "mountpoint":
                mountpoint = v
                continue
            target = raw if o == "o" else fsraw
            if k in target:
                # add_prop_list(): zpool_main.c
                err("property '%s' specified multiple times" % k)
                return 1
            target[k] = v
            if o == "o" and k == "altroot":
                altroot = v
        elif o == "t":
            if "/" in (a or ""):
                err("cannot create '%s': invalid character '/' in temporary name" % a)
                err("use 'zfs create' to create a dataset")
                return 1
            err("cannot create '%s': temporary pool names are not supported by the testbed" % a)
            return 1
    if not args:
        err("missing pool name argument")
        usage()
    if len(args) < 2:
        err("missing vdev specification")
        usage()
    name = args[0]
    if "/" in name:
        err("cannot create '%s': invalid character '/' in pool name" % name)
        err("use 'zfs create' to create a dataset")
        return 1
    tops = make_root_vdev(z, args[1:], force)
    if tops is None:
        return 1
    if altroot is not None and not altroot.startswith("/"):
        err("invalid alternate root '%s': must be an absolute path" % altroot)
        return 1
    if mountpoint is None or mountpoint not in ("legacy", "none"):
        if mountpoint is not None and not mountpoint.startswith("/"):
            err("invalid mountpoint '%s': must be an absolute path, 'legacy', or 'none'"
                % mountpoint)
            return 1
        if mountpoint is None:
            buf = "%s/%s" % (altroot, name) if altroot is not None else "/" + name
        else:
            buf = (altroot + mountpoint) if altroot is not None else mountpoint
        real = hoststate.hostpath(os.path.normpath(buf))
        if os.path.isdir(real) and os.listdir(real):
            err("mountpoint '%s' exists and is not empty" % buf)
            err("use '-m' option to provide a different default")
            return 1
    if dry:
        # print_vdev_tree(): names without the -<id> suffix
        out("would create '%s' with the following layout:\n" % name)
        out("\t%s" % name)
        for depth, vname, _v, _t in vdev_rows({"vdevs": tops}, type_id=False):
            out("\t%s%s" % (" " * depth, vname))
        return 0
    errbuf = "cannot create '%s'" % name
    why = pool_name_error(name, False)
    if why:
        err("%s: %s" % (errbuf, why))
        return 1
    props = parse_pool_props(raw, True, errbuf)
    if props is None:
        return 1
    from .zfs import validate_props
    fsprops = validate_props(fsraw, "filesystem", errbuf)
    if fsprops is None:
        return 1
    if mountpoint is not None:
        fsprops["mountpoint"] = mountpoint.rstrip("/") or "/" if mountpoint.startswith("/") \
            else mountpoint
    if name in z["pools"]:
        err("%s: pool already exists" % errbuf)
        return 1
    for top in tops:
        for leaf in pm.leaves(top):
            if leaf["psize"] < pm.SPA_MINDEVSIZE:
                err("%s: one or more devices is less than the minimum size (64M)" % errbuf)
                return 1
    pprops = {k: v for k, v in props.items() if not k.startswith("feature@") and ":" not in k}
    rec = pm.new_pool(tops, pprops)
    for k, v in props.items():
        if k.startswith("feature@"):
            rec["features"][k[8:]] = v
        elif ":" in k:
            rec["user"][k] = v
    if "-d" in [f"-{o}" for o, _ in opts]:
        rec["features"] = {f: "disabled" for f in pm.FEATURE_NAMES}
        rec["features"].update({k[8:]: v for k, v in props.items() if k.startswith("feature@")})
    rec["dsize"] = rec["dspace"] - pm.slop(rec["dspace"])
    z["pools"][name] = rec
    for top in tops:
        for leaf in pm.leaves(top):
            z["labels"][leaf["path"]] = {"pool": name, "state": "active"}
    root = zm.new_record(z, "filesystem", fsprops)
    root["createtxg"] = 1
    z["datasets"][name] = root
    if zm.should_mount(z, name):
        zm.do_mount(z, name)
    return 0


def unmount_pool(z: dict[str, Any], name: str) -> list[str]:
    names = [n for n in z["datasets"] if zm.pool_of(n) == name]
    fss = sorted((n for n in names if "@" not in n), reverse=True)
    for n in fss:
        if z["datasets"][n].get("mounted"):
            zm.do_unmount(z, n)
    return names


def cmd_destroy(z: dict[str, Any], args: list[str]) -> int:
    """zpool_main.c:zpool_do_destroy()."""
    _opts, args = getopt(args, "f")
    if not args:
        err("missing pool argument")
        usage()
    if len(args) > 1:
        err("too many arguments")
        usage()
    name = args[0]
    rec = open_pool(z, name)
    if rec is None:
        if "/" in name:
            err("use 'zfs destroy' to destroy a dataset")
        return 1
    if name == z["pool"]:
        err("could not destroy '%s': could not unmount datasets" % name)
        return 1
    for n in unmount_pool(z, name):
        zm.remove_files(z, n) if n in z["datasets"] else None
        z["datasets"].pop(n, None)
    for leaf in pm.all_leaves(rec):
        z["labels"][leaf["path"]] = {"pool": name, "state": "destroyed"}
    del z["pools"][name]
    return 0


def cmd_export(z: dict[str, Any], args: list[str]) -> int:
    """zpool_main.c:zpool_do_export()."""
    opts, args = getopt(args, "afF")
    flags = {o for o, _ in opts}
    if "a" in flags:
        if args:
            err("too many arguments")
            usage()
        targets = [p for p in sorted(z["pools"]) if p != z["pool"]]
    else:
        if not args:
            err("missing pool argument")
            usage()
        targets = args
    rc = 0
    for name in targets:
        rec = open_pool(z, name)
        if rec is None:
            rc = 1
            continue
        if name == z["pool"]:
            err("cannot unmount '/': pool or dataset is busy")
            err("cannot export '%s': pool is busy" % name)
            rc = 1
            continue
        names = unmount_pool(z, name)
        z["exported"][name] = {"pool": rec,
                               "datasets": {n: z["datasets"].pop(n) for n in names}}
        for leaf in pm.all_leaves(rec):
            z["labels"][leaf["path"]] = {"pool": name, "state": "exported"}
        del z["pools"][name]
    return rc


def importable(z: dict[str, Any], dirs: list[str]) -> list[str]:
    res = []
    for name, ent in sorted(z["exported"].items()):
        ok = True
        for leaf in pm.all_leaves(ent["pool"]):
            p = leaf["path"]
            d = os.path.dirname(p) if p.startswith("/") else "/dev"
            if d not in dirs or not os.path.exists(hoststate.hostpath(p) if p.startswith("/")
                                                   else "/nonexistent"):
                ok = False
        if ok:
            res.append(name)
    return res


def cmd_import(z: dict[str, Any], args: list[str]) -> int:
    """zpool_main.c:zpool_do_import() (search of -d dirs, show_import(), do_import())."""
    opts, args = getopt(args, ":aCc:d:DEfFlmnNo:R:stT:VX", {"rewind-to-checkpoint": "K"})
    dirs: list[str] = []
    flags = set()
    altroot = None
    raw: dict[str, str] = {}
    for o, a in opts:
        if o == "d":
            dirs.append(os.path.normpath(a or "/"))
        elif o == "R":
            altroot = a
        elif o == "o" and a and "=" in a:
            k, v = a.split("=", 1)
            raw[k] = v
        else:
            flags.add(o)
    dirs = dirs or ["/dev"]
    found = importable(z, dirs)
    if not args and "a" not in flags:
        if not found:
            err("no pools available to import")
            return 1
        for i, name in enumerate(found):
            if i:
                out("")
            rec = z["exported"][name]["pool"]
            # show_import() (cmd/zpool/zpool_main.c:3375, zfs-2.4.0): every heading is
            # prefixed by 'indent', " " when the pool has a comment, else ""; the comment
            # itself follows the action line (:3714)
            comment = rec.get("props", {}).get("comment")
            ind = " " if comment else ""
            out("%s  pool: %s" % (ind, name))
            out("%s    id: %s" % (ind, rec["guid"]))
            out("%s state: ONLINE" % ind)
            out("%saction: The pool can be imported using its name or numeric identifier."
                % ind)
            if comment:
                out("comment: %s" % comment)
            out("%sconfig:\n" % ind)
            rows = vdev_rows(rec)
            w = max([10, len(name)] + [d + len(n) for d, n, _v, _t in rows])
            # print_import_config() (:3216): "\t%*s%-*s" then "  %s" (the state, unpadded)
            out("\t%-*s  %s" % (w, name, "ONLINE"))
            for d, n, _v, _t in rows:
                out("\t%s%-*s  %s" % (" " * d, w - d, n, "ONLINE"))
        return 0
    if "a" in flags:
        targets = [(n, n) for n in found]
    else:
        if len(args) > 2:
            err("too many arguments")
            usage()
        src = args[0]
        match = [n for n in found if n == src or z["exported"][n]["pool"]["guid"] == src]
        if not match:
            err("cannot import '%s': no such pool available" % src)
            return 1
        targets = [(match[0], args[1] if len(args) > 1 else match[0])]
    rc = 0
    for old, new in targets:
        if new in z["pools"]:
            err("cannot import '%s': a pool with that name already exists" % old)
            err("use the form 'zpool import <pool | id> <newpool>' to give it a new name")
            rc = 1
            continue
        ent = z["exported"].pop(old)
        rec = ent["pool"]
        if altroot is not None:
            rec["props"]["altroot"] = altroot
            rec["props"].setdefault("cachefile", "none")
        else:
            rec["props"].pop("altroot", None)
        z["pools"][new] = rec
        for n, d in ent["datasets"].items():
            z["datasets"][new + n[len(old):]] = d
        for leaf in pm.all_leaves(rec):
            z["labels"][leaf["path"]] = {"pool": new, "state": "active"}
        if "N" not in flags:
            for n in sorted(x for x in z["datasets"] if zm.pool_of(x) == new and "@" not in x):
                if zm.should_mount(z, n):
                    zm.do_mount(z, n)
    return rc


def parse_fields(fields: str) -> list[str] | None:
    """zprop_get_list(ZFS_TYPE_POOL): names, feature@ / user props; None for 'all'."""
    res = []
    for tok in fields.split(","):
        if tok == "all":
            if len(fields.split(",")) > 1:
                err("bad property list: invalid property '%s'" % tok)
                usage()
            return None
        if tok in pm.PROP or tok in pm.HIDDEN - {"dedupditto"}:
            if tok in pm.HIDDEN:
                err("bad property list: invalid property '%s'" % tok)
                usage()
            res.append(tok)
        elif tok.startswith("feature@") or (":" in tok and zm.is_user_prop(tok)):
            res.append(tok)
        else:
            alias = [p[0] for p in pm.POOL_PROPS if p[3].lower() == tok.lower()]
            if alias:
                res.append(alias[0])
                continue
            err("bad property list: invalid property '%s'" % tok)
            usage()
    return res


def col_width(prop: str) -> tuple[int, bool]:
    """zprop_common.c:zprop_width(): (width, fixed)."""
    if prop.startswith("feature@") or ":" in prop:
        return len(prop), False
    p = pm.PROP[prop]
    w = len(p[3])
    if p[1] == "n":
        w = max(w, 5)
        if prop == "health":
            w = 8
    elif p[1] == "i":
        w = max([w] + [len(x) for x in p[7]])
    return w, not p[4]


def any_prop(z: dict[str, Any], name: str, prop: str, literal: bool) -> tuple[str, str] | None:
    rec = z["pools"][name]
    if prop.startswith("feature@"):
        f = prop[8:]
        if f not in rec["features"]:
            return None
        return rec["features"][f], "local"
    if prop in pm.PROP:
        return pool_prop(z, name, prop, literal)
    if prop in rec["user"]:
        return rec["user"][prop], "local"
    return "-", "default"


def pool_targets(z: dict[str, Any], names: list[str]) -> tuple[list[str], int]:
    """zpool_iter.c:pool_list_get(): requested (or all) pools, and an error flag."""
    if not names:
        return sorted(z["pools"]), 0
    res, rc = [], 0
    for n in names:
        if open_pool(z, n) is None:
            rc = 1
        elif n not in res:
            res.append(n)
    return res, rc


def cmd_list(z: dict[str, Any], args: list[str]) -> int:
    """zpool_main.c:zpool_do_list(), print_line(), collect_pool(), collect_list_stats()."""
    CUR["props"] = True
    opts, args = getopt(args, ":gjHLo:pPT:v", {"json": "j", "json-int": "J",
                                                 "json-pool-key-guid": "G"})
    fields = "name,size,allocated,free,checkpoint,expandsize,fragmentation,capacity," \
             "dedupratio,health,altroot"
    scripted = literal = verbose = js = as_int = keyguid = False
    for o, a in opts:
        if o == "H":
            scripted = True
        elif o == "o":
            fields = a or ""
        elif o == "p":
            literal = True
        elif o == "v":
            verbose = True
        elif o == "j":
            js = True
        elif o == "J":
            as_int = literal = True
        elif o == "G":
            keyguid = True
        elif o == "T":
            if a not in ("d", "u"):
                usage()
    check_json_opts(js, as_int, keyguid)
    # get_interval_count(): a trailing number is an interval
    if args and args[-1].replace(".", "", 1).isdigit() and args[-1] not in z["pools"]:
        err("zpool list: intervals are not supported by the testbed")
        return 1
    plist = parse_fields(fields)
    if plist is None:
        plist = ["name"] + pm.VISIBLE + ["feature@" + f for f in pm.FEATURE_NAMES]
    names, rc = pool_targets(z, args)
    if not names:
        if rc:
            return 1
        if not args and not scripted and not js:
            out("no pools available")
        return 0
    if js:
        import json
        pools: dict[str, Any] = {}
        for n in names:
            rec = z["pools"][n]
            props = {}
            for p in plist:
                if p == "name":
                    continue
                g = any_prop(z, n, p, literal) or ("-", "none")
                val: Any = int(g[0]) if as_int and g[0].isdigit() else g[0]
                props[p] = {"value": val, "source": {"type": "NONE", "data": "-"}}
            item = {"name": n, "type": "POOL", "state": "ONLINE",
                    "pool_guid": int(rec["guid"]) if as_int else rec["guid"],
                    "txg": 4 if as_int else "4", "spa_version": 5000 if as_int else "5000",
                    "zpl_version": 5 if as_int else "5", "properties": props}
            pools[rec["guid"] if keyguid else n] = item
        print_json = {"output_version": {"command": "zpool list", "vers_major": 0,
                                         "vers_minor": 1}, "pools": pools}
        out(json.dumps(print_json, separators=(",", ":")))
        return rc
    widths = []
    cells: dict[str, list[tuple[str, bool]]] = {}
    for n in names:
        row = []
        for p in plist:
            g = any_prop(z, n, p, literal)
            v = g[0] if g else "-"
            right = p in pm.PROP and pm.PROP[p][1] == "n" and p != "name"
            row.append((v, right))
        cells[n] = row
    for i, p in enumerate(plist):
        w, fixed = col_width(p)
        if not fixed or literal:
            w = max([w] + [len(cells[n][i][0]) for n in names
                           if cells[n][i][0] != "-" or p in pm.PROP])
        widths.append(w)
    namewidth = 0
    if verbose:
        namewidth = 9
        for n in names:
            rows = vdev_rows(z["pools"][n])
            namewidth = max([namewidth, len(n), 4] + [d + len(v) for d, v, _x, _t in rows])

    def header() -> str:
        s = ""
        for i, p in enumerate(plist):
            w = namewidth if i == 0 and verbose else widths[i]
            if p in pm.PROP:
                h, right = pm.PROP[p][3], pm.PROP[p][1] == "n" and p != "name"
            else:
                h, right = p.upper(), False
            if i:
                s += "  "
            if i == len(plist) - 1 and not right:
                s += h
            else:
                s += h.rjust(w) if right else h.ljust(w)
        return s

    if not scripted:
        out(header())
    for n in names:
        s = ""
        for i, (v, right) in enumerate(cells[n]):
            w = namewidth if i == 0 and verbose else widths[i]
            if i:
                s += "\t" if scripted else "  "
            if scripted or (i == len(plist) - 1 and not right):
                s += v
            else:
                s += v.rjust(w) if right else v.ljust(w)
        out(s)
        if verbose:
            list_vdevs(z, n, namewidth, scripted, literal)
    return rc


def list_vdevs(z: dict[str, Any], name: str, namewidth: int, scripted: bool,
               literal: bool) -> None:
    """zpool_main.c:collect_list_stats()/collect_vdev_prop() for the vdev rows of -v."""
    rec = z["pools"][name]
    size, alloc = space(z, name)
    fmt = (lambda n: str(n)) if literal else (lambda n: nicenum(n, False))
    tops = rec["vdevs"]
    for depth, vname, v, top in vdev_rows(rec):
        assert v is not None
        if top:
            tsize = pm.top_geometry(v)[0]
            talloc = alloc * tsize // size if size else 0
        vals = []
        leaf = v["type"] in ("disk", "file")
        if leaf:
            vals.append(fmt(v["psize"]))
        else:
            vals.append(fmt(tsize) if top else "-")
        if top:
            cap = talloc * 10000 // tsize if tsize else 0
            vals += [fmt(talloc), fmt(tsize - talloc), "-", "-",
                     "0" if literal else "0%",
                     str(cap // 100) if literal else
                     ("%1.2f%%" if cap < 1000 else "%2.1f%%" if cap < 10000 else "%3.0f%%")
                     % (cap / 100.0),
                     "-"]
        else:
            vals += ["-"] * 7
        vals.append("ONLINE")
        widths = [5, 5, 5, 7, 8, 5, 5, 5, 8]
        if scripted:
            out("\t%s" % vname + "".join("\t%s" % x for x in vals))
        else:
            pad = namewidth - len(vname) - depth
            s = " " * depth + vname + (" " * pad if pad > 0 else "")
            s += "".join("  %*s" % (w, x) for w, x in zip(widths, vals))
            out(s)
    del tops


def cmd_status(z: dict[str, Any], args: list[str]) -> int:
    """zpool_main.c:zpool_do_status()/status_callback()/print_status_config()."""
    opts, args = getopt(args, "c:jdDegiLpPstT:vx", {"json": "j", "json-flat-vdevs": "F",
                                                    "json-int": "J", "json-pool-key-guid": "G",
                                                    "power": "W"})
    flags = {o for o, _ in opts}
    if "F" in flags and "j" not in flags:
        err("'--json-flat-vdevs' only works with '-j' option")
        usage()
    if "J" in flags and "j" not in flags:
        err("'--json-int' only works with '-j' option")
        usage()
    if "G" in flags and "j" not in flags:
        err("'json-pool-key-guid' only works with '-j' option")
        usage()
    if args and args[-1].replace(".", "", 1).isdigit() and args[-1] not in z["pools"]:
        err("zpool status: intervals are not supported by the testbed")
        return 1
    names, rc = pool_targets(z, args)
    if "x" in flags:
        for n in names:
            if args:
                out("pool '%s' is healthy" % n)
        if not args and names:
            out("all pools are healthy")
        if not args and not names:
            err("no pools available")
        return rc
    first = True
    for n in names:
        if not first:
            out("")
        first = False
        rec = z["pools"][n]
        out("  pool: %s" % n)
        out(" state: ONLINE")
        rows = vdev_rows(rec)
        w = max([10, len(n), 6] + [d + len(v) for d, v, _x, _t in rows])
        out("config:\n")
        out("\t%-*s  %-8s %5s %5s %5s" % (w, "NAME", "STATE", "READ", "WRITE", "CKSUM"))
        for d, v in [(0, n)] + [(d, v) for d, v, _x, _t in rows]:
            out("\t%s%-*s  %-8s %5s %5s %5s" % (" " * d, w - d, v, "ONLINE", "0", "0", "0"))
        out("")
        out("errors: No known data errors")
    if not args and not names:
        err("no pools available")
    return rc


def cmd_get(z: dict[str, Any], args: list[str]) -> int:
    """zpool_main.c:zpool_do_get()/get_callback(); libzfs_util.c zprop_print_*()."""
    CUR["props"] = False
    opts, args = getopt(args, ":jHpo:", {"json": "j", "json-int": "J",
                                         "json-pool-key-guid": "G"})
    cols = ["name", "property", "value", "source"]
    scripted = literal = js = as_int = keyguid = False
    for o, a in opts:
        if o == "p":
            literal = True
        elif o == "H":
            scripted = True
        elif o == "j":
            js = True
        elif o == "J":
            as_int = literal = True
        elif o == "G":
            keyguid = True
        elif o == "o":
            cols = []
            for tok in (a or "").split(","):
                if len(cols) == 4:
                    err("too many fields given to -o option")
                    usage()
                if tok not in ("name", "property", "value", "source", "all"):
                    err("invalid column name '%s'" % tok)
                    usage()
                if tok == "all":
                    if cols:
                        err("\"all\" conflicts with specific fields given to -o option")
                        usage()
                    cols = ["name", "property", "value", "source"]
                else:
                    cols.append(tok)
    check_json_opts(js, as_int, keyguid)
    if not args:
        err("missing property argument")
        usage()
    fields, pools = args[0], args[1:]
    if pools and not all(p in z["pools"] for p in pools):
        if pools[0] in z["pools"]:
            err("Expected a list of vdevs in \"%s\", but got:" % pools[0])
            for v in pools[1:]:
                err("%s " % v)
            err("")
            usage()
        err("Cannot get properties of %s: no such pool available." % pools[0])
        return 1
    CUR["props"] = True
    plist = parse_fields(fields)
    is_all = plist is None
    names = pools or sorted(z["pools"])
    if is_all:
        plist = pm.VISIBLE + sorted({u for n in names for u in z["pools"][n]["user"]}) + \
            ["feature@" + f for f in pm.FEATURE_NAMES]
    rows = []
    jsd: dict[str, Any] = {}
    for n in names:
        props: dict[str, Any] = {}
        for p in plist:
            g = any_prop(z, n, p, literal)
            if g is None:
                continue
            if js:
                val: Any = int(g[0]) if as_int and g[0].isdigit() else g[0]
                props[p] = {"value": val, "source": {"type": g[1].upper(), "data": "-"}}
            rows.append((n, p, g[0], {"none": "-"}.get(g[1], g[1])))
        if js:
            rec = z["pools"][n]
            item = {"name": n, "type": "POOL", "state": "ONLINE",
                    "pool_guid": int(rec["guid"]) if as_int else rec["guid"],
                    "txg": 4 if as_int else "4", "spa_version": 5000 if as_int else "5000",
                    "zpl_version": 5 if as_int else "5", "properties": props}
            jsd[rec["guid"] if keyguid else n] = item
    if js:
        import json
        out(json.dumps({"output_version": {"command": "zpool get", "vers_major": 0,
                                           "vers_minor": 1}, "pools": jsd},
                       separators=(",", ":")))
        return 0
    # zprop_print_headers(): widths from the property list (pl_width), not only the values
    wname = max([4] + [len(n) for n in names])
    wprop = max([8] + [len(p) for p in plist])
    wval = 5
    for p in plist:
        w, fixed = col_width(p)
        if not fixed or literal:
            for n in names:
                g = any_prop(z, n, p, literal)
                if g and (p in pm.PROP or ":" not in p):
                    w = max(w, len(g[0]))
        wval = max(wval, w)
    width = {"name": wname, "property": wprop, "value": wval, "source": wname + 14}

    def line(vals: dict[str, str]) -> str:
        s = ""
        for i, c in enumerate(cols):
            if i == len(cols) - 1:
                s += vals[c]
            elif scripted:
                s += vals[c] + "\t"
            else:
                s += vals[c].ljust(width[c]) + "  "
        return s
    if rows and not scripted:
        out(line({"name": "NAME", "property": "PROPERTY", "value": "VALUE",
                  "source": "SOURCE"}))
    for n, p, v, s in rows:
        out(line({"name": n, "property": p, "value": v, "source": s}))
    return 0


def cmd_set(z: dict[str, Any], args: list[str]) -> int:
    """zpool_main.c:zpool_do_set()/set_callback(); libzfs_pool.c:zpool_set_prop()."""
    CUR["props"] = True
    if args and args[0].startswith("-"):
        err("invalid option '%s'" % (args[0][1:2] or ""))
        usage()
    if not args:
        err("missing property=value argument")
        usage()
    if len(args) < 2:
        err("missing pool name")
        usage()
    if len(args) > 3:
        err("too many pool names")
        usage()
    if "=" not in args[0]:
        err("missing value in property=value argument")
        usage()
    k, v = args[0].split("=", 1)
    name = args[1]
    if name not in z["pools"]:
        err("cannot open '%s': is not a pool" % name)
        return 22
    if len(args) == 3:
        err("cannot find '%s' in '%s': device not in pool" % (args[2], name))
        return 22
    errbuf = "cannot set property for '%s'" % name
    props = parse_pool_props({k: v}, False, errbuf)
    if props is None:
        return 1
    rec = z["pools"][name]
    if k.startswith("feature@"):
        if rec["features"].get(k[8:]) == "disabled":
            rec["features"][k[8:]] = "enabled"
    elif ":" in k:
        rec["user"][k] = v
    elif k == "bootfs" and v and v not in z["datasets"]:
        err("%s: '%s' is an invalid name" % (errbuf, v)) if zm.pool_of(v) != name else \
            err("%s: no such pool or dataset" % errbuf)
        return 1
    else:
        if k == "cachefile" and v == "":
            rec["props"].pop(k, None)
        else:
            rec["props"][k] = props[k]
    return 0


def cmd_version(z: dict[str, Any], args: list[str]) -> int:
    opts, args = getopt(args, "j", {"json": "j"})
    print_version()
    return 0


HANDLERS = {"create": cmd_create, "destroy": cmd_destroy, "list": cmd_list,
            "status": cmd_status, "get": cmd_get, "set": cmd_set, "export": cmd_export,
            "import": cmd_import, "version": cmd_version}


def main(argv: list[str]) -> int:
    """zpool_main.c:main()."""
    CUR["cmd"], CUR["props"] = None, False
    echo_bytes()
    return run_guarded(_main, argv)


def _main(argv: list[str]) -> int:
    args = list(argv[1:])
    try:
        if not args:
            err("missing command")
            usage()
        cmd = args[0]
        if cmd in ("-?", "--help"):
            usage(True)
        if cmd in ("-V", "--version"):
            print_version()
            return 0
        if cmd == "help":
            topic = args[1] if len(args) > 1 else "zpool"
            err("couldn't run man program: No such file or directory")
            return 255 if topic else 255
        if cmd in USAGE:
            CUR["cmd"] = cmd
            rest = args[1:]
        elif "=" in cmd:
            CUR["cmd"] = cmd = "set"
            rest = args
        else:
            err("unrecognized command '%s'" % cmd)
            usage()
        handler = HANDLERS.get(cmd)
        if handler is None:
            err("zpool %s: not supported by the testbed" % cmd)
            return 1
        with hoststate.locked(write=True) as st:
            z = zm.ensure(st)
            return handler(z, rest)
    except Exit as e:
        return e.code
