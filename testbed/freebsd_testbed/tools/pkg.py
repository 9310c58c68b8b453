"""pkg(8): the bootstrap stub /usr/sbin/pkg (base) and the real pkg /usr/local/sbin/pkg.

[SRC freebsd-src usr.sbin/pkg/pkg.c; freebsd/pkg 2.x src/{main,install,delete,info,query,which,
update,upgrade}.c].  Both programs are this module: ``/usr/sbin/pkg`` bootstraps when the
calling root (host, or the jail inside jexec) has no ``/usr/local/sbin/pkg``, then behaves as
the real pkg.  The repository is :mod:`pkgcatalog` (offline); the installed database is
:mod:`pkgdb` (a JSON file in the target root: the host's, the jail's with ``-j``, a directory's
with ``-c``/``-r``).  Output follows pkg's non-tty format (progress as ``.......... done``).
"""
from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import os
import re
import sys
import time
from typing import Any, Iterator

from .. import hoststate, pkgcatalog, pkgdb
from ._common import getopt, UsageError

PROG = "pkg"
DOTS = ".........."
REPO_ADDR = "146.75.122.132"   # pkg.FreeBSD.org (a CDN address: "the internet" for net.py)

USAGE = """Usage: pkg [-v] [-d] [-l] [-N] [-j <jail name or id>|-c <chroot path>|-r <rootdir>] [-C <configuration file>] [-R <repo config dir>] [-o var=value] [-4|-6] <command> [<args>]

For more information on available commands and options see 'pkg help'.
"""


class PkgExit(Exception):
    def __init__(self, code: int):
        self.code = code


def _w(s: str) -> None:
    sys.stdout.write(s)


def _e(s: str) -> None:
    sys.stderr.write(s)


def warnx(msg: str) -> None:
    sys.stdout.flush()
    _e(f"pkg: {msg}\n")


def humanize(n: int) -> str:
    """humanize_number(buf, 8, n, "B", HN_AUTOSCALE, HN_IEC_PREFIXES)."""
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    x = float(n)
    i = 0
    while x >= 999.5 and i < len(units) - 1:
        x /= 1024
        i += 1
    return f"{int(x + 0.5)} {units[i]}"


def _yes_env(opts: dict[str, str]) -> bool:
    v = opts.get("ASSUME_ALWAYS_YES", os.environ.get("ASSUME_ALWAYS_YES", ""))
    return v.strip().lower() in ("yes", "true", "1", "on")


def _query_yesno(prompt: str) -> bool:
    _w(prompt)
    sys.stdout.flush()
    try:
        line = sys.stdin.readline()
    except (OSError, ValueError):
        line = ""
    if not line:
        return False
    return line.strip().lower() in ("y", "yes")


@contextlib.contextmanager
def _dblock(root: pkgdb.Root) -> Iterator[None]:
    path = root.real("/var/db/pkg/.testbed-lock")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# ---------------------------------------------------------------- network

def _net_error(root: pkgdb.Root) -> str | None:
    """Why the repository cannot be reached from ``root``'s network stack (None: it can)."""
    resolv = root.read("/etc/resolv.conf") or ""
    if not re.search(r"^\s*nameserver\s+\S+", resolv, re.M):
        return "No address record"
    try:
        from .. import net
    except ImportError:
        return None
    try:
        with hoststate.locked(write=False) as st:
            vn = net.HOST
            if root.jail and root.jail in net.vnets(st):
                vn = root.jail
            if not net.vnets(st):
                return None  # network model not booted: assume the internet works
            ok, reason = net.reachable(st, vn, REPO_ADDR, "tcp", 443)
            if not ok:
                ns = re.search(r"^\s*nameserver\s+(\S+)", resolv, re.M).group(1)
                dns_ok, _ = net.reachable(st, vn, ns, "udp", 53)
                if not dns_ok:
                    return "No address record"
                if reason in ("No route to host", "Network is unreachable", "Network is down"):
                    return reason
                return "Operation timed out"
    except Exception:  # noqa: BLE001 - a half-built net model must not break pkg
        return None
    return None


# ---------------------------------------------------------------- bootstrap (/usr/sbin/pkg)

def _bootstrap_install(root: pkgdb.Root) -> int:
    url = pkgcatalog.REPO_URL
    _w(f"Bootstrapping pkg from {url}, please wait...\n")
    sys.stdout.flush()
    err = _net_error(root)
    if err is not None:
        _e(f"pkg: Error fetching {url.replace('pkg+', '')}/Latest/pkg.pkg: {err}\n")
        _e("A pre-built version of pkg could not be found for your system.\n")
        return 1
    _w(f"Verifying signature with trusted certificate {pkgcatalog.BOOTSTRAP_CERT}... done\n")
    p = pkgcatalog.PACKAGES["pkg"]
    nv = pkgcatalog.pkgfile(p)
    _w(f"Installing {nv}...\n")
    with _dblock(root):
        files = pkgdb.extract(root, p)
        db = pkgdb.load(root)
        pkgdb.record(db, p, files, automatic=False)
        pkgdb.save(root, db)
    _w(f"Extracting {nv}: {DOTS} done\n")
    return 0


