"""Per-root installed-package database, and the "which root am I working on" context.

A *root* is the host's ``/`` or a jail's root (its dataset's mountpoint, seen from the host).
The database is a JSON file inside that root (``/var/db/pkg/testbed-local.json``), so a jail's
packages live in the jail's dataset (cloned, snapshotted, rolled back with it) and survive
reboots.  Layout::

    {"packages": {name: {"version", "origin", "comment", "automatic": 0|1, "locked": 0|1,
                         "timestamp", "flatsize", "repository", "files": [...], "dirs": [...],
                         "message", "deps": [...], "maintainer", "www", "prefix", "licenses"}},
     "repos_fetched": bool}

:class:`Root` maps a path inside the root to the real path (through hoststate.hostpath).
:func:`current` gives the root of the calling process: the jail named by ``$TESTBED_JAIL``
(set by jexec) or the host; :func:`for_jail` the root of ``-j jail``.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

from . import hoststate, pkgcatalog

DB = "/var/db/pkg/testbed-local.json"


# ---------------------------------------------------------------- jails (colleague's model)

def _jailctx():
    try:
        from . import jailctx  # type: ignore[attr-defined]
        return jailctx
    except ImportError:
        return None


def jail_record(st: Any, name_or_jid: str) -> dict[str, Any] | None:
    """The running jail ``name_or_jid`` (jailctx.jail_info, else runtime["jails"]), or None."""
    jc = _jailctx()
    if jc is not None and hasattr(jc, "jail_info"):
        try:
            return jc.jail_info(st, str(name_or_jid))
        except Exception:  # noqa: BLE001 - degrade to the plain runtime lookup
            pass
    jails = st.runtime.get("jails") or {}
    items = jails.values() if isinstance(jails, dict) else jails
    for j in items:
        if isinstance(j, dict) and (str(j.get("name")) == str(name_or_jid)
                                    or str(j.get("jid")) == str(name_or_jid)):
            return j
    return None


def jail_param(rec: dict[str, Any] | None, key: str, default: Any = None) -> Any:
    if not rec:
        return default
    for src in (rec.get("params") or {}, rec):
        if key in src:
            return src[key]
        alt = key.replace(".", "_")
        if alt in src:
            return src[alt]
    return default


def current_jail_name() -> str | None:
    jc = _jailctx()
    if jc is not None and hasattr(jc, "current_jail"):
        try:
            j = jc.current_jail()
            if isinstance(j, dict):
                return j.get("name")
            if j:
                return str(j)
            return None
        except Exception:  # noqa: BLE001
            pass
    return os.environ.get("TESTBED_JAIL") or None


def host_real(path: str) -> str:
    """The real path of a *host* path, also from inside a jail's view.

    Inside jexec the jail's /etc, /var, /usr/local... hide the host's; paths elsewhere
    (/jails/...) are the host's.  The host's /var stays reachable at $TESTBED_HOST_VAR; in fast
    tests (TESTBED_ROOT = the jail's path) the host root is that variable's parent."""
    hv = os.environ.get("TESTBED_HOST_VAR")
    if hv and os.environ.get("TESTBED_JAIL"):
        if hoststate.root() != "/":
            return os.path.join(os.path.dirname(hv.rstrip("/")), path.lstrip("/"))
        if path == "/var" or path.startswith("/var/"):
            return hv.rstrip("/") + path[4:]
        return path
    return hoststate.hostpath(path)


class Root:
    """The filesystem root a command works on: the host (jail None) or a jail.

    ``prefix`` is the root's path on the host ("" = the host's root); ``host_view`` says the
    prefix is a host path (``-j jail``, a server in another jail) rather than the calling
    process's own view (inside jexec, where the jail's trees already are at /)."""

    def __init__(self, jail: str | None = None, prefix: str = "", jid: Any = None,
                 host_view: bool | None = None):
        self.jail = jail
        self.prefix = prefix.rstrip("/")
        self.jid = jid
        self.host_view = bool(self.prefix) if host_view is None else host_view

    def real(self, path: str) -> str:
        p = (self.prefix + path) if self.prefix else path
        return host_real(p) if self.host_view else hoststate.hostpath(p)

    @property
    def key(self) -> str:
        return self.jail or "host"

    def exists(self, path: str) -> bool:
        return os.path.lexists(self.real(path))

    def read(self, path: str) -> str | None:
        try:
            with open(self.real(path), encoding="utf-8", errors="replace") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def write(self, path: str, text: str, mode: int = 0o644) -> None:
        real = self.real(path)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        if os.path.islink(real):
            os.remove(real)
        with open(real, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(real, mode)


def for_jail(st: Any, name_or_jid: str) -> Root | None:
    rec = jail_record(st, name_or_jid)
    if rec is None:
        return None
    path = rec.get("path") or jail_param(rec, "path") or "/"
    return Root(str(rec.get("name") or name_or_jid), path, rec.get("jid"))


def current(st: Any | None = None) -> Root:
    """The root of the calling process.  Inside a jail (jexec sets TESTBED_JAIL and mounts the
    jail's /etc, /var, /usr/local... over the host's, or points TESTBED_ROOT at the jail's path
    in fast tests) the plain paths already are the jail's: the prefix stays empty."""
    name = current_jail_name()
    if not name:
        return Root()
    jid = None
    try:
        if st is None:
            with hoststate.locked(write=False) as s:
                rec = jail_record(s, name)
        else:
            rec = jail_record(st, name)
        jid = (rec or {}).get("jid")
    except OSError:
        pass
    return Root(name, "", jid)


