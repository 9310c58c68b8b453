"""The jail model: the jail table, create/remove/modify/attach with exec hooks, parameters.

The jail(8) command line is :mod:`freebsd_testbed.tools.jail`; rc.d/jail (``service jail ...``)
and the boot-time steps are :mod:`freebsd_testbed.rcd_jail`.

Runtime state (``runtime["jails"]``, keyed by name; read through :mod:`jailctx`)::

    {"webserver": {"jid": 1, "name": "webserver", "path": "/jails/containers/webserver",
                   "params": {kernel parameter: exported string or list (ip4.addr)} ,
                   "vnet": true, "vnet_interfaces": ["epair1b"], "devfs": {"path", "ruleset"},
                   "mounts": [...], "conf": "/etc/jail.conf", "cpuset": [0, 1, 2, 3],
                   "created": epoch}}
    runtime["jail_lastjid"], runtime["jail_lastcpuset"]

Sources: HardenedBSD/hardenedBSD usr.sbin/jail/jail.c @b8b5a088 and config.c @bca3c76f,
fel1x-developer/freebsd-src usr.sbin/jail/command.c @2d614aa2, lib/libjail/jail.c (HardenedBSD
@1725e7b1), freebsd/freebsd-src usr.sbin/jail/state.c @6e225b56 -- the newest stored copies of
FreeBSD-main-derived trees (15.0's own was not in the store).  Tests:
tests/testbed/test_jail_fidelity.py.

:class:`_Job` walks jail.c's startcommands[]/stopcommands[] as command.c next_command does: a
failed creation walks back (create_failed) running only the "down" side of mounts,
vnet.interface and the jail itself; a failed stop command leaves the jail running before
IP__OP and is only counted after it (the rest still runs).  Parameters are checked like
config.c check_intparams (internal booleans: true/false/number) and import_params / libjail
jailparam_import (``unknown parameter``, ``unknown boolean value``, ``unknown jailsys value``,
``non-integer value``, ``not an IPv4 address``), every error printed before the jail fails.

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
* Nested jails: inside a jail, children need ``children.max`` (0: ``jail: jail_set:
  Operation not permitted``; full: ``jail: prison limit exceeded``), may not get allow.* their
  parent lacks, inherit its allow.* restrictions, and are named ``parent.child`` in the runtime
  (jls/jexec inside the parent see them by relative names).
* -v prints jail_set(JAIL_CREATE) lines with quoted_print quoting; -J writes print_jail lines.
"""
from __future__ import annotations

import os
import re
import sys
import time
from typing import Any

from . import hoststate, jailctx

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


def _strtol(v: str) -> tuple[int, bool, bool]:
    """C strtol(v, &ep, 10): (value, whole string consumed, any digit consumed)."""
    m = re.match(r"[ \t\n\v\f\r]*([+-]?\d+)", v)
    if not m:
        return 0, v == "", False
    return int(m.group(1)), m.end() == len(v), True


def _bool(name: str, jname: str | None, vals: list[str]) -> bool:
    """config.c bool_param on a canonical value list (empty: true)."""
    if not vals:
        return True
    v = vals[-1]
    if v.lower() == "true":
        return True
    return _strtol(v)[0] != 0


def _int(name: str, jname: str | None, vals: list[str]) -> int:
    v = vals[-1] if vals else ""
    n, full, digits = _strtol(v)
    if not full or not digits:
        raise JailError(f'{_p(jname)}{name}: non-integer value "{v}"')
    return n


def _known_kernel(name: str) -> bool:
    if name in KERNEL_BOOL_DEFAULTS or name in KERNEL_INT or name in KERNEL_JAILSYS \
            or name in KERNEL_STRING or name in KERNEL_LIST:
        return True
    return name == "linux" or name.startswith("linux.")


