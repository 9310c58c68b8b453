"""pw(8) inside a jail: argv builders, the parsers of its user and group listings, validators,
and the per-jail facts.

Every command runs as ``jexec JAIL pw ...`` and names the user with ``-n NAME``: pw takes a
bare all-digit argument for a uid, and a login name may be all digits.

The facts list every user (``pw usershow -a -7``: the v7 ``passwd`` format, so no password
hash crosses the wire) and every group (``pw groupshow -a``) of one jail; all the JailUsers of
that jail share them, and asked together they go out in one exec.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

from .common import JEXEC, lines
from .factbase import Fact, fact, parsing

PW = "/usr/sbin/pw"
UID_MAX = 0xFFFFFFFF   # pw_checkid's bound (uid_t)
LOGNAME_MAX = 32       # MAXLOGNAME - 1: pw's LOGNAMESIZE
# pw_user.c pw_checkname: the characters a user or group name must not hold (besides control
# characters, DEL and 8-bit bytes)
NAME_BAD = " ,\t:+&#%$^()!@~*?<>=|\\/\""


def _pw(jail: str, *args: str) -> list[str]:
    return [JEXEC, jail, PW, *args]


# --------------------------------------------------------------------------------------------
# validators (input rules, so that pw never rejects what check accepted)

_NAME_RULE = (f"a user or group name is 1-{LOGNAME_MAX} bytes of printable ASCII, not "
              f"starting with '-', without space or any of {NAME_BAD.replace(chr(9), '').strip()!s} "
              f"(a final '$' is allowed), as pw(8) requires")


def name_error(name: str) -> Optional[str]:
    """pw's rule for login and group names (pw_checkname), or None when ``name`` is valid."""
    if not isinstance(name, str) or not name:
        return f"a name must not be empty: {_NAME_RULE}"
    b = name.encode("utf-8", "surrogateescape")
    if len(b) > LOGNAME_MAX:
        return f"{name!r} is {len(b)} bytes long: {_NAME_RULE}"
    if name.startswith("-"):
        return f"{name!r} starts with '-': {_NAME_RULE}"
    for i, c in enumerate(name):
        if c == "$" and i == len(name) - 1:
            break
        if c in NAME_BAD or ord(c) < 32 or ord(c) >= 127:
            return f"{name!r} has {c!r} at position {i}: {_NAME_RULE}"
    return None


def _field_error(value: str, what: str) -> Optional[str]:
    """A master.passwd field: no ':' (the field separator) and no control character."""
    for i, c in enumerate(value):
        if c == ":" or ord(c) < 32 or ord(c) == 127:
            return (f"{value!r} has {c!r} at position {i}: {what} must not contain ':' or control "
                    f"characters (it is a field of /etc/master.passwd)")
    return None


def comment_error(comment: str) -> Optional[str]:
    return _field_error(comment, "the comment (gecos)")


def path_error(path: str, what: str) -> Optional[str]:
    if not path.startswith("/"):
        return f"{what} must be an absolute path (got {path!r})"
    if len(path) > 1023:
        return f"{what} is too long (max 1023 characters)"
    return _field_error(path, what)


def shell_error(shell: str) -> Optional[str]:
    return path_error(shell, "the shell")


def home_error(home: str) -> Optional[str]:
    return path_error(home, "the home directory")


def uid_error(uid: int) -> Optional[str]:
    if not 0 <= uid < UID_MAX:
        return f"uid {uid} is out of range: use 0 to {UID_MAX - 1}"
    return None


def default_home(name: str) -> str:
    """The home directory of a user whose ``home`` is not set (pw.conf's stock ``home``)."""
    return f"/home/{name}"


# --------------------------------------------------------------------------------------------
# argv builders


def useradd(jail: str, name: str, *, uid: Optional[int], group: Optional[str],
            groups: Sequence[str], comment: str, home: str, shell: str,
            create_home: bool) -> list[str]:
    """``pw useradd``. ``-G`` is always given (empty: no supplementary group) so that pw.conf's
    ``defaultgroups`` does not add any; ``-g`` only when set (else pw's own choice: a group
    named after the user)."""
    argv = _pw(jail, "useradd", "-n", name, "-c", comment, "-d", home, "-s", shell,
               "-G", ",".join(groups))
    if uid is not None:
        argv += ["-u", str(uid)]
    if group is not None:
        argv += ["-g", group]
    if create_home:
        argv.append("-m")
    return argv


