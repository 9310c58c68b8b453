"""/etc/rc.d/jail (``service jail start|stop|restart|status|...``) with rc.subr's
run_rc_command, and the boot-time steps: rc.d/jail at boot and the host's base processes.

Jails are started and stopped through jail(8) (:mod:`freebsd_testbed.tools.jail`), its output
captured like the script's ``>> $_tmp 2>&1``.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
from typing import Any, Iterator

from . import hoststate, jailctx
from .jails import DEFAULT_CONF
from .tools.jail import main as jail_main


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