def bootstrap_stub(args: list[str]) -> int | None:
    """pkg.c's main: return an exit code, or None to go on as the real pkg."""
    root = pkgdb.current()
    # pkg.c scans the arguments for its own business (bootstrap, add, -N, -f, -y)
    activation = False
    cmd = None
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-j", "-c", "-r", "-C", "-R", "-o"):
            i += 2
            continue
        if a.startswith("-") and cmd is None:
            if "N" in a[1:] and not a.startswith("--"):
                activation = True
            i += 1
            continue
        if cmd is None:
            cmd = a
            rest = args[i + 1:]
            break
        i += 1
    else:
        rest = []
    bootstrap_only = cmd == "bootstrap"
    force = bootstrap_only and any(x in ("-f",) or (x.startswith("-") and "f" in x) for x in rest)
    yes = bootstrap_only and any(x.startswith("-") and "y" in x for x in rest)
    have = pkgdb.pkg_bootstrapped(root)
    if (bootstrap_only and force) or not have:
        if activation:
            warnx("pkg is not installed")
            return 1
        if not yes:
            yes = _yes_env({})
        if not yes:
            if not sys.stdin.isatty():
                _e("The package management tool is not yet installed on your system.\n"
                   "Please set ASSUME_ALWAYS_YES=yes environment variable to be able to "
                   "bootstrap in non-interactive (stdin not being a tty)\n")
                return 1
            _w("The package management tool is not yet installed on your system.\n"
               "Do you want to fetch and install it now? [y/N]: ")
            sys.stdout.flush()
            line = sys.stdin.readline()
            if not line.strip().lower().startswith("y"):
                return 1
        if _bootstrap_install(root) != 0:
            return 1
        if bootstrap_only:
            return 0
        return None
    if bootstrap_only:
        _w("pkg already bootstrapped at /usr/local/sbin/pkg\n")
        return 0
    return None


# ---------------------------------------------------------------- main

# pkg(8)'s global long options (getopt_long in main.c), before the command word
_LONG = {"--jail": "-j", "--chroot": "-c", "--rootdir": "-r", "--config": "-C",
         "--repo-conf-dir": "-R", "--option": "-o", "--debug": "-d", "--list": "-l",
         "--only-ipv4": "-4", "--only-ipv6": "-6"}


def _long_options(args: list[str]) -> list[str]:
    out: list[str] = []
    for i, a in enumerate(args):
        if not a.startswith("-"):
            return out + args[i:]
        name, eq, val = a.partition("=")
        if name in _LONG:
            out.append(_LONG[name])
            if eq:
                out.append(val)
        else:
            out.append(a)
    return out


def main(argv: list[str]) -> int:
    args = _long_options(argv[1:])
    prog0 = argv[0] if argv else "pkg"
    try:
        if not prog0.endswith("/usr/local/sbin/pkg") and not prog0.endswith("pkg-static"):
            rc = bootstrap_stub(args)
            if rc is not None:
                return rc
        return _real(args)
    except PkgExit as e:
        return e.code
    except BrokenPipeError:
        return 1


def _real(args: list[str]) -> int:
    jail = chroot = rootdir = None
    opts: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--version":
            _w(pkgcatalog.PKG_VERSION + "\n")
            return 0
        if not a.startswith("-") or a == "-":
            break
        if a == "--":
            i += 1
            break
        j = 1
        consumed_next = False
        while j < len(a):
            c = a[j]
            if c in "jcrCRo":
                val = a[j + 1:]
                if not val:
                    if i + 1 >= len(args):
                        _e(f"pkg: option requires an argument -- {c}\n")
                        _e(USAGE)
                        return 1
                    val = args[i + 1]
                    consumed_next = True
                if c == "j":
                    jail = val
                elif c == "c":
                    chroot = val
                elif c == "r":
                    rootdir = val
                elif c == "o":
                    if "=" in val:
                        k, v = val.split("=", 1)
                        opts[k] = v
                break
            if c == "v":
                _w(pkgcatalog.PKG_VERSION + "\n")
                return 0
            if c in "dlN46":
                j += 1
                continue
            _e(f"pkg: illegal option -- {c}\n")
            _e(USAGE)
            return 1
        i += 2 if consumed_next else 1
    rest = args[i:]
    if sum(x is not None for x in (jail, chroot, rootdir)) > 1:
        warnx("-j, -c and/or -r cannot be used at the same time!\n")
        _e(USAGE)
        return 1
    if not rest:
        _e(USAGE)
        return 1
    if jail is not None:
        with hoststate.locked(write=False) as st:
            root = pkgdb.for_jail(st, jail)
        if root is None:
            warnx(f'jail "{jail}" not found' if not jail.isdigit() else f"jail {jail} not found")
            return 1
    elif chroot is not None or rootdir is not None:
        root = pkgdb.Root(None, chroot or rootdir or "")
    else:
        root = pkgdb.current()
    cmd, cargs = rest[0], rest[1:]
    yes = _yes_env(opts)
    handlers = {
        "install": _install, "add": None, "delete": _delete, "remove": _delete, "info": _info,
        "query": _query, "which": _which, "update": _update, "upgrade": _upgrade,
        "lock": _lock, "unlock": _lock, "help": _help, "bootstrap": _bootstrap_real,
        "version": _version, "clean": _clean, "autoremove": _autoremove, "stats": _stats,
    }
    h = handlers.get(cmd)
    if h is None:
        _e(f"pkg: unknown command: {cmd}\n")
        _e("For more information on available commands and options see 'pkg help'.\n")
        return 1
    return h(root, cmd, cargs, yes)


