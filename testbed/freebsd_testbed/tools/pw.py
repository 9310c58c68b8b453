"""pw(8) [SRC usr.sbin/pw: pw.c, pw_user.c, pw_group.c, pw_utils.c, pw_conf.c, cpdir.c, rm_r.c,
bitmap.c; MAN pw.8].

``pw [-V etcdir | -R rootdir] user|group add|del|mod|show|next [name|id] [switches]``, the
one-word forms (``useradd``, ``adduser``, ...), ``lock`` / ``unlock``.  Each command parses its
own switches with getopt(3) like pw_user.c / pw_group.c do: an unknown switch gets getopt's
``pw: illegal option -- x`` and is otherwise ignored (those switch statements have no default).

Files (pwdb.py): ``<etc>/master.passwd`` (+ the derived ``passwd``) and ``<etc>/group``, where
``<etc>`` is /etc, ``-V etcdir`` or ``<rootdir>/etc``.  Inside a jail (jexec) /etc already is the
jail's (jailctx); home directories and /var/mail files go to the jail's root on the host.
Not modelled: NIS (-Y/-y accepted, no effect), pw_log's /var/log/userlog, crontab/at job
removal beyond unlinking /var/cron/tabs/NAME, ``useradd -D`` (writing pw.conf), date formats
of -e/-p other than seconds since the epoch and ``+N[smhdwoy]``.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import stat
import sys
import time
from typing import Callable, Iterator

from .. import hoststate
from ._common import scan_options, strerror
from .pwdb import (GrEnt, P_NONE, P_RANDOM, P_YES, PwEnt, PwExit, Db, UserConf, passwd_val,
                   read_userconfig)

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_SOFTWARE = 64, 65, 67, 70
EX_OSFILE, EX_IOERR, EX_NOPERM, EX_CONFIG = 72, 74, 77, 78
UID_MAX = GID_MAX = 0xFFFFFFFF
INT_MAX = 0x7FFFFFFF
LOGNAMESIZE = 32            # MAXLOGNAME - 1
LOCKED = "*LOCKED*"
LOCK = "/var/db/testbed/pw.lock"

MODES = ["add", "del", "mod", "show", "next", "lock", "unlock"]
WHICH = ["user", "group"]
COMBO1 = ["useradd", "userdel", "usermod", "usershow", "usernext", "lock", "unlock",
          "groupadd", "groupdel", "groupmod", "groupshow", "groupnext"]
COMBO2 = ["adduser", "deluser", "moduser", "showuser", "nextuser", "lock", "unlock",
          "addgroup", "delgroup", "modgroup", "showgroup", "nextgroup"]
M_NUM = 7
PWF_REGULAR, PWF_ALT, PWF_ROOTDIR = 0, 1, 2

# the usage texts of pw_user.c / pw_group.c, from the lines several of them share
_V = "\t-V etcdir      alternate /etc location\n\t-R rootdir     alternate root directory\n"
_CQ = "\t-C config      configuration file\n\t-q             quiet operation\n"
_NU = "\t-n name        login name\n\t-u uid         user id\n"
_ENT = ("\t-c comment     user name/comment\n\t-d directory   home directory\n"
        "\t-e date        account expiry date\n\t-p date        password expiry date\n"
        "\t-g grp         initial group\n\t-G grp1,grp2   additional groups\n")
_HOME = ("\t-m [ -k dir ]  create and set up home\n\t-M mode        home directory permissions\n"
         "\t-s shell       name of login shell\n")
_FD = "\t-h fd          read password on fd\n\t-H fd          read encrypted password on fd\n"
_Y, _y, _N = ("\t-Y             update NIS maps\n", "\t-y path        set NIS passwd file path\n",
              "\t-N             no update\n")
_LOCK = "\t-V etcdir      alternate /etc locations\n" + _CQ
HELP = {
    ("user", "add"): "usage: pw useradd [name] [switches]\n" + _V + _CQ + "  Adding users:\n" + _NU
    + _ENT + _HOME + "\t-o             duplicate uid ok\n\t-L class       user class\n" + _FD + _Y
    + _N + "  Setting defaults:\n" + _V
    + "\t-D             set user defaults\n\t-b dir         default home root dir\n"
    "\t-e period      default expiry period\n\t-p period      default password change period\n"
    "\t-g group       default group\n\t-G grp1,grp2   additional groups\n"
    "\t-L class       default user class\n\t-k dir         default home skeleton\n"
    "\t-M mode        home directory permissions\n\t-u min,max     set min,max uids\n"
    "\t-i min,max     set min,max gids\n\t-w method      set default password method\n"
    "\t-s shell       default shell\n" + _y,
    ("user", "del"): "usage: pw userdel [uid|name] [switches]\n" + _V + _NU + _Y + _y
    + "\t-r             remove home & contents\n",
    ("user", "mod"): "usage: pw usermod [uid|name] [switches]\n" + _V + _CQ
    + "\t-F             force add if no user\n" + _NU + _ENT + "\t-l name        new login name\n"
    "\t-L class       user class\n" + _HOME + "\t-w method      set new password using method\n"
    + _FD + _Y + _y + _N,
    ("user", "show"): "usage: pw usershow [uid|name] [switches]\n" + _V + _NU
    + "\t-F             force print\n\t-P             prettier format\n"
    "\t-a             print all users\n\t-7             print in v7 format\n",
    ("user", "next"): "usage: pw usernext [switches]\n" + _V + _CQ,
    ("user", "lock"): "usage pw: lock [switches]\n" + _LOCK,
    ("user", "unlock"): "usage pw: unlock [switches]\n" + _LOCK,
    ("group", "add"): "usage: pw groupadd [group|gid] [switches]\n" + _V + _CQ
    + "\t-n group       group name\n\t-g gid         group id\n"
    "\t-M usr1,usr2   add users as group members\n\t-o             duplicate gid ok\n" + _Y + _N,
    ("group", "del"): "usage: pw groupdel [group|gid] [switches]\n" + _V
    + "\t-n name        group name\n\t-g gid         group id\n" + _Y,
    ("group", "mod"): "usage: pw groupmod [group|gid] [switches]\n" + _V + _CQ
    + "\t-F             force add if not exists\n\t-n name        group name\n"
    "\t-g gid         group id\n\t-M usr1,usr2   replaces users as group members\n"
    "\t-m usr1,usr2   add users as group members\n"
    "\t-d usr1,usr2   delete users as group members\n\t-l name        new group name\n" + _Y + _N,
    ("group", "show"): "usage: pw groupshow [group|gid] [switches]\n" + _V
    + "\t-n name        group name\n\t-g gid         group id\n\t-F             force print\n"
    "\t-P             prettier format\n\t-a             print all accounting groups\n",
    ("group", "next"): "usage: pw groupnext [switches]\n" + _V + _CQ,
}


def errx(code: int, msg: str):
    raise PwExit(code, msg)


def err(code: int, msg: str, e: OSError):
    raise PwExit(code, f"{msg}: {strerror(e.errno or 0)}")


class Ctx:
    """struct pwconf: where the files are, and the per-run switches shared by the helpers."""

    def __init__(self) -> None:
        self.rootdir = "/"
        self.etcpath = "/etc"
        self.altdir = PWF_REGULAR
        self.checkduplicate = True
        self.quiet = self.want_quiet = False
        self.db: Db | None = None

    @staticmethod
    def real(path: str) -> str:
        return hoststate.hostpath(path) if path.startswith("/") else path

    def root_real(self, path: str) -> str:
        """The real path of ``path`` under the root pw works on (conf.rootfd)."""
        if self.altdir == PWF_ROOTDIR:
            return self.real(self.rootdir.rstrip("/") + "/" + path.lstrip("/"))
        jail = os.environ.get("TESTBED_JAIL")
        if jail and hoststate.root() == "/":
            # inside jexec only /etc, /var, ... are the jail's: homes go to its path on the host
            from .. import pkgdb
            with hoststate.locked(write=False) as st:
                r = pkgdb.for_jail(st, jail)
            if r is not None:
                return r.real(path)
        return hoststate.hostpath(path)


C = Ctx()


# ------------------------------------------------------------------------- pw_utils.c helpers

def strtounum(s: str, minval: int, maxval: int) -> tuple[int, str | None]:
    """lib strtounum (strtoumax base 0): (value, errstr)."""
    t = s.lstrip(" \t\n\v\f\r")
    neg = False
    if t[:1] in "+-" and t:
        neg, t = t[0] == "-", t[1:]
    base = 10
    if t[:2].lower() == "0x" and len(t) > 2:
        base, t = 16, t[2:]
    elif t.startswith("0") and len(t) > 1:
        base, t = 8, t[1:]
    try:
        v = int(t, base) if t and t.isalnum() and t.isascii() else None
    except ValueError:
        v = None
    if v is None:
        return 0, "invalid"
    if neg and v:
        v = (1 << 64) - v
    if v > maxval:
        return 0, "too large"
    if v < minval:
        return 0, "too small"
    return v, None


def pw_checkid(s: str, maxval: int) -> int:
    v, e = strtounum(s, 0, maxval)
    if e:
        errx(EX_USAGE, f"Bad id '{s}': {e}")
    return v


def pw_checkfd(s: str) -> int:
    if s == "-":
        return ord("-")
    t = s.strip(" \t\n")
    try:
        v = int(t, 10)
    except ValueError:
        errx(EX_USAGE, f"Bad file descriptor '{s}': invalid")
    if v < 0:
        errx(EX_USAGE, f"Bad file descriptor '{s}': too small")
    if v > INT_MAX:
        errx(EX_USAGE, f"Bad file descriptor '{s}': too large")
    return v


def pw_checkname(name: str, gecos: bool) -> str:
    """pw_user.c pw_checkname (on the name's bytes, like the C code)."""
    b = name.encode("utf-8", "surrogateescape")
    if gecos:
        bad, showtype, reject = b":", "gecos field", False
    else:
        bad, showtype = b" ,\t:+&#%$^()!@~*?<>=|\\/\"", "userid/group name"
        reject = b[:1] == b"-"
    i = 0
    if not reject:
        while i < len(b):
            c = b[i]
            if c in bad or (not gecos and (c < 32 or c & 0x80)) or c == 127:
                reject = True
                break
            i += 1
    if reject and not gecos and b[i:i + 1] == b"$" and i + 1 == len(b):
        reject, i = False, i + 1
    if reject:
        c = b[i] if i < len(b) else 0
        if 32 <= c < 127:
            show = f"`{chr(c)}'"
        else:   # a signed char: %02x of a negative int, cut to showch[8]
            show = ("0x%02x" % (c if c < 128 else (c - 256) & 0xFFFFFFFF))[:7]
        errx(EX_DATAERR, f"invalid character {show} at position {i} in {showtype}")
    if not gecos and len(b) > LOGNAMESIZE:
        errx(EX_USAGE, f"name too long `{name}' (max is {LOGNAMESIZE})")
    return name


def parse_date(now: int, s: str) -> int:
    """psdate.c parse_date, the numeric and ``+N[smhdwoy]`` forms."""
    s = s.strip()
    if s.isdigit():
        return int(s)
    if s.startswith("+") and len(s) > 1:
        mult = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "o": 2592000,
                "y": 31536000}
        n, unit = (s[1:-1], s[-1]) if s[-1] in mult else (s[1:], "d")
        if n.isdigit():
            return now + int(n) * mult[unit]
    return now


