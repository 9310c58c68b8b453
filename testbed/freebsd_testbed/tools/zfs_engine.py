"""The one property engine behind ``zfs list`` and ``zfs get`` (OpenZFS 2.4.0).

Everything a column, a sort key, a ``-s`` source filter or a JSON entry needs comes from here:

* ``Engine.lookup()``  -- a property's value (raw with ``literal``, formatted otherwise) and its
  source for one dataset: lib/libzfs/libzfs_dataset.c ``zfs_prop_get()`` (native),
  ``zfs_prop_get_userquota()``, ``zfs_prop_get_written()`` and the user-property branch of
  cmd/zfs/zfs_main.c ``get_callback()`` / ``collect_dataset()``.
* ``get_list()`` / ``expand_all()`` -- the property list: lib/libzfs/libzfs_util.c
  ``zprop_get_list()`` + ``addlist()`` (``-o``/``get`` fields, the ``space`` shorthand, colname
  aliases, hidden properties) and ``zprop_expand_list()`` (``all``).
* ``Engine.expand()`` -- column widths: libzfs_dataset.c ``zfs_expand_proplist()`` run for every
  dataset while zfs_iter.c ``zfs_callback()`` collects them, starting from
  module/zcommon/zprop_common.c ``zprop_width()``.
* ``Engine.sort()`` -- ``zfs list -s/-S``: cmd/zfs/zfs_iter.c ``zfs_sort()`` then ``zfs_compare()``.
* ``Query`` / ``Engine.select()`` / ``collect()`` -- the options both commands share (-t, -r,
  -d, -p, -H, -j) and the datasets they pick: one type filter and one recursion/depth walk,
  zfs_iter.c ``zfs_for_each()`` + ``zfs_callback()``.
* ``Engine.values()`` / ``json_dataset()`` -- one row's lookups, and a dataset's JSON entry.
"""
from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import Any

from . import zfs_model as zm
from .zfs_common import err, validate_name
from .zfs_props import PROPS

# module/zcommon/zfs_prop.c: numbers registered with flex=B_TRUE (always_flex -> never "fixed"),
# plus the hidden flex ones; strings and indexes are always flex (zprop_register_string/_index).
FLEX_NUMBERS = {"guid", "createtxg", "pbkdf2iters", "objsetid", "creation", "snapshots_changed",
                "keyguid", "ivsetguid"}
# zprop_register_impl(): numbers are right-aligned except the two dates (rightalign=B_FALSE).
LEFT_NUMBERS = {"creation", "snapshots_changed"}
USERQUOTA_PREFIXES = ("userused@", "groupused@", "projectused@", "userobjused@",
                      "groupobjused@", "projectobjused@", "userquota@", "groupquota@",
                      "projectquota@", "userobjquota@", "groupobjquota@", "projectobjquota@")
SOURCES = ("local", "default", "inherited", "received", "temporary", "none")


# --------------------------------------------------------------------------- number formats

def nicenum(num: int, unit_bytes: bool = True) -> str:
    """lib/libzfs/libzfs_util.c zfs_nicenum_format(): 1024-based, at most 5 characters."""
    units = ["B" if unit_bytes else "", "K", "M", "G", "T", "P", "E"]
    n, idx = num, 0
    while n >= 1024 and idx < 6:
        n //= 1024
        idx += 1
    u = units[idx]
    if idx == 0 or num % (1024 ** idx) == 0:
        return "%d%s" % (n, u)
    s = ""
    for prec in (2, 1, 0):
        s = "%.*f%s" % (prec, num / (1024 ** idx), u)
        if len(s) <= 5:
            return s
    return s


def fmt_time(t: int, seconds: bool = False) -> str:
    """strftime "%a %b %e %k:%M %Y" (creation) / "%a %b %e %k:%M:%S %Y" (snapshots_changed)."""
    lt = time.localtime(t)
    s = time.strftime("%a %b ", lt) + "%2d " % lt.tm_mday + "%2d" % lt.tm_hour
    s += time.strftime(":%M", lt) + (time.strftime(":%S", lt) if seconds else "")
    return s + time.strftime(" %Y", lt)


# --------------------------------------------------------------------------- property names