def check_params(ctx: "Ctx", jname: str | None, p: dict[str, list[str]],
                 spelled: dict[str, tuple[str, bool]] | None, do_import: bool
                 ) -> dict[str, Any] | None:
    """config.c check_intparams then (for -c/-m) import_params: every error is printed
    (``jail: [NAME: ]MSG``) and the jail fails.  Returns the kernel view (exported values) or
    None.  [SRC config.c check_intparams "unknown boolean value"/"non-integer value",
    import_params -> lib/libjail/jail.c jailparam_init "unknown parameter: %s",
    jailparam_import "%s: unknown boolean value", "%s: unknown jailsys value",
    "%s: non-integer value", jps_import_in_addr "%s: not an IPv4 address: %s"]."""
    sp = spelled or {}
    errors: list[str] = []
    for name, vals in p.items():
        if name not in INTERNAL or not vals:
            continue
        shown = sp.get(name, (name, False))[0]
        v = vals[-1]
        if v.startswith("\0bad:"):
            _, n2, bv = v.split(":", 2)
            errors.append(f'{n2}: unknown boolean value "{bv}"')
        elif name in INTERNAL_BOOL:
            if v.lower() not in ("true", "false") and not _strtol(v)[1]:
                errors.append(f'{shown}: unknown boolean value "{v}"')
        elif name in INTERNAL_INT:
            n, full, digits = _strtol(v)
            if not digits or not full:
                errors.append(f'{shown}: non-integer value "{v}"')
    # mount.fstab files become mount lines (check_intparams)
    for f in p.get("mount.fstab", []):
        if not f:
            continue
        try:
            with open(hoststate.hostpath(f) if f.startswith("/") else f) as fh:
                lines = fh.read().splitlines()
        except OSError as e:
            from .tools._common import strerror
            errors.append(f"mount.fstab: {f}: {strerror(e.errno or 0)}")
            continue
        for ln in lines:
            ln = ln.split("#", 1)[0]
            p.setdefault("\0fstab", []).append(ln)
    if errors:
        for e in errors:
            ctx.warnx(_p(jname) + e)
        return None
    if not do_import:
        return {}
    kp: dict[str, Any] = {}
    for name, vals in p.items():
        if name in INTERNAL or name.startswith("\0"):
            continue
        shown = sp.get(name, (name, False))[0]
        if not _known_kernel(name):
            errors.append(f"unknown parameter: {shown}")
            continue
        try:
            _import_one(name, shown, vals, kp)
        except JailError as e:
            errors.append(str(e))
    if errors:
        for e in errors:
            ctx.warnx(_p(jname) + e)
        return None
    return kp


def _import_one(name: str, shown: str, vals: list[str], kp: dict[str, Any]) -> None:
    """libjail jailparam_import of one parameter (``vals`` empty: no value)."""
    if vals and vals[-1].startswith("\0bad:"):
        _, n2, bv = vals[-1].split(":", 2)
        raise JailError(f'{n2}: unknown boolean value "{bv}"')
    if name in KERNEL_LIST:
        out: list[str] = []
        joined = ",".join(vals)
        if joined in ("", "-"):
            kp[name] = out
            return
        import ipaddress
        for a in joined.split(","):
            a = a.split("|")[-1].split("/")[0].split(" ")[0]
            try:
                if name == "ip4.addr":
                    out.append(str(ipaddress.IPv4Address(a)))
                else:
                    out.append(str(ipaddress.IPv6Address(a)))
            except ValueError:
                kind = "IPv4" if name == "ip4.addr" else "IPv6"
                raise JailError(f"{shown}: not an {kind} address: {a}") from None
        kp[name] = out
        return
    if not vals:
        # no value: booleans are set true (their "no" form false), jailsys "new"
        if name in KERNEL_BOOL_DEFAULTS:
            kp[name] = True
        elif name in KERNEL_JAILSYS:
            kp[name] = "new"
        elif name in KERNEL_STRING:
            kp[name] = ""
        return
    v = vals[-1]
    if name in KERNEL_BOOL_DEFAULTS:
        b = None
        if v.lower() in ("true", "false"):
            b = v.lower() == "true"
        else:
            n, full, digits = _strtol(v)
            if full and digits:
                b = n != 0
        if b is None:
            raise JailError(f'{shown}: unknown boolean value "{v}"')
        kp[name] = b
    elif name in KERNEL_JAILSYS:
        lv = v.lower()
        if v == "":
            kp[name] = "new"
        elif lv in ("disable", "new", "inherit"):
            kp[name] = lv
        else:
            n, full, digits = _strtol(v)
            if not (full and digits):
                raise JailError(f'{shown}: unknown jailsys value "{v}"')
            kp[name] = {0: "disable", 1: "new", 2: "inherit"}.get(n, str(n))
    elif name in KERNEL_INT:
        n, full, digits = _strtol(v)
        if not (full and digits):
            raise JailError(f'{shown}: non-integer value "{v}"')
        kp[name] = n
    else:
        kp[name] = v


def build_kernel_params(jname: str | None, p: dict[str, list[str]]) -> dict[str, Any]:
    """Compatibility wrapper: the kernel view, or JailError with every message."""
    kp: dict[str, Any] = {}
    errors = []
    for name, vals in p.items():
        if name in INTERNAL:
            continue
        if not _known_kernel(name):
            errors.append(f"{_p(jname)}unknown parameter: {name}")
            continue
        try:
            _import_one(name, name, vals, kp)
        except JailError as e:
            errors.append(_p(jname) + str(e))
    if errors:
        raise JailError("\njail: ".join(errors))
    return kp


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