def _is_root() -> bool:
    u = os.environ.get("TESTBED_USER")
    return os.geteuid() == 0 and u in (None, "", "root", "0")


def _crypt(password: str) -> str:
    """pw_pwcrypt with login.conf's passwd_format=sha512."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt as _c
    chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./"
    salt = "".join(secrets.choice(chars) for _ in range(16))
    return _c.crypt(password, "$6$" + salt) or "*"


def _getopt(args: list[str], optstring: str) -> list[tuple[str, str]]:
    """getopt(3) as pw's commands use it: diagnostics from libc, the '?' is then ignored."""
    def illegal(c: str) -> None:
        sys.stderr.write(f"pw: illegal option -- {c}\n")

    def missing(c: str) -> None:
        sys.stderr.write(f"pw: option requires an argument -- {c}\n")
    opts, _ = scan_options(args, optstring, illegal, missing)
    letters = set(optstring.replace(":", ""))
    return [(c, a) for c, a in opts if c in letters]


def _quiet() -> None:
    """-q: stderr goes to /dev/null once the switches are parsed (freopen after the loop)."""
    C.want_quiet = True


def _apply_quiet() -> None:
    C.quiet = C.quiet or C.want_quiet


def _read_fd(fd: int, prompt: str) -> str:
    tty = False
    try:
        tty = os.isatty(fd)
    except OSError:
        pass
    if tty:
        sys.stdout.write(prompt)
        sys.stdout.flush()
    try:
        data = os.read(fd, 256)
    except OSError as e:
        raise e
    finally:
        if tty:
            sys.stdout.write("\n")
            sys.stdout.flush()
    return data.decode("utf-8", "surrogateescape")


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """pw locks master.passwd / group for the run; one lock for every root here."""
    path = hoststate.statepath(LOCK)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a+") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lf, fcntl.LOCK_UN)


