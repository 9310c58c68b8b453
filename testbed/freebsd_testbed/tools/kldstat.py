"""kldstat(8) [SRC sbin/kldstat/kldstat.c, 14/15 era].

``kldstat [-dhqv] [-i id] [-n filename]`` / ``kldstat [-dq] [-m modname]``.
"""
from __future__ import annotations

import errno
import sys

from .. import hoststate
from . import kld
from ._common import UsageError, getopt, progname, warn

PTR_WIDTH = 18


def _usage(prog: str) -> int:
    sys.stderr.write(f"usage: {prog} [-dhqv] [-i id] [-n filename]\n"
                     f"       {prog} [-dq] [-m modname]\n")
    return 1


def humanize(n: int) -> str:
    """humanize_number(buf, 5, n, "", HN_AUTOSCALE, HN_DECIMAL | HN_NOSPACE)."""
    if n < 1000:
        return str(n)
    units = "KMGTPE"
    v = float(n)
    i = -1
    while v >= 999.5 and i < len(units) - 1:
        v /= 1024
        i += 1
    if v < 9.95:
        return f"{v:.1f}{units[i]}"
    return f"{int(round(v))}{units[i]}"


def _printfile(rt, f, verbose: bool, humanized: bool, showdata: bool, out: list[str]) -> None:
    addr = f"0x{f['address']:x}".rjust(PTR_WIDTH)
    if humanized:
        line = f"{f['id']:2d} {kld.refs(rt, f):4d} {addr} {humanize(f['size']):>5} {f['name']}"
    else:
        line = f"{f['id']:2d} {kld.refs(rt, f):4d} {addr} {f['size']:8x} {f['name']}"
    if verbose:
        out.append(f"{line} ({f['path']})\n\tContains modules:\n\t\t Id Name\n")
        for m in f["modules"]:
            if showdata:
                out.append(f"\t\t{m['id']:3d} {m['name']} (0, 0, 0x0)\n")
            else:
                out.append(f"\t\t{m['id']:3d} {m['name']}\n")
    else:
        out.append(line + "\n")


def main(argv: list[str]) -> int:
    prog = progname(argv, "kldstat")
    try:
        opts, args = getopt(prog, argv[1:], "dhi:m:n:qv")
    except UsageError:
        return _usage(prog)
    showdata = humanized = verbose = quiet = False
    fileid = 0
    filename = modname = None
    for o, a in opts:
        if o == "d":
            showdata = True
        elif o == "h":
            humanized = True
        elif o == "i":
            if not a.isdigit():
                return _usage(prog)
            fileid = int(a)
        elif o == "m":
            modname = a
        elif o == "n":
            filename = a
        elif o == "q":
            quiet = True
        elif o == "v":
            verbose = True
    if args:
        return _usage(prog)
    out: list[str] = []
    with hoststate.locked(write=False) as st:
        rt = st.runtime
        if modname is not None:
            found = kld.find_module(rt, modname)
            if found is None:
                if not quiet:
                    warn(prog, f"can't find module {modname}", errno.ENOENT)
                return 1
            if quiet:
                return 0
            m = found[1]
            if showdata:
                out.append("Id  Refs Name data..(int, uint, ulong)\n")
                out.append(f"{m['id']:3d} {1:4d} {m['name']} (0, 0, 0x0)\n")
            else:
                out.append("Id  Refs Name\n")
                out.append(f"{m['id']:3d} {1:4d} {m['name']}\n")
            sys.stdout.write("".join(out))
            return 0
        if filename is not None:
            f = kld.find_file(rt, filename)
            if f is None:
                if not quiet:
                    warn(prog, f"can't find file {filename}", errno.ENOENT)
                return 1
            if quiet:
                return 0
            fileid = f["id"]
        size_hdr = f"{'Size':>5}" if humanized else f"{'Size':>8}"
        out.append(f"Id Refs Address{' ' * (PTR_WIDTH - 7)} {size_hdr} Name\n")
        if fileid:
            f = kld.find_file_id(rt, fileid)
            if f is None:
                sys.stdout.write("".join(out))
                warn(prog, f"can't stat file id {fileid}", errno.ENOENT)
                return 1
            _printfile(rt, f, verbose, humanized, showdata, out)
        else:
            for f in kld.files(rt):
                _printfile(rt, f, verbose, humanized, showdata, out)
    sys.stdout.write("".join(out))
    return 0
