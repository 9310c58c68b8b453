"""The password and group files pw(8) edits [SRC usr.sbin/pw/pwupd.c, grupd.c, pw_conf.c;
lib/libutil/pw_util.c pw_make/pw_make_v7, gr_util.c gr_make; usr.sbin/pwd_mkdb/pwd_mkdb.c].

* ``master.passwd``: 10 fields ``name:passwd:uid:gid:class:change:expire:gecos:dir:shell``,
  mode 0600; the source of truth.
* ``passwd``: derived from it after every change, as ``pwd_mkdb -p`` does: the v7 format
  ``name:*:uid:gid:gecos:dir:shell`` (7 fields, the password always ``*``); comment lines kept.
* ``group``: ``name:passwd:gid:member,member``.

Entries keep their order and any comment lines; a new entry is appended (libutil pw_copy /
gr_copy), a changed one is rewritten in place, a deleted one dropped.  Files are replaced
atomically (temp file + rename, like pw_copy's ``pw_tmp``).

A root that has no master.passwd yet (the testbed host's Debian-derived /etc, a bare fast-test
root) is bootstrapped on first use: from its /etc/passwd if there is one, otherwise from the
stock FreeBSD entries of :mod:`freebsd_testbed.basesystem`; likewise /etc/group.  The pwd.db /
spwd.db databases are not modelled (lookups read the text files).
"""
from __future__ import annotations

import os
import tempfile
from typing import Optional

PASSWD_FIELDS = 10


class PwEnt:
    __slots__ = ("name", "passwd", "uid", "gid", "cls", "change", "expire", "gecos", "dir",
                 "shell")

    def __init__(self, name: str, passwd: str = "*", uid: int = 0, gid: int = 0, cls: str = "",
                 change: int = 0, expire: int = 0, gecos: str = "", dir: str = "",
                 shell: str = ""):
        self.name, self.passwd, self.uid, self.gid, self.cls = name, passwd, uid, gid, cls
        self.change, self.expire, self.gecos, self.dir, self.shell = (change, expire, gecos, dir,
                                                                      shell)

    @classmethod
    def parse(cls, line: str) -> Optional["PwEnt"]:
        f = line.split(":")
        if len(f) == 7:   # v7 line (bootstrapping from a passwd file)
            f = f[:4] + ["", "0", "0"] + f[4:]
        if len(f) != PASSWD_FIELDS:
            return None
        try:
            return cls(f[0], f[1], int(f[2]), int(f[3]), f[4], int(f[5] or 0), int(f[6] or 0),
                       f[7], f[8], f[9])
        except ValueError:
            return None

    def copy(self) -> "PwEnt":
        return PwEnt(self.name, self.passwd, self.uid, self.gid, self.cls, self.change,
                     self.expire, self.gecos, self.dir, self.shell)

    def make(self) -> str:
        """libutil pw_make: "%s:%s:%ju:%ju:%s:%ju:%ju:%s:%s:%s"."""
        return (f"{self.name}:{self.passwd}:{self.uid}:{self.gid}:{self.cls}:{self.change}:"
                f"{self.expire}:{self.gecos}:{self.dir}:{self.shell}")

    def make_v7(self) -> str:
        """libutil pw_make_v7 / pwd_mkdb -p: "%s:*:%ju:%ju:%s:%s:%s"."""
        return f"{self.name}:*:{self.uid}:{self.gid}:{self.gecos}:{self.dir}:{self.shell}"


class GrEnt:
    __slots__ = ("name", "passwd", "gid", "mem")

    def __init__(self, name: str, passwd: str = "*", gid: int = 0, mem: list[str] | None = None):
        self.name, self.passwd, self.gid, self.mem = name, passwd, gid, list(mem or [])

    @classmethod
    def parse(cls, line: str) -> Optional["GrEnt"]:
        f = line.split(":")
        if len(f) != 4:
            return None
        try:
            gid = int(f[2])
        except ValueError:
            return None
        return cls(f[0], f[1], gid, [m for m in f[3].split(",") if m])

    def copy(self) -> "GrEnt":
        return GrEnt(self.name, self.passwd, self.gid, self.mem)

    def make(self) -> str:
        """libutil gr_make: "%s:%s:%ju:" + comma-separated members."""
        return f"{self.name}:{self.passwd}:{self.gid}:{','.join(self.mem)}"


