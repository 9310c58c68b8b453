"""zfs(8): argv builders and output parsers (OpenZFS 2.4 as in FreeBSD 15.0)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

from .common import lines
from .factbase import Fact, fact, parsing

ZFS = "/sbin/zfs"

# Properties that are statistics or otherwise read-only: never settable.
READONLY = frozenset({
    "type", "creation", "used", "available", "avail", "referenced", "refer", "compressratio",
    "ratio", "mounted", "origin", "guid", "usedbysnapshots", "usedbydataset", "usedbychildren",
    "usedbyrefreservation", "written", "logicalused", "logicalreferenced", "lused", "lrefer",
    "createtxg", "objsetid", "clones", "version", "keystatus", "encryptionroot",
    "refcompressratio", "refratio", "defer_destroy", "userrefs", "snapshots_changed",
    "receive_resume_token", "redact_snaps", "inconsistent", "filesystem_count",
    "snapshot_count", "volblocksize_effective",
})
# Settable only when the dataset is created (a change means a new dataset).
CREATE_ONLY = frozenset({
    "casesensitivity", "normalization", "utf8only", "encryption", "keyformat", "pbkdf2iters",
    "volblocksize",
})
# Native settable properties with their allowed values (None: free-form, validated elsewhere).
ONOFF = ("on", "off")
INDEX_VALUES: dict[str, tuple[str, ...]] = {
    "atime": ONOFF, "relatime": ONOFF, "devices": ONOFF, "exec": ONOFF, "setuid": ONOFF,
    "readonly": ONOFF, "rdonly": ONOFF, "jailed": ONOFF, "zoned": ONOFF, "xattr": ("on", "off", "dir", "sa"),
    "canmount": ("on", "off", "noauto"), "snapdir": ("hidden", "visible", "disabled"),
    "compression": ("on", "off", "lzjb", "gzip", "gzip-1", "gzip-2", "gzip-3", "gzip-4", "gzip-5",
                    "gzip-6", "gzip-7", "gzip-8", "gzip-9", "zle", "lz4", "zstd", "zstd-fast")
    + tuple(f"zstd-{i}" for i in range(1, 20)),
    "checksum": ("on", "off", "fletcher2", "fletcher4", "sha256", "noparity", "sha512", "skein",
                 "edonr", "blake3"),
    "dedup": ("on", "off", "verify", "sha256", "sha256,verify", "sha512", "sha512,verify",
              "skein", "skein,verify", "edonr,verify", "blake3", "blake3,verify"),
    "copies": ("1", "2", "3"),
    "sync": ("standard", "always", "disabled"),
    "logbias": ("latency", "throughput"),
    "primarycache": ("all", "none", "metadata"), "secondarycache": ("all", "none", "metadata"),
    "aclmode": ("discard", "groupmask", "passthrough", "restricted"),
    "aclinherit": ("discard", "noallow", "restricted", "passthrough", "passthrough-x"),
    "acltype": ("off", "nfsv4", "posix", "noacl", "posixacl"),
    "redundant_metadata": ("all", "most", "some", "none"),
    "dnodesize": ("legacy", "auto", "1k", "2k", "4k", "8k", "16k"),
    "casesensitivity": ("sensitive", "insensitive", "mixed"),
    "normalization": ("none", "formC", "formD", "formKC", "formKD"),
    "utf8only": ONOFF, "overlay": ONOFF, "vscan": ONOFF, "nbmand": ONOFF,
    "volmode": ("default", "full", "geom", "dev", "none"),
    "direct": ("disabled", "standard", "always"),
}
SIZE_PROPS = frozenset({"quota", "reservation", "refquota", "refreservation", "recordsize",
                        "special_small_blocks", "volsize", "volblocksize"})
FREEFORM = frozenset({"mountpoint", "sharenfs", "sharesmb", "keylocation", "context",
                      "fscontext", "defcontext", "rootcontext", "filesystem_limit",
                      "snapshot_limit", "org.freebsd:swap", "prefetch"})
SETTABLE = frozenset(INDEX_VALUES) | SIZE_PROPS | FREEFORM | CREATE_ONLY

_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([BKMGTPEZ]?)(?:i?B)?\Z", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50,
          "E": 1 << 60, "Z": 1 << 70}

# --------------------------------------------------------------------------------------------
# Names


_COMPONENT_RE = re.compile(r"^[A-Za-z0-9_.: -]+\Z")
MAX_NAME = 255


def dataset_name_error(name: str, *, allow_snapshot: bool = False) -> Optional[str]:
    """Why ``name`` is not a valid ZFS dataset (or snapshot) name, or None.

    Mirrors zfs_namecheck()/dataset_namecheck() of OpenZFS.
    """
    if not isinstance(name, str) or name == "":
        return "a dataset name must not be empty"
    if len(name) > MAX_NAME:
        return f"name is too long ({len(name)} > {MAX_NAME} characters)"
    if name.startswith("/"):
        return "leading slash in name"
    if name.endswith("/"):
        return "trailing slash in name"
    if "#" in name:
        return "bookmark delimiter '#' is not expected here"
    base, at, snap = name.partition("@")
    if at:
        if not allow_snapshot:
            return "snapshot delimiter '@' is not expected here"
        if "@" in snap:
            return "multiple '@' and/or '#' delimiters in name"
        if snap == "":
            return "empty component or misplaced '@' or '#' delimiter in name"
        err = _component_error(snap)
        if err:
            return err
    elif allow_snapshot == "required":
        return "missing '@' delimiter in snapshot name"
    parts = base.split("/")
    for p in parts:
        if p == "":
            return "empty component or misplaced '@' or '#' delimiter in name"
        err = _component_error(p)
        if err:
            return err
    if not parts[0][0].isalpha() or not parts[0].isascii():
        return "pool doesn't begin with a letter"
    if re.match(r"^(mirror|raidz|draid|spare|log)", parts[0]) and len(parts) == 1:
        return f"pool name '{parts[0]}' is reserved"
    return None


def _component_error(p: str) -> Optional[str]:
    if p == ".":
        return "self reference, '.' is found in name"
    if p == "..":
        return "parent reference, '..' is found in name"
    for ch in p:
        if not (ch.isascii() and (ch.isalnum() or ch in "_.: -")):
            shown = ch if ch.isprintable() else repr(ch)[1:-1]
            return f"invalid character '{shown}' in name"
    return None


def filesystem_error(name: str) -> Optional[str]:
    """Why ``name`` cannot name a ZfsDataset (a filesystem inside a pool), or None."""
    err = dataset_arg_error(name)
    if err:
        return err
    if "/" not in name:
        return f"{name!r} is a pool: manage datasets inside a pool, e.g. '{name}/data'"
    return None


def dataset_arg_error(name: str) -> Optional[str]:
    """``dataset_name_error`` with the name in the message."""
    err = dataset_name_error(name)
    return f"invalid dataset name {name!r}: {err}" if err else None


def origin_error(name: str) -> Optional[str]:
    """Why ``name`` cannot be a clone's origin (a full snapshot name), or None."""
    err = dataset_name_error(name, allow_snapshot="required")
    return f"invalid snapshot name {name!r}: {err}" if err else None


