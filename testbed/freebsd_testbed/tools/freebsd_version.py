"""freebsd-version(1): ``freebsd-version [-kru] [-j jail]``."""
from __future__ import annotations

import sys

from . import sysctl
from ._common import UsageError, getopt, progname


def main(argv: list[str]) -> int:
    prog = progname(argv, "freebsd-version")
    try:
        opts, args = getopt(prog, argv[1:], "kruj:")
    except UsageError:
        sys.stderr.write("usage: freebsd-version [-kru] [-j jail]\n")
        return 1
    if args:
        sys.stderr.write("usage: freebsd-version [-kru] [-j jail]\n")
        return 1
    fl = [o for o, _ in opts if o in "kru"] or ["u"]
    for _ in fl:
        sys.stdout.write(sysctl.OSRELEASE + "\n")
    return 0