def _help(root, cmd, args, yes) -> int:
    _w("Usage: pkg [-v] [-d] [-l] [-N] [-j <jail name or id>|-c <chroot path>|-r <rootdir>] "
       "[-C <configuration file>] [-R <repo config dir>] [-o var=value] [-4|-6] <command> "
       "[<args>]\n\nGlobal options supported:\n")
    _w("Commands supported:\n\tadd            Compatibility interface to install a package\n"
       "\tdelete         Deletes packages from the database and the system\n"
       "\tinfo           Displays information about installed packages\n"
       "\tinstall        Installs packages from remote package repositories and local archives\n"
       "\tquery          Queries information about installed packages\n"
       "\tupdate         Updates package repository catalogues\n"
       "\tupgrade        Performs upgrades of packaged software distributions\n"
       "\twhich          Displays which package installed a specific file\n")
    return 0


def _bootstrap_real(root, cmd, args, yes) -> int:
    if pkgdb.pkg_bootstrapped(root) and "-f" not in args:
        _w("pkg(7) bootstrapper is already installed\n") if False else None
        _w("pkg already bootstrapped at /usr/local/sbin/pkg\n")
        return 0
    return _bootstrap_install(root)


# ---------------------------------------------------------------- update

_JUST_FETCHED = [False]


def _update_repos(root: pkgdb.Root, quiet: bool, force: bool = False) -> int:
    db = pkgdb.load(root)
    _JUST_FETCHED[0] = False
    err = _net_error(root)
    first = force or not db.get("repos_fetched")
    for repo in pkgcatalog.REPOS:
        if not quiet:
            _w(f"Updating {repo} repository catalogue...\n")
        if err is not None:
            base = pkgcatalog.REPO_URL.replace("pkg+", "")
            if repo.endswith("kmods"):
                base = base.replace("/quarterly", "/kmods_quarterly_0")
            _e(f"pkg: {base}/meta.txz: {err}\n")
            if not quiet:
                _w(f"repository {repo} has no meta file, using default settings\n")
            _e(f"pkg: {base}/data.pkg: {err}\n")
            _e(f"pkg: {base}/packagesite.pkg: {err}\n")
            if not quiet:
                _w(f"Unable to update repository {repo}\n")
            continue
        if first:
            if not quiet:
                _w("Fetching meta.conf: . done\n")
                _w(f"Fetching data.pkg: {DOTS} done\n")
                _w(f"Processing entries: {DOTS} done\n")
                _w(f"{repo} repository update completed. {pkgcatalog.REPO_COUNTS[repo]} "
                   "packages processed.\n")
        elif not quiet:
            _w(f"{repo} repository is up to date.\n")
    if err is not None:
        _e("Error updating repositories!\n")
        return 1
    if not quiet:
        _w("All repositories are up to date.\n")
    if first:
        _JUST_FETCHED[0] = True
        db["repos_fetched"] = True
        with _dblock(root):
            cur = pkgdb.load(root)
            cur["repos_fetched"] = True
            pkgdb.save(root, cur)
    return 0


def _update(root, cmd, args, yes) -> int:
    try:
        o, rest = getopt("pkg", args, "fqr:")
    except UsageError:
        _e("Usage: pkg update [-fq] [-r reponame]\n\nFor more information see 'pkg help update'.\n")
        return 1
    flags = {k for k, _ in o}
    return _update_repos(root, "q" in flags, "f" in flags)


# ---------------------------------------------------------------- install