class _File:
    """Lines of one file; entries parsed, everything else kept verbatim.  ``dirty``: changed
    since read (or last written)."""

    def __init__(self, text: str, parse):
        self.lines: list[object] = []
        self.dirty = False
        rows = text.split("\n")  # \n only, as getpwent(3) reads; no line after the final newline
        if rows and rows[-1] == "":
            rows.pop()
        for ln in rows:
            ent = None if (not ln or ln.startswith("#")) else parse(ln)
            self.lines.append(ent if ent is not None else ln)

    def entries(self) -> list:
        return [x for x in self.lines if not isinstance(x, str)]

    def find(self, field: str, value: object):
        """The first entry whose ``field`` is ``value`` (None)."""
        return next((x for x in self.entries() if getattr(x, field) == value), None)

    def add(self, ent) -> int:
        """addpwent / addgrent: -1 if the name exists, else append."""
        if self.find("name", ent.name) is not None:
            return -1
        self.lines.append(ent.copy())
        self.dirty = True
        return 0

    def replace(self, name: str, ent) -> int:
        """chgpwent / chggrent: the entry called ``name`` becomes ``ent``; with None (delpwent /
        delgrent) it goes.  -1 if there is none."""
        for i, x in enumerate(self.lines):
            if not isinstance(x, str) and x.name == name:
                if ent is None:
                    del self.lines[i]
                else:
                    self.lines[i] = ent.copy()
                self.dirty = True
                return 0
        return -1

    def text(self) -> str:
        return "".join((x if isinstance(x, str) else x.make()) + "\n" for x in self.lines)