def parent_of(name: str) -> Optional[str]:
    return name.rsplit("/", 1)[0] if "/" in name else None


# --------------------------------------------------------------------------------------------
# Properties


def is_user_property(name: str) -> bool:
    return ":" in name


_USERPROP_RE = re.compile(r"^[a-z0-9_.:-]+\Z")


def property_name_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not name:
        return "a property name must not be empty"
    if is_user_property(name):
        if len(name) > 256:
            return f"user property name '{name[:40]}...' is too long (max 256)"
        if not _USERPROP_RE.match(name) or name.startswith(":"):
            return (f"invalid user property name {name!r}: use lowercase letters, digits and "
                    f"'_' '.' ':' '-', in the form module:property")
        return None
    if name in READONLY:
        return f"'{name}' is readonly"
    if name not in SETTABLE:
        return f"invalid property '{name}'"
    return None


def parse_size(text: str) -> Optional[int]:
    m = _SIZE_RE.match(text.strip())
    if not m:
        return None
    n = float(m.group(1)) * _UNITS[m.group(2).upper()]
    return int(n)


def property_value_error(name: str, value: str) -> Optional[str]:
    if not isinstance(value, str):
        return f"the value of '{name}' must be a string"
    if any(c in value for c in "\x00\n\r\t"):
        return f"the value of '{name}' must not contain NUL, tab or newline characters"
    if is_user_property(name):
        if len(value) > 8191:
            return f"the value of '{name}' is too long (max 8191 bytes)"
        return None
    if name in INDEX_VALUES:
        allowed = INDEX_VALUES[name]
        if value not in allowed:
            return f"'{name}' must be one of '{' | '.join(allowed)}'"
        return None
    if name == "mountpoint":
        if value in ("none", "legacy"):
            return None
        if not value.startswith("/"):
            return "'mountpoint' must be an absolute path, 'none', or 'legacy'"
        if any(p in ("..", ".") for p in value.split("/")):
            return "'mountpoint' must not contain '.' or '..' components"
        return None
    if name in SIZE_PROPS:
        if value == "none" and name in ("quota", "reservation", "refquota", "refreservation"):
            return None
        if value == "auto" and name == "refreservation":
            return None
        if parse_size(value) is None:
            return f"bad numeric value '{value}' for '{name}'"
        if name == "recordsize":
            n = parse_size(value) or 0
            if n < 512 or n > 16 << 20 or n & (n - 1):
                return "'recordsize' must be a power of 2 from 512B to 16M"
        return None
    if name in ("filesystem_limit", "snapshot_limit"):
        if value != "none" and not value.isdigit():
            return f"'{name}' must be a number or 'none'"
    return None