# ------------------------------------------------------------------------------- main

def main(argv: list[str]) -> int:
    global C
    C = Ctx()
    args = list(argv[1:])
    mode = which = -1
    arg1: str | None = None
    relocated = False
    try:
        while args:
            a = args[0]
            if a.startswith("-"):
                opt = a[1:2]
                if opt not in ("V", "R"):
                    break
                if relocated:
                    errx(1, "Both '-R' and '-V' specified, only one accepted")
                relocated = True
                val = a[2:]
                if not val:
                    nxt = args[1] if len(args) > 1 else None
                    if nxt is None or not os.path.exists(C.real(nxt) if nxt else nxt):
                        shown = nxt if nxt is not None else "(null)"
                        errx(EX_OSFILE, f"no such directory `{shown}'")
                    if not os.path.isdir(C.real(nxt)):
                        errx(EX_OSFILE, f"`{nxt}' not a directory")
                    val = nxt
                    args.pop(0)
                if opt == "R":
                    C.rootdir, C.altdir = val, PWF_ROOTDIR
                    C.etcpath = val + "/etc"
                else:
                    C.altdir = PWF_ALT
                    C.etcpath = val
            elif mode == -1 and a in MODES[:5]:
                mode = MODES.index(a)
            elif which == -1 and a in WHICH:
                which = WHICH.index(a)
            elif mode == -1 and which == -1 and (a in COMBO1 or a in COMBO2):
                tmp = COMBO1.index(a) if a in COMBO1 else COMBO2.index(a)
                which, mode = tmp // M_NUM, tmp % M_NUM
            elif a == "help" and len(args) == 1:
                return _cmdhelp(mode, which)
            elif which != -1 and mode != -1:
                arg1 = a
            else:
                errx(EX_USAGE, f"unknown keyword `{a}'")
            args.pop(0)
        if mode == -1 or which == -1 or (which == 1 and mode > 4):
            return _cmdhelp(mode, which)
        if C.altdir == PWF_ROOTDIR and not os.path.isdir(C.real(C.rootdir)):
            errx(1, f"Unable to open '{C.rootdir}'")
        func = [[user_add, user_del, user_mod, user_show, user_next, user_lock, user_unlock],
                [group_add, group_del, group_mod, group_show, group_next]][which][mode]
        with _locked():
            C.db = Db(C.real(C.etcpath), bootstrap=C.altdir != PWF_ALT)
            return func(args, arg1) & 0xFF
    except PwExit as e:
        if e.msg is not None and not C.quiet:
            sys.stderr.write(f"pw: {e.msg}\n")
        return e.code


def _cmdhelp(mode: int, which: int) -> int:
    if which == -1:
        sys.stderr.write("usage:\n  pw [user|group|lock|unlock] [add|del|mod|show|next] "
                         "[help|switches/values]\n")
    elif mode == -1:
        sys.stderr.write(f"usage:\n  pw {WHICH[which]} [add|del|mod|show|next] "
                         "[help|switches/values]\n")
    else:
        sys.stderr.write(HELP.get((WHICH[which], MODES[mode]), ""))
    return 1


def _config(cfg: str | None) -> UserConf:
    return read_userconfig(C.real(cfg) if cfg else C.real(C.etcpath + "/pw.conf"))


def _flush() -> None:
    """Write what changed: the group file first (pw_gidpolicy adds the user's group before
    addpwent), then master.passwd + passwd; err(EX_IOERR, ...) like grupd.c / pwupd.c."""
    try:
        C.db.flush_group()
    except OSError as e:
        err(EX_IOERR, "group update", e)
    try:
        C.db.flush_passwd()
    except OSError as e:
        err(EX_IOERR, "passwd file update", e)


def _group_from_name_or_id(name: str) -> GrEnt:
    g = C.db.getgrnam(name)
    if g is None:
        gid, e = strtounum(name, 0, GID_MAX)
        g = None if e else C.db.getgrgid(gid)
        if g is None:
            errx(EX_NOUSER, f"group `{name}' does not exist")
    return g


def _split(s: str) -> list[str]:
    """strtok(s, ", \\t") tokens."""
    return [t for t in s.replace(",", " ").replace("\t", " ").split(" ") if t]


def _validate_mode(s: str) -> int:
    try:
        if not s or any(c not in "01234567" for c in s):
            raise ValueError
        return int(s, 8) & 0o7777
    except ValueError:
        errx(EX_DATAERR, f"invalid directory creation mode '{s}'")


def _check_skel(skel: str) -> None:
    # pw_user.c: fstatat(conf.rootfd, skel without its leading '/', ...): an empty name is ENOENT
    p = C.root_real(skel) if skel.lstrip("/") else None
    if p is None or not os.path.exists(p):
        errx(EX_OSFILE, f"skeleton `{skel}' does not exists")
    if not os.path.isdir(p):
        errx(EX_OSFILE, f"skeleton `{skel}' is not a directory")


# ------------------------------------------------------------------------------- switches

class Opts:
    """What a command's switches set: the locals of pw_user.c's / pw_group.c's functions (and
    their struct userconf *cmd), one set for every command; a command reads those it takes."""

    def __init__(self, id: int = -1, name: str | None = None) -> None:
        self.id, self.name = id, name
        self.now = int(time.time())
        self.cfg = self.userid = self.gecos = self.homedir = self.grname = None
        self.skel = self.shell = self.passwd = self.cls = self.newname = None
        self.members = self.addmembers = self.delmembers = None
        self.groups: list[str] | None = None
        self.home = ""
        self.homemode = 0
        self.fd = -1
        self.expire = self.change = -1
        self.precrypted = self.createhome = self.genconf = self.dryrun = self.pretty = False
        self.force = self.all = self.v7 = self.deletehome = False


Handler = Callable[[Opts, str, str], None]


def _keep(attr: str, conv: Callable[[str], object] | None = None) -> Handler:
    """A switch whose argument (through ``conv``, which may errx) is kept in ``attr``."""
    def handle(o: Opts, c: str, a: str) -> None:
        setattr(o, attr, a if conv is None else conv(a))
    return handle


def _on(attr: str) -> Handler:
    def handle(o: Opts, c: str, a: str) -> None:
        setattr(o, attr, True)
    return handle


