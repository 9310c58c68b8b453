"""The simulated pool: dataset records, property resolution, accounting, host-file effects.

State layout (``st.persistent["zfs"]``)::

    {"version": 1,
     "pool": "zroot", "pool_guid": "…", "size": <bytes usable by datasets>,
     "txg": <last txg>, "next_objsetid": <int>,
     "datasets": {
        "<name>": {"type": "filesystem" | "snapshot",
                   "guid": "<uint64 as str>", "createtxg": int, "creation": epoch,
                   "objsetid": int,
                   "props": {"<prop>": "<value as set>"},        # local native + user props
                   "origin": "<fs@snap>" | None,                 # clones only
                   "static": <bytes> | None,   # fixed 'referenced' (install datasets, not scanned)
                   "refer": <bytes>,           # last known referenced (snapshot: frozen)
                   "lrefer": <bytes>,          # logical referenced (snapshot: frozen)
                   "mounted": bool,            # filesystems
                   "extra": <bytes>},          # metadata overhead (e.g. remounted parents)
        ...}}

Snapshot file trees live on the host under /var/db/testbed/zfs-snapshots/<guid>/; the files of
unmounted filesystems are parked under /var/db/testbed/zfs-unmounted/<guid>/.
"""
from __future__ import annotations

import os
import random
import shutil
import time
from typing import Any

from .. import hoststate
from .zfs_props import PROPS

K = 1024
M = K * K
G = K * M
EMPTY_FS = 96 * K
SNAP_STORE = "/var/db/testbed/zfs-snapshots"
PARK_STORE = "/var/db/testbed/zfs-unmounted"
UINT64_MAX = 2**64 - 1

T_FS, T_SNAP, T_VOL = 1, 2, 4
# include/sys/fs/zfs.h (zfs-2.4.0): ZVOL_DEFAULT_BLOCKSIZE 16384
ZVOL_DEFAULT_BLOCKSIZE = 16 * 1024
# what an empty zvol references (dataset + its dnode blocks)
EMPTY_ZVOL = 56 * 1024
TYPE_BITS = {"filesystem": T_FS, "snapshot": T_SNAP, "volume": T_VOL}

# Display defaults of the index properties whose C default is a symbol.
INDEX_DEFAULTS = {
    "checksum": "on", "compression": "on", "snapdir": "hidden", "aclmode": "discard",
    "aclinherit": "restricted", "canmount": "on", "xattr": "sa", "casesensitivity": "sensitive",
    "primarycache": "all", "secondarycache": "all", "logbias": "latency", "dedup": "off",
    "sync": "standard", "dnodesize": "legacy", "volmode": "default", "snapdev": "hidden",
    "acltype": "nfsv4", "redundant_metadata": "all", "encryption": "off", "keyformat": "none",
    "keystatus": "none", "prefetch": "all", "direct": "standard", "version": "5",
    "normalization": "none", "utf8only": "off", "mounted": "no", "defer_destroy": "off",
}
STRING_DEFAULTS = {"mlslabel": "none"}

# A fresh FreeBSD 15 bsdinstall ZFS layout: (name, local props, referenced bytes, mounted).
INSTALL = [
    ("zroot", {"mountpoint": "/zroot", "compression": "lz4", "atime": "off"}, 96 * K, True),
    ("zroot/ROOT", {"mountpoint": "none"}, 96 * K, False),
    ("zroot/ROOT/default", {"mountpoint": "/", "canmount": "noauto"}, 1_381_212_160, True),
    ("zroot/home", {"mountpoint": "/home"}, 96 * K, True),
    ("zroot/tmp", {"mountpoint": "/tmp", "exec": "on", "setuid": "off"}, 104 * K, True),
    ("zroot/usr", {"mountpoint": "/usr", "canmount": "off"}, 96 * K, False),
    ("zroot/usr/ports", {"setuid": "off"}, 96 * K, True),
    ("zroot/usr/src", {}, 96 * K, True),
    ("zroot/var", {"mountpoint": "/var", "canmount": "off"}, 96 * K, False),
    ("zroot/var/audit", {"exec": "off", "setuid": "off"}, 96 * K, True),
    ("zroot/var/crash", {"exec": "off", "setuid": "off"}, 96 * K, True),
    ("zroot/var/log", {"exec": "off", "setuid": "off"}, 188 * K, True),
    ("zroot/var/mail", {"atime": "on"}, 120 * K, True),
    ("zroot/var/tmp", {"setuid": "off"}, 96 * K, True),
]
INSTALL_TIME = 1773835200  # Wed Mar 18 12:00 2026 UTC
# Usable bytes for datasets: a fresh install shows AVAIL 33.9G like the tutorial's host.
POOL_SIZE = int(33.93 * G) + sum(r for _, _, r, _ in INSTALL)