# ---------------------------------------------------------------- the database

def load(root: Root) -> dict[str, Any]:
    try:
        with open(root.real(DB), encoding="utf-8") as f:
            db = json.load(f)
    except (FileNotFoundError, ValueError):
        db = {}
    db.setdefault("packages", {})
    db.setdefault("repos_fetched", False)
    return db


def save(root: Root, db: dict[str, Any]) -> None:
    real = root.real(DB)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(real), prefix=".pkgdb-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(db, f, indent=1, sort_keys=True)
    os.replace(tmp, real)


def installed(root: Root) -> dict[str, dict[str, Any]]:
    return load(root)["packages"]


def pkg_bootstrapped(root: Root) -> bool:
    return os.path.exists(root.real("/usr/local/sbin/pkg"))


# programs installed by packages (not on the host): basename -> tool module
PACKAGE_PROGRAMS = {"psql": "pg", "createuser": "pg", "createdb": "pg", "dropdb": "pg",
                    "dropuser": "pg", "initdb": "pg", "pg_ctl": "pg", "pg_isready": "pg",
                    "nginx": "nginx", "pkg": "pkg", "pkg-static": "pkg"}


def launcher_text() -> str:
    """Launcher of a package's program: like dispatch.launcher_text, but through
    :func:`run_program` (package programs are not in dispatch.TOOLS: those are host programs)."""
    from . import host
    return (f"#!{host.python_path()} -SE\n"
            "import sys\n"
            f"sys.path.insert(0, {host.IN_HOST_PKG_PARENT!r})\n"
            "from freebsd_testbed.pkgdb import run_program\n"
            "run_program()\n")


def run_program() -> None:
    import importlib
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    mod = PACKAGE_PROGRAMS.get(name)
    if mod is None:
        sys.stderr.write(f"{name}: Command not found.\n")
        os._exit(127)
    try:
        rc = importlib.import_module(f"freebsd_testbed.tools.{mod}").main(sys.argv)
    except KeyboardInterrupt:
        rc = 130
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    sys.stderr.flush()
    os._exit(rc & 0xFF)


def _placeholder(path: str, pkg: dict[str, Any]) -> str:
    return f"#!/bin/sh\n# {path}: part of {pkgcatalog.pkgfile(pkg)} (simulated by the testbed)\nexit 0\n"


