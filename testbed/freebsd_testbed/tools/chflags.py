"""chflags(1): ``chflags [-fhvx] [-R [-H | -L | -P]] flags file ...``.

The testbed's filesystem has no BSD file flags: the flags are validated and accepted, nothing
else changes (so schg never blocks a later rm, unlike a real host where `chflags -R noschg`
must come first).
"""
from __future__ import annotations

import getopt
import os
import sys

FLAGS = {"arch", "archived", "nodump", "opaque", "sappnd", "sappend", "schg", "schange", "simmutable",
         "snapshot", "sunlnk", "sunlink", "uappnd", "uappend", "uarch", "uarchive", "uchg", "uchange",
         "uimmutable", "uhidden", "hidden", "uoffline", "offline", "urdonly", "rdonly", "readonly",
         "usparse", "sparse", "usystem", "system", "ureparse", "reparse", "uunlnk", "uunlink"}


def main(argv: list[str]) -> int:
    try:
        opts, args = getopt.getopt(argv[1:], "fhvxRHLP")
    except getopt.GetoptError as e:
        sys.stderr.write(f"chflags: illegal option -- {e.opt}\nusage: chflags [-fhvx] [-R [-H | -L | -P]] flags file ...\n")
        return 1
    if len(args) < 2:
        sys.stderr.write("usage: chflags [-fhvx] [-R [-H | -L | -P]] flags file ...\n")
        return 1
    flags, files = args[0], args[1:]
    if not flags.isdigit():
        for f in flags.split(","):
            if f.removeprefix("no") not in FLAGS and f not in ("dump",):
                sys.stderr.write(f"chflags: invalid flag: {f}\n")
                return 1
    rc = 0
    for f in files:
        if not os.path.lexists(f):
            sys.stderr.write(f"chflags: {f}: No such file or directory\n")
            rc = 1
    return rc