def new_guid() -> str:
    return str(random.getrandbits(64) | 1 << 60)


def ensure(st: hoststate.State) -> dict[str, Any]:
    z = st.persistent.get("zfs")
    if z is None:
        z = {"version": 1, "pool": "zroot", "pool_guid": new_guid(), "size": POOL_SIZE,
             "txg": 20, "next_objsetid": 54, "datasets": {}}
        for i, (name, props, refer, mounted) in enumerate(INSTALL):
            z["datasets"][name] = {
                "type": "filesystem", "guid": new_guid(), "createtxg": 1 if i == 0 else 8 + i,
                "creation": INSTALL_TIME, "objsetid": 54 + 128 * i if i else 54,
                "props": dict(props), "origin": None, "static": refer, "refer": refer,
                "lrefer": refer // 3 if refer > M else 42 * K, "mounted": mounted, "extra": 0}
        z["next_objsetid"] = 54 + 128 * len(INSTALL)
        z["txg"] = 4000
        st.persistent["zfs"] = z
    if "pools" not in z:
        # pool records (zpool_model.py); older states had the single pool 'zroot' only
        from .zpool_model import zroot_pool
        rec = zroot_pool(z["size"])
        rec["dsize"] = z["size"]
        z["pools"] = {z["pool"]: rec}
        z.setdefault("exported", {})
        z.setdefault("labels", {})
    return z


def pool_of(name: str) -> str:
    return name.split("/", 1)[0].split("@", 1)[0].split("#", 1)[0]


def pool_rec(z: dict[str, Any], name: str) -> dict[str, Any] | None:
    return z.get("pools", {}).get(pool_of(name))


def pool_dsize(z: dict[str, Any], pool: str) -> int:
    """Bytes usable by the pool's datasets (dspace - slop, zfs 'available' + 'used' of root)."""
    rec = z.get("pools", {}).get(pool)
    if rec is None:
        return z["size"]
    return rec.get("dsize", z["size"])


def next_txg(z: dict[str, Any]) -> int:
    z["txg"] += random.randint(5, 40)
    return z["txg"]


def new_record(z: dict[str, Any], dstype: str, props: dict[str, str] | None = None) -> dict[str, Any]:
    osid = z["next_objsetid"]
    z["next_objsetid"] += random.randint(2, 400)
    return {"type": dstype, "guid": new_guid(), "createtxg": next_txg(z),
            "creation": int(time.time()), "objsetid": osid, "props": dict(props or {}),
            "origin": None, "static": None, "refer": EMPTY_FS, "lrefer": 42 * K,
            "mounted": False, "extra": 0}


# --------------------------------------------------------------------------- names

def parent_of(name: str) -> str | None:
    if "@" in name:
        return name.split("@", 1)[0]
    return name.rsplit("/", 1)[0] if "/" in name else None


def children(z: dict[str, Any], name: str) -> list[str]:
    """Direct child filesystems (not snapshots), sorted."""
    pre = name + "/"
    return sorted(n for n in z["datasets"] if n.startswith(pre) and "/" not in n[len(pre):]
                  and "@" not in n)


def descendants(z: dict[str, Any], name: str) -> list[str]:
    pre = name + "/"
    return sorted(n for n in z["datasets"] if n.startswith(pre) and "@" not in n)


def snapshots(z: dict[str, Any], name: str) -> list[str]:
    pre = name + "@"
    return sorted((n for n in z["datasets"] if n.startswith(pre)),
                  key=lambda n: z["datasets"][n]["createtxg"])


def clones_of(z: dict[str, Any], snap: str) -> list[str]:
    return sorted(n for n, d in z["datasets"].items() if d.get("origin") == snap)


# --------------------------------------------------------------------------- properties

def pdef(prop: str) -> dict[str, Any] | None:
    return PROPS.get(prop)


def is_user_prop(name: str) -> bool:
    if ":" not in name:
        return False
    return all(c.isalnum() and c.isascii() or c in "-_.:" for c in name)


def default_value(prop: str) -> str:
    p = PROPS[prop]
    if prop in INDEX_DEFAULTS:
        return INDEX_DEFAULTS[prop]
    if prop in STRING_DEFAULTS:
        return STRING_DEFAULTS[prop]
    if p["ptype"] == "index":
        return p["table"][p["tablevals"].index(p["default"])] if p["default"] in p["tablevals"] else p["default"]
    if p["ptype"] == "string":
        return p["default"] or ""
    if prop == "recordsize":
        return str(128 * K)
    if prop == "volblocksize":
        return str(ZVOL_DEFAULT_BLOCKSIZE)
    if p["default"] == "UINT64_MAX":
        return str(UINT64_MAX)
    return p["default"] if p["default"] and p["default"].isdigit() else "0"


def prop_source(z: dict[str, Any], name: str, prop: str) -> tuple[str, str, str]:
    """(value, source-type, source-dataset) for a settable property.

    source-type is one of local / inherited / default; the dataset is the one it comes from.
    """
    p = PROPS.get(prop)
    inheritable = p is None or p["attr"] == "inherit"
    ds = z["datasets"][name]
    if prop in ds["props"]:
        return ds["props"][prop], "local", name
    cur = parent_of(name)
    if "@" in name:
        # snapshots see their filesystem's values as inherited
        pass
    while inheritable and cur is not None:
        d = z["datasets"].get(cur)
        if d is not None and prop in d["props"]:
            return d["props"][prop], "inherited", cur
        cur = parent_of(cur)
    if p is None:
        return "-", "none", ""
    return default_value(prop), "default", ""


def mountpoint(z: dict[str, Any], name: str) -> str:
    """Effective mountpoint property value (path, 'none' or 'legacy')."""
    val, src, frm = prop_source(z, name, "mountpoint")
    if not val.startswith("/"):
        return val
    # with an altroot every mountpoint is shown below it (libzfs_dataset.c get_numeric_property
    # / zfs_prop_get(ZFS_PROP_MOUNTPOINT): altroot prefixed to the stored path)
    rec = pool_rec(z, name)
    alt = (rec or {}).get("props", {}).get("altroot")
    if alt and alt != "/":
        if src == "default":
            rel = name
        elif src == "inherited":
            rel = name[len(frm) + 1:]
        else:
            rel = ""
        base = alt.rstrip("/") + (val if val != "/" else "")
        return base + ("/" + rel if rel else "") if rel or base else "/"
    if src == "default":
        frm, val = "", "/"
        rel = name
    elif src == "inherited":
        rel = name[len(frm) + 1:]
    else:
        rel = ""
    if rel:
        return (val.rstrip("/") or "") + "/" + rel
    return val


def mount_path(z: dict[str, Any], name: str) -> str | None:
    """Host path where a filesystem's files currently live when mounted, else None."""
    d = z["datasets"][name]
    if d["type"] != "filesystem" or not d.get("mounted"):
        return None
    mp = mountpoint(z, name)
    return mp if mp.startswith("/") else None


def should_mount(z: dict[str, Any], name: str) -> bool:
    mp = mountpoint(z, name)
    return mp.startswith("/") and prop_source(z, name, "canmount")[0] == "on"


# --------------------------------------------------------------------------- accounting

class Sizer:
    """Computes referenced bytes from host files; memoised for one command."""

    def __init__(self, z: dict[str, Any]):
        self.z = z
        self.memo: dict[str, tuple[int, int]] = {}
        self.mounts = {mount_path(z, n) for n in z["datasets"]} - {None}

    def scan(self, path: str, own: str) -> tuple[int, int]:
        real = hoststate.hostpath(path)
        phys = logical = 0
        stack = [(real, path)]
        while stack:
            rp, vp = stack.pop()
            try:
                it = os.scandir(rp)
            except OSError:
                continue
            with it:
                for e in it:
                    vchild = vp.rstrip("/") + "/" + e.name
                    try:
                        if e.is_dir(follow_symlinks=False):
                            if vchild in self.mounts and vchild != own:
                                continue
                            phys += 512
                            stack.append((e.path, vchild))
                        else:
                            s = e.stat(follow_symlinks=False).st_size
                            logical += s
                            phys += -(-s // 4096) * 4096 if s > 0 else 0
                    except OSError:
                        continue
        return phys, logical

    def refer(self, name: str) -> int:
        return self._ref(name)[0]

    def lrefer(self, name: str) -> int:
        return self._ref(name)[1]

    def _ref(self, name: str) -> tuple[int, int]:
        if name in self.memo:
            return self.memo[name]
        d = self.z["datasets"][name]
        if d["type"] == "snapshot" or d.get("static") is not None:
            r = (d["refer"], d.get("lrefer", d["refer"]))
        else:
            mp = mount_path(self.z, name)
            if mp is None:
                r = (d["refer"], d.get("lrefer", 42 * K))
            else:
                phys, logical = self.scan(mp, mp)
                r = (EMPTY_FS + d.get("extra", 0) + phys, 42 * K + logical)
                d["refer"], d["lrefer"] = r
        self.memo[name] = r
        return r

    def snap_used(self, snap: str) -> int:
        fs = snap.split("@")[0]
        snaps = snapshots(self.z, fs)
        if not snaps or snaps[-1] != snap:
            return 0
        return max(0, self.refer(snap) - self.refer(fs)) if self.refer(snap) > self.refer(fs) else 0

    def used_snap(self, fs: str) -> int:
        return sum(self.snap_used(s) for s in snapshots(self.z, fs))

    def used_ds(self, name: str) -> int:
        d = self.z["datasets"][name]
        r = self.refer(name)
        if d.get("origin") and d["origin"] in self.z["datasets"]:
            return max(0, r - self.refer(d["origin"]))
        return r

    def used_child(self, name: str) -> int:
        return sum(self.used(c) for c in children(self.z, name))

    def used_refreserv(self, name: str) -> int:
        rr = int(prop_source(self.z, name, "refreservation")[0] or 0) if "refreservation" in self.z["datasets"][name]["props"] else 0
        return max(0, rr - self.used_ds(name))

    def used(self, name: str) -> int:
        d = self.z["datasets"][name]
        if d["type"] == "snapshot":
            return self.snap_used(name)
        u = self.used_ds(name) + self.used_snap(name) + self.used_child(name) + self.used_refreserv(name)
        res = int(d["props"].get("reservation", "0") or 0)
        return max(u, res)

    def avail(self, name: str) -> int:
        pool = pool_of(name)
        free = max(0, pool_dsize(self.z, pool) - self.used(pool))
        # dsl_dataset_stats(): a dataset's own unused refreservation is available to it
        free += self.used_refreserv(name)
        cur: str | None = name
        while cur is not None:
            q = int(self.z["datasets"][cur]["props"].get("quota", "0") or 0)
            if q:
                free = min(free, max(0, q - self.used(cur)))
            cur = parent_of(cur)
        rq = int(self.z["datasets"][name]["props"].get("refquota", "0") or 0)
        if rq:
            free = min(free, max(0, rq - self.refer(name)))
        return free


# --------------------------------------------------------------------------- host files

def _move_tree(src: str, dst: str) -> None:
    """Move the contents of host dir src into dst (both real paths), merging."""
    if not os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
        return
    if not os.path.exists(dst):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        try:
            os.rename(src, dst)
            return
        except OSError:
            pass
    os.makedirs(dst, exist_ok=True)
    for e in os.listdir(src):
        s, t = os.path.join(src, e), os.path.join(dst, e)
        if os.path.isdir(t) and not os.path.islink(t) and os.path.isdir(s) and not os.path.islink(s):
            _move_tree(s, t)
        else:
            if os.path.lexists(t):
                if os.path.isdir(t) and not os.path.islink(t):
                    shutil.rmtree(t)
                else:
                    os.unlink(t)
            shutil.move(s, t)
    try:
        os.rmdir(src)
    except OSError:
        pass


def copy_tree(src: str, dst: str, skip: set[str] | None = None) -> None:
    """Copy a real directory tree (symlinks as links), skipping real paths in ``skip``."""
    os.makedirs(dst, exist_ok=True)
    if not os.path.isdir(src):
        return
    for e in os.scandir(src):
        if skip and e.path in skip:
            continue
        t = os.path.join(dst, e.name)
        try:
            if e.is_symlink():
                if os.path.lexists(t):
                    os.unlink(t)
                os.symlink(os.readlink(e.path), t)
            elif e.is_dir():
                copy_tree(e.path, t, skip)
                shutil.copystat(e.path, t)
            else:
                shutil.copy2(e.path, t)
        except OSError:
            continue


def park_path(d: dict[str, Any]) -> str:
    return hoststate.hostpath(f"{PARK_STORE}/{d['guid']}")


def snap_path(d: dict[str, Any]) -> str:
    return hoststate.hostpath(f"{SNAP_STORE}/{d['guid']}")


def other_mounts_real(z: dict[str, Any], own: str) -> set[str]:
    return {hoststate.hostpath(p) for n in z["datasets"] if (p := mount_path(z, n)) and p != own}


def do_mount(z: dict[str, Any], name: str) -> None:
    d = z["datasets"][name]
    mp = mountpoint(z, name)
    if not mp.startswith("/"):
        return
    real = hoststate.hostpath(mp)
    parked = park_path(d)
    if os.path.isdir(parked):
        _move_tree(parked, real)
    os.makedirs(real, exist_ok=True)
    d["mounted"] = True


def do_unmount(z: dict[str, Any], name: str) -> None:
    """Unmount: the dataset's own files are parked (children must be unmounted first)."""
    d = z["datasets"][name]
    mp = mount_path(z, name)
    d["mounted"] = False
    if mp is None or d.get("static") is not None:
        return
    real = hoststate.hostpath(mp)
    if not os.path.isdir(real):
        return
    if real == hoststate.hostpath("/"):
        return
    _move_tree(real, park_path(d))


def remove_files(z: dict[str, Any], name: str) -> None:
    d = z["datasets"][name]
    if d["type"] == "snapshot":
        shutil.rmtree(snap_path(d), ignore_errors=True)
        return
    if d.get("static") is not None:
        return
    mp = mount_path(z, name)
    if mp is not None and mp != "/":
        real = hoststate.hostpath(mp)
        others = other_mounts_real(z, mp)
        if not any(o.startswith(real.rstrip("/") + "/") for o in others):
            shutil.rmtree(real, ignore_errors=True)
        else:
            for e in os.listdir(real) if os.path.isdir(real) else []:
                p = os.path.join(real, e)
                if p in others or any(o.startswith(p + "/") for o in others):
                    continue
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    os.unlink(p)
    shutil.rmtree(park_path(d), ignore_errors=True)
    d["mounted"] = False
