"""lockf(1) [SRC usr.bin/lockf/lockf.c]: run a command while holding an flock on a file.

``lockf [-knsw] [-t seconds] file command [arguments]``: -k keep the file, -n do not create it,
-s silent, -t timeout (0: fail at once), -w open for writing.  Exit: the command's status,
75 (EX_TEMPFAIL) when the lock is busy/timed out (``lockf: FILE: already locked``),
64 (EX_USAGE), 69 (EX_UNAVAILABLE) with -n and no file, 73 (EX_CANTCREAT), 71 (EX_OSERR).
The lock is a real flock(2) on the host's file, so concurrent sessions exclude each other.
"""
from __future__ import annotations

import errno
import fcntl
import os
import signal
import sys
import time

from .. import hoststate
from ._common import UsageError, getopt, strerror

EX_USAGE, EX_UNAVAILABLE, EX_SOFTWARE, EX_OSERR, EX_CANTCREAT, EX_TEMPFAIL = 64, 69, 70, 71, 73, 75
USAGE = "usage: lockf [-knsw] [-t seconds] file command [arguments]\n"


def _real(path: str) -> str:
    return hoststate.hostpath(path) if path.startswith("/") else path


def _open(name: str, create: bool, write: bool) -> int:
    flags = (os.O_WRONLY if write else os.O_RDONLY) | (os.O_CREAT if create else 0)
    return os.open(_real(name), flags, 0o666)


def main(argv: list[str]) -> int:
    try:
        opts, args = getopt("lockf", argv[1:], "knpst:w")
    except UsageError:
        sys.stderr.write(USAGE)
        return EX_USAGE
    o = dict(opts)
    keep = "k" in o
    silent = "s" in o
    create = "n" not in o
    write = "w" in o or "p" in o
    waitsec = -1
    if "t" in o:
        try:
            waitsec = int(o["t"], 0)
            if waitsec < 0 or not o["t"]:
                raise ValueError
        except ValueError:
            sys.stderr.write(f'lockf: invalid timeout "{o["t"]}"\n')
            return EX_USAGE
    if len(args) < 2:
        sys.stderr.write(USAGE)
        return EX_USAGE
    name, cmd = args[0], args[1:]
    deadline = None if waitsec < 0 else time.monotonic() + waitsec
    fd = -1
    while True:
        try:
            fd = _open(name, create, write)
        except OSError as e:
            if e.errno == errno.ENOENT and not create:
                sys.stderr.write(f"lockf: {name}: {strerror(e.errno)}\n")
                return EX_UNAVAILABLE
            sys.stderr.write(f"lockf: cannot open {name}: {strerror(e.errno or 0)}\n")
            return EX_CANTCREAT
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # the file we locked must still be the one with that name (unlink race)
            try:
                if os.fstat(fd).st_ino != os.stat(_real(name)).st_ino:
                    raise BlockingIOError
            except FileNotFoundError:
                raise BlockingIOError from None
            break
        except BlockingIOError:
            os.close(fd)
            fd = -1
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(0.02)
    if fd < 0:
        if not silent:
            sys.stderr.write(f"lockf: {name}: already locked\n")
        return EX_TEMPFAIL
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        sys.stderr.write("lockf: cannot fork\n")
        return EX_OSERR
    if pid == 0:
        # The child never returns into Python's caller: whatever happens, it ends here
        # (lockf.c: execvp, then warn + _exit(1)).
        try:
            os.close(fd)
            os.execvp(cmd[0], cmd)
        except OSError as e:
            os.write(2, f"lockf: {cmd[0]}: {strerror(e.errno or 0)}\n".encode(errors="surrogateescape"))
        finally:
            os._exit(1)
    if "p" in o:
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{pid}\n".encode())
        except OSError:
            pass
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGQUIT)}
    try:
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if keep:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:
            try:
                os.unlink(_real(name))
            except OSError:
                pass
        os.close(fd)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else EX_SOFTWARE