def _date(attr: str) -> Handler:
    def handle(o: Opts, c: str, a: str) -> None:
        setattr(o, attr, parse_date(o.now, a))
    return handle


def _fd_switch(o: Opts, c: str, a: str) -> None:
    """-h fd / -H fd."""
    if o.fd != -1:
        errx(EX_USAGE, "'-h' and '-H' are mutually exclusive options")
    o.fd = pw_checkfd(a)
    if c == "H":
        o.precrypted = True
        if o.fd == ord("-"):
            errx(EX_USAGE, "-H expects a file descriptor")


def _no_dup_check(o: Opts, c: str, a: str) -> None:
    C.checkduplicate = False


def _add_groups(o: Opts, c: str, a: str) -> None:
    o.groups = (o.groups or []) + [_group_from_name_or_id(t).name for t in _split(a)]


def _skel_switch(o: Opts, c: str, a: str) -> None:
    _check_skel(a)
    o.skel = a


def _group_switch(check_empty: bool) -> Handler:
    """-g group: it must exist (useradd lets an empty one through to pw_gidpolicy)."""
    def handle(o: Opts, c: str, a: str) -> None:
        if a or check_empty:
            _group_from_name_or_id(a)
        o.grname = a
    return handle


# The switches by letter.  Which letters a command takes is its optstring, as in pw; one its
# switch statement has no case for is in no table (-Y, -y, -i) or kept and not read (-C of
# usershow / userdel).
COMMON: dict[str, Handler] = {
    "C": _keep("cfg"), "q": lambda o, c, a: _quiet(), "n": _keep("name"),
    "h": _fd_switch, "H": _fd_switch, "l": _keep("newname"), "o": _no_dup_check,
    "N": _on("dryrun"), "P": _on("pretty"), "F": _on("force"), "a": _on("all"),
}
USER: dict[str, Handler] = {
    **COMMON, "u": _keep("id", lambda a: pw_checkid(a, UID_MAX)),
    "c": _keep("gecos", lambda a: pw_checkname(a, True)), "d": _keep("homedir"),
    "e": _date("expire"), "p": _date("change"), "g": _group_switch(True), "G": _add_groups,
    "m": _on("createhome"), "M": _keep("homemode", _validate_mode), "k": _skel_switch,
    "s": _keep("shell"), "L": _keep("cls", lambda a: pw_checkname(a, False)),
    "w": _keep("passwd"), "D": _on("genconf"), "b": _keep("home"), "7": _on("v7"),
    "r": _on("deletehome"),
}
# useradd: -n is checked at once, -u only once pw.conf is read, -g "" is let through
USERADD: dict[str, Handler] = {
    **USER, "n": _keep("name", lambda a: pw_checkname(a, False)), "u": _keep("userid"),
    "g": _group_switch(False),
}
GROUP: dict[str, Handler] = {
    **COMMON, "g": _keep("id", lambda a: pw_checkid(a, GID_MAX)), "M": _keep("members"),
    "m": _keep("addmembers"), "d": _keep("delmembers"),
}


def _switches(o: Opts, args: list[str], optstring: str, table: dict[str, Handler]) -> Opts:
    """The getopt loop: each switch handled in the order given, as pw's switch statements do."""
    for c, a in _getopt(args, optstring):
        handler = table.get(c)
        if handler is not None:
            handler(o, c, a)
    return o


def _next_opts(args: list[str]) -> tuple[UserConf, bool]:
    """usernext / groupnext: -C and -q; (pw.conf, quiet)."""
    o = _switches(Opts(), args, "C:q", COMMON)
    _apply_quiet()
    return _config(o.cfg), C.want_quiet


def _root_and_config(o: Opts) -> UserConf:
    """useradd / usermod after the switches: root unless -N, then -q, then pw.conf."""
    if not _is_root() and not o.dryrun:
        errx(EX_NOPERM, "you must be root")
    _apply_quiet()
    return _config(o.cfg)


# ------------------------------------------------------------------------------- users

def _idpolicy(cnf: UserConf, id: int, user: bool) -> int:
    """pw_uidpolicy / pw_gr_gidpolicy: ``id`` unless it is taken (and no -o); without one
    (for a group gid 0 too) the next free one in pw.conf's range (1000-32000 if that is empty)."""
    what = "uid" if user else "gid"
    if (id >= 0) if user else (id > 0):
        taken = C.db.getpwuid(id) if user else C.db.getgrgid(id)
        if taken is not None and C.checkduplicate:
            errx(EX_DATAERR, f"{what} `{id}' has already been allocated")
        return id
    lo, hi = (cnf.min_uid, cnf.max_uid) if user else (cnf.min_gid, cnf.max_gid)
    if lo >= hi:
        lo, hi = 1000, 32000
    used = {u.uid for u in C.db.users()} if user else {g.gid for g in C.db.groups()}
    return _alloc(used, lo, hi, cnf.reuse_uids if user else cnf.reuse_gids, user, what)


def _uidpolicy(cnf: UserConf, id: int) -> int:
    return _idpolicy(cnf, id, True)


def _gr_gidpolicy(cnf: UserConf, id: int) -> int:
    return _idpolicy(cnf, id, False)


def _alloc(used: set[int], lo: int, hi: int, reuse: bool, user: bool, what: str) -> int:
    """bitmap.c over [lo, hi]: bm_lastset (0 when empty), bm_firstunset; the uid/gid policy."""
    bits = {x - lo for x in used if lo <= x <= hi}
    last = max(bits) if bits else 0
    first = next(i for i in range(hi - lo + 2) if i not in bits)
    if user:
        v = last + lo + 1
        if reuse or v > hi:
            v = first + lo
    elif reuse:
        v = first + lo
    else:
        v = last + 1
        v = v + lo if v not in bits else first + lo
    if v < lo or v > hi:
        errx(EX_SOFTWARE, f"unable to allocate a new {what} - range fully used")
    return v


def _gidpolicy(cnf: UserConf, grname: str | None, nam: str, prefer: int, dryrun: bool) -> int:
    if grname is not None:
        g = C.db.getgrnam(grname)
        if g is None:
            g = C.db.getgrgid(pw_checkid(grname, GID_MAX))
        if g is None:
            errx(EX_NOUSER, f"group `{grname}' does not exist")
        return g.gid
    g = C.db.getgrnam(nam)
    if g is not None and not g.mem:
        return g.gid
    grid = prefer if C.db.getgrgid(prefer) is None else -1
    if dryrun:
        return _gr_gidpolicy(cnf, -1)
    if grid == -1:
        grid = _gr_gidpolicy(cnf, -1)
    _groupadd(cnf, nam, grid, None, -1, False, False, False)
    return C.db.getgrnam(nam).gid