def _install(root: pkgdb.Root, cmd: str, args: list[str], yes: bool) -> int:
    try:
        o, names = getopt("pkg", args, "AfIiMnFqRr:Uygx")
    except UsageError:
        _e("Usage: pkg install [-AfInFMqRUy] [-r reponame] [-Cgix] <pkg-name> ...\n\n"
           "For more information see 'pkg help install'.\n")
        return 1
    flags = {k for k, _ in o}
    if not names:
        _e("Usage: pkg install [-AfInFMqRUy] [-r reponame] [-Cgix] <pkg-name> ...\n\n"
           "For more information see 'pkg help install'.\n")
        return 1
    quiet = "q" in flags
    yes = yes or "y" in flags
    dry = "n" in flags
    force = "f" in flags
    automatic = "A" in flags
    if "U" not in flags:
        if _update_repos(root, quiet) != 0:
            return 1
    with _dblock(root):
        db = pkgdb.load(root)
        inst = db["packages"]
        wanted: list[dict[str, Any]] = []
        for n in names:
            cands: list[dict[str, Any]]
            if "g" in flags:
                cands = [p for p in pkgcatalog.PACKAGES.values() if fnmatch.fnmatchcase(p["name"], n)]
            elif "x" in flags:
                cands = [p for p in pkgcatalog.PACKAGES.values() if re.search(n, p["name"])]
            else:
                p = pkgcatalog.lookup(n)
                cands = [p] if p else []
            if not cands:
                warnx(f"No packages available to install matching '{n}' have been found in "
                      "the repositories")
                return 1
            wanted.extend(cands)
        plan = []
        reinstall = []
        for p in pkgcatalog.closure([p["name"] for p in wanted]):
            if p["name"] in inst:
                if force and any(w["name"] == p["name"] for w in wanted):
                    reinstall.append(p)
                continue
            plan.append(p)
        if not plan and not reinstall:
            if not quiet:
                _w("The most recent versions of packages are already installed\n")
            return 0
        total = len(plan) + len(reinstall)
        need = sum(p["flatsize"] for p in plan)
        cache = "/var/cache/pkg"
        todl = [p for p in plan + reinstall
                if not root.exists(f"{cache}/{pkgcatalog.pkgfile(p)}.pkg")]
        dl = sum(p["pkgsize"] for p in todl)
        if _JUST_FETCHED[0] and not quiet:
            # a fresh catalogue: the solver checks conflicts before printing the plan
            _w("Checking integrity... done (0 conflicting)\n")
        if not quiet or dry or not yes:
            tag = " [FreeBSD-ports]" if len(pkgcatalog.REPOS) > 1 else ""
            _w(f"The following {total} package(s) will be affected (of 0 checked):\n\n")
            if plan:
                _w("New packages to be INSTALLED:\n")
                for p in sorted(plan, key=lambda p: p["name"]):
                    _w(f"\t{p['name']}: {p['version']}{tag}\n")
                _w("\n")
            if reinstall:
                _w("Installed packages to be REINSTALLED:\n")
                for p in sorted(reinstall, key=lambda p: p["name"]):
                    _w(f"\t{pkgcatalog.pkgfile(p)}{tag}\n")
                _w("\n")
            if plan:
                _w(f"Number of packages to be installed: {len(plan)}\n")
            if reinstall:
                _w(f"Number of packages to be reinstalled: {len(reinstall)}\n")
            if need > 0:
                _w(f"\nThe process will require {humanize(need)} more space.\n")
            if dl > 0:
                _w(f"{humanize(dl)} to be downloaded.\n")
            elif need == 0:
                _w("\n")
        if dry:
            return 1  # pkg install -n: 1 when something would be done [TEST requires.sh]
        if not yes:
            if not _query_yesno("\nProceed with this action? [y/N]: "):
                return 1
        elif not quiet:
            pass
        order = [p for p in pkgcatalog.closure([p["name"] for p in wanted])
                 if p in plan or p in reinstall]
        n = len(order)
        fetch_list = sorted((p for p in order if p in todl), key=lambda p: p["name"])
        if not quiet and fetch_list:
            for k, p in enumerate(fetch_list, 1):
                dots = "." if p["pkgsize"] < 16384 else DOTS
                _w(f"[{k}/{len(fetch_list)}] Fetching {pkgcatalog.pkgfile(p)}.pkg: {dots} done\n")
        for p in fetch_list:
            root.write(f"{cache}/{pkgcatalog.pkgfile(p)}.pkg", "")
        if not quiet:
            _w(f"Checking integrity... {'done'} (0 conflicting)\n")
        messages = []
        for k, p in enumerate(order, 1):
            nv = pkgcatalog.pkgfile(p)
            rein = p in reinstall
            if not quiet:
                _w(f"[{k}/{n}] {'Reinstalling' if rein else 'Installing'} {nv}...\n")
            _pre_install(root, p, quiet)
            if rein:
                pkgdb.remove_files(root, inst[p["name"]].get("files", []))
            files = pkgdb.extract(root, p)
            is_auto = automatic or not any(w["name"] == p["name"] for w in wanted)
            if rein:
                is_auto = bool(inst[p["name"]].get("automatic"))
            pkgdb.record(db, p, files, is_auto)
            pkgdb.save(root, db)
            if not quiet:
                _w(f"[{k}/{n}] Extracting {nv}: {DOTS} done\n")
            if p.get("message"):
                messages.append((nv, p["message"]))
        if not quiet:
            for nv, msg in messages:
                _w(f"=====\nMessage from {nv}:\n\n--\n{msg}\n")
    return 0


def _pre_install(root: pkgdb.Root, p: dict[str, Any], quiet: bool) -> None:
    """The package's pre-install script (ports' USERS/GROUPS): messages as in 2025 ports."""
    lines = []
    homedirs = False
    if p.get("groups"):
        lines.append("===> Creating groups")
        for g, gid in p["groups"]:
            if pkgdb.has_group(root, g):
                lines.append(f"Using existing group '{g}'")
            else:
                lines.append(f"Creating group '{g}' with gid '{gid}'")
                pkgdb.add_group(root, g, gid)
    if p.get("users"):
        lines.append("===> Creating users")
        for u, uid in p["users"]:
            if pkgdb.has_user(root, u):
                lines.append(f"Using existing user '{u}'")
            else:
                lines.append(f"Creating user '{u}' with uid '{uid}'")
                gid = dict(p.get("groups") or []).get(u, uid)
                pkgdb.add_user(root, u, uid, gid)
                if pkgdb.USER_INFO.get(u, ("", "/nonexistent"))[1] != "/nonexistent":
                    homedirs = True
    if homedirs:
        lines.append("===> Creating homedir(s)")
    if lines and not quiet:
        _w("\n".join(lines) + "\n")


