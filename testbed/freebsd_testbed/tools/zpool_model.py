"""The simulated pools: property table, vdev geometry, pool records (OpenZFS 2.4.0).

Pool records live in ``st.persistent["zfs"]["pools"]`` (next to the datasets, see zfs_model.py)::

    "pools": {"<name>": {"guid": str, "load_guid": str, "ctime": epoch,
                         "vdevs": [{"type": "disk"|"file"|"mirror"|"raidz",
                                    "parity": int, "path": str, "psize": int,
                                    "children": [leaf, ...]}, ...],
                         "logs": [...], "cache": [...], "spares": [...],
                         "size": <zpool SIZE bytes>, "dspace": <deflated bytes>,
                         "props": {"<settable pool prop>": "<value>"},
                         "user": {"<module:prop>": "<value>"},
                         "features": {"<name>": "enabled" | "active" | "disabled"}}},
    "exported": {"<name>": {"pool": <record>, "datasets": {...}}},
    "labels": {"<vdev path>": {"pool": name, "state": "active"|"exported"|"destroyed"}}

Sources: module/zcommon/zpool_prop.c (zpool_prop_init), include/sys/fs/zfs.h (zpool_prop_t
order), module/zcommon/zfeature_common.c (features), module/zfs/vdev.c
(vdev_metaslab_set_size), module/zfs/spa_misc.c (spa_get_slop_space), all tag zfs-2.4.0.
"""
from __future__ import annotations

import random
import time
from typing import Any

K = 1024
M = K * K
G = K * M

# zpool_prop_t order (include/sys/fs/zfs.h); hidden ones (name, maxblocksize, tname,
# maxdnodesize, dedupditto, dedupcached) are excluded from 'all' by zprop_iter_common().
# (name, type, attr, colname, flex, values, default, table)
#   type: s=string n=number i=index; attr: ro / default / onetime
_T_BOOL = ["off", "on"]
POOL_PROPS: list[tuple[str, str, str, str, bool, str | None, Any, list[str] | None]] = [
    ("name", "s", "ro", "NAME", True, None, None, None),
    ("size", "n", "ro", "SIZE", False, "<size>", 0, None),
    ("capacity", "n", "ro", "CAP", False, "<percent>", 0, None),
    ("altroot", "s", "default", "ALTROOT", True, "<path>", None, None),
    ("health", "n", "ro", "HEALTH", False, "<state>", 0, None),
    ("guid", "n", "ro", "GUID", True, "<guid>", 0, None),
    ("version", "n", "default", "VERSION", False, "<version>", 5000, None),
    ("bootfs", "s", "default", "BOOTFS", True, "<filesystem>", None, None),
    ("delegation", "i", "default", "DELEGATION", True, "on | off", "on", _T_BOOL),
    ("autoreplace", "i", "default", "REPLACE", True, "on | off", "off", _T_BOOL),
    ("cachefile", "s", "default", "CACHEFILE", True, "<file> | none", None, None),
    ("failmode", "i", "default", "FAILMODE", True, "wait | continue | panic", "wait",
     ["wait", "continue", "panic"]),
    ("listsnapshots", "i", "default", "LISTSNAPS", True, "on | off", "off", _T_BOOL),
    ("autoexpand", "i", "default", "EXPAND", True, "on | off", "off", _T_BOOL),
    ("dedupratio", "n", "ro", "DEDUP", False, "<1.00x or higher if deduped>", 0, None),
    ("free", "n", "ro", "FREE", False, "<size>", 0, None),
    ("allocated", "n", "ro", "ALLOC", False, "<size>", 0, None),
    ("readonly", "i", "default", "RDONLY", True, "on | off", "off", _T_BOOL),
    ("ashift", "n", "default", "ASHIFT", False, "<ashift, 9-16, or 0=default>", 0, None),
    ("comment", "s", "default", "COMMENT", True, "<comment-string>", None, None),
    ("expandsize", "n", "ro", "EXPANDSZ", False, "<size>", 0, None),
    ("freeing", "n", "ro", "FREEING", False, "<size>", 0, None),
    ("fragmentation", "n", "ro", "FRAG", False, "<percent>", 0, None),
    ("leaked", "n", "ro", "LEAKED", False, "<size>", 0, None),
    ("multihost", "i", "default", "MULTIHOST", True, "on | off", "off", _T_BOOL),
    ("checkpoint", "n", "ro", "CKPOINT", False, "<size>", 0, None),
    ("load_guid", "n", "ro", "LOAD_GUID", True, "<load_guid>", 0, None),
    ("autotrim", "i", "default", "AUTOTRIM", True, "on | off", "off", _T_BOOL),
    ("compatibility", "s", "default", "COMPATIBILITY", True,
     "<file[,file...]> | off | legacy", "off", None),
    ("bcloneused", "n", "ro", "BCLONE_USED", False, "<size>", 0, None),
    ("bclonesaved", "n", "ro", "BCLONE_SAVED", False, "<size>", 0, None),
    ("bcloneratio", "n", "ro", "BCLONE_RATIO", False, "<1.00x or higher if cloned>", 0, None),
    ("dedup_table_size", "n", "ro", "DDTSIZE", False, "<size>", 0, None),
    ("dedup_table_quota", "n", "default", "DDTQUOTA", False, "<size>", 2**64 - 1, None),
    ("last_scrubbed_txg", "n", "ro", "LAST_SCRUBBED_TXG", False, "<txg>", 0, None),
]
PROP = {p[0]: p for p in POOL_PROPS}
VISIBLE = [p[0] for p in POOL_PROPS if p[0] != "name"]
HIDDEN = {"maxblocksize", "tname", "maxdnodesize", "dedupditto", "dedupcached"}