def name_to_prop(tok: str) -> str | None:
    """zprop_common.c zprop_name_to_prop(): any table entry (hidden too), by name or by its
    column name in lower case (propname_match(): 'avail', 'refer', 'compress', 'reservation'...)."""
    if tok in PROPS:
        return tok
    for p in sorted(PROPS.values(), key=lambda p: p["num"]):
        col = p["colname"]
        if col and len(col) == len(tok) and all(a == b.lower() for a, b in zip(tok, col)):
            return p["name"]
    return None


def is_userquota(tok: str) -> bool:
    """zfs_prop.c zfs_prop_userquota()."""
    return tok.startswith(USERQUOTA_PREFIXES)


def is_written(tok: str) -> bool:
    """zfs_prop.c zfs_prop_written()."""
    return tok.startswith(("written@", "written#"))


def is_special_user(tok: str) -> bool:
    """Names addlist() accepts without a table entry: zfs_prop_user / userquota / written."""
    return zm.is_user_prop(tok) or is_userquota(tok) or is_written(tok)


def is_fixed(prop: str) -> bool:
    return PROPS[prop]["ptype"] == "number" and prop not in FLEX_NUMBERS


def align_right(prop: str) -> bool:
    """zfs_prop_align_right()."""
    return PROPS[prop]["ptype"] == "number" and prop not in LEFT_NUMBERS


def zprop_width(prop: str) -> int:
    """zprop_common.c zprop_width(): colname, at least 5 for numbers, longest index name."""
    p = PROPS[prop]
    w = len(p["colname"])
    if p["ptype"] == "number":
        w = max(w, 5)
    elif p["ptype"] == "index":
        w = max([w] + [len(v) for v in p.get("table", [])])
    return w


@dataclass
class Entry:
    """zprop_list_t: one column of zfs list / one property of zfs get."""
    prop: str            # canonical native name, or the user/userquota/written name as typed
    native: bool
    width: int
    fixed: bool = False
    all: bool = False
    recvd_width: int = 0

    @property
    def header(self) -> str:
        """zfs_main.c print_header(): colname, or the user property upper-cased."""
        return PROPS[self.prop]["colname"] if self.native else self.prop.upper()

    @property
    def right(self) -> bool:
        if self.native:
            return align_right(self.prop)
        return is_userquota(self.prop) or is_written(self.prop)


class PropListError(Exception):
    """zprop_get_list() failure: 'bad property list: <aux>' (usage follows)."""


def _entry(tok: str) -> Entry:
    """libzfs_util.c addlist()."""
    prop = name_to_prop(tok)
    if prop is not None:
        return Entry(prop, True, zprop_width(prop), is_fixed(prop))
    if not is_special_user(tok):
        raise PropListError("invalid property '%s'" % tok)
    return Entry(tok, False, len(tok))


def get_list(fields: str) -> list[Entry] | None:
    """libzfs_util.c zprop_get_list(): None means 'all'."""
    if fields == "all":
        return None
    if fields == "":
        raise PropListError("no properties specified")
    res: list[Entry] = []
    for tok in fields.split(","):
        if tok == "space":
            res += [_entry(t) for t in ("name", "avail", "used", "usedbysnapshots",
                                        "usedbydataset", "usedbyrefreservation",
                                        "usedbychildren")]
        else:
            res.append(_entry(tok))
    return res


def expand_all() -> list[Entry]:
    """libzfs_util.c zprop_expand_list(): 'name' then every visible property in table order."""
    res = [Entry("name", True, zprop_width("name"), False, True)]
    for p in sorted(PROPS.values(), key=lambda p: p["num"]):
        if p["visible"]:
            res.append(Entry(p["name"], True, zprop_width(p["name"]), is_fixed(p["name"]), True))
    return res


def source_text(s: str, frm: str) -> str:
    """libzfs_util.c zprop_print_one_property(), GET_COL_SOURCE."""
    return {"local": "local", "default": "default", "none": "-", "temporary": "temporary",
            "received": "received"}.get(s, "inherited from %s" % frm)


JSON_SRC = {"local": "LOCAL", "default": "DEFAULT", "none": "NONE", "inherited": "INHERITED",
            "temporary": "TEMPORARY", "received": "RECEIVED"}