# ---------------------------------------------------------------- delete

def _match_installed(inst: dict[str, Any], pat: str, mode: str) -> list[str]:
    out = []
    for name, rec in sorted(inst.items()):
        nv = f"{name}-{rec['version']}"
        if mode == "g":
            ok = fnmatch.fnmatchcase(name, pat) or fnmatch.fnmatchcase(nv, pat)
        elif mode == "x":
            ok = re.search(pat, name) is not None or re.search(pat, nv) is not None
        else:
            ok = pat in (name, nv, rec.get("origin"))
        if ok:
            out.append(name)
    return out


def _delete(root: pkgdb.Root, cmd: str, args: list[str], yes: bool) -> int:
    try:
        o, names = getopt("pkg", args, "aCDfginqRxy")
    except UsageError:
        _e("Usage: pkg delete [-DfnqRy] [-Cgx] <pkg-name> ...\n       pkg delete [-Dnqy] -a\n\n"
           "For more information see 'pkg help delete'.\n")
        return 1
    flags = {k for k, _ in o}
    quiet, dry, force = "q" in flags, "n" in flags, "f" in flags
    yes = yes or "y" in flags
    mode = "g" if "g" in flags else "x" if "x" in flags else ""
    if not names and "a" not in flags:
        _e("Usage: pkg delete [-DfnqRy] [-Cgx] <pkg-name> ...\n       pkg delete [-Dnqy] -a\n\n"
           "For more information see 'pkg help delete'.\n")
        return 1
    with _dblock(root):
        db = pkgdb.load(root)
        inst = db["packages"]
        if not inst:
            warnx("No packages installed.  Nothing to do!")
            return 0
        sel: list[str] = []
        missing = 0
        if "a" in flags:
            sel = sorted(inst)
        else:
            for pat in names:
                m = _match_installed(inst, pat, mode)
                if not m:
                    missing += 1
                    _w(f"No packages matched for pattern '{pat}'\n")
                for x in m:
                    if x not in sel:
                        sel.append(x)
        if missing:
            _w(f"\n{len(names)} packages requested for removal: 0 locked, {missing} missing\n")
            return 1
        if not force:
            # dependants go too (pkg's recursive deletion)
            changed = True
            while changed:
                changed = False
                for name, rec in inst.items():
                    if name not in sel and any(d in sel for d in rec.get("deps", [])):
                        sel.append(name)
                        changed = True
        locked = [x for x in sel if inst[x].get("locked")]
        if locked:
            _w("The following package(s) are locked or vital and may not be removed:\n\n")
            for x in locked:
                _w(f"\t{x}\n")
            _w(f"\n{len(sel)} packages requested for removal: {len(locked)} locked, 0 missing\n")
            return 7
        n = len(sel)
        free = sum(inst[x].get("flatsize", 0) for x in sel)
        if not quiet or dry or not yes:
            _w("Checking integrity... done (0 conflicting)\n")
            _w(f"Deinstallation has been requested for the following {n} packages "
               f"(of 0 packages in the universe):\n\n")
            _w("Installed packages to be REMOVED:\n")
            for x in sorted(sel):
                _w(f"\t{x}: {inst[x]['version']}\n")
            _w(f"\nNumber of packages to be removed: {n}\n")
            _w(f"\nThe operation will free {humanize(free)}.\n")
        if dry:
            return 0
        if not yes and not _query_yesno("\nProceed with deinstalling packages? [y/N]: "):
            return 1
        # dependants first
        order = []
        remaining = list(sel)
        while remaining:
            for x in sorted(remaining):
                if not any(x in inst[y].get("deps", []) for y in remaining if y != x):
                    order.append(x)
                    remaining.remove(x)
                    break
            else:
                order.extend(sorted(remaining))
                break
        for k, x in enumerate(order, 1):
            nv = f"{x}-{inst[x]['version']}"
            if not quiet:
                _w(f"[{k}/{n}] Deinstalling {nv}...\n")
            if x in ("nginx", "postgresql17-server"):
                _stop_service_for(root, x)
            pkgdb.remove_files(root, inst[x].get("files", []))
            del inst[x]
            pkgdb.save(root, db)
            if not quiet:
                _w(f"[{k}/{n}] Deleting files for {nv}: {DOTS} done\n")
    return 0


def _stop_service_for(root: pkgdb.Root, pkgname: str) -> None:
    """Deleting the package of a running daemon leaves it running on FreeBSD; nothing to do."""
    return None


# ---------------------------------------------------------------- autoremove / clean / stats

def _autoremove(root, cmd, args, yes) -> int:
    db = pkgdb.load(root)
    inst = db["packages"]
    needed: set[str] = set()

    def need(n: str) -> None:
        if n in needed or n not in inst:
            return
        needed.add(n)
        for d in inst[n].get("deps", []):
            need(d)

    for n, r in inst.items():
        if not r.get("automatic"):
            need(n)
    orphans = sorted(n for n in inst if n not in needed)
    if not orphans:
        _w("Nothing to do.\n")
        return 0
    return _delete(root, "delete", (["-y"] if "-y" in args or yes else []) + ["-f"] + orphans, yes)


def _clean(root, cmd, args, yes) -> int:
    _w("Nothing to do.\n")
    return 0