# spa_feature_t order (include/zfeature_common.h) -> state on a freshly created pool.
FEATURES: list[tuple[str, str]] = [
    ("async_destroy", "enabled"), ("empty_bpobj", "active"), ("lz4_compress", "active"),
    ("multi_vdev_crash_dump", "enabled"), ("spacemap_histogram", "active"),
    ("enabled_txg", "active"), ("hole_birth", "active"), ("extensible_dataset", "active"),
    ("embedded_data", "active"), ("bookmarks", "enabled"), ("filesystem_limits", "enabled"),
    ("large_blocks", "enabled"), ("large_dnode", "enabled"), ("sha512", "enabled"),
    ("skein", "enabled"), ("edonr", "enabled"), ("userobj_accounting", "active"),
    ("encryption", "enabled"), ("project_quota", "active"), ("device_removal", "enabled"),
    ("obsolete_counts", "enabled"), ("zpool_checkpoint", "enabled"), ("spacemap_v2", "active"),
    ("allocation_classes", "enabled"), ("resilver_defer", "enabled"),
    ("bookmark_v2", "enabled"), ("redaction_bookmarks", "enabled"),
    ("redacted_datasets", "enabled"), ("bookmark_written", "enabled"),
    ("log_spacemap", "active"), ("livelist", "enabled"), ("device_rebuild", "enabled"),
    ("zstd_compress", "enabled"), ("draid", "enabled"), ("zilsaxattr", "active"),
    ("head_errlog", "active"), ("blake3", "enabled"), ("block_cloning", "enabled"),
    ("vdev_zaps_v2", "active"), ("redaction_list_spill", "enabled"),
    ("raidz_expansion", "enabled"), ("fast_dedup", "enabled"), ("longname", "enabled"),
    ("large_microzap", "enabled"), ("dynamic_gang_header", "enabled"),
    ("block_cloning_endian", "enabled"), ("physical_rewrite", "enabled"),
]
FEATURE_NAMES = [f for f, _ in FEATURES]

SPA_MINDEVSIZE = 64 * M                  # include/sys/fs/zfs.h
LABEL_OVERHEAD = 4 * M + 512 * K          # VDEV_LABEL_START_SIZE + VDEV_LABEL_END_SIZE
MOS_ALLOC = 108 * K                       # MOS/space-map blocks of a fresh pool (estimate)


