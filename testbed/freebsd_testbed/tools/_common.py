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