def _shell_path(cnf: UserConf, sh: str | None) -> str:
    if sh is not None and (sh.startswith("/") or sh == ""):
        return sh
    for p in _split(cnf.shelldir.replace(":", " ")):
        for cand in ([sh] if sh is not None else cnf.shells):
            path = f"{p}/{cand}"
            # access(2) sees the calling process's files: the simulated root's (a jail's
            # placeholders), else this machine's programs, which the testbed runs
            if any(os.access(p2, os.X_OK) for p2 in (hoststate.hostpath(path),
                                                      C.root_real(path), path)):
                return path
    if sh is None:
        errx(EX_OSFILE, "can't find shell `(null)' in shell paths")
    errx(EX_CONFIG, "no default shell available or defined")


def _pw_password(cnf: UserConf, user: str, dryrun: bool) -> str:
    dp = cnf.default_password
    if dp == P_NONE:
        return ""
    if dp == P_RANDOM:
        chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./"
        pw = "".join(secrets.choice(chars) for _ in range(8 + secrets.randbelow(8)))
        if not dryrun:
            if sys.stdout.isatty():
                sys.stdout.write(f"Password for '{user}' is: ")
            sys.stdout.write(pw + "\n")
            sys.stdout.flush()
        return _crypt(pw)
    if dp == P_YES:
        return _crypt(user[:31])
    return "*"


def _set_passwd(pwd: PwEnt, fd: int, precrypted: bool, update: bool) -> bool:
    if fd == ord("-"):
        if not pwd.passwd or pwd.passwd[0] != "*":
            pwd.passwd = "*"
            return True
        return False
    prompt = (f"{'new ' if update else ''}{'encrypted ' if precrypted else ''}"
              f"password for user {pwd.name}:")
    pwd.passwd = _read_passwd("user", fd, prompt, precrypted)
    return True


def _read_passwd(kind: str, fd: int, prompt: str, precrypted: bool) -> str:
    """The password line on ``fd`` -> the entry's password field.  pw_group.c's reading differs
    from pw_user.c's: status 71 (EX_OSERR) and "-h" for -H too, the line cut at white space as
    well, "-1" for the fd, and its own message for a ':'."""
    user = kind == "user"
    try:
        line = _read_fd(fd, prompt)
    except OSError as e:
        if user:
            err(EX_IOERR, f"-{'H' if precrypted else 'h'} file descriptor", e)
        err(71, "-h file descriptor", e)
    for sep in "\r\n" if user else " \t\r\n":
        line = line.split(sep, 1)[0]
    if not line:
        errx(EX_DATAERR, f"empty password read on file descriptor {fd if user else -1}")
    if not precrypted:
        return _crypt(line)
    if ":" in line:
        errx(EX_DATAERR, "bad encrypted password" if user else "wrong encrypted passwrd")
    return line


def print_user(pwd: PwEnt, pretty: bool, v7: bool) -> int:
    if not pretty:
        sys.stdout.write((pwd.make_v7() if v7 else pwd.make()) + "\n")
        return 0
    g = C.db.getgrgid(pwd.gid)
    tok = [t for t in pwd.gecos.split(",") if t]
    uname, office, wphone, hphone = (tok + [None] * 4)[:4]
    if len(tok) > 4:   # strtok(NULL, "") takes the rest of the string
        hphone = pwd.gecos.split(tok[2], 1)[1].lstrip(",")
    uname = uname or "User &"
    if "&" in uname:
        uname = uname.replace("&", pwd.name[:1].upper() + pwd.name[1:], 1)

    def when(t: int) -> str:
        return time.strftime("%c", time.localtime(t)) if t > 0 else "[None]"
    out = (f"Login Name: {pwd.name:<15}   #{pwd.uid:<12} Group: "
           f"{g.name if g else '(invalid)':<15}   #{pwd.gid}\n"
           f" Full Name: {uname}\n"
           f"      Home: {pwd.dir[:26]:<26}      Class: {pwd.cls}\n"
           f"     Shell: {pwd.shell[:26]:<26}     Office: {office or '[None]'}\n"
           f"Work Phone: {(wphone or '[None]')[:26]:<26} Home Phone: {hphone or '[None]'}\n"
           f"Acc Expire: {when(pwd.expire)[:26]:<26} Pwd Expire: {when(pwd.change)}\n")
    mine = [gr.name for gr in C.db.groups() if pwd.name in gr.mem]
    if mine:
        out += "    Groups: " + ",".join(mine) + "\n"
    sys.stdout.write(out)
    return 0


def _arg1_id(arg1: str | None, maxval: int) -> tuple[int, str | None]:
    if arg1 is None:
        return -1, None
    if arg1 == "" or arg1.isdigit() and arg1.isascii():
        return pw_checkid(arg1, maxval), None
    return -1, arg1


# what pw_user.c / pw_group.c say of a missing name and id, and of an entry not found
_MISSING = {"user": ("username", EX_NOUSER, "no such uid", "no such user"),
            "group": ("groupname", EX_DATAERR, "unknown gid", "unknown group")}


def _lookup(kind: str, name: str | None, id: int, fatal: bool = True):
    """The user / group named, else the one with ``id``: a copy; None if there is none and
    not ``fatal``.  A user's name is checked first (pw_checkname), a group's is not."""
    what, code, noid, noname = _MISSING[kind]
    if id < 0 and name is None:
        errx(EX_DATAERR, f"{what} or id required")
    if kind == "user":
        ent = C.db.getpwnam(pw_checkname(name, False)) if name is not None else C.db.getpwuid(id)
    else:
        ent = C.db.getgrnam(name) if name is not None else C.db.getgrgid(id)
    if ent is None:
        if not fatal:
            return None
        errx(code, f"{noid} `{id}'" if name is None else f"{noname} `{name}'")
    return ent.copy()


def _rename_member(old: str, new: str | None) -> None:
    """In every group listing ``old`` as a member: ``new`` in its place (None: dropped)."""
    for g in C.db.groups():
        if old in g.mem:
            g2 = g.copy()
            if new is None:
                g2.mem.remove(old)
            else:
                g2.mem[g2.mem.index(old)] = new
            C.db.chggr(g.name, g2)


def _join_groups(member: str, gnames: list[str]) -> None:
    for gname in gnames:
        g = C.db.getgrnam(gname)
        if g is not None and member not in g.mem:
            g2 = g.copy()
            g2.mem.append(member)
            C.db.chggr(g.name, g2)


