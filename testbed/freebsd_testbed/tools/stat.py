"""stat(1) as on FreeBSD: ``stat [-FLnq] [-f format | -l | -r | -s | -x] [-t timefmt] [file ...]``.

Implements the format directives used by scripts: %d %i %p %Lp %Mp %l %u %g %Su %Sg %z %a %m %c
%B %Sa %Sm %Sc %N %T %HT %r %k %b, with optional flags and field widths, and the default
output format of FreeBSD's stat.
"""
from __future__ import annotations

import getopt
import grp
import os
import pwd
import re
import stat as S
import sys
import time

DEFAULT = '%d %i %Sp %l %Su %Sg %r %z "%Sa" "%Sm" "%Sc" "%SB" %k %b %#Xf %N'
# %[flags][width][.prec][fmt: D O U X F S][sub: H L M]datum
_DIRECTIVE = re.compile(r"%([#+\-0 ]*)(\d*)(?:\.(\d+))?([DOUXFS]?)([HLM]?)([a-zA-Z%])")
_TYPES = {S.S_IFDIR: ("d", "Directory"), S.S_IFREG: ("-", "Regular File"), S.S_IFLNK: ("l", "Symbolic Link"),
          S.S_IFCHR: ("c", "Character Device"), S.S_IFBLK: ("b", "Block Device"), S.S_IFIFO: ("p", "Fifo File"),
          S.S_IFSOCK: ("s", "Socket")}


def _name(fn, ident, default):
    try:
        return fn(ident)
    except KeyError:
        return str(default)


def _fmt_time(t: float) -> str:
    return time.strftime("%b %e %H:%M:%S %Y", time.localtime(t))


def render(fmt: str, path: str, st: os.stat_result) -> str:
    def one(m: re.Match) -> str:
        flags, width, _prec, ofmt, sub, ch = m.groups()
        if ofmt == "S" and not sub:
            sub = "S"
        if ch == "%":
            return "%"
        mode = st.st_mode
        if ch == "p":
            if sub == "L":
                v = "%o" % (mode & 0o777 | mode & 0o7000) if "#" not in flags else "0%o" % (mode & 0o7777)
                v = "%o" % (mode & 0o7777) if "#" not in flags else v
            elif sub == "M":
                v = "%o" % (S.S_IFMT(mode) >> 12)
            elif sub == "S":
                v = S.filemode(mode)
            else:
                v = "%o" % mode
        elif ch == "u":
            v = _name(lambda i: pwd.getpwuid(i).pw_name, st.st_uid, st.st_uid) if sub == "S" else str(st.st_uid)
        elif ch == "g":
            v = _name(lambda i: grp.getgrgid(i).gr_name, st.st_gid, st.st_gid) if sub == "S" else str(st.st_gid)
            if sub == "S" and st.st_gid == 0:
                v = "wheel"
        elif ch == "z":
            v = str(st.st_size)
        elif ch == "i":
            v = str(st.st_ino)
        elif ch == "d":
            v = str(st.st_dev)
        elif ch == "l":
            v = str(st.st_nlink)
        elif ch == "r":
            v = str(getattr(st, "st_rdev", 0))
        elif ch == "k":
            v = str(getattr(st, "st_blksize", 4096))
        elif ch == "b":
            v = str(getattr(st, "st_blocks", 0))
        elif ch in "amcB":
            t = {"a": st.st_atime, "m": st.st_mtime, "c": st.st_ctime, "B": st.st_ctime}[ch]
            v = _fmt_time(t) if sub == "S" else str(int(t))
        elif ch == "N":
            v = path
        elif ch == "T":
            letter, long = _TYPES.get(S.S_IFMT(st.st_mode), ("?", "Unknown"))
            v = long if sub == "H" else {"d": "/", "l": "@", "p": "|", "s": "="}.get(letter, "*" if st.st_mode & 0o111 else "")
        elif ch == "f":
            v = "0"
        elif ch == "Y":
            v = os.readlink(path) if S.S_ISLNK(st.st_mode) else ""
        else:
            v = ""
        if width:
            v = v.rjust(int(width)) if "-" not in flags else v.ljust(int(width))
        return v
    return _DIRECTIVE.sub(one, fmt.replace("\\n", "\n").replace("\\t", "\t"))


def main(argv: list[str]) -> int:
    try:
        opts, args = getopt.getopt(argv[1:], "FLnqf:lrst:x")
    except getopt.GetoptError as e:
        sys.stderr.write(f"stat: illegal option -- {e.opt}\n"
                         "usage: stat [-FLnq] [-f format | -l | -r | -s | -x] [-t timefmt] [file|handle ...]\n")
        return 1
    fmt, follow, newline, quiet = DEFAULT, False, True, False
    for o, a in opts:
        if o == "-f":
            fmt = a
        elif o == "-L":
            follow = True
        elif o == "-n":
            newline = False
        elif o == "-q":
            quiet = True
        elif o == "-s":
            fmt = "st_dev=%d st_ino=%i st_mode=%#p st_nlink=%l st_uid=%u st_gid=%g st_rdev=%r st_size=%z st_atime=%a st_mtime=%m st_ctime=%c st_birthtime=%B st_blksize=%k st_blocks=%b st_flags=0"
        elif o == "-l":
            fmt = "%Sp %l %Su %Sg %Z %Sm %N%SY"
    if not args:
        args = ["/dev/stdin"]
    rc = 0
    for path in args:
        try:
            st = os.stat(path) if follow else os.lstat(path)
        except OSError as e:
            if not quiet:
                sys.stderr.write(f"stat: {path}: {e.strerror}\n")
            rc = 1
            continue
        sys.stdout.write(render(fmt, path, st) + ("\n" if newline else ""))
    return rc