def json_prop(value: str, s: str, frm: str, as_int: bool) -> dict[str, Any]:
    """libzfs_util.c zprop_nvlist_one_property()."""
    v: Any = int(value) if as_int and value.isdigit() else value
    return {"value": v, "source": {"type": JSON_SRC[s], "data": frm if s == "inherited" else "-"}}


Value = tuple[str, str, str]   # (value text, source type, source dataset)


# --------------------------------------------------------------------------- selection

@dataclass
class Query:
    """What zfs_do_list() and zfs_do_get() parse alike: -t (``types``; ``tspec``: given), -r,
    -d, -p (``literal``), -H (``scripted``), -j and --json-int (``as_int``, implies -p)."""
    types: int
    tspec: bool = False
    recurse: bool = False
    depth: int | None = None
    literal: bool = False
    scripted: bool = False
    js: bool = False
    as_int: bool = False


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


def json_dataset(z: dict[str, Any], name: str, as_int: bool, props: dict[str, Any]) -> dict[str, Any]:
    """zfs_main.c fill_dataset_info(), then the dataset's "properties" (zfs list -j, zfs get -j)."""
    d = z["datasets"][name]
    info: dict[str, Any] = {"name": name, "type": d["type"].upper(), "pool": zm.pool_of(name),
                            "createtxg": d["createtxg"] if as_int else str(d["createtxg"])}
    if d["type"] == "snapshot":
        info["dataset"], info["snapshot_name"] = name.split("@", 1)
    info["properties"] = props
    return info