def _make_home(pwd: PwEnt, o: Opts, cnf: UserConf) -> None:
    """-m: the home from the skeleton (not with -V, nor for a relative home or /)."""
    if C.altdir != PWF_ALT and o.createhome and pwd.dir.startswith("/") and len(pwd.dir) > 1:
        _create_home(pwd, o.skel if o.skel is not None else cnf.dotdir,
                     o.homemode or cnf.homemode)


def user_show(args: list[str], arg1: str | None) -> int:
    o = _switches(Opts(*_arg1_id(arg1, UID_MAX)), args, "C:qn:u:FPa7", USER)
    _apply_quiet()
    if o.all:
        for u in C.db.users():
            print_user(u, o.pretty, o.v7)
        return 0
    pwd = _lookup("user", o.name, o.id, not o.force) or PwEnt(
        "nouser", "*", UID_MAX, UID_MAX, "", 0, 0, "User &", "/nonexistent", "/bin/sh")
    return print_user(pwd, o.pretty, o.v7)


def user_next(args: list[str], arg1: str | None) -> int:
    cnf, quiet = _next_opts(args)
    sys.stdout.write(f"{_uidpolicy(cnf, -1)}:")
    nxt = _gr_gidpolicy(cnf, -1)
    if not quiet:
        sys.stdout.write(f"{nxt}\n")
    return 0


def _userlock(args: list[str], arg1: str | None, lock: bool) -> int:
    _getopt(args, "Cq")
    if not _is_root():
        errx(EX_NOPERM, "you must be root")
    if arg1 is None:
        errx(EX_DATAERR, "username or id required")
    name, id = arg1, UID_MAX
    if arg1.isdigit() and arg1.isascii() or arg1 == "":
        id = pw_checkid(arg1, UID_MAX)
    pwd = C.db.getpwnam(pw_checkname(name, False))
    if pwd is None and id != UID_MAX:
        pwd = C.db.getpwuid(id)
        if pwd is not None:
            name = pwd.name
    if pwd is None:
        if id == UID_MAX:
            errx(EX_NOUSER, f"no such name or uid `{id}'")
        errx(EX_NOUSER, f"no such user `{name}'")
    pwd = pwd.copy()
    locked = pwd.passwd.startswith(LOCKED)
    if lock and locked:
        errx(EX_DATAERR, f"user '{pwd.name}' is already locked")
    if not lock and not locked:
        errx(EX_DATAERR, f"user '{pwd.name}' is not locked")
    pwd.passwd = LOCKED + pwd.passwd if lock else pwd.passwd[len(LOCKED):]
    _chgpwent(name, pwd)
    _flush()
    return 0


def user_lock(args: list[str], arg1: str | None) -> int:
    return _userlock(args, arg1, True)


def user_unlock(args: list[str], arg1: str | None) -> int:
    return _userlock(args, arg1, False)


def _chgpwent(name: str, pwd: PwEnt) -> None:
    if C.db.chgpw(name, pwd) == -1:
        errx(EX_IOERR, f"user '{pwd.name}' does not exist (NIS?)")


def user_add(args: list[str], arg1: str | None) -> int:
    o = Opts(*_arg1_id(arg1, UID_MAX))
    if o.name is not None:
        pw_checkname(o.name, False)
    _switches(o, args, "C:qn:u:c:d:e:p:g:G:mM:k:s:oL:i:w:h:H:Db:NPy:Y", USERADD)
    cnf = _root_and_config(o)
    # mix_config: the switches over pw.conf (-k, -M: _make_home; -g, -s: below)
    groups = o.groups
    if groups is None:
        groups = [_group_from_name_or_id(g).name for g in cnf.groups]
    cls = o.cls if o.cls is not None else cnf.default_class
    home = o.home or cnf.home
    if o.passwd is not None:
        cnf.default_password = passwd_val(o.passwd, cnf.default_password)
    name = o.name
    if o.genconf:
        if name is not None:
            errx(EX_DATAERR, "can't combine `-D' with `-n name'")
        errx(EX_SOFTWARE, "-D (writing pw.conf) is not simulated by the testbed")
    id = pw_checkid(o.userid, UID_MAX) if o.userid is not None else o.id
    if id < 0 and name is None:
        errx(EX_DATAERR, "user name or id required")
    if name is None:
        errx(EX_DATAERR, "login name required")
    if C.db.getpwnam(name) is not None:
        errx(EX_DATAERR, f"login name `{name}' already exists")
    grname = o.grname if o.grname is not None else cnf.default_group
    pwd = PwEnt(name, "*", 0, 0, cls or "", 0, 0, "User &", "/nonexistent", "/bin/sh")
    pwd.uid = _uidpolicy(cnf, id)
    pwd.gid = _gidpolicy(cnf, grname, name, pwd.uid, o.dryrun)
    if o.change > 0:
        pwd.change = o.change
    if o.expire > 0:
        pwd.expire = o.expire
    if o.homedir is not None:
        pwd.dir = o.homedir
    else:
        if not home:
            errx(EX_CONFIG, "no base home directory set")
        pwd.dir = f"{home}/{name}"
    pwd.shell = _shell_path(cnf, o.shell if o.shell is not None else cnf.shell_default)
    pwd.passwd = _pw_password(cnf, name, o.dryrun)
    if pwd.uid == 0 and name != "root":
        _warnx(f"WARNING: new account `{name}' has a uid of 0 (superuser access!)")
    if o.gecos is not None:
        pwd.gecos = o.gecos
    if o.fd != -1:
        _set_passwd(pwd, o.fd, o.precrypted, False)
    if o.dryrun:
        return print_user(pwd, o.pretty, False)
    if C.db.addpw(pwd) != 0:
        errx(EX_IOERR, f"user '{name}' already exists")
    _join_groups(name, groups)
    _flush()
    if C.altdir != PWF_ALT:
        _touch_mail(pwd)
    _make_home(pwd, o, cnf)
    return 0


def _warnx(msg: str) -> None:
    if not C.quiet:
        sys.stderr.write(f"pw: {msg}\n")


def _touch_mail(pwd: PwEnt) -> None:
    path = C.root_real(f"/var/mail/{pwd.name}")
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.lchown(path, pwd.uid, pwd.gid)
    except OSError:
        pass


