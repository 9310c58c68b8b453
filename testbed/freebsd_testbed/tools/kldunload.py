"""kldunload(8) [SRC sbin/kldunload/kldunload.c]:
``kldunload [-fv] -i id ...`` / ``kldunload [-fv] [-n] name ...``."""
from __future__ import annotations

import errno
import sys

from .. import hoststate
from . import kld
from ._common import UsageError, getopt, progname, warn

USAGE = "usage: kldunload [-fv] -i id ...\n       kldunload [-fv] [-n] name ...\n"


def main(argv: list[str]) -> int:
    prog = progname(argv, "kldunload")
    try:
        opts, args = getopt(prog, argv[1:], "finv")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    force = by_id = verbose = False
    for o, _ in opts:
        if o == "f":
            force = True
        elif o == "i":
            by_id = True
        elif o == "n":
            by_id = False
        elif o == "v":
            verbose = True
    if not args:
        sys.stderr.write(USAGE)
        return 1
    errors = 0
    with hoststate.locked() as st:
        rt = st.runtime
        for n in args:
            if by_id:
                if not n.isdigit():
                    sys.stderr.write(USAGE)
                    return 1
                fileid = int(n)
            else:
                f = kld.find_file(rt, n)
                if f is None:
                    warn(prog, f"can't find file {n}", errno.ENOENT)
                    errors += 1
                    continue
                fileid = f["id"]
            if verbose:
                f = kld.find_file_id(rt, fileid)
                if f is None:
                    warn(prog, "can't stat file", errno.ENOENT)
                    return 1
                sys.stdout.write(f"Unloading {f['name']}, id={fileid}\n")
            try:
                kld.unload(rt, fileid, force)
            except kld.KldError as e:
                warn(prog, "can't unload file", e.errno)
                errors += 1
    return 1 if errors else 0