def _user_exists(user: str, root_path: str | None) -> bool:
    """getpwnam(user) in the passwd file of ``root_path`` (a jail's path) or the host's."""
    f = "/etc/passwd" if not root_path or root_path == "/" else root_path.rstrip("/") + "/etc/passwd"
    try:
        with open(hoststate.hostpath(f), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.split(":", 1)[0] == user:
                    return True
    except OSError:
        return user == "root"
    return False


def run_command(ctx: Ctx, j: dict[str, Any], params: dict[str, list[str]], comparam: str,
                cmd: str, record: dict[str, Any] | None, argv: list[str] | None = None) -> bool:
    """Run one exec.* command; True on success (prints the failure message otherwise).

    [SRC usr.sbin/jail/command.c run_command]: ``command`` of a jail without a name (given on
    the command line) is exec'd with its values as the argv, otherwise a string with any of
    ``!"$&'()*;<>?[\\]`{|}~`` runs as ``/bin/sh -c STRING`` and others are split on blanks (a
    final ``&`` runs it in the background); -v prints ``NAME: run command[ in jail][ as USER]:
    COMLINE``; a user not in the passwd file is ``NAME: USER: no such user`` (get_user_info) and
    an exec failure ``NAME: exec PROG: ERR``, each then ``NAME: COMLINE: failed``
    (finish_command); exec.consolelog must be absolute (check_path) and is opened for append."""
    name = j["name"]
    label = ctx.lbl(name)
    bg = False
    if argv is None:
        argv, bg = split_command(cmd)
    if not argv:
        return True
    injail = comparam in ("exec.start", "command", "exec.stop")
    comline = " ".join(argv)
    clean = _bool("exec.clean", name, params["exec.clean"]) if "exec.clean" in params else False
    user = (params.get("exec.jail_user" if injail else "exec.system_user") or [None])[-1]
    sjuser = _bool("exec.system_jail_user", name, params["exec.system_jail_user"]) \
        if "exec.system_jail_user" in params else False
    consfd = None
    conslog = (params.get("exec.consolelog") or [None])[-1] if injail else None
    if conslog:
        if not conslog.startswith("/"):      # command.c check_path
            ctx.jwarnx(name, f"exec.consolelog: {conslog}: not an absolute pathname")
            return False
        try:
            real = hoststate.hostpath(conslog)
            os.makedirs(os.path.dirname(real), exist_ok=True)
            consfd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        except OSError as e:
            from .tools._common import strerror
            ctx.jwarnx(name, f"open {conslog}: {strerror(e.errno or 0)}")
            return False
    if ctx.verbose > 0:
        ctx.note(name, f"run command{' in jail' if injail else ''}{' as ' + user if user else ''}"
                       f": {comline}")
    env = dict(os.environ)
    if clean:
        keep = {k: v for k, v in os.environ.items() if k.startswith("TESTBED_")}
        env = {"PATH": CLEAN_PATH, "USER": user or "root",
               "HOME": "/root" if (user or "root") == "root" else f"/home/{user}",
               "SHELL": "/bin/sh"}
        if "TERM" in os.environ:
            env["TERM"] = os.environ["TERM"]
        env.update(keep)
    elif user:
        env.update({"USER": user})
    env["JID"] = str(j.get("jid", ""))
    env["JNAME"] = name
    env["JPATH"] = j.get("path") or ""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            if bg:
                os.setsid()
            if (clean or user) and user:
                # get_user_info: the host's passwd, or the jail's for in-jail commands without
                # exec.system_jail_user
                where = (j.get("path") if injail and not sjuser else None)
                if not _user_exists(user, where):
                    sys.stderr.write(f"jail: {_p(label)}{user}: no such user\n")
                    sys.stderr.flush()
                    os._exit(1)
            if consfd is not None:
                os.dup2(consfd, 1)
                os.dup2(consfd, 2)
                os.close(consfd)
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
                from .tools._common import strerror
                sys.stderr.write(f"jail: {_p(label)}exec {argv[0]}: {strerror(e.errno or 0)}\n")
                sys.stderr.flush()
                os._exit(1)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException as e:  # noqa: BLE001 - no traceback, but recorded
            from .tools._common import record_crash
            record_crash("jail", [comparam, cmd], e)
            try:
                sys.stderr.write(f"jail: {_p(label)}{e}\n")
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


def _net():
    try:
        from . import net
        return net
    except ImportError:
        return None


# jail.c startcommands[] / stopcommands[] (IP__IP4_IFADDR/IP__IP6_IFADDR, for addresses with an
# interface, are not modelled)
START_COMMANDS = ("exec.prepare", "mount", "\0fstab", "mount.devfs", "mount.fdescfs",
                  "mount.procfs", "exec.prestart", "\0op", "exec.created", "zfs.dataset",
                  "vnet.interface", "exec.start", "command", "exec.poststart")
STOP_COMMANDS = ("exec.prestop", "exec.stop", "stop.timeout", "\0op", "exec.poststop",
                 "mount.procfs", "mount.fdescfs", "mount.devfs", "\0fstab", "mount",
                 "exec.release")
# command.c next_command: what a failed creation skips while it walks back
CREATE_FAILED_SKIP = {"exec.prestart", "exec.created", "exec.start", "command",
                      "exec.poststart", "exec.prepare"}
EXEC_PARAMS = {"exec.prepare", "exec.prestart", "exec.created", "exec.start", "command",
               "exec.poststart", "exec.prestop", "exec.stop", "exec.poststop", "exec.release"}
FS_MOUNTS = {"mount.devfs": ("dev", "devfs"), "mount.fdescfs": ("dev/fd", "fdescfs"),
             "mount.procfs": ("proc", "procfs")}


class _Job:
    """One jail going through jail.c's main loop (struct cfjail)."""

    def __init__(self, ctx: Ctx, name: str, params: dict[str, list[str]], conf: str | None,
                 spelled: dict[str, tuple[str, bool]] | None = None):
        self.ctx = ctx
        self.name = name
        self.params = params
        self.conf = conf
        self.spelled = spelled or {}
        self.kp: dict[str, Any] = {}
        self.record: dict[str, Any] | None = None
        self.j: dict[str, Any] = {"name": name, "jid": "", "path": (params.get("path") or [""])[-1]}
        self.persist_set = False

    def values(self, comparam: str) -> list[str]:
        if comparam == "\0fstab":
            return self.params.get("\0fstab", [])
        return self.params.get(comparam, [])

    def present(self, comparam: str) -> bool:
        """Whether next_command has anything to do for ``comparam``."""
        if comparam in ("\0op", "stop.timeout"):
            return True
        if comparam in FS_MOUNTS:
            return comparam in self.params and _bool(comparam, None, self.params[comparam])
        return comparam in self.params

    # ---------------------------------------------------------------- one command
    def run(self, comparam: str, idx: int, down: bool, stopping: bool) -> bool:
        ctx, name = self.ctx, self.name
        if comparam == "\0op":
            if down:
                return self.op_down(stopping)
            return self.op_up()
        if comparam == "stop.timeout":
            return self.term_procs()
        if comparam in FS_MOUNTS:
            sub, fstype = FS_MOUNTS[comparam]
            path = (self.params.get("path") or [None])[-1]
            if path is None:
                ctx.jwarnx(name, f"{comparam}: no jail root path defined")
                return False
            devpath = f"{path}/{sub}"
            if not self.check_path(comparam, devpath):
                return False
            if down:
                argv = ["/sbin/umount", devpath]
            elif comparam == "mount.devfs":
                rs = (self.params.get("devfs_ruleset") or ["4"])[-1]
                argv = ["/sbin/mount", "-t", "devfs", f"-oruleset={rs}", ".", devpath]
            else:
                argv = ["/sbin/mount", "-t", fstype, ".", devpath]
            self.note_run(argv, False)
            if comparam == "mount.devfs" and not down:
                try:
                    rsn = int(rs)
                except ValueError:
                    rsn = 4
                self.j["devfs"] = {"path": devpath, "ruleset": rsn}
                self.kp["devfs_ruleset"] = rsn
            return True
        vals = self.values(comparam)
        s = vals[idx]
        if comparam in ("mount", "\0fstab"):
            pname = "mount" if comparam == "mount" else "mount.fstab"
            parts = s.split()[:4]
            if not parts:
                return True
            if len(parts) < 3:
                ctx.jwarnx(name, f"{pname}: {s}: missing information")
                return False
            if not self.check_path(pname, parts[1]):
                return False
            if down:
                argv = ["/sbin/umount", "-t", parts[2], parts[1]]
            elif len(parts) == 4:
                argv = ["/sbin/mount", "-t", parts[2], "-o", parts[3], parts[0], parts[1]]
            else:
                argv = ["/sbin/mount", "-t", parts[2], parts[0], parts[1]]
            self.note_run(argv, False)
            if not down:
                self.j.setdefault("mounts", []).append(parts)
            return True
        if comparam == "zfs.dataset":
            if down:
                return True
            jidstr = (self.params.get("jid") or self.params.get("name") or [name])[-1]
            cmd = (f"if [ $(/sbin/zfs get -H -o value jailed {s}) = on ]; then /sbin/zfs jail "
                   f"{jidstr} {s} || echo error, attaching {s} to jail {jidstr} failed; else "
                   f"echo error, you need to set jailed=on for dataset {s}; fi")
            self.note_run(["/bin/sh", "-c", cmd], False)
            if self.record is not None:
                _attach_dataset(ctx, self.record, s)
            return True
        if comparam == "vnet.interface":
            target = (self.params.get("jid") or self.params.get("name") or [name])[-1]
            if down:
                self.note_run(["/sbin/ifconfig", s, "-vnet", target], False)
                return True
            if self.record is None:
                return False
            return _move_iface(ctx, self.record, s, self.params)
        if comparam == "command" and ctx.lbl(name) is None:
            return run_command(ctx, self.j, self.params, comparam, " ".join(vals), self.record,
                               argv=list(vals))
        return run_command(ctx, self.j, self.params, comparam, s,
                           self.record if comparam in ("exec.start", "command", "exec.stop")
                           else None)

    def note_run(self, argv: list[str], injail: bool) -> None:
        if self.ctx.verbose > 0:
            self.ctx.note(self.name, f"run command{' in jail' if injail else ''}: "
                                     + " ".join(argv))

    def check_path(self, pname: str, path: str) -> bool:
        """command.c check_path: absolute, and no missing or symlinked component below the
        jail's path."""
        if not path.startswith("/"):
            self.ctx.jwarnx(self.name, f"{pname}: {path}: not an absolute pathname")
            return False
        jp = (self.params.get("path") or [""])[-1]
        if path.startswith(jp + "/"):
            comps = path[len(jp):].split("/")[1:]
            cur = jp
            for c in comps:
                cur = f"{cur}/{c}"
                real = hoststate.hostpath(cur)
                if os.path.islink(real):
                    self.ctx.jwarnx(self.name, f"{pname}: {cur} is a symbolic link")
                    return False
                if not os.path.lexists(real):
                    self.ctx.jwarnx(self.name, f"{pname}: {cur}: No such file or directory")
                    return False
        return True

    def term_procs(self) -> bool:
        """command.c term_procs: SIGTERM to the jail's processes (-v lists them)."""
        t = (self.params.get("stop.timeout") or ["10"])[-1]
        if _strtol(t)[0] == 0 and "stop.timeout" in self.params:
            return True
        with hoststate.locked(write=False) as st:
            pids = [pr["pid"] for pr in jailctx.procs_list(st, jail=self.name)]
        if pids and self.ctx.verbose > 0:
            sys.stdout.write(f"{_p(self.ctx.lbl(self.name))}sent SIGTERM to: "
                             + " ".join(str(x) for x in pids) + "\n")
            sys.stdout.flush()
        return True

    # ---------------------------------------------------------------- IP__OP
    def op_up(self) -> bool:
        rec = create_jail(self.ctx, self)
        if rec is None:
            return False
        self.record = rec
        self.j = rec
        if self.ctx.iflag:
            sys.stdout.write(f"{rec['jid']}\n")
            sys.stdout.flush()
        if self.ctx.named_or_verbose(self.name):   # command.c run_command IP__OP
            self.ctx.note(self.name, "created")
        return True

    def op_down(self, stopping: bool) -> bool:
        _kernel_remove(self.ctx, self.name)
        ctx = self.ctx
        if ctx.verbose > 0 or (ctx.verbose == 0 and (ctx.note_remove if stopping
                                                     else ctx.lbl(self.name) is not None)):
            ctx.note(self.name, "removed")
        self.persist_set = False
        self.removed = True
        return True

    # ---------------------------------------------------------------- sequences
    def start(self) -> bool:
        """startcommands in order; on a failure walk back (create_failed) running the down
        side of what is not a command (mounts, vnet.interface, the jail itself)."""
        seq = START_COMMANDS
        for k, comparam in enumerate(seq):
            if not self.present(comparam):
                continue
            n = 1 if comparam in ("\0op",) or comparam in FS_MOUNTS else len(self.values(comparam))
            if comparam == "command" and self.ctx.lbl(self.name) is None:
                n = 1 if self.values(comparam) else 0
            for idx in range(n):
                if comparam in EXEC_PARAMS and comparam != "command" and \
                        self.values(comparam)[idx] == "":
                    continue
                if not self.run(comparam, idx, down=False, stopping=False):
                    self.create_failed(k, idx)
                    return False
        self.clear_persist()
        return True

    def create_failed(self, k: int, idx: int) -> None:
        seq = START_COMMANDS
        for kk in range(k, -1, -1):
            comparam = seq[kk]
            if not self.present(comparam):
                continue
            if comparam in ("\0op",) or comparam in FS_MOUNTS:
                if kk == k:
                    continue
                idxs = [0]
            else:
                vals = self.values(comparam)
                top = idx - 1 if kk == k else len(vals) - 1
                idxs = list(range(top, -1, -1))
            if comparam in CREATE_FAILED_SKIP:
                continue
            for i in idxs:
                if comparam not in ("\0op",) and comparam not in FS_MOUNTS and \
                        self.values(comparam)[i] == "":
                    continue
                self.run(comparam, i, down=True, stopping=False)

    def stop(self) -> bool:
        """stopcommands: a failure before the jail is removed leaves it running (jail.c main
        ``(j->flags & JF_FAILED) && j->jid > 0``); after, the rest still runs, exit 1."""
        self.removed = False
        ok = True
        for comparam in STOP_COMMANDS:
            if not self.present(comparam):
                continue
            vals = self.values(comparam)
            n = 1 if comparam in ("\0op", "stop.timeout") or comparam in FS_MOUNTS else len(vals)
            order = list(range(n))
            if comparam in ("mount", "\0fstab"):
                order.reverse()              # PF_REV when stopping
            for idx in order:
                if comparam in EXEC_PARAMS and vals[idx] == "":
                    continue
                if not self.run(comparam, idx, down=True, stopping=True):
                    if not self.removed:
                        return False
                    ok = False
        return ok

    def clear_persist(self) -> None:
        """jail.c clear_persist after a successful start (with -v its jail_set line)."""
        if not self.persist_set or self.record is None:
            return
        self.persist_set = False
        with hoststate.locked() as st:
            r = jailctx.jail_info(st, self.name)
            if r is not None:
                r["params"]["persist"] = False
        if self.ctx.verbose > 0:
            self.ctx.note(self.name, f"jail_set(JAIL_UPDATE) jid={self.record['jid']} nopersist")


def _setnote(ctx: Ctx, job: _Job, kp: dict[str, Any], dopersist: bool, err: str | None) -> None:
    """jail.c jailparam_set_note for JAIL_CREATE: `` NAME`` for a parameter without a value,
    `` NAME=`` + quoted_print(jailparam_export) otherwise; ``persist`` first when jail(8) adds
    it (create_jail dopersist); ``: ERR`` when jail_set failed."""
    if ctx.verbose <= 0:
        return
    shown = ["persist"] if dopersist else []
    for k, vals in job.params.items():
        if k in INTERNAL or k.startswith("\0") or (dopersist and k == "persist"):
            continue
        sp, bare = job.spelled.get(k, (k, not vals))
        if k not in kp:
            continue
        if bare or (not vals and k not in KERNEL_LIST):
            shown.append(sp)
            continue
        v = kp[k]
        if sp != k and isinstance(v, bool):
            v = not v          # "allow.nomount=false": the value as given, for the no-name
        shown.append(f"{sp}={quoted_print(export(k, v))}")
    line = "jail_set(JAIL_CREATE) " + " ".join(shown) if shown else "jail_set(JAIL_CREATE)"
    if err:
        line += f": {err}"
    ctx.note(job.name, line)


def create_jail(ctx: Ctx, job: _Job) -> dict[str, Any] | None:
    """jail.c create_jail: the path checks (with j->name: absolute), then jail_set(JAIL_CREATE)
    with ``persist`` added while commands are to run; kernel refusals are printed as
    jail_errmsg (``jail_set: Operation not permitted``, ``prison limit exceeded``)."""
    name, params, kp = job.name, job.params, job.kp
    path = (params.get("path") or [None])[-1]
    if path is not None:
        if ctx.lbl(name) is not None and not path.startswith("/"):
            ctx.jwarnx(name, f"path {path}: not an absolute pathname")
            return None
        real = hoststate.hostpath(path) if path.startswith("/") else path
        if not os.path.exists(real):
            ctx.jwarnx(name, f"path {path}: No such file or directory")
            return None
        if not os.path.isdir(real):
            ctx.jwarnx(name, f"path {path}: Not a directory")
            return None
    else:
        path = "/"
    dopersist = not kp.get("persist") and bool(params.get("exec.start") or params.get("command")
                                               or params.get("exec.poststart"))
    net = _net()
    with hoststate.locked() as st:
        parent = jailctx.current_jail()
        err = None
        if parent:
            err = _nested_denied(st, parent, kp)
        if err is None and jailctx.jail_info(st, name) is not None:
            err = f'jail "{name.rsplit(".", 1)[-1] if parent else name}" already exists'
        rt = st.runtime
        jid = kp.get("jid") or rt.get("jail_lastjid", 0) + 1
        if err is None and any(x["jid"] == jid for x in jailctx.running_jails(st, dying=True)):
            err = f"jail {jid} already exists"
        if err is not None:
            _setnote(ctx, job, kp, dopersist,
                     err[len("jail_set: "):] if err.startswith("jail_set: ") else
                     ("File exists" if "already exists" in err else
                      "Operation not permitted" if "limit" in err else err))
            ctx.jwarnx(name, err)
            return None
        if parent:
            pr = jailctx.jail_info(st, parent) or {}
            ppath = (pr.get("path") or "/").rstrip("/")
            path = (ppath + path) if path != "/" else (ppath or "/")
            kp["parent"] = pr.get("jid", 0)
        rt["jail_lastjid"] = max(rt.get("jail_lastjid", 0), jid)
        cs = rt.get("jail_lastcpuset", 1) + 1
        rt["jail_lastcpuset"] = cs
        full = full_params(kp, jid, name, path, cs)
        if parent:
            _inherit_allow(st, parent, kp, full)
        if dopersist:
            full["persist"] = True
        try:
            from .tools import sysctl as _sysctl
            ncpu = int(_sysctl.value(rt, "hw.ncpu"))
        except Exception:  # noqa: BLE001
            ncpu = 4
        record = {"jid": jid, "name": name, "path": path, "params": full,
                  "vnet": full["vnet"] == "new", "vnet_interfaces": [],
                  "devfs": job.j.get("devfs"), "mounts": job.j.get("mounts", []),
                  "conf": job.conf, "cpuset": list(range(ncpu)),
                  "created": time.time(), "exec": {k: v for k, v in params.items()
                                                  if k.startswith("exec.") or k in
                                                  ("vnet.interface", "mount.devfs")}}
        jailctx._jails(st)[name] = record
        if record["vnet"] and net is not None:
            net.vnet_create(st, name)
    _setnote(ctx, job, kp, dopersist, None)
    job.persist_set = dopersist
    return record


def create(ctx: Ctx, name: str, params: dict[str, list[str]], conf: str | None,
           spelled: dict[str, tuple[str, bool]] | None = None) -> bool:
    """Create one jail from resolved parameters. Prints messages; True on success."""
    job = _Job(ctx, name, params, conf, spelled)
    kp = check_params(ctx, ctx.lbl(name), params, spelled, True)
    if kp is None:
        return False
    job.kp = kp
    with hoststate.locked(write=False) as st:
        if jailctx.jail_info(st, name) is not None:
            quoted_warnx(ctx, name, params, "already exists", None)
            return False
    if not job.start():
        return False
    rec = job.record or {}
    jid = rec.get("jid", 0)
    if not kp.get("persist") and not (params.get("exec.start") or params.get("command")
                                      or params.get("exec.poststart")):
        # no persist and nothing ever ran in it: the kernel removes the jail at once (no
        # process holds it).  Jails whose commands ran are kept: their daemons are not all
        # in the process table.
        _kernel_remove(ctx, name)
    _jidfile_line(ctx, jid, params, job.spelled)
    return True


def next_jid() -> int:
    """The jid the next jail gets unless it asks for one (kern_jail.c lastprid + 1)."""
    with hoststate.locked(write=False) as st:
        return st.runtime.get("jail_lastjid", 0) + 1


def quoted_warnx(ctx: Ctx, name: str, params: dict[str, list[str]], msg: str,
                  noname: str | None) -> None:
    """jail.c jail_quoted_warnx: j->name, else the jid parameter, else the name parameter."""
    pval = ctx.lbl(name) or (params.get("jid") or [None])[-1] or \
        (params.get("name") or [None])[-1]
    ctx.warnx(f'"{pval}" {msg}' if pval else (noname or msg))


def _jidfile_line(ctx: Ctx, jid: int, params: dict[str, list[str]],
                  spelled: dict[str, tuple[str, bool]] | None = None) -> None:
    """-J jid_file: jail.c print_jail at jail_create_done.  New style: ``jid=N`` then every
    parameter but jid (internal ones too) as ``name`` or ``name=v1,v2`` (quoted_print); old
    style: ``jid<TAB>path<TAB>hostname<TAB>ip4[,ip6]<TAB>command``."""
    if ctx.jidfile is None:
        return
    sp = spelled or {}
    if ctx.oldcl:
        ips = ",".join(x for x in (",".join(params.get("ip4.addr", [])),
                                   ",".join(params.get("ip6.addr", []))) if x)
        line = "\t".join([str(jid), ",".join(quoted_print(x) for x in params.get("path", [])),
                          ",".join(quoted_print(x) for x in params.get("host.hostname", [])),
                          ips, " ".join(quoted_print(x) for x in params.get("command", []))])
    else:
        items = [f"jid={jid}"]
        for k, vals in params.items():
            if k == "jid" or k.startswith("\0"):
                continue
            name, bare = sp.get(k, (k, False))
            if bare or not vals:
                items.append(name)
            else:
                items.append(f"{name}=" + ",".join(quoted_print(v) for v in vals))
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
    target = ((params or {}).get("jid") or (params or {}).get("name") or [None])[-1] \
        or record["name"]
    comline = f"/sbin/ifconfig {ifname} vnet {target}"
    if ctx.verbose > 0:
        ctx.note(record["name"], f"run command: {comline}")
    if net is None:
        record["vnet_interfaces"].append(ifname)
        return True
    with hoststate.locked() as st:
        if net.find(st, ifname) is None:
            # ifconfig(8): an unknown interface is refused before any ioctl
            sys.stdout.flush()
            sys.stderr.write(f"ifconfig: interface {ifname} does not exist\n")
            ctx.jwarnx(record["name"], f"{comline}: failed")
            return False
        if not record.get("vnet"):
            # sys/net/if.c if_vmove_loan: the jail shares the host's vnet -> EEXIST
            sys.stdout.flush()
            sys.stderr.write("ifconfig: SIOCSIFVNET: File exists\n")
            ctx.jwarnx(record["name"], f"{comline}: failed")
            return False
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
    p = dict(params) if params is not None else {}
    p.setdefault("path", [r.get("path") or "/"]) if "path" not in p else None
    job = _Job(ctx, r["name"], p, r.get("conf"))
    job.record = r
    job.j = r
    if not run_hooks:
        job.params = {"path": [r.get("path") or "/"]}
    return job.stop()


# CTLFLAG_RDTUN jail parameters (sys/kern/kern_jail.c): create-only; jail.c update_jail leaves
# them out of jail_set(JAIL_UPDATE) and rdtun_params refuses changing them. Not among them:
# host (kern_jail.c SYSCTL_JAIL_PARAM_SYS_NODE(host, CTLFLAG_RW, ...)) and sysvshm/sysvmsg/
# sysvsem (sysv_shm.c, sysv_msg.c, sysv_sem.c: SYSCTL_JAIL_PARAM_SYS_NODE(..., CTLFLAG_RW, ...)),
# which `jail -m` changes on a running jail.
RDTUN = {"jid", "path", "vnet", "ip4", "ip6", "osrelease", "osreldate"}


def modify(ctx: Ctx, name: str, params: dict[str, list[str]],
           spelled: dict[str, tuple[str, bool]] | None = None) -> bool:
    kp = check_params(ctx, ctx.lbl(name), params, spelled, True)
    if kp is None:
        return False
    with hoststate.locked() as st:
        r = jailctx.jail_info(st, name)
        if r is None:
            quoted_warnx(ctx, name, params, "not found", "no jail specified")
            return False
        # jail.c rdtun_params(j, 1): create-only parameters may not change
        for k, v in kp.items():
            if k in RDTUN and k in r["params"] and r["params"].get(k) != v:
                ctx.jwarnx(name, f"{k} cannot be changed after creation")
                return False
        r["params"].update(kp)
    if ctx.verbose > 0:
        items = [f"jid={r['jid']}"]
        for k, vals in params.items():
            if k in INTERNAL or k not in kp or k in RDTUN:
                continue
            sp, bare = (spelled or {}).get(k, (k, not vals))
            items.append(sp if bare else f"{sp}={quoted_print(export(k, kp[k]))}")
        ctx.note(name, "jail_set(JAIL_UPDATE) " + " ".join(items))
    if ctx.named_or_verbose(name):   # jail.c main, JF_SET
        ctx.note(name, "updated")
    return True