def _mkdir_home_parents(home: str) -> None:
    if not home.startswith("/"):
        errx(EX_DATAERR, f"invalid base directory for home '{home}'")
    rel = home[1:]
    real = C.root_real
    if os.path.exists(real("/" + rel)):
        if os.path.isdir(real("/" + rel)):
            return
        errx(EX_OSFILE, f"root home `/{rel}' is not a directory")
    if "/" not in rel:
        return
    dirs = rel[:rel.rfind("/")]
    if "/" not in dirs:
        # "a kludge especially for Joerg": /home is really /usr/home, plus a symlink
        tmp = f"usr/{dirs}"
        try:
            os.mkdir(real("/" + tmp), 0o777)
            ok = True
        except FileExistsError:
            ok = True
        except OSError:
            ok = False
        if ok:
            with contextlib.suppress(OSError):
                os.chown(real("/" + tmp), 0, 0)
            with contextlib.suppress(OSError):
                os.symlink(tmp, real("/" + dirs))
    if not os.path.exists(real("/" + dirs)):
        parts = dirs.split("/")
        for i in range(1, len(parts)):
            sub = "/".join(parts[:i])
            if not os.path.exists(real("/" + sub)):
                try:
                    os.mkdir(real("/" + sub), 0o777)
                except OSError as e:
                    err(EX_OSFILE, f"'{sub}' (root home parent) is not a directory", e)
    if not os.path.exists(real("/" + dirs)):
        try:
            os.mkdir(real("/" + dirs), 0o777)
        except OSError as e:
            err(EX_OSFILE, f"'{dirs}' (root home parent) is not a directory", e)
        with contextlib.suppress(OSError):
            os.chown(real("/" + dirs), 0, 0)


def _lstat_each(d: str, names: list[str]) -> Iterator[tuple[str, str, os.stat_result]]:
    """(name, path, lstat) of each of ``names`` in ``d``; one lstat(2) fails on is passed over."""
    for n in names:
        p = os.path.join(d, n)
        try:
            st = os.lstat(p)
        except OSError:
            continue
        yield n, p, st


def _copymkdir(real_dir: str, shown: str, skel: str | None, mode: int, uid: int,
               gid: int) -> None:
    """cpdir.c copymkdir: existing files are not overwritten; dot.foo becomes .foo."""
    try:
        os.mkdir(real_dir, mode or 0o777)
    except FileExistsError:
        pass
    except OSError as e:
        _warnx(f"mkdir({shown}): {strerror(e.errno or 0)}")
        return
    with contextlib.suppress(OSError):
        os.lchown(real_dir, uid, gid)
    if skel is None or not os.path.isdir(skel):
        return
    for ent, src, st in _lstat_each(skel, sorted(os.listdir(skel))):
        name = "." + ent[4:] if ent.startswith("dot.") else ent
        dst = os.path.join(real_dir, name)
        if stat.S_ISDIR(st.st_mode):
            _copymkdir(dst, f"{shown}/{name}", src, st.st_mode & 0o777, uid, gid)
        elif stat.S_ISLNK(st.st_mode):
            with contextlib.suppress(OSError):
                os.symlink(os.readlink(src), dst)
                os.lchown(dst, uid, gid)
        elif stat.S_ISREG(st.st_mode):
            try:
                fd = os.open(dst, os.O_RDWR | os.O_CREAT | os.O_EXCL, st.st_mode & 0o7777)
            except OSError:
                continue
            with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                shutil.copyfileobj(inp, out)
                with contextlib.suppress(OSError):
                    os.fchown(out.fileno(), uid, gid)


def _create_home(pwd: PwEnt, skel: str | None, homemode: int) -> None:
    _mkdir_home_parents(pwd.dir)
    skel_real = C.root_real(skel) if skel else None
    _copymkdir(C.root_real(pwd.dir), pwd.dir.lstrip("/"), skel_real, homemode, pwd.uid,
               pwd.gid)


def _rm_r(real: str, uid: int) -> None:
    """rm_r.c: remove what ``uid`` owns below ``real`` (symlinks always), then the dir."""
    try:
        names = os.listdir(real)
    except OSError:
        names = []
    for _, p, st in _lstat_each(real, names):
        if stat.S_ISDIR(st.st_mode):
            _rm_r(p, uid)
        elif stat.S_ISLNK(st.st_mode) or st.st_uid == uid:
            with contextlib.suppress(OSError):
                os.unlink(p)
    try:
        st = os.lstat(real)
    except OSError:
        return
    with contextlib.suppress(OSError):
        if stat.S_ISLNK(st.st_mode):
            os.unlink(real)
        elif st.st_uid == uid:
            os.rmdir(real)


def user_del(args: list[str], arg1: str | None) -> int:
    o = _switches(Opts(*_arg1_id(arg1, UID_MAX)), args, "C:qn:u:rYy:", USER)
    _apply_quiet()
    pwd = _lookup("user", o.name, o.id)
    id = pwd.uid
    name = o.name if o.name is not None else pwd.name
    if pwd.name == "root":
        errx(EX_DATAERR, "cannot remove user 'root'")
    if C.altdir == PWF_REGULAR:
        with contextlib.suppress(OSError):
            os.unlink(C.root_real(f"/var/cron/tabs/{pwd.name}"))
    home = pwd.dir
    gr = C.db.getgrgid(pwd.gid)
    grname = gr.name if gr is not None else ""
    C.db.delpw(pwd.name)
    g = C.db.getgrnam(name)
    if g is not None and not g.mem and name == grname:
        C.db.delgr(name)
    _rename_member(name, None)
    _flush()
    if C.altdir != PWF_ALT:
        with contextlib.suppress(OSError):
            os.unlink(C.root_real(f"/var/mail/{pwd.name}"))
        if o.deletehome and home.startswith("/") and C.db.getpwuid(id) is None \
                and os.path.exists(C.root_real(home)):
            _rm_r(C.root_real(home), id)
    return 0


