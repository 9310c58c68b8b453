"""What the simulated zfs(8) and zpool(8) share around their commands (zfs_main.c and
zpool_main.c are built alike): the exit exception, message output, the version strings and
main()'s set-up and last-resort error report."""
from __future__ import annotations

import sys
from typing import Callable

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