class Db:
    """master.passwd + group of one etc directory (``real_etc``: a real path on this machine)."""

    def __init__(self, real_etc: str, bootstrap: bool = True):
        self.etc = real_etc
        self.bootstrap = bootstrap
        self.pw_exists = os.path.exists(self._p("master.passwd"))
        self.gr_exists = os.path.exists(self._p("group"))
        self.pw = _File(self._read_master(), PwEnt.parse)
        self.gr = _File(self._read_group(), GrEnt.parse)

    def _p(self, name: str) -> str:
        return os.path.join(self.etc, name)

    @staticmethod
    def _read(path: str) -> str | None:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def _read_master(self) -> str:
        t = self._read(self._p("master.passwd"))
        if t is not None or not self.bootstrap:
            return t or ""
        t = self._read(self._p("passwd"))
        if t is None:
            from .. import basesystem
            t = basesystem.PASSWD
        out = []
        for ln in t.split("\n")[:-1] if t.endswith("\n") else t.split("\n"):
            f = ln.split(":")
            if ln.startswith("#") or len(f) != 7:
                out.append(ln)
            else:   # the v7 line has no password; pwd_mkdb would have written "*"
                out.append(":".join([f[0], "*" if f[1] in ("x", "") else f[1]] + f[2:4]
                                    + ["", "0", "0"] + f[4:]))
        return "\n".join(out) + ("\n" if out else "")

    def _read_group(self) -> str:
        t = self._read(self._p("group"))
        if t is not None or not self.bootstrap:
            return t or ""
        from .. import basesystem
        return basesystem.GROUP

    # ------------------------------------------------------- lookups and edits (libc's names)
    def users(self) -> list[PwEnt]:
        return self.pw.entries()

    def groups(self) -> list[GrEnt]:
        return self.gr.entries()

    def getpwnam(self, name: str) -> PwEnt | None:
        return self.pw.find("name", name)

    def getpwuid(self, uid: int) -> PwEnt | None:
        return self.pw.find("uid", uid)

    def getgrnam(self, name: str) -> GrEnt | None:
        return self.gr.find("name", name)

    def getgrgid(self, gid: int) -> GrEnt | None:
        return self.gr.find("gid", gid)

    def addpw(self, ent: PwEnt) -> int:
        return self.pw.add(ent)

    def addgr(self, ent: GrEnt) -> int:
        return self.gr.add(ent)

    def chgpw(self, name: str, ent: PwEnt) -> int:
        return self.pw.replace(name, ent)

    def chggr(self, name: str, ent: GrEnt) -> int:
        return self.gr.replace(name, ent)

    def delpw(self, name: str) -> int:
        return self.pw.replace(name, None)

    def delgr(self, name: str) -> int:
        return self.gr.replace(name, None)

    # ------------------------------------------------------------------ writing
    def _write(self, name: str, text: str, mode: int) -> None:
        path = self._p(name)
        fd, tmp = tempfile.mkstemp(dir=self.etc, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def passwd_text(self) -> str:
        """/etc/passwd as pwd_mkdb -p writes it from master.passwd."""
        return "".join((x if isinstance(x, str) else x.make_v7()) + "\n" for x in self.pw.lines)

    def flush_passwd(self) -> None:
        """Write master.passwd and the derived passwd if changed (OSError like pw_copy's)."""
        if self.pw.dirty:
            self._write("master.passwd", self.pw.text(), 0o600)
            self._write("passwd", self.passwd_text(), 0o644)
            self.pw.dirty = False

    def flush_group(self) -> None:
        if self.gr.dirty:
            self._write("group", self.gr.text(), 0o644)
            self.gr.dirty = False


# ---------------------------------------------------------------------- pw.conf [SRC pw_conf.c]

P_NO, P_NONE, P_RANDOM, P_YES = 0, 1, 2, 3
BOOLTRUE = ("yes", "true", "1", "on")
BOOLFALSE = ("no", "false", "0", "off")


class UserConf:
    """struct userconf with pw_conf.c's built-in defaults."""

    def __init__(self) -> None:
        self.default_password = P_NO
        self.reuse_uids = False
        self.reuse_gids = False
        self.dotdir: str | None = "/usr/share/skel"
        self.logfile = "/var/log/userlog"
        self.home = "/home"
        self.homemode = 0o777            # _DEF_DIRMODE, modified by the umask
        self.shelldir = "/bin"
        self.shells = ["sh", "csh", "tcsh"]
        self.shell_default: str | None = "sh"
        self.default_group: str | None = None
        self.groups: list[str] = []
        self.default_class: str | None = None
        self.min_uid, self.max_uid = 1000, 32000
        self.min_gid, self.max_gid = 1000, 32000


def unquote(s: str) -> str | None:
    if s and s[0] in "\"'":
        j = s.find(s[0], 1)
        s = s[1:j] if j >= 0 else s[1:]
        return s or None
    return s


def boolean_val(s: str | None, dflt: bool) -> bool:
    s = unquote(s) if s is not None else None
    if s is not None:
        if s in BOOLTRUE:
            return True
        if s in BOOLFALSE:
            return False
    return dflt


def read_userconfig(real_path: str) -> UserConf:
    """read_userconfig: ``key = value`` lines (a missing file gives the defaults)."""
    cnf = UserConf()
    try:
        with open(real_path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError:
        return cnf
    for ln in text.split("\n"):
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        key, _, val = ln.partition("=") if "=" in ln else ln.partition(" ")
        key, val = key.strip(), val.strip()
        v = unquote(val) if val else None

        def num(dflt: int) -> int:
            try:
                return int(v, 0) if v else dflt
            except ValueError:
                return dflt
        if key == "defaultpasswd":
            cnf.default_password = passwd_val(val, cnf.default_password)
        elif key == "reuseuids":
            cnf.reuse_uids = boolean_val(val, False)
        elif key == "reusegids":
            cnf.reuse_gids = boolean_val(val, False)
        elif key == "skeleton":
            cnf.dotdir = v if v and v.lower() not in BOOLFALSE else None
        elif key == "home":
            cnf.home = v or "/home"
        elif key == "homemode":
            try:
                cnf.homemode = int(v, 8) if v else 0o777
            except ValueError:
                pass
        elif key == "shellpath":
            cnf.shelldir = v or "/bin"
        elif key == "shells" and v:
            cnf.shells = [s for s in v.replace(",", " ").split() if s]
        elif key == "defaultshell":
            cnf.shell_default = v
        elif key == "defaultgroup":
            cnf.default_group = v
        elif key == "extragroups" and v:
            cnf.groups = [s for s in v.replace(",", " ").split() if s]
        elif key == "defaultclass":
            cnf.default_class = v
        elif key == "minuid":
            cnf.min_uid = num(1000)
        elif key == "maxuid":
            cnf.max_uid = num(32000)
        elif key == "mingid":
            cnf.min_gid = num(1000)
        elif key == "maxgid":
            cnf.max_gid = num(32000)
    return cnf


class PwExit(Exception):
    """errx(3): message (already formatted) and exit status."""

    def __init__(self, code: int, msg: str | None):
        super().__init__(msg)
        self.code, self.msg = code, msg


def passwd_val(s: str | None, dflt: int) -> int:
    """pw_conf.c passwd_val: errx(1, "Invalid value for default password")."""
    s = unquote(s) if s is not None else None
    if s is None:
        return dflt
    if s in BOOLTRUE:
        return P_YES
    if s in BOOLFALSE:
        return P_NO
    if s == "random":
        return P_RANDOM
    if s == "none":
        return P_NONE
    raise PwExit(1, "Invalid value for default password")