def usermod(jail: str, name: str, *, uid: Optional[int] = None, group: Optional[str] = None,
            groups: Optional[Sequence[str]] = None, comment: Optional[str] = None,
            home: Optional[str] = None, shell: Optional[str] = None,
            create_home: bool = False) -> list[str]:
    """``pw usermod`` of the given fields only. ``group`` is a name or a numeric gid; ``groups``
    replaces every supplementary membership (an empty list removes them all); ``create_home``
    with ``home``: make the new home directory if it does not exist."""
    argv = _pw(jail, "usermod", "-n", name)
    if uid is not None:
        argv += ["-u", str(uid)]
    if group is not None:
        argv += ["-g", group]
    if groups is not None:
        argv += ["-G", ",".join(groups)]
    if comment is not None:
        argv += ["-c", comment]
    if home is not None:
        argv += ["-d", home] + (["-m"] if create_home else [])
    if shell is not None:
        argv += ["-s", shell]
    return argv


def userdel(jail: str, name: str, remove_home: bool = False) -> list[str]:
    """``pw userdel``; ``-r`` (remove the home directory and what the user owns in it) only
    when asked."""
    return _pw(jail, "userdel", "-n", name) + (["-r"] if remove_home else [])


def show_users(jail: str) -> list[str]:
    return _pw(jail, "usershow", "-a", "-7")


def show_groups(jail: str) -> list[str]:
    return _pw(jail, "groupshow", "-a")


# --------------------------------------------------------------------------------------------
# parsers


@dataclass
class User:
    """A v7 ``passwd`` line: ``name:*:uid:gid:gecos:dir:shell``."""
    name: str
    uid: int
    gid: int
    gecos: str
    home: str
    shell: str


@dataclass
class Group:
    """A ``group`` line: ``name:passwd:gid:member,member``."""
    name: str
    gid: int
    members: list[str] = field(default_factory=list)


@dataclass
class Accounts:
    """The users and groups of one jail."""
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def group_name(self, gid: int) -> Optional[str]:
        return next((g.name for g in self.groups.values() if g.gid == gid), None)

    def member_of(self, user: str) -> list[str]:
        """The groups listing ``user`` as a member, in the group file's order."""
        return [g.name for g in self.groups.values() if user in g.members]


def parse_users(text: str) -> dict[str, User]:
    """``pw usershow -a -7`` (one v7 passwd line per user); a line that is not one is skipped.
    The gecos field may hold anything but ':' and '\\n' (commas, Unicode line separators...)."""
    out: dict[str, User] = {}
    for ln in lines(text):
        f = ln.split(":")
        if len(f) != 7 or not f[2].isdigit() or not f[3].isdigit():
            continue
        out.setdefault(f[0], User(f[0], int(f[2]), int(f[3]), f[4], f[5], f[6]))
    return out


def parse_groups(text: str) -> dict[str, Group]:
    """``pw groupshow -a`` (one group line per group)."""
    out: dict[str, Group] = {}
    for ln in lines(text):
        f = ln.split(":")
        if len(f) != 4 or not f[2].isdigit():
            continue
        out.setdefault(f[0], Group(f[0], int(f[2]), [m for m in f[3].split(",") if m]))
    return out


# --------------------------------------------------------------------------------------------
# facts (raise JailNotRunning for a jail that is not running)


def users(jail: str) -> Fact[dict[str, User]]:
    return fact(show_users(jail), parsing(parse_users), f"users {jail}")


def groups(jail: str) -> Fact[dict[str, Group]]:
    return fact(show_groups(jail), parsing(parse_groups), f"groups {jail}")


async def accounts(host, jail: str) -> Accounts:
    """Both facts of ``jail``, read together (one exec when neither is cached)."""
    u, g = await host.get_many(users(jail), groups(jail))
    return Accounts(u, g)