def values_equal(name: str, wanted: str, live: str) -> bool:
    """Does the live (``-p``) value match the declared one?"""
    if wanted == live:
        return True
    if name in SIZE_PROPS:
        if wanted == "none" and live in ("0", "none"):
            return True
        w = parse_size(wanted)
        return w is not None and str(w) == live
    if name in ("readonly", "rdonly"):
        return wanted == live
    return False


# --------------------------------------------------------------------------------------------
# Builders


def _props_args(properties: Mapping[str, str]) -> list[str]:
    args: list[str] = []
    for k in sorted(properties):
        args += ["-o", f"{k}={properties[k]}"]
    return args


def create(name: str, properties: Mapping[str, str] | None = None, *, parents: bool = False) -> list[str]:
    return [ZFS, "create"] + (["-p"] if parents else []) + _props_args(properties or {}) + [name]


def clone(snapshot: str, name: str, properties: Mapping[str, str] | None = None) -> list[str]:
    return [ZFS, "clone"] + _props_args(properties or {}) + [snapshot, name]


def set_props(name: str, properties: Mapping[str, str]) -> list[str]:
    if not properties:
        raise ValueError("set_props needs at least one property")
    return [ZFS, "set"] + [f"{k}={properties[k]}" for k in sorted(properties)] + [name]


def inherit(name: str, prop: str) -> list[str]:
    return [ZFS, "inherit", prop, name]


def destroy(name: str, *, recursive: bool = False) -> list[str]:
    return [ZFS, "destroy"] + (["-r"] if recursive else []) + [name]


def snapshot(name: str, *, recursive: bool = False, properties: Mapping[str, str] | None = None) -> list[str]:
    return [ZFS, "snapshot"] + (["-r"] if recursive else []) + _props_args(properties or {}) + [name]


GET_FIELDS = "name,property,value,source"


def get_all(types: str = "filesystem,volume", names: Iterable[str] = ()) -> list[str]:
    """All properties of all datasets of ``types`` (or of ``names``), scripted and exact."""
    return [ZFS, "get", "-H", "-p", "-o", GET_FIELDS, "-t", types, "all", *names]


# --------------------------------------------------------------------------------------------
# Parsers


@dataclass
class Prop:
    value: str
    source: str  # "-", "default", "local", "inherited from X", "temporary", "received"

    @property
    def is_local(self) -> bool:
        return self.source == "local"