def extract(root: Root, pkg: dict[str, Any]) -> list[str]:
    """Write the package's files, symlinks and launchers into ``root``; return its file list."""
    files: list[str] = []
    for path, text in pkg["files"].items():
        if text is None:
            text = _placeholder(path, pkg)
            mode = 0o755 if "/bin/" in path or "/sbin/" in path else 0o644
        else:
            mode = 0o555 if "/rc.d/" in path else 0o644
        if path.endswith(("nginx.conf", "mime.types", "fastcgi_params")) and root.exists(path):
            files.append(path)
            continue  # keep the admin's edited config (pkg keeps modified config files)
        root.write(path, text, mode)
        files.append(path)
    lt = None
    for path in pkg.get("launchers", {}):
        lt = lt or launcher_text()
        root.write(path, lt, 0o755)
        files.append(path)
    for link, target in pkg.get("symlinks", {}).items():
        real = root.real(link)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        if os.path.lexists(real):
            if os.path.isdir(real) and not os.path.islink(real):
                continue
            os.remove(real)
        os.symlink(os.path.relpath(target, os.path.dirname(link)), real)
        files.append(link)
    for d in pkg.get("dirs", []):
        os.makedirs(root.real(d), exist_ok=True)
    return files


def remove_files(root: Root, files: list[str]) -> None:
    for path in files:
        real = root.real(path)
        try:
            if os.path.islink(real) or os.path.isfile(real):
                os.remove(real)
        except OSError:
            pass
        # prune now-empty parent directories below /usr/local
        d = os.path.dirname(path)
        while d.startswith("/usr/local/") and d.count("/") > 3:
            try:
                os.rmdir(root.real(d))
            except OSError:
                break
            d = os.path.dirname(d)


def record(db: dict[str, Any], pkg: dict[str, Any], files: list[str], automatic: bool) -> None:
    old = db["packages"].get(pkg["name"])
    db["packages"][pkg["name"]] = {
        "version": pkg["version"], "origin": pkg["origin"], "comment": pkg["comment"],
        "automatic": 1 if automatic else 0, "locked": (old or {}).get("locked", 0),
        "timestamp": int(time.time()), "flatsize": pkg["flatsize"], "pkgsize": pkg["pkgsize"],
        "repository": "FreeBSD-ports", "files": files, "message": pkg.get("message", ""),
        "deps": list(pkg["deps"]), "maintainer": pkg.get("maintainer", ""),
        "www": pkg.get("www", ""), "prefix": pkg.get("prefix", "/usr/local"),
        "licenses": pkg.get("licenses", []),
    }


# ---------------------------------------------------------------- users and groups

def _lines(root: Root, path: str) -> list[str]:
    return (root.read(path) or "").splitlines()


def has_group(root: Root, name: str) -> bool:
    return any(ln.split(":", 1)[0] == name for ln in _lines(root, "/etc/group"))


def has_user(root: Root, name: str) -> bool:
    return any(ln.split(":", 1)[0] == name for ln in _lines(root, "/etc/passwd"))


def user_entry(root: Root, name: str) -> list[str] | None:
    for ln in _lines(root, "/etc/passwd"):
        f = ln.split(":")
        if f[0] == name and len(f) >= 7:
            return f
    return None


USER_INFO = {
    "www": ("World Wide Web Owner", "/nonexistent", "/usr/sbin/nologin"),
    "postgres": ("PostgreSQL Daemon", "/var/db/postgres", "/bin/sh"),
}


def add_group(root: Root, name: str, gid: int) -> None:
    text = root.read("/etc/group") or ""
    if text and not text.endswith("\n"):
        text += "\n"
    root.write("/etc/group", text + f"{name}:*:{gid}:\n")


def add_user(root: Root, name: str, uid: int, gid: int) -> None:
    gecos, home, shell = USER_INFO.get(name, (name, "/nonexistent", "/usr/sbin/nologin"))
    text = root.read("/etc/passwd") or ""
    if text and not text.endswith("\n"):
        text += "\n"
    root.write("/etc/passwd", text + f"{name}:*:{uid}:{gid}:{gecos}:{home}:{shell}\n")
    mp = root.read("/etc/master.passwd")
    if mp is not None:
        if mp and not mp.endswith("\n"):
            mp += "\n"
        root.write("/etc/master.passwd",
                   mp + f"{name}:*:{uid}:{gid}::0:0:{gecos}:{home}:{shell}\n", 0o600)
    if home != "/nonexistent":
        os.makedirs(root.real(home), exist_ok=True)


def out(text: str) -> None:
    sys.stdout.write(text)