def _stats(root, cmd, args, yes) -> int:
    inst = pkgdb.installed(root)
    _w("Local package database:\n")
    _w(f"\tInstalled packages: {len(inst)}\n")
    _w(f"\tDisk space occupied: {humanize(sum(r.get('flatsize', 0) for r in inst.values()))}\n\n")
    _w("Remote package database(s):\n")
    _w(f"\tNumber of repositories: {len(pkgcatalog.REPOS)}\n")
    _w(f"\tPackages available: {sum(pkgcatalog.REPO_COUNTS.values())}\n")
    return 0


# ---------------------------------------------------------------- upgrade / version

def _upgrade(root, cmd, args, yes) -> int:
    try:
        o, names = getopt("pkg", args, "fFInqr:Uygx")
    except UsageError:
        return 1
    flags = {k for k, _ in o}
    quiet = "q" in flags
    if "U" not in flags and _update_repos(root, quiet) != 0:
        return 1
    inst = pkgdb.installed(root)
    if not quiet:
        n = len(inst)
        _w(f"Checking for upgrades ({n} candidates): {DOTS} done\n")
        _w(f"Processing candidates ({n} candidates): {DOTS} done\n")
        _w("Checking integrity... done (0 conflicting)\n")
        _w("Your packages are up to date.\n")
    return 0


def _version(root, cmd, args, yes) -> int:
    inst = pkgdb.installed(root)
    verbose = any(a.startswith("-") and "v" in a for a in args)
    for n in sorted(inst):
        nv = f"{n}-{inst[n]['version']}"
        if verbose:
            _w(f"{nv:<34} =   up-to-date with remote\n")
        else:
            _w(f"{nv:<34} =\n")
    return 0


# ---------------------------------------------------------------- lock / unlock

def _lock(root, cmd, args, yes) -> int:
    lock = cmd == "lock"
    flags = {c for a in args if a.startswith("-") and not a.startswith("--") for c in a[1:]}
    names = [a for a in args if not a.startswith("-")]
    with _dblock(root):
        db = pkgdb.load(root)
        inst = db["packages"]
        if "l" in flags:
            locked = [f"{n}-{r['version']}" for n, r in sorted(inst.items()) if r.get("locked")]
            if locked:
                _w("Currently locked packages:\n" + "".join(x + "\n" for x in locked))
            else:
                _w("No locked packages were found\n")
            return 0
        if "--has-locked-packages" in args:
            return 0 if any(r.get("locked") for r in inst.values()) else 1
        rc = 0
        for pat in names:
            m = _match_installed(inst, pat, "g" if "g" in flags else "x" if "x" in flags else "")
            if not m:
                _w(f"No installed packages match '{pat}'\n") if False else None
                warnx(f"No installed packages match '{pat}'") if False else None
                rc = 1
            for x in m:
                nv = f"{x}-{inst[x]['version']}"
                if bool(inst[x].get("locked")) == lock:
                    _w(f"{nv}: already {'locked' if lock else 'unlocked'}\n")
                    continue
                _w(f"{'Locking' if lock else 'Unlocking'} {nv}\n")
                inst[x]["locked"] = 1 if lock else 0
        pkgdb.save(root, db)
    return rc


# ---------------------------------------------------------------- info

def _info_block(name: str, r: dict[str, Any]) -> str:
    ts = time.strftime("%a %b %e %H:%M:%S %Y %Z", time.gmtime(r.get("timestamp", 0))).replace("GMT", "UTC")
    lic = r.get("licenses") or []
    lines = [
        f"{name}-{r['version']}",
        f"Name           : {name}",
        f"Version        : {r['version']}",
        f"Installed on   : {ts}",
        f"Origin         : {r['origin']}",
        f"Architecture   : {pkgcatalog.ABI}",
        f"Prefix         : {r.get('prefix', '/usr/local')}",
        f"Categories     : {r['origin'].split('/')[0]}",
        f"Licenses       : {', '.join(lic)}",
        f"Maintainer     : {r.get('maintainer', '')}",
        f"WWW            : {r.get('www', '')}",
        f"Comment        : {r['comment']}",
        "Annotations    :",
        "\tFreeBSD_version: 1500068",
        f"\trepo_type      : binary",
        f"\trepository     : {r.get('repository', 'FreeBSD-ports')}",
        f"Flat size      : {_hsize(r.get('flatsize', 0))}",
        "Description    :",
        r["comment"],
        "",
        f"WWW: {r.get('www', '')}",
    ]
    return "\n".join(lines) + "\n"


def _hsize(n: int) -> str:
    """pkg's %sh: humanize with 2 decimals and no space (e.g. 1.30MiB)."""
    units = ["B", "KiB", "MiB", "GiB"]
    x = float(n)
    i = 0
    while x >= 1024 and i < len(units) - 1:
        x /= 1024
        i += 1
    if i == 0:
        return f"{n}B"
    return f"{x:.2f}{units[i]}"