@dataclass
class Dataset:
    name: str
    props: dict[str, Prop] = field(default_factory=dict)

    def value(self, prop: str, default: str = "-") -> str:
        p = self.props.get(prop)
        return p.value if p else default

    def local_properties(self) -> dict[str, str]:
        return {k: p.value for k, p in self.props.items() if p.is_local}

    def urn_marker(self) -> Optional[str]:
        """The URN of the resource that created it (``journal.ZFS_PROPERTY``, local only: an
        inherited one names a parent's creator)."""
        from . import journal
        v = self.local_properties().get(journal.ZFS_PROPERTY)
        return journal.decode_urn(v) if v is not None else None


def parse_get(text: str) -> dict[str, Dataset]:
    """Parse ``zfs get -H [-p] -o name,property,value,source ...`` output."""
    out: dict[str, Dataset] = {}
    for line in lines(text):
        if not line:
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise ValueError(f"unexpected zfs get line: {line!r}")
        name, prop, value, source = parts
        ds = out.get(name)
        if ds is None:
            ds = out[name] = Dataset(name)
        ds.props[prop] = Prop(value, source)
    return out


_NICE_UNITS = "BKMGTPE"


def nicebytes(n: int) -> str:
    """zfs_nicebytes(): 1024-based, at most 5 characters."""
    if n < 1024:
        return f"{n}B"
    u = 0
    v = float(n)
    while v >= 1024 and u < len(_NICE_UNITS) - 1:
        v /= 1024
        u += 1
    if n % (1 << (10 * u)) == 0:
        return f"{int(v)}{_NICE_UNITS[u]}"
    for digits in (2, 1, 0):
        s = f"{v:.{digits}f}{_NICE_UNITS[u]}"
        if len(s) <= 5:
            return s
    return f"{v:.0f}{_NICE_UNITS[u]}"


# --------------------------------------------------------------------------------------------
# Snapshots (ZfsSnapshot)

SNAPSHOT_PROPS = "used,referenced,guid,creation,clones,org.pulumi-freebsd:urn"  # the last: journal.ZFS_PROPERTY


def get_snapshots(names: Iterable[str] = ()) -> list[str]:
    """The few properties ZfsSnapshot reports, for every snapshot at once (or for ``names``:
    then a missing one fails with ``dataset does not exist``)."""
    return [ZFS, "get", "-H", "-p", "-o", GET_FIELDS, "-t", "snapshot", SNAPSHOT_PROPS, *names]


def snapshots() -> Fact[dict[str, Dataset]]:
    """Every snapshot with the properties ZfsSnapshot reports (one ``zfs get`` for all)."""
    return fact(get_snapshots(), parsing(parse_get), "zfs snapshots")


def split_snapshot(name: str) -> tuple[str, str]:
    """``pool/ds@snap`` → (``pool/ds``, ``snap``)."""
    ds, at, snap = name.partition("@")
    if not at or not ds or not snap:
        raise ValueError(f"not a snapshot name: {name!r} (expected DATASET@SNAPSHOT)")
    return ds, snap


def snapshot_component_error(snap: str) -> Optional[str]:
    """Why ``snap`` is not a valid snapshot name (the part after '@'), or None."""
    if not isinstance(snap, str) or snap == "":
        return "a snapshot name must not be empty"
    if "@" in snap or "/" in snap or "#" in snap:
        return "a snapshot name must not contain '@', '/' or '#'"
    return _component_error(snap)


def snapshot_name_error(snap: str) -> Optional[str]:
    """Why ``snap`` cannot be a ZfsSnapshot's name (the part after '@'), or None: what zfs
    refuses, and what it accepts but no admin means (a leading '-' reads as an option, a blank
    name or spaces around it are typos; zfs_namecheck.c valid_char allows spaces anywhere)."""
    err = snapshot_component_error(snap)
    if not err and snap.startswith("-"):
        err = "must not start with '-'"
    elif not err and snap.strip() != snap:
        err = "it must not be blank or start or end with a space"
    return f"invalid snapshot name {snap!r}: {err}" if err else None


def clones_list(value: str) -> list[str]:
    """The ``clones`` property value (comma separated, or empty / ``-``) as a sorted list."""
    if value in ("", "-"):
        return []
    return sorted(c for c in value.split(",") if c)

