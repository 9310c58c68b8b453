"""uname(1) [MAN uname(1)]: ``uname [-abiKmnoprsUv]``."""
from __future__ import annotations

import sys

from .. import hoststate
from . import sysctl
from ._common import UsageError, getopt, progname


def main(argv: list[str]) -> int:
    prog = progname(argv, "uname")
    try:
        opts, args = getopt(prog, argv[1:], "abiKmnoprsUv")
    except UsageError:
        sys.stderr.write("usage: uname [-abiKmnoprsUv]\n")
        return 1
    if args:
        sys.stderr.write("usage: uname [-abiKmnoprsUv]\n")
        return 1
    fl = {o for o, _ in opts}
    if "a" in fl:
        fl |= set("mnrsv")
    if "o" in fl:
        fl.add("s")
    if not fl:
        fl = {"s"}
    with hoststate.locked(write=False) as st:
        hostname = st.runtime.get("hostname", "")
    parts = {
        "s": "FreeBSD", "n": hostname, "r": sysctl.OSRELEASE, "v": sysctl.KERNEL_VERSION,
        "m": "amd64", "p": "amd64", "i": "GENERIC", "b": "b8c2a4a0e3e84d1f9d0c6d6e2f4a1c3b5e7d9f01",
        "K": str(sysctl.OSRELDATE), "U": str(sysctl.OSRELDATE),
    }
    out = [parts[c] for c in "snrvmpibKU" if c in fl]
    sys.stdout.write(" ".join(out) + "\n")
    return 0
