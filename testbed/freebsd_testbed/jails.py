"""The jail model: jail(8) create/remove/modify with jail.conf(5) and exec hooks, rc.d/jail.

Runtime state (``runtime["jails"]``, keyed by name; read through :mod:`jailctx`)::

    {"webserver": {"jid": 1, "name": "webserver", "path": "/jails/containers/webserver",
                   "params": {kernel parameter: exported string or list (ip4.addr)} ,
                   "vnet": true, "vnet_interfaces": ["epair1b"], "devfs": {"path", "ruleset"},
                   "mounts": [...], "conf": "/etc/jail.conf", "cpuset": [0, 1, 2, 3],
                   "created": epoch}}
    runtime["jail_lastjid"], runtime["jail_lastcpuset"]

Order of operations follows usr.sbin/jail (jail.c startcommands/stopcommands, command.c):
create: exec.prepare, mounts (mount.devfs recorded with its ruleset), exec.prestart (host),
create (path check, jid), exec.created (host), zfs.dataset, vnet.interface moves
(:func:`net.move_interface`), exec.start (in the jail, see :mod:`jailctx`), command,
exec.poststart (host).  A failure after creation removes the jail again (``name: removed``).
remove: exec.prestop, exec.stop (in the jail), processes killed, remove (vnet destroyed, its
interfaces back to the host), exec.poststop, unmounts, exec.release.

Commands are split like command.c: with any of ``!"$&'()*;<>?[\\]`{|}~`` they run as
``/bin/sh -c``, otherwise they are split on blanks and exec'd directly.  In-jail commands'
output goes to ``exec.consolelog`` when set.  A failing command prints
``jail: NAME: COMMAND LINE: failed``.

Output and errors follow FreeBSD's usr.sbin/jail [SRC jail.c main/jail_note/jail_warnx/
jailparam_set_note/print_jail/quoted_print, command.c next_command/run_command IP__OP,
state.c start_state, config.c import_params/wild_jail_*; TEST usr.sbin/jail/tests/
jail_basic_test.sh]:

* ``NAME: created`` / ``NAME: updated`` only for a jail with a name in jail.c's sense (from the
  config file, or the target of -r/-R as typed); a jail given by parameters on the command line
  has none, so ``jail -c name=x persist`` prints nothing and its errors carry no ``x: ``.
* ``NAME: removed`` for -r/-R only when note_remove (config file used, several targets or a
  wildcard) or -v; after a failed creation when the jail has a name; never for a restart.
* A failed exec.prestop/exec.stop leaves the jail running (exit 1).
* Wildcards / no target: running jails are skipped by -c and missing ones by -r, silently.
* Nested jails: inside a jail, children need ``children.max`` (0: ``jail: jail_set:
  Operation not permitted``; full: ``jail: prison limit exceeded``), may not get allow.* their
  parent lacks, inherit its allow.* restrictions, and are named ``parent.child`` in the runtime
  (jls/jexec inside the parent see them by relative names).
* -v prints jail_set(JAIL_CREATE) lines with quoted_print quoting; -J writes print_jail lines.

:func:`service_jail` is /etc/rc.d/jail (``service jail start|stop|restart|status|...``).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import time
from typing import Any, Iterator

from . import hoststate, jailctx
from .jailconf import ConfError, Config, load as load_conf

DEFAULT_CONF = "/etc/jail.conf"
OSRELEASE = "15.0-RELEASE"
OSRELDATE = 1500068
SHELL_META = set("!\"$&'()*;<>?[\\]`{|}~")
CLEAN_PATH = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:/root/bin"

# ----------------------------------------------------------------------------- parameters

KERNEL_BOOL_DEFAULTS: dict[str, bool] = {
    "allow.adjtime": False, "allow.chflags": False, "allow.extattr": False, "allow.mlock": False,
    "allow.mount": False, "allow.mount.devfs": False, "allow.mount.fdescfs": False,
    "allow.mount.nullfs": False, "allow.mount.procfs": False,
    "allow.mount.tmpfs": False, "allow.mount.zfs": False, "allow.nfsd": False, "allow.quotas": False,
    "allow.raw_sockets": False, "allow.read_msgbuf": False, "allow.reserved_ports": True,
    "allow.routing": False, "allow.set_hostname": True, "allow.setaudit": False,
    "allow.settime": False, "allow.socket_af": False, "allow.suser": True,
    "allow.sysvipc": False, "allow.unprivileged_parent_tampering": False,
    "allow.unprivileged_proc_debug": True, "persist": False, "dying": False, "ip4.saddrsel": True, "ip6.saddrsel": True,
    "zfs.mount_snapshot": False,
}
# allow.vmm, allow.mount.fusefs, allow.mount.lin*fs exist only with vmm/fusefs/linux loaded
KERNEL_INT = {"jid", "securelevel", "devfs_ruleset", "enforce_statfs", "children.max",
              "children.cur", "cpuset.id", "parent", "osreldate", "host.hostid"}
KERNEL_JAILSYS = {"host", "ip4", "ip6", "vnet", "sysvmsg", "sysvsem", "sysvshm"}
KERNEL_STRING = {"name", "path", "host.hostname", "host.domainname", "host.hostuuid",
                 "osrelease", "meta", "env"}
KERNEL_LIST = {"ip4.addr", "ip6.addr"}
READONLY = {"children.cur", "cpuset.id", "dying", "parent", "jid"}
# pseudo-parameters handled by jail(8) itself (config.c intparams)
INTERNAL = {
    "exec.prepare", "exec.prestart", "exec.created", "exec.start", "command", "exec.poststart",
    "exec.prestop", "exec.stop", "exec.poststop", "exec.release", "exec.clean",
    "exec.jail_user", "exec.system_jail_user", "exec.system_user", "exec.timeout",
    "exec.consolelog", "exec.fib", "stop.timeout", "interface", "ip_hostname", "vnet.interface",
    "mount", "mount.fstab", "mount.devfs", "mount.fdescfs", "mount.procfs", "depend",
    "allow.dying", "zfs.dataset",
}
INTERNAL_BOOL = {"exec.clean", "exec.system_jail_user", "ip_hostname", "mount.devfs",
                 "mount.fdescfs", "mount.procfs", "allow.dying"}
INTERNAL_INT = {"exec.timeout", "exec.fib", "stop.timeout"}
BOOL_TRUE = {"true", "1", "yes", "on"}
BOOL_FALSE = {"false", "0", "no", "off"}


class JailError(Exception):
    """``str(e)`` is the text after ``jail: ``."""


def kernel_param_names() -> list[str]:
    names = set(KERNEL_BOOL_DEFAULTS) | KERNEL_INT | KERNEL_JAILSYS | KERNEL_STRING | KERNEL_LIST
    return sorted(names, key=lambda n: ("." in n, n))


def _p(jname: str | None) -> str:
    """``NAME: `` as jail_warnx prints it, nothing for a jail without j->name (jail.c)."""
    return f"{jname}: " if jname else ""


def _bool(name: str, jname: str | None, vals: list[str]) -> bool:
    v = (vals[-1] if vals else "true").lower()
    if v in BOOL_TRUE:
        return True
    if v in BOOL_FALSE:
        return False
    raise JailError(f'{_p(jname)}{name}: unknown boolean value "{vals[-1]}"')


def _int(name: str, jname: str | None, vals: list[str]) -> int:
    v = vals[-1] if vals else ""
    try:
        return int(v, 0)
    except ValueError:
        raise JailError(f'{_p(jname)}{name}: non-integer value "{v}"') from None


def build_kernel_params(jname: str | None, p: dict[str, list[str]]) -> dict[str, Any]:
    """Validate resolved parameters and return the kernel view (exported values).

    Like config.c import_params, every parameter is tried and each failure reported (one
    ``jail: [NAME: ]MSG`` line each, joined into the JailError's text)."""
    kp: dict[str, Any] = {}
    errors: list[str] = []
    for name, vals in p.items():
        try:
            _one_param(jname, name, vals, kp)
        except JailError as e:
            errors.append(str(e))
    if errors:
        raise JailError("\njail: ".join(errors))
    return kp


def _one_param(jname: str | None, name: str, vals: list[str], kp: dict[str, Any]) -> None:
    if True:
        if name in INTERNAL:
            if name in INTERNAL_BOOL:
                _bool(name, jname, vals)
            elif name in INTERNAL_INT:
                _int(name, jname, vals)
            return
        if name in KERNEL_BOOL_DEFAULTS:
            kp[name] = _bool(name, jname, vals)
        elif name in KERNEL_INT:
            kp[name] = _int(name, jname, vals)
        elif name in KERNEL_JAILSYS:
            v = (vals[-1] if vals else "true").lower()
            if v in BOOL_TRUE:
                v = "new"
            elif v in BOOL_FALSE:
                v = "disable" if name != "vnet" else "inherit"
            if v not in ("new", "inherit", "disable") or (name == "vnet" and v == "disable"):
                raise JailError(f"{_p(jname)}{name}: invalid value \"{vals[-1]}\"")
            kp[name] = v
        elif name in KERNEL_LIST:
            out = []
            for v in vals:
                out.extend(x.strip() for x in v.split(",") if x.strip())
            kp[name] = out
        elif name in KERNEL_STRING:
            kp[name] = ",".join(vals)
        elif name.startswith("linux"):
            kp[name] = ",".join(vals)
        else:
            # libjail jailparam_init: "unknown parameter: %s" [SRC lib/libjail/jail.c]
            raise JailError(f"{_p(jname)}unknown parameter: {name}")


def full_params(kp: dict[str, Any], jid: int, name: str, path: str, cpuset_id: int) -> dict[str, Any]:
    """Every kernel parameter of a running jail (what ``jls -n`` exports)."""
    full: dict[str, Any] = dict(KERNEL_BOOL_DEFAULTS)
    full.update({
        "jid": jid, "name": name, "path": path, "securelevel": -1, "devfs_ruleset": 0,
        "enforce_statfs": 2, "children.max": 0, "children.cur": 0, "cpuset.id": cpuset_id,
        "parent": 0, "osreldate": OSRELDATE, "osrelease": OSRELEASE, "host.hostid": 0,
        "host": "new", "vnet": "inherit", "sysvmsg": "disable", "sysvsem": "disable",
        "sysvshm": "disable", "host.hostname": name, "host.domainname": "",
        "host.hostuuid": "00000000-0000-0000-0000-000000000000", "meta": "", "env": "",
        "ip4.addr": [], "ip6.addr": [],
    })
    full.update({k: v for k, v in kp.items()})
    full["jid"], full["name"], full["path"] = jid, name, path
    if full["vnet"] == "new":
        full.setdefault("ip4", "new")
        full.setdefault("ip6", "new")
    if "ip4" not in kp:
        full["ip4"] = "new" if (full["ip4.addr"] or full["vnet"] == "new") else "disable"
    if "ip6" not in kp:
        full["ip6"] = "new" if (full["ip6.addr"] or full["vnet"] == "new") else "disable"
    return full


def export(name: str, v: Any) -> str:
    """A parameter's string export (jailparam_export)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)


# ----------------------------------------------------------------------------- output helpers

class Ctx:
    """jail(8)'s output state.

    ``labels`` maps a jail's runtime name to its ``j->name`` in jail.c: the config block's name,
    the target as typed for ``-r``/``-R`` of a running jail not in the config (state.c
    start_state: ``j->name = estrdup(target)``), or None for a jail given on the command line
    (``jail -c name=x ...``).  jail_note/jail_warnx [SRC usr.sbin/jail/jail.c] print
    ``NAME: `` only when it is set, and "created"/"updated" are printed only when it is set or
    with -v (command.c run_command IP__OP, jail.c main JF_SET).
    ``note_remove`` is jail.c's: ``docf || argc > 1 || wild_jail_name(argv[0])`` for -r/-R.
    """

    def __init__(self, verbose: int = 0, iflag: bool = False, user: str | None = None,
                 clean_env: bool = False):
        self.verbose = verbose
        self.iflag = iflag
        self.failed = False
        self.labels: dict[str, str | None] = {}
        self.note_remove = True
        self.jidfile: str | None = None   # -J: the real path of the jid file
        self.oldcl = False

    def lbl(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.labels.get(name, name)

    def warnx(self, msg: str) -> None:
        sys.stdout.flush()
        sys.stderr.write(f"jail: {msg}\n")
        sys.stderr.flush()

    def jwarnx(self, name: str | None, msg: str) -> None:
        label = self.lbl(name)
        self.warnx(f"{label}: {msg}" if label else msg)

    def note(self, name: str | None, msg: str) -> None:
        label = self.lbl(name)
        sys.stdout.write(f"{label}: {msg}\n" if label else f"{msg}\n")
        sys.stdout.flush()

    def named_or_verbose(self, name: str) -> bool:
        """``verbose >= 0 && (j->name || verbose > 0)``."""
        return self.verbose >= 0 and (self.lbl(name) is not None or self.verbose > 0)


def split_command(cmd: str) -> tuple[list[str], bool]:
    """command.c default_command: (argv, background)."""
    idx = next((i for i, c in enumerate(cmd) if c in SHELL_META), -1)
    if idx >= 0 and not (cmd[idx] == "&" and idx == len(cmd) - 1):
        return ["/bin/sh", "-c", cmd], False
    bg = False
    if idx >= 0:
        cmd = cmd[:idx]
        bg = True
    return cmd.split(), bg


def _fast_tool(prog: str) -> str | None:
    """In fast tests (TESTBED_ROOT != /): the simulated tool a program path names, if any."""
    from .tools import dispatch
    base = os.path.basename(prog)
    entry = dispatch.TOOLS.get(base)
    if entry is None:
        return None
    if "/" in prog and prog != entry[1]:
        return None
    return base


def run_command(ctx: Ctx, j: dict[str, Any], params: dict[str, list[str]], comparam: str,
                cmd: str, record: dict[str, Any] | None) -> bool:
    """Run one exec.* command; True on success (prints the failure message otherwise)."""
    name = j["name"]
    argv, bg = split_command(cmd)
    if not argv:
        return True
    injail = comparam in ("exec.start", "command", "exec.stop")
    comline = " ".join(argv)
    clean = _bool("exec.clean", name, params.get("exec.clean", ["false"])) \
        if "exec.clean" in params else False
    user = (params.get("exec.jail_user" if injail else "exec.system_user") or [None])[-1]
    if ctx.verbose > 0:
        ctx.note(name, f"run command{' in jail' if injail else ''}{' as ' + user if user else ''}"
                       f": {comline}")
    consfd = None
    conslog = (params.get("exec.consolelog") or [None])[-1]
    if injail and conslog:
        if not conslog.startswith("/"):      # command.c check_path
            ctx.jwarnx(name, f"exec.consolelog: {conslog}: not an absolute pathname")
            return False
        try:
            real = hoststate.hostpath(conslog) if conslog.startswith("/") else conslog
            os.makedirs(os.path.dirname(real), exist_ok=True)
            consfd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        except OSError as e:
            ctx.jwarnx(name, f"open {conslog}: {os.strerror(e.errno or 0)}")
            return False
    env = dict(os.environ)
    if clean:
        keep = {k: v for k, v in os.environ.items() if k.startswith("TESTBED_")}
        env = {"PATH": CLEAN_PATH, "USER": "root", "HOME": "/root", "SHELL": "/bin/sh"}
        if "TERM" in os.environ:
            env["TERM"] = os.environ["TERM"]
        env.update(keep)
    env["JID"] = str(j.get("jid", ""))
    env["JNAME"] = name
    env["JPATH"] = j.get("path") or ""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            if consfd is not None:
                os.dup2(consfd, 1)
                os.dup2(consfd, 2)
                os.close(consfd)
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            if bg:
                os.setsid()
            if injail and record is not None:
                jailctx.enter(record, env)
            else:
                os.environ.clear()
                os.environ.update(env)
                if clean:
                    try:
                        os.chdir(hoststate.hostpath("/root"))
                    except OSError:
                        pass
            if hoststate.root() != "/" or (injail and record is not None and
                                           os.environ.get("TESTBED_ROOT", "/") != "/"):
                tool = _fast_tool(argv[0])
                if tool is None and os.path.basename(argv[0]) == "sh" and len(argv) == 2 and \
                        argv[1] in ("/etc/rc", "/etc/rc.shutdown"):
                    tool, argv = "testbed-rc", ["testbed-rc",
                                                "start" if argv[1] == "/etc/rc" else "stop"]
                if tool:
                    from .tools import dispatch
                    code = dispatch.main([tool] + argv[1:])
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code & 0xFF)
            try:
                os.execvpe(argv[0], argv, os.environ)
            except OSError as e:
                sys.stderr.write(f"jail: {name}: exec {argv[0]}: {os.strerror(e.errno or 0)}\n")
                sys.stderr.flush()
                os._exit(1)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException as e:  # noqa: BLE001 - no traceback, but recorded
            from .tools._common import record_crash
            record_crash("jail", [comparam, cmd], e)
            try:
                sys.stderr.write(f"jail: {name}: {e}\n")
                sys.stderr.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code & 0xFF)
    if consfd is not None:
        os.close(consfd)
    if bg:
        return True
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        ctx.jwarnx(name, f"{comline}: exited on signal {os.WTERMSIG(status)}")
        return False
    if os.WEXITSTATUS(status) != 0:
        ctx.jwarnx(name, f"{comline}: failed")
        return False
    return True


def _run_list(ctx: Ctx, j: dict[str, Any], params: dict[str, list[str]], comparam: str,
              record: dict[str, Any] | None) -> bool:
    for cmd in params.get(comparam, []):
        if cmd == "":
            continue
        if not run_command(ctx, j, params, comparam, cmd, record):
            return False
    return True


# ----------------------------------------------------------------------------- create / remove

def _net():
    try:
        from . import net
        return net
    except ImportError:
        return None


def create(ctx: Ctx, name: str, params: dict[str, list[str]], conf: str | None) -> bool:
    """Create one jail from resolved parameters. Prints messages; True on success."""
    jname = ctx.lbl(name)
    try:
        kp = build_kernel_params(jname, params)
    except JailError as e:
        ctx.warnx(str(e))
        return False
    with hoststate.locked(write=False) as st:
        if jailctx.jail_info(st, name) is not None:
            ctx.warnx(f'"{name}" already exists')
            return False
    path = kp.get("path")
    j: dict[str, Any] = {"name": name, "jid": "", "path": path or ""}
    # exec.prepare
    if not _run_list(ctx, j, params, "exec.prepare", None):
        return False
    # mounts (recorded; mount.devfs needs <path>/dev)
    devfs = None
    if "mount.devfs" in params and _bool("mount.devfs", jname, params["mount.devfs"]):
        if not path:
            ctx.jwarnx(name, "mount.devfs: no path")
            return _undo(ctx, j, params, "mounts")
        devpath = path.rstrip("/") + "/dev"
        if not os.path.isdir(hoststate.hostpath(devpath)):
            err = "No such file or directory" if not os.path.lexists(hoststate.hostpath(devpath)) \
                else "Not a directory"
            ctx.jwarnx(name, f"mount.devfs: {devpath}: {err}")
            return _undo(ctx, j, params, "mounts")
        ruleset = _int("devfs_ruleset", jname, params["devfs_ruleset"]) \
            if "devfs_ruleset" in params else 4
        devfs = {"path": devpath, "ruleset": ruleset}
        kp["devfs_ruleset"] = ruleset
    mounts = []
    for m in params.get("mount", []):
        parts = m.split()
        if not parts:
            continue
        if len(parts) < 3:
            ctx.jwarnx(name, f"mount: {m}: missing information")
            return _undo(ctx, j, params, "mounts")
        if not os.path.isdir(hoststate.hostpath(parts[1]) if parts[1].startswith("/") else parts[1]):
            ctx.jwarnx(name, f"mount: {parts[1]}: No such file or directory")
            return _undo(ctx, j, params, "mounts")
        mounts.append(parts)
    # exec.prestart
    if not _run_list(ctx, j, params, "exec.prestart", None):
        return _undo(ctx, j, params, "mounts")
    # create
    if path is not None:
        if not path.startswith("/"):
            ctx.jwarnx(name, f"path {path}: not an absolute pathname")
            return _undo(ctx, j, params, "mounts")
        real = hoststate.hostpath(path)
        if not os.path.exists(real):
            ctx.jwarnx(name, f"path {path}: No such file or directory")
            return _undo(ctx, j, params, "mounts")
        if not os.path.isdir(real):
            ctx.jwarnx(name, f"path {path}: Not a directory")
            return _undo(ctx, j, params, "mounts")
    else:
        path = "/"
    net = _net()
    with hoststate.locked() as st:
        parent = jailctx.current_jail()
        if parent:
            # a child of the jail we run in: kern_jail.c kern_jail_set's checks (see _nested)
            err = _nested_denied(st, parent, kp)
            if err:
                ctx.jwarnx(name, err)
                return False
            pr = jailctx.jail_info(st, parent) or {}
            ppath = (pr.get("path") or "/").rstrip("/")
            path = (ppath + path) if path != "/" else (ppath or "/")
            kp["parent"] = pr.get("jid", 0)
        if jailctx.jail_info(st, name) is not None:
            ctx.jwarnx(name, f'jail_set: jail "{name}" already exists')  # [DERIVED]
            return False
        rt = st.runtime
        jid = kp.get("jid") or rt.get("jail_lastjid", 0) + 1
        if any(x["jid"] == jid for x in jailctx.running_jails(st, dying=True)):
            ctx.jwarnx(name, f"jail_set: jail {jid} already exists")
            return False
        rt["jail_lastjid"] = max(rt.get("jail_lastjid", 0), jid)
        cs = rt.get("jail_lastcpuset", 1) + 1
        rt["jail_lastcpuset"] = cs
        full = full_params(kp, jid, name, path, cs)
        if parent:
            _inherit_allow(st, parent, kp, full)
        if not kp.get("persist"):
            full["persist"] = bool(params.get("exec.start") or params.get("command")
                                   or params.get("exec.poststart")) or False
        try:
            from .tools import sysctl as _sysctl
            ncpu = int(_sysctl.value(rt, "hw.ncpu"))
        except Exception:  # noqa: BLE001
            ncpu = 4
        record = {"jid": jid, "name": name, "path": path, "params": full,
                  "vnet": full["vnet"] == "new", "vnet_interfaces": [], "devfs": devfs,
                  "mounts": mounts, "conf": conf, "cpuset": list(range(ncpu)),
                  "created": time.time(), "exec": {k: v for k, v in params.items()
                                                  if k.startswith("exec.") or k in
                                                  ("vnet.interface", "mount.devfs")}}
        jailctx._jails(st)[name] = record
        if record["vnet"] and net is not None:
            net.vnet_create(st, name)
    j = record
    if ctx.verbose > 0:
        # jail.c jailparam_set_note: " NAME" for a parameter given without a value (jp_value
        # NULL: bare booleans and jailsys like "vnet;"), " NAME=" + quoted_print(export) else;
        # "persist" first when jail(8) adds it for commands to run (create_jail dopersist).
        shown = (["persist"] if not kp.get("persist") and full["persist"] else [])
        for k, v in kp.items():
            if v is True or (k in KERNEL_JAILSYS and params.get(k) == ["true"]):
                shown.append(k)
            elif v is False:
                shown.append(_no(k))
            else:
                shown.append(f"{k}={quoted_print(export(k, v))}")
        ctx.note(name, "jail_set(JAIL_CREATE) " + " ".join(shown))
    if ctx.named_or_verbose(name):   # command.c run_command IP__OP
        ctx.note(name, "created")
    if ctx.iflag:
        sys.stdout.write(f"{jid}\n")
        sys.stdout.flush()
    # exec.created
    if not _run_list(ctx, j, params, "exec.created", None):
        return _undo(ctx, j, params, "created")
    # zfs.dataset
    for ds in params.get("zfs.dataset", []):
        _attach_dataset(ctx, record, ds)
    # vnet.interface
    for ifname in params.get("vnet.interface", []):
        if not record["vnet"]:
            ctx.jwarnx(name, "vnet.interface: jail has no vnet")  # [UNCONFIRMED]
            return _undo(ctx, j, params, "created")
        if not _move_iface(ctx, record, ifname, params):
            return _undo(ctx, j, params, "created")
    # exec.start, command (inside), exec.poststart (host)
    for cp in ("exec.start", "command"):
        if not _run_list(ctx, j, params, cp, record):
            return _undo(ctx, j, params, "created")
    if not _run_list(ctx, j, params, "exec.poststart", None):
        return _undo(ctx, j, params, "created")
    if not kp.get("persist") and not (params.get("exec.start") or params.get("command")
                                      or params.get("exec.poststart")):
        # no persist and nothing ever ran in it: the kernel removes the jail at once (no
        # process holds it).  Jails whose commands ran are kept: their daemons are not all
        # in the process table.
        _kernel_remove(ctx, name)
        _jidfile_line(ctx, jid, params)
        return True
    if not kp.get("persist"):
        with hoststate.locked() as st:
            r = jailctx.jail_info(st, name)
            if r is not None:
                r["params"]["persist"] = False
                if ctx.verbose > 0 and full["persist"]:
                    ctx.note(name, f"jail_set(JAIL_UPDATE) jid={jid} nopersist")
    _jidfile_line(ctx, jid, params)
    return True


def _jidfile_line(ctx: Ctx, jid: int, params: dict[str, list[str]]) -> None:
    """-J jid_file: jail.c print_jail at jail_create_done.  New style: ``jid=N`` then every
    parameter but jid (internal ones too) as ``name`` or ``name=v1,v2`` (quoted_print); old
    style: ``jid<TAB>path<TAB>hostname<TAB>ip4[,ip6]<TAB>command``."""
    if ctx.jidfile is None:
        return
    if ctx.oldcl:
        ips = ",".join(params.get("ip4.addr", []) + params.get("ip6.addr", []))
        line = "\t".join([str(jid), ",".join(params.get("path", [])),
                          ",".join(params.get("host.hostname", [])), ips,
                          " ".join(params.get("command", []))])
    else:
        items = [f"jid={jid}"]
        for k, vals in params.items():
            if k == "jid":
                continue
            boolish = k in KERNEL_BOOL_DEFAULTS or k in INTERNAL_BOOL or k in KERNEL_JAILSYS
            if boolish and vals == ["true"]:
                items.append(k)
            elif boolish and vals == ["false"] and k not in KERNEL_JAILSYS:
                items.append(_no(k))
            elif not vals:
                items.append(k)
            else:
                items.append(f"{k}=" + ",".join(quoted_print(v) for v in vals))
        line = " ".join(items)
    try:
        with open(ctx.jidfile, "a", encoding="utf-8", errors="surrogateescape") as f:
            f.write(line + "\n")
    except OSError:
        pass


def _children(st: Any, parent: str) -> list[dict[str, Any]]:
    """The direct children of jail ``parent`` (runtime names ``parent.child``)."""
    pre = parent + "."
    return [j for j in jailctx.running_jails(st) if j["name"].startswith(pre)
            and "." not in j["name"][len(pre):]]


def _nested_denied(st: Any, parent: str, kp: dict[str, Any]) -> str | None:
    """Why the kernel refuses to create a child of ``parent`` (None: allowed).

    [SRC sys/kern/kern_jail.c kern_jail_set; TEST usr.sbin/jail/tests/jail_basic_test.sh
    "nested"]: a jail with children.max=0 (the default) may not create jails at all
    (priv_check PRIV_JAIL_SET: EPERM, no errmsg -> libjail's "jail_set: Operation not
    permitted"); with children.max=N the N+1st child gets "prison limit exceeded"; a child may
    not get allow.* permissions its parent lacks, nor children.max >= its parent's (EPERM).
    """
    pr = jailctx.jail_info(st, parent)
    if pr is None:
        return None
    pp = pr.get("params") or {}
    cmax = int(pp.get("children.max") or 0)
    if cmax <= 0:
        return "jail_set: Operation not permitted"
    if len(_children(st, parent)) >= cmax:
        return "prison limit exceeded"
    for k, v in kp.items():
        if k.startswith("allow.") and v is True and pp.get(k) is False:
            return "jail_set: Operation not permitted"
    if int(kp.get("children.max") or 0) >= cmax:
        return "jail_set: Operation not permitted"
    return None


def _inherit_allow(st: Any, parent: str, kp: dict[str, Any], full: dict[str, Any]) -> None:
    """A child starts with its parent's allow.* masked onto the defaults (kern_jail.c:
    ``pr->pr_allow = JAIL_DEFAULT_ALLOW & ppr->pr_allow``), before its own settings."""
    pr = jailctx.jail_info(st, parent)
    pp = (pr or {}).get("params") or {}
    for k, v in pp.items():
        if k.startswith("allow.") and v is False and k not in kp:
            full[k] = False
    pr_params = (pr or {}).get("params")
    if isinstance(pr_params, dict):
        pr_params["children.cur"] = len(_children(st, parent)) + 1


def verbose_created(ctx: Ctx) -> bool:
    return ctx.verbose >= 0 and not ctx.iflag


def quoted_print(s: str) -> str:
    """jail.c quoted_print: quote with " if empty or containing ' or blanks, with ' if it
    contains "; backslash and the quote character are escaped."""
    qc = '"' if not s or "'" in s else "'" if '"' in s else '"' if (" " in s or "\t" in s) else ""
    body = "".join("\\" + c if (c == "\\" or (qc and c == qc)) else c for c in s)
    return f"{qc}{body}{qc}"


def _move_iface(ctx: Ctx, record: dict[str, Any], ifname: str,
                params: dict[str, list[str]] | None = None) -> bool:
    """vnet.interface: command.c run_command IP_VNET_INTERFACE runs
    ``/sbin/ifconfig IF vnet JAIL`` where JAIL is the ``jid`` parameter if one was given, else
    the ``name`` parameter (not the jid the kernel assigned)."""
    net = _net()
    target = ((params or {}).get("jid") or [None])[-1] or record["name"]
    comline = f"/sbin/ifconfig {ifname} vnet {target}"
    if ctx.verbose > 0:
        ctx.note(record["name"], f"run command: {comline}")
    if net is None:
        record["vnet_interfaces"].append(ifname)
        return True
    with hoststate.locked() as st:
        try:
            net.move_interface(st, ifname, record["name"])
        except Exception as e:  # noqa: BLE001
            eno = getattr(e, "errno", None)
            if eno in (6,):  # ENXIO
                msg = f"interface {ifname} does not exist"
            else:
                msg = f"SIOCSIFVNET: {getattr(e, 'msg', '') or e}"
            sys.stdout.flush()
            sys.stderr.write(f"ifconfig: {msg}\n")
            ctx.jwarnx(record["name"], f"{comline}: failed")
            return False
        r = jailctx.jail_info(st, record["name"])
        if r is not None:
            r["vnet_interfaces"].append(ifname)
    record["vnet_interfaces"].append(ifname)
    return True


def _attach_dataset(ctx: Ctx, record: dict[str, Any], ds: str) -> None:
    with hoststate.locked() as st:
        r = jailctx.jail_info(st, record["name"])
        if r is not None:
            r.setdefault("zfs_datasets", []).append(ds)


def _undo(ctx: Ctx, j: dict[str, Any], params: dict[str, list[str]], stage: str) -> bool:
    """A failed creation: remove the jail if it was created (jail.c runs the stop side)."""
    if stage == "created":
        # next_command walks startcommands backwards (create_failed): vnet.interface runs its
        # down side "/sbin/ifconfig IF -vnet JAIL", then IP__OP removes the jail and notes
        # "removed" when verbose > 0 or (verbose == 0 and j->name) [SRC command.c].
        target = (params.get("jid") or [None])[-1] or j["name"]
        for ifname in reversed(j.get("vnet_interfaces") or []):
            if ctx.verbose > 0:
                ctx.note(j["name"], f"run command: /sbin/ifconfig {ifname} -vnet {target}")
        _kernel_remove(ctx, j["name"])
        if ctx.verbose > 0 or (ctx.verbose == 0 and ctx.lbl(j["name"]) is not None):
            ctx.note(j["name"], "removed")
    return False


def _kernel_remove(ctx: Ctx, name: str) -> dict[str, Any] | None:
    net = _net()
    with hoststate.locked() as st:
        js = jailctx._jails(st)
        r = js.pop(name, None)
        if r is None:
            return None
        # the kernel removes a jail's descendants with it (prison_deref of its children)
        gone = [name] + [n for n in list(js) if n.startswith(name + ".")]
        for n in gone[1:]:
            js.pop(n, None)
        for n in reversed(gone):
            jailctx.procs_remove(st, jail=n)
            if net is not None:
                try:
                    net.vnet_destroy(st, n)
                except Exception:  # noqa: BLE001 - the jail is gone whatever its vnet does
                    pass
        if "." in name:
            pr = js.get(name.rsplit(".", 1)[0])
            if pr is not None and isinstance(pr.get("params"), dict):
                pr["params"]["children.cur"] = max(0, int(pr["params"].get("children.cur") or 1) - 1)
        rules = st.runtime.get("rctl")
        if isinstance(rules, list):
            pass  # rules survive removal (keyed by name), as in the kernel
        return r


def remove(ctx: Ctx, name: str, params: dict[str, list[str]] | None, run_hooks: bool = True) -> bool:
    with hoststate.locked(write=False) as st:
        r = jailctx.jail_info(st, name)
        r = dict(r) if r is not None else None
    if r is None:
        return False
    p = params if params is not None else {}
    j = r
    if run_hooks:
        # jail.c main, JF_STOP: once a stop command failed (JF_FAILED with the jail still
        # there) the loop goes straight to jail_remove_done: the jail is NOT removed, exit 1
        if not _run_list(ctx, j, p, "exec.prestop", None):
            return False
        if not _run_list(ctx, j, p, "exec.stop", r):
            return False
    _kernel_remove(ctx, r["name"])
    # command.c IP__OP (down, JF_STOP): verbose > 0 || (verbose == 0 && note_remove)
    if ctx.verbose > 0 or (ctx.verbose == 0 and ctx.note_remove):
        ctx.note(r["name"], "removed")
    ok = True
    if run_hooks:
        # after IP__OP a failure still fails the run (exit 1); the rest is skipped
        ok = _run_list(ctx, j, p, "exec.poststop", None) and \
            _run_list(ctx, j, p, "exec.release", None)
    return ok


def modify(ctx: Ctx, name: str, params: dict[str, list[str]]) -> bool:
    try:
        kp = build_kernel_params(name, params)
    except JailError as e:
        ctx.warnx(str(e))
        return False
    with hoststate.locked() as st:
        r = jailctx.jail_info(st, name)
        if r is None:
            ctx.warnx(f'"{name}" not found')
            return False
        for k, v in kp.items():
            if k in ("path", "vnet", "jid", "name") and r["params"].get(k) != v:
                ctx.jwarnx(name, f"{k} cannot be changed after creation")
                return False
        r["params"].update(kp)
    if ctx.named_or_verbose(name):   # jail.c main, JF_SET
        ctx.note(name, "updated")
    return True


# ----------------------------------------------------------------------------- jail(8) main

USAGE = """usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]
            -[cmr] param=value ... [command=command ...]
       jail [-dqv] [-f file] -[cmr] [jail]
       jail [-qv] [-f file] -[rR] ['*' | jail ...]
       jail [-dhilqv] [-J jid_file] [-u username] [-U username]
            [-n jailname] [-s securelevel]
            path hostname [ip[,...]] command ...
"""


def _cmdline_params(args: list[str]) -> tuple[dict[str, list[str]], str | None]:
    """param=value arguments (jail.c's command-line form)."""
    p: dict[str, list[str]] = {}
    name = None
    for i, a in enumerate(args):
        if a.startswith("command="):
            p["command"] = [" ".join([a[len("command="):]] + args[i + 1:])]
            break
        if "=" in a:
            k, _, v = a.partition("=")
            if k.endswith("+"):
                k = k[:-1]
                p.setdefault(k, []).append(v)
            else:
                p[k] = [v] if k not in KERNEL_LIST and k not in ("exec.start", "exec.stop") \
                    else v.split(",") if k in KERNEL_LIST else [v]
        else:
            from .jailconf import _bool_name
            k, v = _bool_name(a)
            p[k] = [v]
    if "name" in p:
        name = p["name"][-1]
    elif "jid" in p:
        name = p["jid"][-1]
    return p, name


def _wild(name: str) -> bool:
    """config.c wild_jail_name: a ``*`` making up a whole dot-separated component."""
    for i, c in enumerate(name):
        if c == "*" and (i == 0 or name[i - 1] == ".") and (i + 1 == len(name) or name[i + 1] == "."):
            return True
    return False


def _wild_match(jname: str, wname: str) -> bool:
    """config.c wild_jail_match."""
    jc, wc = jname.split("."), wname.split(".")
    while len(jc) > 1 and len(wc) > 1:
        if jc[0] != wc[0] and wc[0] != "*":
            return False
        jc, wc = jc[1:], wc[1:]
    rest_j, rest_w = ".".join(jc), ".".join(wc)
    return rest_j == rest_w or rest_w == "*"


def jail_main(argv: list[str]) -> int:
    """jail(8) main [SRC usr.sbin/jail/jail.c main, state.c start_state].

    The four command-line styles of jail.c: old style (``path hostname ip command...``),
    -r/-R (by name, jid or wildcard; config file used when it exists: ``docf``), one jail given
    by parameters on the command line (``argc > 1`` or an ``=`` in the only argument: no
    config, j->name NULL), and jails from the config file.  Inside a jail, names are relative
    to it (children are ``parent.child`` in the runtime).
    """
    from .tools._common import UsageError, getopt
    prog = "jail"
    try:
        opts, args = getopt(prog, argv[1:], "cde:f:hiJ:lmn:p:qrRs:u:U:vC")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    flags = {o for o, _ in opts}
    conf = DEFAULT_CONF
    verbose = 0
    sep = None
    iflag = False
    docf = True
    jidfile = None
    extra: dict[str, list[str]] = {}
    for o, a in opts:          # in order, as getopt's loop does (-i and -q/-v override)
        if o == "f":
            conf = a
        elif o == "q":
            verbose = -1
        elif o == "v":
            verbose = 1
        elif o == "i":
            iflag, verbose = True, -1
        elif o == "e":
            sep = a
        elif o == "J":
            jidfile = a
        elif o == "n":
            extra["name"], docf = [a], False
        elif o == "s":
            extra["securelevel"], docf = [a], False
        elif o in ("u", "U"):
            extra["exec.jail_user"], docf = [a], False
            extra["exec.system_jail_user"] = ["true" if o == "u" else "false"]
        elif o == "l":
            extra["exec.clean"], docf = ["true"], False
        elif o == "h":
            extra["ip_hostname"], docf = ["true"], False
    op = ""
    if "c" in flags:
        op += "c"
    if "m" in flags:
        op += "m"
    if "r" in flags or "R" in flags:
        op += "r"
    rflag = "R" in flags
    if sep is not None:
        return _show_config(conf, sep)
    ctx = Ctx(verbose=verbose, iflag=iflag)
    parent = jailctx.current_jail()
    if jidfile is not None:
        # jail.c main: fopen(JidFile, "w") after start_state; err(1, "open %s", JidFile)
        real = hoststate.hostpath(jidfile) if jidfile.startswith("/") else jidfile
        try:
            open(real, "w").close()
        except OSError as e:
            from .tools._common import strerror
            ctx.warnx(f"open {jidfile}: {strerror(e.errno or 0)}")
            return 1
        ctx.jidfile = real

    def full(n: str) -> str:
        """A name as given inside a jail -> the runtime name of that child."""
        if parent and not n.isdigit() and not n.startswith(parent + "."):
            return f"{parent}.{n}"
        return n

    if not op:
        # old style: jail [-dhilqv] ... path hostname [ip[,...]] command ...
        if len(args) < 4 or not args[0].startswith("/"):
            sys.stderr.write(USAGE)
            return 1
        params: dict[str, list[str]] = dict(extra)
        params["path"] = [args[0]]
        params["host.hostname"] = [args[1]]
        for a in args[2].split(",") if args[2] else []:
            params["ip6.addr" if ":" in a else "ip4.addr"] = \
                params.get("ip6.addr" if ":" in a else "ip4.addr", []) + [a]
        params["command"] = [" ".join(args[3:])]
        name = full(extra["name"][-1]) if "name" in extra else str(jailctx_next_jid())
        ctx.labels[name] = None
        ctx.oldcl = True
        return 0 if create(ctx, name, params, None) else 1

    if op == "r" or (op == "r" and rflag):
        # jail.c: "Jail remove, perhaps using the config file"
        if not docf or not args:
            sys.stderr.write(USAGE)
            return 1
        if not rflag and any("=" in a for a in args):
            sys.stderr.write(USAGE)
            return 1
        real_conf = hoststate.hostpath(conf) if conf.startswith("/") else conf
        docf = not rflag and (conf == "-" or os.path.exists(real_conf))
        ctx.note_remove = docf or len(args) > 1 or _wild(args[0])
        cfg = Config()
        if docf:
            try:
                cfg = load_conf(conf)
            except ConfError as e:
                ctx.warnx(str(e))
                return 1
        rc = 0
        for a in args:
            rc |= _remove_target(ctx, cfg, a, rflag, full)
        return rc

    if rflag:
        sys.stderr.write(USAGE)
        return 1

    if len(args) > 1 or (len(args) == 1 and "=" in args[0]):
        # "Single jail specified on the command line": no config, j->name is NULL
        params, name = _cmdline_params(args)
        for k, v in extra.items():
            params.setdefault(k, v)
        if name is None:
            name = str(jailctx_next_jid())
        name = full(name)
        ctx.labels[name] = None
        return 0 if _do(ctx, op, name, params, None, cmdline=True) else 1
    for k in extra:
        if k not in ("exec.clean",):
            sys.stderr.write(USAGE)    # -n/-s/-u/-U/-h with a config file: usage (docf = 0)
            return 1
    # from the config file, perhaps with a specified jail
    try:
        cfg = load_conf(conf)
    except ConfError as e:
        ctx.warnx(str(e))
        return 1
    target = args[0] if args else None
    wild = target is None or target == "*" or _wild(target)
    if target is None or target == "*":
        names = list(cfg.jails)
    elif _wild(target):
        names = [n for n in cfg.jails if _wild_match(n, target)]
    else:
        if not cfg.has_jail(target):
            ctx.warnx(f'"{target}" not found')
            return 1
        names = [target]
    rc = 0
    for n in names:
        try:
            params = cfg.resolve(n)
        except ConfError as e:
            ctx.warnx(str(e))
            rc = 1
            continue
        fn = full(n)
        ctx.labels[fn] = n
        if wild and op == "c":
            with hoststate.locked(write=False) as st:
                if jailctx.jail_info(st, fn) is not None:
                    continue          # JF_WILD: a running jail is silently left alone
        if not _do(ctx, op, fn, params, conf, wild=wild):
            rc = 1
    return rc


def _remove_target(ctx: Ctx, cfg: Config, a: str, rflag: bool, full) -> int:
    """One -r/-R target (state.c start_state for JF_STOP)."""
    if _wild(a):
        if rflag:       # -R matches wildcards against the running jails
            with hoststate.locked(write=False) as st:
                names = [j["name"] for j in jailctx.running_jails(st) if _wild_match(j["name"], a)]
            todo = [(n, None) for n in names]
        else:
            todo = [(n, n) for n in cfg.jails if a == "*" or _wild_match(n, a)]
        rc = 0
        for n, cfname in todo:
            fn = full(n)
            with hoststate.locked(write=False) as st:
                r = jailctx.jail_info(st, fn)
            if r is None:
                continue        # JF_WILD: not running is no error
            ctx.labels[r["name"]] = n
            params = cfg.resolve(cfname) if cfname and cfg.has_jail(cfname) and not rflag else {}
            if not remove(ctx, r["name"], params, run_hooks=not rflag):
                rc = 1
        return rc
    params: dict[str, list[str]] = {}
    if cfg.has_jail(a) and not rflag:
        try:
            params = cfg.resolve(a)
        except ConfError as e:
            ctx.warnx(str(e))
            return 1
    with hoststate.locked(write=False) as st:
        r = jailctx.jail_info(st, full(a))
    if r is None:
        if ctx.verbose >= 0:
            ctx.warnx(f'"{a}" not found')
        return 1
    ctx.labels[r["name"]] = a       # state.c: j->name = estrdup(target)
    return 0 if remove(ctx, r["name"], params, run_hooks=not rflag) else 1


def jailctx_next_jid() -> int:
    with hoststate.locked(write=False) as st:
        return st.runtime.get("jail_lastjid", 0) + 1


def _do(ctx: Ctx, op: str, name: str, params: dict[str, list[str]], conf: str | None,
        cmdline: bool = False, wild: bool = False) -> bool:
    """One jail through jail.c's main loop (JF_START / JF_SET / JF_STOP / JF_RESTART)."""
    with hoststate.locked(write=False) as st:
        exists = jailctx.jail_info(st, name) is not None

    def quoted_not_found() -> None:
        # jail.c jail_quoted_warnx(j, "not found", "no jail specified"): j->name, else the
        # jid parameter, else the name parameter
        pval = ctx.lbl(name) or (params.get("jid") or [None])[-1] or (params.get("name") or [None])[-1]
        ctx.warnx(f'"{pval}" not found' if pval else "no jail specified")

    if op == "c":
        return create(ctx, name, params, conf)
    if op in ("cm", "cmr"):     # JF_START_SET(_RESTART): create, or update a running jail
        return modify(ctx, name, params) if exists else create(ctx, name, params, conf)
    if op in ("m", "mr"):
        if not exists:
            quoted_not_found()
            return False
        return modify(ctx, name, params)
    if op == "r":
        if not exists:
            if ctx.verbose >= 0:
                quoted_not_found()
            return False
        return remove(ctx, name, params)
    if op == "cr":              # JF_RESTART: stop (no "removed": note_remove is 0), start
        if not exists:
            if ctx.verbose >= 0:
                quoted_not_found()
            return False
        ctx.note_remove = False
        remove(ctx, name, params)
        return create(ctx, name, params, conf)
    sys.stderr.write(USAGE)
    return False


def _show_config(conf: str, sep: str) -> int:
    try:
        cfg = load_conf(conf)
    except ConfError as e:
        sys.stderr.write(f"jail: {e}\n")
        return 1
    for n in cfg.jails:
        try:
            p = cfg.resolve(n)
        except ConfError as e:
            sys.stderr.write(f"jail: {e}\n")
            return 1
        items = [f"name={n}"]
        for k, vals in p.items():
            if k in ("name",):
                continue
            if k in INTERNAL_BOOL or k in KERNEL_BOOL_DEFAULTS:
                try:
                    b = _bool(k, n, vals)
                except JailError:
                    b = True
                items.append(k if b else _no(k))
                continue
            if k == "vnet" and vals == ["true"]:
                items.append("vnet")
                continue
            items.append(f"{k}=" + ",".join(_q(v) for v in vals))
        sys.stdout.write(sep.join(items) + ("" if sep == "\n" else "\n"))
        if sep == "\n":
            sys.stdout.write("\n") if False else None
    return 0


def _no(k: str) -> str:
    head, _, last = k.rpartition(".")
    return f"{head}.no{last}" if head else f"no{last}"


def _q(v: str) -> str:
    if v == "" or any(c in v for c in " \t\"'\\,$") :
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v


# ----------------------------------------------------------------------------- rc.d/jail

def _rc_conf() -> dict[str, str]:
    from .boot import rc_conf
    return rc_conf()


def _checkyesno(env: dict[str, str], var: str) -> bool:
    return env.get(var, "").strip().lower() in ("yes", "true", "on", "1")


@contextlib.contextmanager
def _capture() -> Iterator[io.StringIO]:
    """Capture fd 1/2 and sys.stdout/err into one buffer (``>> $_tmp 2>&1``)."""
    buf = io.StringIO()
    sys.stdout.flush()
    sys.stderr.flush()
    tmp = tempfile.TemporaryFile(mode="w+b")
    save1, save2 = os.dup(1), os.dup(2)
    old = sys.stdout, sys.stderr
    os.dup2(tmp.fileno(), 1)
    os.dup2(tmp.fileno(), 2)
    f = open(tmp.fileno(), "w", closefd=False, buffering=1)
    sys.stdout = sys.stderr = f
    try:
        yield buf
    finally:
        f.flush()
        sys.stdout, sys.stderr = old
        os.dup2(save1, 1)
        os.dup2(save2, 2)
        os.close(save1)
        os.close(save2)
        tmp.seek(0)
        buf.write(tmp.read().decode("utf-8", "replace"))
        tmp.close()


def _jail_cmd(args: list[str]) -> tuple[int, str]:
    with _capture() as buf:
        try:
            rc = jail_main(["jail"] + args)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 1
    return rc, buf.getvalue()


def _parse_options(env: dict[str, str], j: str) -> str | None:
    jv = re.sub(r"[^A-Za-z0-9]", "_", j)
    cands = [env.get(f"jail_{jv}_conf") or f"/etc/jail.{j}.conf", f"/etc/jail.conf.d/{j}.conf",
             env.get("jail_conf", DEFAULT_CONF)]
    for c in cands:
        if os.access(hoststate.hostpath(c), os.R_OK):
            return c
    sys.stdout.flush()
    sys.stderr.write(f"/etc/rc.d/jail: WARNING: Invalid configuration for {j} (no jail.conf, no "
                     f"hostname, or no path).  Jail {j} was ignored.\n")
    return None


def _running_names() -> list[tuple[int, str]]:
    with hoststate.locked(write=False) as st:
        return [(j["jid"], j["name"]) for j in jailctx.running_jails(st)]


def _write_id(name: str, jid: Any) -> None:
    try:
        p = hoststate.hostpath(f"/var/run/jail_{name}.id")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(f"{jid}\n")
    except OSError:
        pass


def _rm_id(name: str) -> None:
    try:
        os.remove(hoststate.hostpath(f"/var/run/jail_{name}.id"))
    except OSError:
        pass


def _jail_start(env: dict[str, str], names: list[str]) -> None:
    w = sys.stdout.write
    w("Starting jails:")
    sys.stdout.flush()
    conf_default = env.get("jail_conf", DEFAULT_CONF)
    flags = env.get("jail_flags", "").split()
    if names == ["_ALL"]:
        a = flags + ["-f", conf_default, "-c"]
        if not _checkyesno(env, "jail_parallel_start"):
            a.append("-p1")
        rc, out = _jail_cmd(a)
        if rc == 0:
            for jid, n in _running_names():
                w(f" {n}")
                _write_id(n, jid)
        else:
            w(out)
        w(".\n")
        return
    for j in names:
        j = j.replace("/", "_").replace(".", "_")
        jv = re.sub(r"[^A-Za-z0-9]", "_", j)
        conf = _parse_options(env, j)
        if conf is None:
            continue
        jflags = (env.get(f"jail_{jv}_flags") or env.get("jail_flags", "")).split()
        rc, out = _jail_cmd(jflags + ["-i", "-f", conf, "-c", j])
        if rc == 0:
            w(f" {j}")
            with hoststate.locked(write=False) as st:
                r = jailctx.jail_info(st, j)
            _write_id(j, r["jid"] if r else "")
        else:
            w(f' cannot start jail  "{j}": \n')
            w(out)
        sys.stdout.flush()
    w(".\n")


def _jail_stop(env: dict[str, str], names: list[str], reverse: bool) -> None:
    w = sys.stdout.write
    w("Stopping jails:")
    sys.stdout.flush()
    conf_default = env.get("jail_conf", DEFAULT_CONF)
    if names == ["_ALL"]:
        running = [n for _, n in _running_names()]
        if _checkyesno(env, "jail_reverse_stop"):
            running.reverse()
        for n in running:
            w(f" {n}")
            rc, out = _jail_cmd(env.get("jail_flags", "").split() + ["-f", conf_default, "-r", n])
            if any(x == n for _, x in _running_names()):
                w(out)
            else:
                _rm_id(n)
        w(".\n")
        return
    if reverse:
        names = list(reversed(names))
    for j in names:
        j = j.replace("/", "_").replace(".", "_")
        conf = _parse_options(env, j)
        if conf is None:
            continue
        if not any(x == j for _, x in _running_names()):
            continue
        w(f" {j}")
        rc, out = _jail_cmd(["-q", "-f", conf, "-r", j])
        if any(x == j for _, x in _running_names()):
            w(out)
        else:
            _rm_id(j)
    w(".\n")


def service_jail(args: list[str]) -> int:
    """``service jail CMD [NAMES...]`` as /etc/rc.d/jail + rc.subr's run_rc_command."""
    if not args:
        return _rc_usage()
    cmd, names = args[0], args[1:]
    env = _rc_conf()
    prefix = ""
    for p in ("one", "force", "quiet", "fast"):
        if cmd.startswith(p) and cmd[len(p):] in ("start", "stop", "restart", "status", "config",
                                                  "console", "rcvar", "enabled", "describe",
                                                  "extracommands", "enable", "disable", "delete"):
            prefix, cmd = p, cmd[len(p):]
            break
    known = ("start", "stop", "restart", "status", "config", "console", "rcvar", "enabled",
             "describe", "extracommands", "enable", "disable", "delete")
    if cmd not in known:
        sys.stderr.write(f"/etc/rc.d/jail: unknown directive '{cmd}'.\n")
        return _rc_usage()
    reverse = False
    if not names:
        lst = env.get("jail_list", "").split()
        names = lst or ["_ALL"]
        reverse = _checkyesno(env, "jail_reverse_stop")
    enabled = _checkyesno(env, "jail_enable")
    if cmd == "enabled":
        return 0 if enabled else 1
    if cmd == "describe":
        print("Manage system jails")
        return 0
    if cmd == "extracommands":
        print("config console status")
        return 0
    if cmd == "rcvar":
        print("# jail\n#\njail_enable=\"%s\"\n#   (default: \"\")\n" % env.get("jail_enable", ""))
        return 0
    if cmd in ("enable", "disable", "delete"):
        from .tools import sysrc
        if cmd == "delete":
            rc = sysrc.main(["sysrc", "-x", "jail_enable"])
            print("jail_enable deleted in /etc/rc.conf")
            return rc
        val = "YES" if cmd == "enable" else "NO"
        with _capture():
            rc = sysrc.main(["sysrc", f"jail_enable={val}"])
        print(f"jail {cmd}d in /etc/rc.conf")
        return rc
    if not enabled and prefix not in ("one", "force") and cmd not in ("status",):
        if prefix == "quiet":
            return 0
        print(f"Cannot '{prefix}{cmd}' jail. Set jail_enable to YES in /etc/rc.conf or use "
              f"'one{cmd}' instead of '{cmd}'.")
        return 0
    if cmd == "status":
        from .tools import jls
        return jls.main(["jls", "-N"])
    if cmd == "config":
        if names == ["_ALL"]:
            return 0
        for j in names:
            c = _parse_options(env, j)
            if c:
                print(f"{j}: parameters are in {c}.")
        return 0
    if cmd == "console":
        if len(names) != 1 or names == ["_ALL"]:
            sys.stderr.write("/etc/rc.d/jail: ERROR: Specify a jail name.\n")
            return 3
        from .tools import jexec
        return jexec.main(["jexec", names[0], "/usr/bin/login", "-f", "root"])
    if cmd in ("stop", "restart"):
        _jail_stop(env, names, reverse)
    if cmd in ("start", "restart"):
        _jail_start(env, names)
    sys.stdout.flush()
    return 0


def _rc_usage() -> int:
    sys.stderr.write("Usage: /etc/rc.d/jail [fast|force|one|quiet](start|stop|restart|rcvar|"
                     "enable|disable|delete|enabled|describe|extracommands|config|console|status)\n")
    return 1


# ----------------------------------------------------------------------------- boot

def boot_step(rt: dict[str, Any]) -> None:
    """rc.d/jail at boot: with jail_enable=YES start jail_list (or all of jail.conf).

    Boot steps run under the host-state lock while jail(8) takes it itself (and its hooks run
    tools that do): the lock is released around the start and the runtime reloaded after.
    """
    env = _rc_conf()
    if not _checkyesno(env, "jail_enable"):
        return
    with _unlocked(rt):
        with _capture() as buf:
            service_jail(["start"])
        try:
            log = hoststate.hostpath("/var/log/testbed/boot-jails.log")
            os.makedirs(os.path.dirname(log), exist_ok=True)
            with open(log, "a", encoding="utf-8") as f:
                f.write(buf.getvalue())
        except OSError:
            pass


@contextlib.contextmanager
def _unlocked(rt: dict[str, Any]) -> Iterator[None]:
    import fcntl
    import json
    lock_real = os.path.realpath(hoststate.statepath(hoststate.LOCK))
    fds = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.path.realpath(f"/proc/self/fd/{fd}") == lock_real:
                fds.append(int(fd))
        except OSError:
            pass
    hoststate._store(hoststate.RUNTIME, rt)
    for fd in fds:
        fcntl.flock(fd, fcntl.LOCK_UN)
    try:
        yield
    finally:
        for fd in fds:
            fcntl.flock(fd, fcntl.LOCK_EX)
        new = hoststate._load(hoststate.RUNTIME)
        rt.clear()
        rt.update(json.loads(json.dumps(new)))


def boot_host_procs(rt: dict[str, Any]) -> None:
    """The host's base processes in the process table (the services colleague adds daemons)."""
    env = _rc_conf()
    jailctx.procs_add(rt, None, "root", "[kernel]", "DLs", ppid=0, vsz=0, rss=1472)
    p = rt["procs"]
    p["list"][-1]["pid"] = 0
    p["next_pid"] = 1
    jailctx.procs_add(rt, None, "root", "/sbin/init", "Ss", ppid=0, vsz=13340, rss=1384)
    p["list"][-1]["pid"] = 1
    p["next_pid"] = 2
    for pid, cmd, flags in ((2, "[KTLS]", "DL"), (3, "[crypto]", "DL"), (4, "[cam]", "DL"),
                            (5, "[zfskern]", "DL"), (6, "[pagedaemon]", "DL"), (7, "[vmdaemon]", "DL"),
                            (8, "[bufdaemon]", "DL"), (9, "[vnlru]", "DL"), (10, "[audit]", "DL"),
                            (11, "[idle]", "RNL"), (12, "[intr]", "WL")):
        jailctx.procs_add(rt, None, "root", cmd, flags, ppid=0, vsz=0, rss=16)
        p["list"][-1]["pid"] = pid
    p["next_pid"] = 580
    jailctx.procs_add(rt, None, "root", "/sbin/devd", "Ss", service="devd", vsz=14652, rss=3900)
    if _checkyesno(env, "syslogd_enable"):
        jailctx.procs_add(rt, None, "root", "/usr/sbin/syslogd -s", "Ss", service="syslogd")
    if _checkyesno(env, "cron_enable"):
        jailctx.procs_add(rt, None, "root", "/usr/sbin/cron -s", "Ss", service="cron",
                          vsz=14280, rss=2752)
