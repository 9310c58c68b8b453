"""The host-side journal: what each resource was doing when its provider last touched it.

Why: `pulumi up` can die at any point (SIGKILL, a lost laptop, a rebooted host). When it dies
between a command that changed the host and the engine's checkpoint, the engine holds the
resource as a pending create and calls Create again; without a trace on the host the provider
cannot tell its own half-made object from someone else's, and the "previous" values it would
restore on delete (rc.conf values, sysctls, the uplink's addresses, ...) are already its own.

What: one file per resource and id in ``DIR`` (root-only), one JSON line:
``{"urn": URN, "id": ID, "state": {...}, "t": EPOCH}``. ``state`` is what the resource would
record if the exec that wrote it were lost (its partial-failure record: what it found before it
changed anything, and what it may have done; never an input, so never a secret of the program,
only what the host itself held, such as a file's previous content). It travels on stdin, never
in argv (which `ps` shows), and is written as the
first command of every exec that changes the host during a create (no extra round trip), kept
while the resource lives (it is the URN marker of objects that cannot carry one) and removed with
the resource. The directory goes when its last file does.

The commands are constant scripts; the directory and file name travel as positional parameters,
the record on stdin.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Optional

from .factbase import Fact, parsing

DIR = "/var/db/pulumi-freebsd"

# $1 dir, $2 file name; the record is the first line of stdin (never in argv, which `ps` shows:
# it may hold what a file held before). mkdir twice: a concurrent delete may remove the
# directory between mkdir and the write (it removes it when it empties it).
_WRITE = ('umask 077; IFS= read -r rec || exit 1; '
          'w() { mkdir -p "$1" && printf \'%s\\n\' "$rec" > "$1/$2.tmp" && mv -f "$1/$2.tmp" "$1/$2"; }; '
          'w "$@" 2>/dev/null || w "$@"')
# $1 dir, $2 file name: remove it, and the directory when it is empty (never an error)
_FORGET = 'rm -f "$1/$2"; rmdir "$1" 2>/dev/null; exit 0'
# every record, one per line (none when the directory does not exist)
_READ = 'for f in "$1"/*.json; do [ -f "$f" ] && cat "$f"; done; exit 0'


def file_name(urn: str, rid: str) -> str:
    return hashlib.sha256(f"{urn}\0{rid}".encode("utf-8", "surrogateescape")).hexdigest()[:40] + ".json"


def write(urn: str, rid: str) -> list[str]:
    """argv writing the record of ``urn``/``rid`` read from stdin (``record_line``)."""
    return ["/bin/sh", "-c", _WRITE, "sh", DIR, file_name(urn, rid)]


def record_line(urn: str, rid: str, state: dict[str, Any], t: float) -> str:
    """The record, one line of ASCII JSON and its newline."""
    return json.dumps({"urn": urn, "id": rid, "state": state, "t": round(t, 3)},
                      sort_keys=True, ensure_ascii=True) + "\n"


def forget(urn: str, rid: str) -> list[str]:
    return ["/bin/sh", "-c", _FORGET, "sh", DIR, file_name(urn, rid)]


@dataclass
class Record:
    urn: str
    id: str
    state: dict[str, Any] = field(default_factory=dict)
    t: float = 0.0


def parse(stdout: str) -> dict[str, list[Record]]:
    """Records by URN, newest first. A line that is not a record (a torn or hand-edited file) is
    skipped: it can only make a later create refuse, never adopt."""
    out: dict[str, list[Record]] = {}
    for line in stdout.split("\n"):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if not (isinstance(d, dict) and isinstance(d.get("urn"), str) and isinstance(d.get("id"), str)
                and isinstance(d.get("state", {}), dict)):
            continue
        t = d.get("t")
        out.setdefault(d["urn"], []).append(
            Record(d["urn"], d["id"], d.get("state") or {}, float(t) if isinstance(t, (int, float)) else 0.0))
    for recs in out.values():
        recs.sort(key=lambda r: r.t, reverse=True)
    return out


def records() -> Fact[dict[str, list[Record]]]:
    return Fact(("/bin/sh", "-c", _READ, "sh", DIR), parsing(parse), "journal")


def latest(recs: dict[str, list[Record]], urn: str) -> Optional[Record]:
    got = recs.get(urn)
    return got[0] if got else None


# -- URN markers carried by the objects themselves ----------------------------------------------
# A ZFS user property (datasets and snapshots; `zfs create/clone/snapshot -o`, so free), and a
# first comment line in the files the provider writes whole (jail.conf.d).
ZFS_PROPERTY = "org.pulumi-freebsd:urn"
COMMENT = "# pulumi-freebsd urn: "


def encode_urn(urn: str) -> str:
    """A URN as markers keep it: as is, or JSON-quoted when it holds anything but printable ASCII
    (so it always stays on one line of `zfs get`, a conf file or the base system's marker)."""
    return urn if urn.isascii() and urn.isprintable() and not urn.startswith('"') else json.dumps(urn)


def decode_urn(v: str) -> Optional[str]:
    if not v.startswith('"'):
        return v
    try:
        got = json.loads(v)
    except ValueError:
        return None
    return got if isinstance(got, str) else None


def comment_line(urn: str) -> str:
    """The marker comment line."""
    return COMMENT + encode_urn(urn)


def urn_of_comment(text: str) -> Optional[str]:
    """The URN in the marker comment among a file's leading comment lines (None: no marker)."""
    for line in text.split("\n"):
        if line.startswith(COMMENT):
            break
        if not line.startswith("#"):
            return None
    else:
        return None
    return decode_urn(line[len(COMMENT):])