class Engine:
    """Property values of one pool state, memoised for one command."""

    def __init__(self, z: dict[str, Any]):
        self.z = z
        self.sz = zm.Sizer(z)

    # ------------------------------------------------------------------ values

    def lookup(self, name: str, prop: str, literal: bool, native: bool | None = None) -> Value | None:
        """The value and source of one property, or None where zfs_prop_get() (or the user
        property lookup) fails -- callers print '-' / source '-' then, or skip it for 'all'."""
        if native is None:
            native = prop in PROPS
        if native:
            return self.native(name, prop, literal)
        if is_userquota(prop):
            return self.userquota(name, prop, literal)
        if is_written(prop):
            return self.written_at(name, prop, literal)
        return self.user(name, prop)

    def native(self, name: str, prop: str, lit: bool) -> Value | None:
        """libzfs_dataset.c zfs_prop_get() + get_source()."""
        z, d = self.z, self.z["datasets"][name]
        p = PROPS[prop]
        if not p["types"] & zm.TYPE_BITS[d["type"]]:
            return None     # zfs_prop_valid_for_type()
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
            return num(self._logical(name, prop), False), "none", ""
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
        if prop == "numclones":
            return str(len(zm.clones_of(z, name))), "none", ""
        if prop == "version":
            return "5", "none", ""
        if prop in ("volsize", "volblocksize"):
            # zvol_get_stats() reports both for zvols (and their snapshots); a filesystem's
            # snapshot has neither, so getprop_uint64() gives the default 0 with source ""
            # (default). libzfs_dataset.c:2254 get_numeric_property(): volsize with no source
            # "must be local"; a volblocksize equal to the default gets source "" (default),
            # another none (dsl_prop_nvlist_add_uint64()). Formatted by zfs_nicenum() (:3016).
            raw = d["props"].get(prop) or d.get(prop)
            if raw is None:
                v = zm.ZVOL_DEFAULT_BLOCKSIZE if prop == "volblocksize" else 0
                return (str(v) if lit else nicenum(v, False)), "default", ""
            v = int(raw)
            text = str(v) if lit else nicenum(v, False)
            if prop == "volsize":
                return text, "local", name
            return text, ("default" if v == zm.ZVOL_DEFAULT_BLOCKSIZE else "none"), ""
        if prop in ("utf8only", "normalization", "casesensitivity"):
            return d["props"].get(prop, zm.default_value(prop)), "none", ""
        if prop == "defer_destroy":
            # set by 'zfs destroy -d' on a held snapshot (zfs_main.c:1718)
            return ("on" if d.get("defer_destroy") else "off"), "none", ""
        if prop == "userrefs":
            # the number of 'zfs hold' tags (zfs_main.c:6734 zfs_do_hold_rele_impl())
            return str(len(d.get("holds") or {})), "none", ""
        if prop in ("filesystem_count", "snapshot_count"):
            return "none", "default", ""
        if not p["visible"] or prop in ("keystatus", "receive_resume_token", "encryptionroot",
                                        "redact_snaps"):
            return None
        if snap and p["attr"] == "inherit":
            # dsl_prop_get_all_ds(): a snapshot sees its filesystem's values as inherited
            if prop in d["props"]:
                v, s, frm = d["props"][prop], "local", name
            else:
                fs = name.split("@")[0]
                v, s, frm = zm.prop_source(z, fs, prop)
                if s == "local":
                    s, frm = "inherited", fs
            return self._format(prop, v, lit), s, frm
        v, s, frm = zm.prop_source(z, name, prop)
        if prop == "mountpoint":
            return zm.mountpoint(z, name), s, frm
        return self._format(prop, v, lit), s, frm

    @staticmethod
    def _format(prop: str, v: str, lit: bool) -> str:
        """The number branches of zfs_prop_get(): quotas 0 -> none, limits UINT64_MAX -> none."""
        if PROPS[prop]["ptype"] != "number":
            return v
        try:
            n = int(v)
        except ValueError:
            return v
        if prop in ("quota", "refquota", "reservation", "refreservation"):
            return ("0" if lit else "none") if n == 0 else (str(n) if lit else nicenum(n))
        if prop in ("filesystem_limit", "snapshot_limit"):
            return "none" if n == zm.UINT64_MAX else (str(n) if lit else nicenum(n, False))
        if prop == "pbkdf2iters":
            return str(n)
        return str(n) if lit else nicenum(n, False)

    def _logical(self, name: str, prop: str) -> int:
        z, d = self.z, self.z["datasets"][name]
        if prop == "logicalreferenced":
            return self.sz.lrefer(name)
        if prop == "logicalused":
            if d.get("origin"):
                return max(0, self.sz.used(name) // 2)
            return self.sz.lrefer(name) + sum(self.sz.lrefer(c) for c in zm.descendants(z, name))
        # written: bytes referenced now that the previous snapshot did not
        if d["type"] == "snapshot":
            fs = name.split("@")[0]
            prev = zm.snapshots(z, fs)
            i = prev.index(name)
            if i == 0:
                return 0 if z["datasets"][fs].get("origin") else self.sz.refer(name)
            return max(0, self.sz.refer(name) - self.sz.refer(prev[i - 1]))
        sn = zm.snapshots(z, name)
        return max(0, self.sz.refer(name) - self.sz.refer(sn[-1])) if sn else self.sz.used_ds(name)

    def user(self, name: str, prop: str) -> Value | None:
        """zfs_get_user_props(): local, or inherited from the nearest ancestor that sets it."""
        z = self.z
        d = z["datasets"][name]
        if prop in d["props"]:
            return d["props"][prop], "local", name
        base = name.split("@")[0] if d["type"] == "snapshot" else name
        v, s, frm = zm.prop_source(z, base, prop)
        if s == "none":
            return None
        return v, "inherited", frm

    def user_props(self, name: str) -> list[str]:
        names: set[str] = set()
        cur: str | None = name
        while cur is not None:
            d = self.z["datasets"].get(cur)
            if d:
                names.update(k for k in d["props"] if zm.is_user_prop(k))
            cur = zm.parent_of(cur)
        return sorted(names)

    def userquota(self, name: str, prop: str, lit: bool) -> Value | None:
        """libzfs_dataset.c zfs_prop_get_userquota(): source is always 'local'."""
        if self.z["datasets"][name]["type"] == "snapshot" and "quota@" in prop:
            return None
        who = prop.split("@", 1)[1]
        if who == "":
            return None
        if "quota@" in prop:
            return ("0" if lit else "none"), "local", ""
        return ("0" if lit else ("0" if "obj" in prop else "0B")), "local", ""

    def written_at(self, name: str, prop: str, lit: bool) -> Value | None:
        """libzfs_dataset.c zfs_prop_get_written(): bytes written since the named snapshot."""
        ref = prop.split("@", 1)[1] if "@" in prop else None
        if ref is None:
            return None
        base = name.split("@")[0]
        snap = ref if "@" in ref else base + "@" + ref
        if snap not in self.z["datasets"] or snap.split("@")[0] != base:
            return None
        v = max(0, self.sz.refer(name) - self.sz.refer(snap))
        return (str(v) if lit else nicenum(v)), "local", ""

    # ------------------------------------------------------------------ columns

    def expand(self, entries: list[Entry], name: str, literal: bool, received: bool = False) -> None:
        """libzfs_dataset.c zfs_expand_proplist(): add the dataset's user properties to an 'all'
        list, then widen every non-fixed column (fixed ones too with ``literal``, which only
        ``zfs list -p`` passes: ZFS_ITER_LITERAL_PROPS)."""
        if entries and entries[0].all:
            have = {e.prop for e in entries if not e.native}
            for up in self.user_props(name):
                if up not in have:
                    entries.append(Entry(up, False, len(up), False, True))
        for e in entries:
            if e.fixed and not literal:
                continue
            if e.native:
                g = self.native(name, e.prop, literal)
            elif is_userquota(e.prop) or is_written(e.prop):
                # only the user-property branch widens these (nvlist lookup fails)
                g = None
            else:
                g = self.user(name, e.prop)
            if g is not None and len(g[0]) > e.width:
                e.width = len(g[0])
            if received:
                e.recvd_width = max(e.recvd_width, 0)

    # ------------------------------------------------------------------ sorting

    def sort(self, names: list[str], cols: list[tuple[str, bool]]) -> list[str]:
        """zfs_iter.c zfs_sort(): rows where a column does not apply go last whatever the order;
        numbers and indexes compare numerically, strings with strcmp; then zfs_compare()."""
        def key_of(n: str, prop: str) -> tuple[bool, Any]:
            if prop not in PROPS:
                g = self.user(n, prop)
                return (g is not None, g[0].encode() if g else b"")
            if prop == "name":
                return True, n.encode()
            p = PROPS[prop]
            if p["ptype"] == "string":
                g = self.native(n, prop, True)
                return (g is not None, g[0].encode() if g else b"")
            if not p["types"] & zm.TYPE_BITS[self.z["datasets"][n]["type"]]:
                return False, 0
            g = self.native(n, prop, True)
            if g is None:
                return True, 0
            if p["ptype"] == "index":
                tbl = p.get("table", [])
                return True, tbl.index(g[0]) if g[0] in tbl else 0
            try:
                return True, int(g[0].split(".")[0]) if g[0] != "none" else 0
            except ValueError:
                return True, 0

        keys = {n: [key_of(n, prop) for prop, _ in cols] for n in names}
        base = {n: i for i, n in enumerate(names)}

        def cmp(a: str, b: str) -> int:
            for (va, ka), (vb, kb), (_, rev) in zip(keys[a], keys[b], cols):
                if not va and not vb:
                    continue
                if not va:
                    return 1
                if not vb:
                    return -1
                if ka != kb:
                    r = -1 if ka < kb else 1
                    return -r if rev else r
            return base[a] - base[b]
        return sorted(names, key=functools.cmp_to_key(cmp))

    # ------------------------------------------------------------------ selection and rows

    def select(self, q: Query, operands: list[str], listsnaps: bool = False
               ) -> tuple[list[str], int]:
        """The datasets a zfs list / zfs get picks (sorted) and an error flag: a -t of only
        snapshots or bookmarks with operands and neither -r nor -d looks one level down
        (``flags |= ZFS_ITER_DEPTH_LIMIT; limit = 1`` in both zfs_do_list() and zfs_do_get())."""
        depth = q.depth
        if q.types in (zm.T_SNAP, 16) and operands and not q.recurse and depth is None:
            depth = 1
        return collect(self.z, operands, q.types, q.recurse, depth, listsnaps)

    def widths(self, entries: list[Entry], names: list[str], literal: bool,
               received: bool = False) -> None:
        """zfs_callback() expands the list for every dataset while collecting: widths (and an
        'all' list's user properties) over every row before the first is printed."""
        for n in names:
            self.expand(entries, n, literal, received)

    def values(self, name: str, entries: list[Entry], literal: bool
               ) -> list[tuple[Entry, Value | None]]:
        """One dataset's row: every entry's :meth:`lookup` (None where it fails)."""
        return [(e, self.lookup(name, e.prop, literal, e.native)) for e in entries]
