"""The jail context: which jail a simulated tool runs in, jail lookups, and the process table.

Design (see also tools/jexec.py)
--------------------------------
A command "inside" jail J runs on the host with

* env ``TESTBED_JAIL=<J's name>`` -- simulated tools (ifconfig, route, netstat, ps, sysctl, ...)
  show J's view (its vnet, its processes, ...);
* in a private mount namespace (``unshare(CLONE_NEWNS|CLONE_NEWUTS)``, done by :func:`enter`)
  where J's own ``/etc``, ``/var``, ``/usr/local``, ``/tmp``, ``/home``, ``/root`` (those the
  jail's path has as directories) are bind-mounted over the host's, so plain programs (dash,
  coreutils, the tools' launchers and the Python they use stay the host's) read and write the
  jail's files: ``sh -c 'echo x >> /etc/foo'`` writes ``<path>/etc/foo``, ``sysrc`` edits the
  jail's rc.conf, ``pkg`` installs into its /usr/local;
* the UTS hostname set to the jail's ``host.hostname`` (``hostname`` prints it);
* env ``TESTBED_HOST_VAR`` pointing at a bind mount of the host's /var (under /run/testbed,
  which no jail covers), so :mod:`hoststate` keeps using the host's state files.

``/root`` is skipped when the testbed's Python lives under it.  The cwd is ``/`` (the host's
root, not the jail's: only the listed trees are the jail's).

In fast tests (``TESTBED_ROOT`` != ``/``) there are no namespaces: :func:`enter` sets
``TESTBED_ROOT`` to the jail's path on disk and ``TESTBED_HOST_VAR`` to the host root's /var,
which gives the simulated tools the same view.

Process table (``runtime["procs"]``)::

    {"next_pid": int, "list": [{"pid", "ppid", "jid", "jail", "user", "command", "flags",
                                "started", "service", "vsz", "rss"}]}

``jail`` is ``""`` for host processes.  Removing a jail removes its processes.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import time
from typing import Any

from . import hoststate

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
JAIL_TREES = ("etc", "var", "usr/local", "tmp", "home", "root")
HOST_VAR_STASH = "/run/testbed/hostvar"
FIRST_PID = 1000


# ---------------------------------------------------------------------------- lookups

def current_jail() -> str | None:
    """The jail the calling process runs in (env TESTBED_JAIL), or None on the host."""
    return os.environ.get("TESTBED_JAIL") or None


def _jails(st: Any) -> dict[str, Any]:
    rt = st if isinstance(st, dict) else st.runtime
    j = rt.get("jails")
    if not isinstance(j, dict):
        j = {}
        rt["jails"] = j
    return j


def running_jails(st: Any, dying: bool = False) -> list[dict[str, Any]]:
    """Running jails in jid order (dying ones only with ``dying``)."""
    js = [j for j in _jails(st).values() if dying or not j.get("dying")]
    return sorted(js, key=lambda j: j["jid"])


def jail_info(st: Any, name_or_jid: str | int) -> dict[str, Any] | None:
    """The runtime record of a jail by name or jid (None if not running)."""
    key = str(name_or_jid)
    js = _jails(st)
    if key in js and not js[key].get("dying"):
        return js[key]
    for j in js.values():
        if str(j.get("jid")) == key and not j.get("dying"):
            return j
    return None


def jail_root(st: Any, name_or_jid: str | int) -> str | None:
    j = jail_info(st, name_or_jid)
    return None if j is None else j.get("path")


def not_found_msg(name_or_jid: str) -> str:
    """libjail's jail_errmsg for a missing jail."""
    if name_or_jid.isdigit():
        return f"jail {name_or_jid} not found"
    return f'jail "{name_or_jid}" not found'


# ---------------------------------------------------------------------------- processes

def _procs(st: Any) -> dict[str, Any]:
    rt = st if isinstance(st, dict) else st.runtime
    p = rt.get("procs")
    if not isinstance(p, dict):
        p = {"next_pid": FIRST_PID, "list": []}
        rt["procs"] = p
    return p