def new_guid() -> str:
    return str(random.getrandbits(64) | 1 << 60)


def highbit64(v: int) -> int:
    return v.bit_length()


def ms_shift(asize: int) -> int:
    """vdev.c:vdev_metaslab_set_size() with the default tunables."""
    count = asize >> 29
    if count < 16:
        shift = highbit64(asize // 16)
    elif count > 200:
        shift = highbit64(asize // 200)
    else:
        shift = 29
    if shift < 17:              # SPA_MAXBLOCKSHIFT
        shift = 17
    elif shift > 34:
        shift = 34
        if (asize >> shift) > (1 << 17):
            shift = highbit64(asize // (1 << 17))
    return shift


def leaf_asize(psize: int, ashift: int = 12) -> int:
    a = max(0, psize - LABEL_OVERHEAD)
    return a & ~((1 << ashift) - 1)


def top_geometry(top: dict[str, Any]) -> tuple[int, int, int]:
    """(metaslab-rounded SIZE, deflated usable bytes, metaslab size) of a top-level vdev."""
    if top["type"] in ("disk", "file"):
        asize = leaf_asize(top["psize"])
        data = 1
        width = 1
    else:
        kids = top["children"]
        m = min(leaf_asize(c["psize"]) for c in kids)
        if top["type"] == "mirror":
            asize, data, width = m, 1, 1
        else:
            asize, width, data = m * len(kids), len(kids), len(kids) - top["parity"]
    sh = ms_shift(asize)
    size = (asize >> sh) << sh
    return size, size * data // width, 1 << sh


def slop(dspace: int) -> int:
    """spa_misc.c:spa_get_slop_space() (spa_slop_shift 5, min 128M, max 128G)."""
    s = min(dspace >> 5, 128 * G)
    return max(s, min(dspace >> 1, 128 * M))


def geometry(vdevs: list[dict[str, Any]]) -> tuple[int, int]:
    """(zpool SIZE, dspace) of a pool; one metaslab of the first vdev feeds the embedded log
    class when it has >= 64 metaslabs (spa.c zfs_embedded_slog_min_ms)."""
    size = dspace = 0
    for i, top in enumerate(vdevs):
        s, d, ms = top_geometry(top)
        size += s
        dspace += d
        if i == 0 and s // ms >= 64:
            dspace -= d * ms // s
    return size, dspace


def leaves(top: dict[str, Any]) -> list[dict[str, Any]]:
    return top["children"] if top.get("children") else [top]


def all_leaves(pool: dict[str, Any]) -> list[dict[str, Any]]:
    res = []
    for cls in ("vdevs", "logs", "cache", "spares"):
        for top in pool.get(cls, []):
            res += leaves(top)
    return res


def new_pool(vdevs: list[dict[str, Any]], props: dict[str, str]) -> dict[str, Any]:
    size, dspace = geometry(vdevs)
    return {"guid": new_guid(), "load_guid": new_guid(), "ctime": int(time.time()),
            "vdevs": vdevs, "logs": [], "cache": [], "spares": [], "size": size,
            "dspace": dspace, "props": dict(props), "user": {},
            "features": {f: s for f, s in FEATURES}}


def zroot_pool(dataset_bytes: int) -> dict[str, Any]:
    """The installer's pool: one GPT partition vtbd0p4, sized so that its datasets see
    ``dataset_bytes`` (AVAIL + USED of zroot) as zfs_model.POOL_SIZE expects."""
    dspace = dataset_bytes * 32 // 31
    size = ((dspace + 512 * M) + 512 * M - 1) // (512 * M) * (512 * M)
    rec = new_pool([{"type": "disk", "path": "vtbd0p4", "psize": size + LABEL_OVERHEAD}], {})
    rec["size"], rec["dspace"] = size, dspace
    rec["ctime"] = 1773835200
    rec["props"]["bootfs"] = "zroot/ROOT/default"
    return rec
