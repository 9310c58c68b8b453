"""Argv helpers shared by the per-tool modules: host-side locking, jails, whole-file I/O.

Every helper returns an argv list. Where a shell is unavoidable (redirecting stdin into a file)
the script is a constant and every value travels as a positional parameter ("$1", "$2"), never
inside the script text.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

LOCKF = "/usr/bin/lockf"
JEXEC = "/usr/sbin/jexec"
SH = "/bin/sh"
# One host-wide lock for edits of shared files (rc.conf, loader.conf, jail.conf.d, ...). It lives
# in /var/run, which FreeBSD clears at boot. -k keeps the file, avoiding lockf's unlink race.
HOST_LOCK = "/var/run/pulumi-freebsd.lock"
LOCK_TIMEOUT = 120


def lines(text: str) -> list[str]:
    """The lines of a FreeBSD tool's output: split on ``\n`` only, as FreeBSD prints them.

    ``str.splitlines()`` would also break a value at ``\r``, ``\x0b``, ``\x0c``,
    ``\x1c``-``\x1e``, ``\x85``, ``\u2028``/``\u2029``, which a file name, a description or an
    rc.conf value may hold. The empty string after a final newline is not a line.
    """
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    return out


def locked(argv: Sequence[str], lockfile: str = HOST_LOCK, timeout: int = LOCK_TIMEOUT) -> list[str]:
    """Run argv while holding the host-side lock (lockf(1) exits 75 on timeout)."""
    return [LOCKF, "-k", "-t", str(timeout), lockfile, *argv]


def in_jail(jail: Optional[str], argv: Sequence[str]) -> list[str]:
    """Run argv inside a running jail (jexec), or on the host when jail is None."""
    return [JEXEC, jail, *argv] if jail else list(argv)


# Atomic whole-file write: content on stdin -> temp file beside the target -> chmod/chown -> mv.
_WRITE_SCRIPT = (
    'set -e; t="$1.pulumi-tmp.$$"; umask 077; cat > "$t"; '
    'chmod "$2" "$t"; chown "$3" "$t"; mv -f "$t" "$1"'
)


def write_file(path: str, mode: str = "0644", owner: str = "root:wheel") -> list[str]:
    """argv that writes stdin to ``path`` atomically with ``mode`` and ``owner``."""
    return [SH, "-c", _WRITE_SCRIPT, "sh", path, mode, owner]


def mkdir_p(path: str) -> list[str]:
    return ["/bin/mkdir", "-p", path]


def remove_file(path: str) -> list[str]:
    return ["/bin/rm", "-f", path]


# Read a file if it exists; print a marker when it does not (exit 0 either way).
_MISSING = "__pulumi_freebsd_missing__"
_READ_SCRIPT = 'if [ -e "$1" ]; then stat -f "%Lp %Su:%Sg" "$1" && cat "$1"; else echo ' + _MISSING + '; fi'


def read_file(path: str) -> list[str]:
    """argv printing ``MODE OWNER:GROUP`` then the content, or a missing marker."""
    return [SH, "-c", _READ_SCRIPT, "sh", path]


def parse_read_file(text: str) -> Optional[tuple[str, str, str]]:
    """(mode, owner, content) or None when the file does not exist."""
    if text.strip() == _MISSING:
        return None
    head, _, content = text.partition("\n")
    mode, _, owner = head.partition(" ")
    return mode.zfill(4), owner, content


# --------------------------------------------------------------------------------------------
# Validators shared by the resources

_JAIL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\Z")
_IFNAME_RE = re.compile(r"^[a-z][a-z0-9]{0,14}\Z")
_PATH_BAD = ("\x00", "\n", "\r")


def jail_name_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not _JAIL_NAME_RE.match(name):
        return (f"invalid jail name {name!r}: use 1-63 letters, digits, '_' or '-', starting "
                f"with a letter or digit (jail names also name rc.conf variables and conf files)")
    if name.isdigit():
        return f"invalid jail name {name!r}: a jail name must not be all digits (it would be taken for a JID)"
    return None


def interface_name_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not _IFNAME_RE.match(name):
        return f"invalid interface name {name!r}: expected lowercase letters then digits, at most 15 characters (e.g. bridge0, vtnet0, epair1)"
    return None


def abs_path_error(path: str, what: str = "path") -> Optional[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        return f"{what} must be an absolute path (got {path!r})"
    if any(c in path for c in _PATH_BAD):
        return f"{what} must not contain NUL or newline characters"
    if any(part in (".", "..") for part in path.split("/")):
        return f"{what} must not contain '.' or '..' components (got {path!r})"
    if len(path) > 1023:
        return f"{what} is too long (max 1023 characters)"
    return None