def _info(root: pkgdb.Root, cmd: str, args: list[str], yes: bool) -> int:
    try:
        o, names = getopt("pkg", args, "aABbCdDeEfFgiIklOoqrRsSxtp")
    except UsageError:
        _e("Usage: pkg info <pkg-name>\n       pkg info -a\n       pkg info [-AbBDdefIklOqRrs] "
           "[-Cgix] <pkg-name>\n       pkg info [-AbBDdfIlqRrs] -F <pkg-file>\n\n"
           "For more information see 'pkg help info'.\n")
        return 1
    flags = {k for k, _ in o}
    inst = pkgdb.installed(root)
    mode = "g" if "g" in flags else "x" if "x" in flags else ""
    quiet = "q" in flags
    if "e" in flags:
        if not names:
            return 1
        return 0 if all(_match_installed(inst, n, mode or "g") for n in names) else 1
    if not names or "a" in flags:
        sel = sorted(inst)
        if not names and not ({"a"} & flags) and not (flags - {"q", "o", "E"}):
            pass
        multi = True
    else:
        sel = []
        rc = 0
        for n in names:
            m = _match_installed(inst, n, mode or "g")
            if not m:
                if not quiet:
                    warnx(f"No package(s) matching {n}")
                rc = 1
            sel.extend(x for x in m if x not in sel)
        if rc and not sel:
            return 1
        multi = False
    for n in sel:
        r = inst[n]
        nv = f"{n}-{r['version']}"
        if "E" in flags or (quiet and not (flags & {"o", "l", "d", "r", "s", "D", "f", "k"})
                            and multi):
            _w(nv + "\n")
        elif "o" in flags:
            _w(r["origin"] + "\n" if quiet else (f"{nv:<31}" if len(nv) < 31 else nv + " ")
               + r["origin"] + "\n")
        elif "l" in flags:
            if not quiet:
                _w(f"{nv}:\n")
            for f in r.get("files", []):
                _w(f"{'' if quiet else chr(9)}{f}\n")
        elif "d" in flags:
            if not quiet:
                _w(f"{nv}:\n")
            for d in r.get("deps", []):
                if d in inst:
                    _w(f"{'' if quiet else chr(9)}{d}-{inst[d]['version']}\n")
        elif "r" in flags:
            if not quiet:
                _w(f"{nv}:\n")
            for m, mr in sorted(inst.items()):
                if n in mr.get("deps", []):
                    _w(f"{'' if quiet else chr(9)}{m}-{mr['version']}\n")
        elif "s" in flags:
            _w(f"{_hsize(r.get('flatsize', 0))}\n" if quiet else f"{nv:<31}{_hsize(r.get('flatsize', 0))}\n")
        elif "D" in flags:
            if not quiet:
                _w(f"{nv}:\n")
            _w(r.get("message", "") + "\n" if r.get("message") else "")
        elif "k" in flags:
            _w(f"{'yes' if r.get('locked') else 'no'}\n" if quiet else
               f"{nv:<31}{'yes' if r.get('locked') else 'no'}\n")
        elif multi:
            pad = f"{nv:<31}" if len(nv) < 31 else nv + " "
            _w(f"{pad}{r['comment']}\n")
        else:
            _w(_info_block(n, r))
    return 0


# ---------------------------------------------------------------- query

_SIMPLE = {"n": "name", "v": "version", "o": "origin", "c": "comment", "m": "maintainer",
           "w": "www", "p": "prefix", "a": "automatic", "k": "locked", "R": "repository",
           "M": "message", "t": "timestamp"}


def _fmt(fmt: str, name: str, r: dict[str, Any], inst: dict[str, Any], item: Any = None) -> str:
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "\\" and i + 1 < len(fmt):
            out.append({"n": "\n", "t": "\t"}.get(fmt[i + 1], fmt[i + 1]))
            i += 2
            continue
        if c != "%" or i + 1 >= len(fmt):
            out.append(c)
            i += 1
            continue
        k = fmt[i + 1]
        i += 2
        if k == "%":
            out.append("%")
        elif k == "n":
            out.append(name)
        elif k in _SIMPLE:
            out.append(str(r.get(_SIMPLE[k], "")))
        elif k == "q":
            out.append(pkgcatalog.ABI)
        elif k == "V":
            out.append("1" if name == "pkg" else "0")
        elif k == "e":
            out.append(r.get("comment", ""))
        elif k == "l":
            out.append("single")
        elif k == "X":
            out.append("")
        elif k == "s":
            sub = fmt[i] if i < len(fmt) else "b"
            i += 1
            out.append(_hsize(r.get("flatsize", 0)) if sub == "h" else str(r.get("flatsize", 0)))
        elif k in "dr":
            sub = fmt[i] if i < len(fmt) else "n"
            i += 1
            if item is not None:
                iname = item
                out.append({"n": iname, "v": inst.get(iname, {}).get("version", ""),
                            "o": inst.get(iname, {}).get("origin", "")}.get(sub, ""))
        elif k == "F":
            sub = fmt[i] if i < len(fmt) else "p"
            i += 1
            if item is not None:
                out.append(item if sub == "p" else {"s": "", "u": "root", "g": "wheel",
                                                     "m": "0644"}.get(sub, ""))
        elif k in "?#":
            sub = fmt[i] if i < len(fmt) else "d"
            i += 1
            lst = _multi_list(sub, name, r, inst)
            cnt = len(lst)
            out.append(str(cnt) if k == "#" else ("1" if cnt else "0"))
        else:
            out.append("")
    return "".join(out)


