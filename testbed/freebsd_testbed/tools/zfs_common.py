"""What the simulated zfs(8) and zpool(8) share around their commands (zfs_main.c and
zpool_main.c are built alike): the exit exception, message output, the version strings,
main()'s set-up and last-resort error report, and the dataset-name rules."""
from __future__ import annotations

import sys
from typing import Callable

from . import zfs_model as zm

# zfs_version_print(): one version string for zfs(8) and zpool(8)
VERSION = ("zfs-2.4.0-FreeBSD_g1d2e8c1b0", "zfs-kmod-2.4.0-FreeBSD_g1d2e8c1b0")


class Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def err(msg: str) -> None:
    sys.stderr.write(msg + "\n")


def out(msg: str) -> None:
    sys.stdout.write(msg + "\n")


def print_version() -> None:
    """libzfs_util.c:zfs_version_print()."""
    out(VERSION[0])
    out(VERSION[1])


def echo_bytes() -> None:
    """Odd bytes in argv are echoed back as bytes (surrogateescape on stdout and stderr)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="surrogateescape")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass


def run_guarded(main: Callable[[list[str]], int], argv: list[str]) -> int:
    """Run ``main(argv)``; a Python exception is reported like an internal libzfs failure
    (a real zfs(8)/zpool(8) never prints a traceback)."""
    try:
        return main(argv)
    except Exception as e:  # noqa: BLE001
        sys.stderr.write("internal error: %s\n" % type(e).__name__)
        return 1


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
