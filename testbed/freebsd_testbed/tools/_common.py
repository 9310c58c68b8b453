"""Small helpers shared by the simulated tools: BSD getopt(3) and err(3)-style messages."""
from __future__ import annotations

import errno
import os
import sys
from typing import Any, Callable


class UsageError(Exception):
    """Raised by :func:`getopt` after printing getopt(3)'s own diagnostic."""


def progname(argv: list[str], default: str) -> str:
    return os.path.basename(argv[0]) if argv and argv[0] else default


def warnx(prog: str, msg: str) -> None:
    sys.stderr.write(f"{prog}: {msg}\n")


# FreeBSD's strerror(3) texts where they differ from glibc's
_BSD_STRERROR = {
    errno.EBUSY: "Device busy",
    errno.ENOTSUP: "Operation not supported",
    errno.EAGAIN: "Resource temporarily unavailable",
    errno.ENOTEMPTY: "Directory not empty",
}


def strerror(errnum: int) -> str:
    return _BSD_STRERROR.get(errnum) or os.strerror(errnum)


def warn(prog: str, msg: str, errnum: int) -> None:
    sys.stderr.write(f"{prog}: {msg}: {strerror(errnum)}\n")


def scan_options(args: list[str], optstring: str, illegal: Callable[[str], None],
                 missing: Callable[[str], None], longopt: Callable[[str], str] | None = None,
                 permute: bool = False, flag: Any = ""):
    """The option walk of getopt(3) / getopt_long(3) that every simulated tool's parser shares.

    Returns (opts, operands); an option without an argument is ``(c, flag)``.  ``illegal(c)`` is
    called for a letter not in ``optstring`` (it prints and raises); ``missing(c)`` for an option
    whose argument is missing (it prints and raises, or returns to drop the option).  With
    ``longopt`` a ``--name`` word is passed to it (it returns the option letter, or raises).
    Without ``permute`` the walk stops at the first operand; with it operands are collected
    and the walk goes on (getopt_long's FLAG_PERMUTE).  ``--`` ends the options.
    """
    opts: list[tuple[str, Any]] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            if not permute:
                break
            operands.append(a)
            i += 1
            continue
        if longopt is not None and a.startswith("--"):
            opts.append((longopt(a), flag))
            i += 1
            continue
        j = 1
        while j < len(a):
            c = a[j]
            k = optstring.find(c)
            if c == ":" or k < 0:
                illegal(c)
            if k + 1 < len(optstring) and optstring[k + 1] == ":":
                if j + 1 < len(a):
                    opts.append((c, a[j + 1:]))
                elif i + 1 < len(args):
                    i += 1
                    opts.append((c, args[i]))
                else:
                    missing(c)
                break
            opts.append((c, flag))
            j += 1
        i += 1
    return opts, operands + args[i:]


def getopt(prog: str, args: list[str], optstring: str) -> tuple[list[tuple[str, str]], list[str]]:
    """POSIX getopt(3) as in FreeBSD libc: stops at the first operand or ``--``.

    Bad options print ``prog: illegal option -- x`` / ``prog: option requires an argument -- x``
    to stderr (exactly like libc) and raise :class:`UsageError`.
    """
    def illegal(c: str) -> None:
        warnx(prog, f"illegal option -- {c}")
        raise UsageError(c)

    def missing(c: str) -> None:
        warnx(prog, f"option requires an argument -- {c}")
        raise UsageError(c)
    return scan_options(args, optstring, illegal, missing)



def sh_getopts(args: list[str], optstring: str) -> tuple[list[tuple[str, str]], list[str]]:
    """A shell script's ``while getopts OPTSTRING flag`` loop: the walk of :func:`getopt`, with
    bin/sh's own messages, which carry no program name [SRC bin/sh/options.c getopts]:
    ``Illegal option -x`` / ``No arg for -x option`` on stderr, then :class:`UsageError`."""
    def illegal(c: str) -> None:
        sys.stderr.write(f"Illegal option -{c}\n")
        raise UsageError(c)

    def missing(c: str) -> None:
        sys.stderr.write(f"No arg for -{c} option\n")
        raise UsageError(c)
    return scan_options(args, optstring, illegal, missing)


