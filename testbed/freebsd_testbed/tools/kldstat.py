"""kldstat(8) [SRC sbin/kldstat/kldstat.c, 14/15 era (BSD-2 SPDX header, %1$s usage, -d/-h/-q);
the "Dependencies:" section of -v seen in a contributor's branch (aokblast/freebsd-src) is not in
the 15.0 kldstat.8 and is not modelled].

``kldstat [-dhqv] [-i id] [-n filename]`` / ``kldstat [-dq] [-m modname]``.
"""
from __future__ import annotations

import errno
import sys

from .. import hoststate
from . import kld
from ._common import UsageError, getopt, progname, strtoul_base10, warn

PTR_WIDTH = 18


def _usage(prog: str) -> int:
    sys.stderr.write(f"usage: {prog} [-dhqv] [-i id] [-n filename]\n"
                     f"       {prog} [-dq] [-m modname]\n")
    return 1


def humanize_number(n: int, length: int, flags_decimal: bool = True, nospace: bool = True,
                    suffix: str = "") -> str:
    """libutil humanize_number(buf, length, n, suffix, HN_AUTOSCALE, HN_DECIMAL|HN_NOSPACE)
    (lib/libutil/humanize_number.c), base 1024, prefixes K M G T P E."""
    prefixes = ["", "K", "M", "G", "T", "P", "E"]
    divisor, divisordeccut = 1024, 973
    maxscale = 7
    baselen = 1
    if n < 0:
        sign, q = -1, -n
        baselen += 2
    else:
        sign, q = 1, n
        baselen += 1
    sep = "" if nospace else " "
    baselen += len(sep) + len(suffix)
    if length < baselen + 1:
        return ""
    mx = 10 ** (length - baselen)
    rem = 0
    i = 0
    while (q >= mx or (q == mx - 1 and (rem >= divisordeccut or rem >= divisor // 2))) \
            and i < maxscale - 1:
        rem = q % divisor
        q //= divisor
        i += 1
    if ((q == 9 and rem < divisordeccut) or q < 9) and i > 0 and flags_decimal:
        s1 = q + ((rem * 10 + divisor // 2) // divisor // 10)
        s2 = ((rem * 10 + divisor // 2) // divisor) % 10
        out = f"{sign * s1}.{s2}{sep}{prefixes[i]}{suffix}"
    else:
        out = f"{sign * (q + (rem + divisor // 2) // divisor)}{sep}{prefixes[i]}{suffix}"
    return out[:length - 1]


def humanize(n: int) -> str:
    """kldstat -h: humanize_number(buf, 5, size, "", HN_AUTOSCALE, HN_DECIMAL | HN_NOSPACE)
    [sbin/kldstat/kldstat.c printfile()]."""
    return humanize_number(n, 5)


def to_int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


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
            # fileid = (int)strtoul(optarg, &p, 10); if (*p != '\0') usage();
            v, rest = strtoul_base10(a)
            if rest:
                return _usage(prog)
            fileid = to_int32(v)
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