def procs_add(st: Any, jail: str | None, user: str, command: str, flags: str = "Ss",
              service: str | None = None, ppid: int = 1, vsz: int = 14432, rss: int = 3220) -> int:
    """Add a process (``jail`` None/"" = host); returns its pid (monotonic, like a busy host)."""
    p = _procs(st)
    pid = p["next_pid"]
    p["next_pid"] = pid + 1 + (pid % 7)
    jid = 0
    if jail:
        j = jail_info(st, jail)
        jid = j["jid"] if j else 0
        jail = j["name"] if j else jail
    p["list"].append({"pid": pid, "ppid": ppid, "jid": jid, "jail": jail or "", "user": user,
                      "command": command, "flags": flags, "started": time.time(),
                      "service": service, "vsz": vsz, "rss": rss})
    return pid


def procs_remove(st: Any, pid: int | None = None, jail: str | None = None,
                 service: str | None = None) -> list[int]:
    """Remove by pid, or every process of ``jail`` (optionally only those of ``service``)."""
    p = _procs(st)
    gone, keep = [], []
    for pr in p["list"]:
        hit = (pid is not None and pr["pid"] == pid) or (
            pid is None and jail is not None and pr["jail"] == (jail or "")
            and (service is None or pr.get("service") == service)) or (
            pid is None and jail is None and service is not None and pr.get("service") == service
            and pr["jail"] == "")
        (gone if hit else keep).append(pr)
    p["list"] = keep
    return [pr["pid"] for pr in gone]


def procs_list(st: Any, jail: str | None = None, all_jails: bool = False) -> list[dict[str, Any]]:
    """Processes visible from ``jail`` (None = host: with ``all_jails`` every process)."""
    lst = _procs(st)["list"]
    if jail:
        return [pr for pr in lst if pr["jail"] == jail]
    if all_jails:
        return list(lst)
    return [pr for pr in lst if not pr["jail"]]


# ---------------------------------------------------------------------------- entering a jail

def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount(libc, src: str, dst: str, flags: int) -> None:
    if libc.mount(src.encode(), dst.encode(), None, flags, None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {src} {dst}: {os.strerror(e)}")


def enter(j: dict[str, Any], clean_env: dict[str, str] | None = None) -> None:
    """Make the calling process (a fresh child, about to exec) run inside jail ``j``."""
    path = j["path"]
    env = os.environ if clean_env is None else clean_env
    if hoststate.root() != "/":
        real_host_var = hoststate.hostpath("/var")
        hv = os.environ.get("TESTBED_HOST_VAR", real_host_var)
        env["TESTBED_HOST_VAR"] = hv
        # ``path`` is a host path: from inside a jail (a nested jail's parent) the host's root
        # is the directory holding the host's /var, not TESTBED_ROOT (the parent's root)
        host_root = os.path.dirname(hv.rstrip("/")) if os.environ.get("TESTBED_HOST_VAR") \
            else hoststate.root()
        real = os.path.join(host_root, path.lstrip("/"))
        env["TESTBED_ROOT"] = real
        env["TESTBED_JAIL"] = j["name"]
        try:
            os.chdir(real)
        except OSError:
            pass
        if clean_env is not None:
            os.environ.clear()
            os.environ.update(env)
        return
    libc = _libc()
    if libc.unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"unshare: {os.strerror(e)}")
    # the testbed's namespace is already private (unshare --propagation private); "/" of the
    # chroot is not a mount point, so make what is one private, ignoring EINVAL
    for mp in ("/", "/etc", "/var", "/usr", "/root", "/tmp", "/home", "/run"):
        try:
            _mount(libc, "none", mp, MS_REC | MS_PRIVATE)
        except OSError:
            pass
    host_var = os.environ.get("TESTBED_HOST_VAR")
    if not host_var:
        host_var = HOST_VAR_STASH
        os.makedirs(host_var, exist_ok=True)
        _mount(libc, "/var", host_var, MS_BIND | MS_REC)
    py = os.path.realpath(sys.executable)
    for d in JAIL_TREES:
        src = os.path.join(path, d)
        dst = "/" + d
        if os.path.islink(src) or not os.path.isdir(src):
            continue
        if py.startswith(dst + "/") or os.path.islink(dst):
            continue
        if not os.path.isdir(dst):
            continue
        _mount(libc, src, dst, MS_BIND | MS_REC)
    host = (j.get("params") or {}).get("host.hostname") or j["name"]
    try:
        import socket
        socket.sethostname(host)
    except OSError:
        pass
    env["TESTBED_HOST_VAR"] = host_var
    env["TESTBED_JAIL"] = j["name"]
    if clean_env is not None:
        os.environ.clear()
        os.environ.update(env)
    os.chdir("/")