def getopt_switch(args: list[str], spec: str, err: Callable[[str], None],
                  usage: Callable[[], None], longs: dict[str, str] | None = None, *,
                  prog: str | None = None, permute: bool | None = None,
                  colon_case: bool | str = True, long_eq: bool = False, bad_long: str = "\0"):
    """getopt(3)/getopt_long(3) and the ``switch`` of an option loop written as zfs_main.c and
    zpool_main.c write theirs; returns (opts, operands), an option without argument ``(c, None)``.

    ``case '?'``: ``err("invalid option 'c'")`` then ``usage()`` (which raises).  ``case ':'``
    (``colon_case``): ``err("missing argument for 'c' option")`` -- or the text given -- then
    ``usage()``; without such a case a missing argument drops the option.  libc's own
    diagnostics (``PROG: illegal option -- c``, getopt_long's ``invalid option -- c`` and
    ``unrecognized option `--x'``, ``option requires an argument -- c``) are printed only with
    ``prog`` set and no leading ':' in ``spec`` (opterr); then a missing argument is a '?'.
    With ``longs`` (getopt_long) ``--name`` words map to option letters (``long_eq``: the name
    ends at '='); an unknown one is ``invalid option 'BAD_LONG'`` (getopt_long sets optopt to
    0).  ``permute`` (default: with ``longs``) lets options follow operands.
    """
    quiet = prog is None or spec.startswith(":")
    body = spec[1:] if spec.startswith(":") else spec

    def illegal(c: str) -> None:
        if not quiet:
            err("%s: %s -- %s" % (prog, "invalid option" if longs is not None else "illegal option",
                                  c))
        err("invalid option '%s'" % c)
        usage()

    def missing(c: str) -> None:
        if not quiet:
            err("%s: option requires an argument -- %s" % (prog, c))
            err("invalid option '%s'" % c)
            usage()
        elif colon_case:
            err(colon_case if isinstance(colon_case, str) else
                "missing argument for '%s' option" % c)
            usage()
        # a ':' with no case ':' in the switch: the option is dropped

    def longopt(a: str) -> str:
        name = a[2:].split("=", 1)[0] if long_eq else a[2:]
        if longs is not None and name in longs:
            return longs[name]
        if not quiet:
            err("%s: unrecognized option `%s'" % (prog, a))
        err("invalid option '%s'" % bad_long)
        usage()
        return ""
    if permute is None:
        permute = longs is not None
    return scan_options(args, body, illegal, missing, longopt if longs is not None else None,
                        permute, flag=None)

# ----------------------------------------------------------------------------- strtol(3)

def strtoul_base10(s: str) -> tuple[int, str]:
    """strtoul(s, &end, 10): (value, rest).  Leading blanks and a sign are accepted; no digits
    gives (0, s).  Out of range gives ULONG_MAX (64 bits; ERANGE is not reported) and a ``-``
    negates the value modulo 2**64, as unsigned long arithmetic does."""
    i = 0
    while i < len(s) and s[i] in " \t\n\v\f\r":
        i += 1
    neg = False
    if i < len(s) and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    j = i
    while j < len(s) and s[j] in "0123456789":
        j += 1
    if j == i:
        return 0, s
    v = int(s[i:j])
    if v > 0xFFFFFFFFFFFFFFFF:
        v = 0xFFFFFFFFFFFFFFFF
    if neg:
        v = (-v) & 0xFFFFFFFFFFFFFFFF
    return v, s[j:]


def strtol_base0(s: str, unsigned: bool = False, bits: int = 64) -> tuple[int, str, bool]:
    """strtol(3) (strtoul(3) with ``unsigned``) with base 0: (value, rest, erange).

    ``0x`` is hex, a leading ``0`` octal; out of range gives the clamped value (LONG_MIN/
    LONG_MAX, ULONG_MAX) and erange True (errno ERANGE).  No digits: (0, s, False)."""
    i = 0
    while i < len(s) and s[i] in " \t\n\v\f\r":
        i += 1
    neg = False
    if i < len(s) and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    base = 10
    digits = "0123456789"
    if s[i:i + 2].lower() == "0x" and i + 2 < len(s) and s[i + 2].lower() in "0123456789abcdef":
        base, i, digits = 16, i + 2, "0123456789abcdef"
    elif s[i:i + 1] == "0":
        base, digits = 8, "01234567"
    j = i
    while j < len(s) and s[j].lower() in digits:
        j += 1
    if j == i:
        return 0, s, False
    v = int(s[i:j], base)
    erange = False
    if unsigned:
        if v > (1 << bits) - 1:
            v, erange = (1 << bits) - 1, True
        elif neg:
            v = (-v) & ((1 << bits) - 1)
    else:
        v = -v if neg else v
        if v > (1 << (bits - 1)) - 1:
            v, erange = (1 << (bits - 1)) - 1, True
        elif v < -(1 << (bits - 1)):
            v, erange = -(1 << (bits - 1)), True
    return v, s[j:], erange


# ----------------------------------------------------------------------------- crash records

CRASH_LOG = "/var/log/testbed/crashes.log"
"""Where an unexpected Python exception in a simulated tool is recorded (one JSON line each).

A real FreeBSD tool never prints a Python traceback: :func:`dispatch.main` turns any escaping
exception into ``prog: internal error: ...`` on stderr and exit status 1, and records it here
(host path; through :func:`hoststate.statepath`, so a tool run inside a jail records it in the
host's /var).  The tests fail on any recorded crash (tests/testbed/conftest.py)."""


def record_crash(prog: str, argv: list[str], exc: BaseException) -> None:
    """Append one crash record (never raises)."""
    try:
        import json
        import time
        import traceback

        from .. import hoststate
        path = hoststate.statepath(CRASH_LOG)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        rec = {"time": time.time(), "prog": prog, "argv": [str(a) for a in argv],
               "jail": os.environ.get("TESTBED_JAIL") or None,
               "exception": f"{type(exc).__name__}: {exc}",
               "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
    except Exception:  # noqa: BLE001 - recording must never crash the tool
        pass


def internal_error(prog: str, argv: list[str], exc: BaseException) -> int:
    """Report an unexpected exception like err(3) would (no traceback) and record it."""
    record_crash(prog, argv, exc)
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001
        pass
    try:
        sys.stderr.write(f"{prog}: internal error: {type(exc).__name__}: {exc}\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
    return 1