def user_mod(args: list[str], arg1: str | None) -> int:
    o = _switches(Opts(*_arg1_id(arg1, UID_MAX)), args,
                  "C:qn:u:c:d:e:p:g:G:mM:l:k:s:w:L:h:H:NPYy:", USER)
    cnf = _root_and_config(o)
    pwd = _lookup("user", o.name, o.id)
    name = o.name if o.name is not None else pwd.name
    id, newname, homedir = o.id, o.newname, o.homedir
    edited = False
    if newname is not None:
        if pwd.name == "root":
            errx(EX_DATAERR, "can't rename `root' account")
        if pwd.name != newname:
            pwd.name = pw_checkname(newname, False)
            edited = True
    if id >= 0 and pwd.uid != id:
        pwd.uid = id
        edited = True
        if id != 0 and pwd.name == "root":
            errx(EX_DATAERR, "can't change uid of `root' account")
        if id == 0 and pwd.name != "root":
            _warnx(f"WARNING: account `{pwd.name}' will have a uid of 0 (superuser access!)")
    if o.grname is not None and pwd.uid != 0:
        g = C.db.getgrnam(o.grname) or C.db.getgrgid(pw_checkid(o.grname, GID_MAX))
        if g.gid != pwd.gid:
            pwd.gid, edited = g.gid, True
    if o.change >= 0 and pwd.change != o.change:
        pwd.change, edited = o.change, True
    if o.expire >= 0 and pwd.expire != o.expire:
        pwd.expire, edited = o.expire, True
    if o.shell is not None:
        shell = _shell_path(cnf, o.shell)
        if shell != pwd.shell:
            pwd.shell, edited = shell, True
    if o.cls is not None and pwd.cls != o.cls:
        pwd.cls, edited = o.cls, True
    if homedir is not None and pwd.dir != homedir:
        pwd.dir, edited = homedir, True
        p = C.root_real(homedir) if homedir.startswith("/") else homedir
        if not os.path.exists(p):
            if not o.createhome:
                _warnx(f"WARNING: home `{homedir}' does not exist")
        elif not os.path.isdir(p):
            _warnx(f"WARNING: home `{homedir}' is not a directory")
    if o.passwd is not None:
        cnf.default_password = passwd_val(o.passwd, cnf.default_password)
        pwd.passwd = _pw_password(cnf, pwd.name, o.dryrun)
        edited = True
    if o.gecos is not None and pwd.gecos != o.gecos:
        pwd.gecos, edited = o.gecos, True
    if o.fd != -1:
        edited = _set_passwd(pwd, o.fd, o.precrypted, True)
    if o.dryrun:
        return print_user(pwd, o.pretty, False)
    if edited:
        _chgpwent(name, pwd)
    if o.groups is not None:
        _rename_member(name, None)
        _join_groups(pwd.name, o.groups)
    if newname is not None:
        _rename_member(name, newname)
    _flush()
    _make_home(pwd, o, cnf)
    return 0


# ------------------------------------------------------------------------------- groups

def print_group(g: GrEnt, pretty: bool) -> int:
    if pretty:
        sys.stdout.write(f"Group Name: {g.name:<15}   #{g.gid}\n   Members: "
                         + ",".join(g.mem) + "\n\n")
    else:
        sys.stdout.write(g.make() + "\n")
    return 0


def _add_members(g: GrEnt, members: str | None) -> None:
    for p in _split(members or ""):
        pwd = C.db.getpwnam(p)
        if pwd is None and p[:1].isdigit():
            pwd = C.db.getpwuid(_atoi(p))
        if pwd is None:
            errx(EX_NOUSER, f"user `{p}' does not exist")
        if pwd.name not in g.mem:
            g.mem.append(pwd.name)


def _atoi(s: str) -> int:
    n = ""
    for ch in s:
        if not ch.isdigit():
            break
        n += ch
    return int(n or 0)


def _grp_set_passwd(g: GrEnt, update: bool, fd: int, precrypted: bool) -> None:
    if fd == -1:
        return
    if fd == ord("-"):
        g.passwd = "*"
        return
    g.passwd = _read_passwd("group", fd, f"{'New p' if update else 'P'}assword for group "
                            f"{g.name}:", precrypted)


def _groupadd(cnf: UserConf, name: str, id: int, members: str | None, fd: int, dryrun: bool,
              pretty: bool, precrypted: bool) -> int:
    g = GrEnt(pw_checkname(name, False), "*", _gr_gidpolicy(cnf, id), [])
    _grp_set_passwd(g, False, fd, precrypted)
    _add_members(g, members)
    if dryrun:
        return print_group(g, pretty)
    if C.db.addgr(g) != 0:
        errx(EX_IOERR, f"group '{g.name}' already exists")
    return 0


def _group_opts(args: list[str], arg1: str | None, optstring: str) -> Opts:
    o = _switches(Opts(*_arg1_id(arg1, GID_MAX)), args, optstring, GROUP)
    _apply_quiet()
    return o


def group_add(args: list[str], arg1: str | None) -> int:
    o = _group_opts(args, arg1, "C:qn:g:h:H:M:oNPY")
    if o.name is None:
        errx(EX_DATAERR, "group name required")
    if C.db.getgrnam(o.name) is not None:
        errx(EX_DATAERR, f"group name `{o.name}' already exists")
    cnf = _config(o.cfg)
    rc = _groupadd(cnf, o.name, _gr_gidpolicy(cnf, o.id), o.members, o.fd, o.dryrun, o.pretty,
                   o.precrypted)
    _flush()
    return rc


def group_del(args: list[str], arg1: str | None) -> int:
    o = _group_opts(args, arg1, "C:qn:g:Y")
    g = _lookup("group", o.name, o.id)
    C.db.delgr(g.name)
    _flush()
    return 0


def group_show(args: list[str], arg1: str | None) -> int:
    o = _group_opts(args, arg1, "C:qn:g:FPa")
    if o.all:
        for g in C.db.groups():
            print_group(g, o.pretty)
        return 0
    g = _lookup("group", o.name, o.id, not o.force)
    return print_group(g or GrEnt("nogroup", "*", GID_MAX, []), o.pretty)


def group_mod(args: list[str], arg1: str | None) -> int:
    o = _group_opts(args, arg1, "C:qn:d:g:l:h:H:M:m:NPY")
    g = _lookup("group", o.name, o.id)
    name = o.name if o.name is not None else g.name
    if o.id > 0:
        g.gid = o.id
    if o.newname is not None:
        g.name = pw_checkname(o.newname, False)
    _grp_set_passwd(g, True, o.fd, o.precrypted)
    if o.members is not None:
        g.mem = []
        _add_members(g, o.members)
    elif o.delmembers is not None:
        for p in _split(o.delmembers):
            if p in g.mem:
                g.mem.remove(p)
    elif o.addmembers is not None:
        _add_members(g, o.addmembers)
    if o.dryrun:
        return print_group(g, o.pretty)
    if C.db.chggr(name, g) != 0:
        errx(EX_IOERR, f"group '{g.name}' not available (NIS?)")
    _flush()
    return 0


def group_next(args: list[str], arg1: str | None) -> int:
    cnf, quiet = _next_opts(args)
    nxt = _gr_gidpolicy(cnf, -1)
    if quiet:
        return nxt
    sys.stdout.write(f"{nxt}\n")
    return 0