def _multi_list(sub: str, name: str, r: dict[str, Any], inst: dict[str, Any]) -> list[str]:
    if sub == "d":
        return [d for d in r.get("deps", []) if d in inst]
    if sub == "r":
        return sorted(m for m, mr in inst.items() if name in mr.get("deps", []))
    if sub == "F":
        return list(r.get("files", []))
    return []


def _multi_kind(fmt: str) -> str | None:
    for m in re.finditer(r"%([drFCODLUGBbA])", fmt):
        return m.group(1)
    return None


def _eval(expr: str, name: str, r: dict[str, Any], inst: dict[str, Any]) -> bool:
    m = re.fullmatch(r"\s*(%[#?]?\w+)\s*(==|=|!=|>=|<=|>|<|~|!~)\s*(.*?)\s*", expr)
    if not m:
        return False
    lhs = _fmt(m.group(1), name, r, inst)
    op, rhs = m.group(2), m.group(3).strip("'\"")
    if op in ("~", "!~"):
        ok = fnmatch.fnmatchcase(lhs, rhs)
        return ok if op == "~" else not ok
    try:
        a, b = int(lhs), int(rhs)
    except ValueError:
        a, b = lhs, rhs  # type: ignore[assignment]
    return {"=": a == b, "==": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b,
            "<=": a <= b}[op]


def _query(root: pkgdb.Root, cmd: str, args: list[str], yes: bool) -> int:
    try:
        o, rest = getopt("pkg", args, "ae:CgixF:")
    except UsageError:
        _e("Usage: pkg query <query-format> <pkg-name>\n       pkg query [-a] <query-format>\n"
           "       pkg query -F <pkg-name> <query-format>\n       pkg query -e <evaluation> "
           "<query-format>\n       pkg query [-Cgix] <query-format> <pattern> <...>\n\n"
           "For more information see 'pkg help query'.\n")
        return 1
    flags = dict(o)
    if not rest:
        _e("Usage: pkg query <query-format> <pkg-name>\n       pkg query [-a] <query-format>\n"
           "       pkg query -F <pkg-name> <query-format>\n       pkg query -e <evaluation> "
           "<query-format>\n       pkg query [-Cgix] <query-format> <pattern> <...>\n\n"
           "For more information see 'pkg help query'.\n")
        return 1
    fmt, pats = rest[0], rest[1:]
    inst = pkgdb.installed(root)
    mode = "g" if "g" in flags else "x" if "x" in flags else ""
    if "a" in flags or "e" in flags or not pats:
        if not pats and "a" not in flags and "e" not in flags:
            _e("Usage: pkg query <query-format> <pkg-name>\n       pkg query [-a] <query-format>\n"
               "       pkg query -F <pkg-name> <query-format>\n       pkg query -e <evaluation> "
               "<query-format>\n       pkg query [-Cgix] <query-format> <pattern> <...>\n\n"
               "For more information see 'pkg help query'.\n")
            return 1
        sel = sorted(inst)
        if pats:
            sel = [n for n in sel if any(_match_installed({n: inst[n]}, p, mode) for p in pats)]
    else:
        sel = []
        for p in pats:
            for n in _match_installed(inst, p, mode):
                if n not in sel:
                    sel.append(n)
        if not sel:
            return 1
    if "e" in flags:
        sel = [n for n in sel if _eval(flags["e"], n, inst[n], inst)]
    kind = _multi_kind(fmt)
    for n in sel:
        r = inst[n]
        if kind:
            for item in _multi_list(kind, n, r, inst):
                _w(_fmt(fmt, n, r, inst, item) + "\n")
        else:
            _w(_fmt(fmt, n, r, inst) + "\n")
    return 0


# ---------------------------------------------------------------- which

def _which(root: pkgdb.Root, cmd: str, args: list[str], yes: bool) -> int:
    try:
        o, paths = getopt("pkg", args, "gopqm")
    except UsageError:
        _e("Usage: pkg which [-mqgop] <file>\n\nFor more information see 'pkg help which'.\n")
        return 1
    flags = {k for k, _ in o}
    if not paths:
        _e("Usage: pkg which [-mqgop] <file>\n\nFor more information see 'pkg help which'.\n")
        return 1
    inst = pkgdb.installed(root)
    rc = 0
    for p in paths:
        if "p" in flags and "/" not in p:
            found = None
            for d in ("/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"):
                if root.exists(f"{d}/{p}"):
                    found = f"{d}/{p}"
                    break
            path = found or p
        else:
            path = p if p.startswith("/") else os.path.normpath(os.path.join("/", p))
        owners = [n for n, r in sorted(inst.items())
                  if (fnmatch.fnmatchcase if "g" in flags else str.__eq__)(path, path) and
                  any((fnmatch.fnmatchcase(f, path) if "g" in flags else f == path)
                      for f in r.get("files", []))]
        if not owners:
            if "q" not in flags:
                _w(f"{path} was not found in the database\n")
            rc = 1
            continue
        for n in owners:
            r = inst[n]
            if "q" in flags:
                _w((r["origin"] if "o" in flags else f"{n}-{r['version']}") + "\n")
            elif "o" in flags:
                _w(f"{path} was installed by package {r['origin']}\n")
            else:
                _w(f"{path} was installed by package {n}-{r['version']}\n")
    return rc
