"""cpuset(1) for jails: pin a jail's processes to CPUs (``cpuset -l LIST -j JID``)."""
from __future__ import annotations

import re
from typing import Optional

from .common import lines
from .factbase import Fact, fact, parsing

CPUSET = "/usr/bin/cpuset"
SH = "/bin/sh"

_LIST_RE = re.compile(r"^(all|\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*)\Z")


def list_error(s: str) -> Optional[str]:
    if not isinstance(s, str) or not _LIST_RE.match(s):
        return f"invalid CPU list {s!r}: expected CPU numbers and ranges such as '0-1' or '0,2-3', or 'all'"
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            if int(a) > int(b):
                return f"invalid CPU list {s!r}: range {part} is backwards"
    return None


def expand(s: str, ncpu: Optional[int] = None) -> Optional[frozenset[int]]:
    """The set of CPUs of a list (None for 'all' when ncpu is unknown)."""
    if s == "all":
        return frozenset(range(ncpu)) if ncpu else None
    out: set[int] = set()
    for part in s.replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return frozenset(out)


def compress(cpus: frozenset[int]) -> str:
    xs = sorted(cpus)
    parts: list[str] = []
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[j] + 1:
            j += 1
        parts.append(str(xs[i]) if i == j else f"{xs[i]}-{xs[j]}")
        i = j + 1
    return ",".join(parts)


def set_jail(jid: int | str, cpus: str) -> list[str]:
    return [CPUSET, "-l", cpus, "-j", str(jid)]


def get_jail(jid: int | str) -> list[str]:
    return [CPUSET, "-g", "-j", str(jid)]


# The mask of every running jail (one round trip however many jails).
_ALL_SCRIPT = 'for j in $(/usr/sbin/jls jid); do /usr/bin/cpuset -g -j "$j" 2>/dev/null; done; exit 0'


def all_jails() -> list[str]:
    return [SH, "-c", _ALL_SCRIPT]


_MASK_RE = re.compile(r"^jail (\d+) mask:\s*(.*)\Z")


def parse_get(text: str) -> dict[int, frozenset[int]]:
    """``jail 4 mask: 0, 1`` lines -> {4: {0, 1}} (other lines, e.g. the domain policy, ignored)."""
    out: dict[int, frozenset[int]] = {}
    for line in lines(text):
        m = _MASK_RE.match(line.strip())
        if m:
            out[int(m.group(1))] = expand(m.group(2)) or frozenset()
    return out


def masks() -> Fact[dict[int, frozenset[int]]]:
    """The CPU mask of every running jail, by JID."""
    return fact(all_jails(), parsing(parse_get), "cpuset jails")
