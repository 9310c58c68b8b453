"""kldunload(8) [SRC sbin/kldunload/kldunload.c, 2023 (14.x/15.x) version]:
``kldunload [-fv] -i id ...`` / ``kldunload [-fv] [-n] name ...``.

Source behaviour (file:function):
- usage() goes to stderr and exits EX_USAGE (64);
- ``-n`` is accepted "for backward compatibility" and does nothing;
- each operand: ``-i`` -> atoi() (a negative id: ``errx(1, "Invalid ID %s", optarg)`` where
  optarg is NULL after a flag-only getopt, printed as "(null)"); a name -> kldfind(), failing
  with ``errx(1, "can't find file %s")`` (no errno text);
- ``-v``: kldstat() failing -> ``err(1, "can't stat file")``, else ``Unloading <name>, id=N``;
- kldunloadf() failing -> ``err(1, "can't unload file")``.  Every error exits at once.
"""
from __future__ import annotations

import sys

from .. import hoststate
from . import kld
from ._common import UsageError, getopt, progname, warn, warnx

USAGE = "usage: kldunload [-fv] -i id ...\n       kldunload [-fv] [-n] name ...\n"
EX_USAGE = 64


def _atoi(s: str) -> int:
    from ._common import strtoul_base10
    from .kldstat import to_int32
    i = 0
    while i < len(s) and s[i] in " \t\n\v\f\r":
        i += 1
    neg = i < len(s) and s[i] == "-"
    v, _ = strtoul_base10(s[i + 1:] if i < len(s) and s[i] in "+-" else s[i:])
    return to_int32(-v if neg else v)


def main(argv: list[str]) -> int:
    prog = progname(argv, "kldunload")
    try:
        opts, args = getopt(prog, argv[1:], "finv")
    except UsageError:
        sys.stderr.write(USAGE)
        return EX_USAGE
    force = by_id = verbose = False
    for o, _ in opts:
        if o == "f":
            force = True
        elif o == "i":
            by_id = True
        elif o == "v":
            verbose = True
    if not args:
        sys.stderr.write(USAGE)
        return EX_USAGE
    with hoststate.locked() as st:
        rt = st.runtime
        for n in args:
            if by_id:
                fileid = _atoi(n)
                if fileid < 0:
                    warnx(prog, "Invalid ID (null)")
                    return 1
            else:
                f = kld.find_file(rt, n)
                if f is None:
                    warnx(prog, f"can't find file {n}")
                    return 1
                fileid = f["id"]
            if verbose:
                f = kld.find_file_id(rt, fileid)
                if f is None:
                    warn(prog, "can't stat file", kld.errno.ENOENT)
                    return 1
                sys.stdout.write(f"Unloading {f['name']}, id={fileid}\n")
                sys.stdout.flush()
            try:
                kld.unload(rt, fileid, force)
            except kld.KldError as e:
                warn(prog, "can't unload file", e.errno)
                return 1
    return 0
