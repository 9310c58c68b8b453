"""kldload(8) [SRC sbin/kldload/kldload.c, freebsd-src caa41f64 (SPDX era, same text in 14/15)]:
``kldload [-nqv] file ...``.

main(): -q and -v cancel each other; for each file kldload(2); on failure with ``-n`` and
EEXIST it is a success (``-v`` prints ``%s is already loaded``); otherwise, unless -q,
EEXIST -> ``warnx("can't load %s: module already loaded or in kernel")``, ENOEXEC ->
``warnx("an error occurred while loading module %s. Please check dmesg(8) for more
details.")``, anything else -> ``warn("can't load %s")``.  ``-v`` on success prints
``Loaded %s, id=%d``.  Exit 1 if any file failed.
"""
from __future__ import annotations

import errno
import sys

from .. import hoststate
from . import kld
from ._common import UsageError, getopt, progname, warn, warnx

USAGE = "usage: kldload [-nqv] file ...\n"


def main(argv: list[str]) -> int:
    prog = progname(argv, "kldload")
    try:
        opts, args = getopt(prog, argv[1:], "nqv")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    quiet = verbose = check_loaded = False
    for o, _ in opts:
        if o == "q":
            quiet, verbose = True, False
        elif o == "v":
            verbose, quiet = True, False
        elif o == "n":
            check_loaded = True
    if not args:
        sys.stderr.write(USAGE)
        return 1
    errors = 0
    with hoststate.locked() as st:
        for name in args:
            try:
                f = kld.load(st.runtime, name)
            except kld.KldError as e:
                if check_loaded and e.errno == errno.EEXIST:
                    if verbose:
                        sys.stdout.write(f"{name} is already loaded\n")
                    continue
                if not quiet:
                    if e.errno == errno.EEXIST:
                        warnx(prog, f"can't load {name}: module already loaded or in kernel")
                    else:
                        warn(prog, f"can't load {name}", e.errno)
                errors += 1
                continue
            if verbose:
                sys.stdout.write(f"Loaded {name}, id={f['id']}\n")
    return 1 if errors else 0
