"""service(8) and the rc.subr semantics of the rc scripts the testbed models.

[SRC usr.sbin/service/service.sh, libexec/rc/rc.subr; ports www/nginx/files/nginx.in,
databases/postgresql17-server/files/postgresql.in].  ``service jail ...`` is handed to
rcd_jail.service_jail.  Scripts are looked up as files in /etc/rc.d and /usr/local/etc/rc.d of the
calling root (the jail's with ``-j`` or inside jexec); the behaviour of nginx and postgresql is
in :mod:`freebsd_testbed.services`.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Optional

from .. import hoststate, pkgdb, services

LOCAL = "/usr/local/etc/rc.d"
MODELLED = {"nginx": "nginx_enable", "postgresql": "postgresql_enable"}
# base daemons: rc.subr's default start/stop/status over the process table (jailctx)
GENERIC = {
    "sshd": ("root", "sshd: /usr/sbin/sshd [listener] 0 of 10-100 startups", "/var/run/sshd.pid"),
    "cron": ("root", "/usr/sbin/cron -s", "/var/run/cron.pid"),
    "syslogd": ("root", "/usr/sbin/syslogd -s", "/var/run/syslog.pid"),
    "ntpd": ("ntpd", "/usr/sbin/ntpd -p /var/db/ntp/ntpd.pid -c /etc/ntp.conf -f /var/db/ntp/ntpd.drift -g",
             "/var/db/ntp/ntpd.pid"),
    "devd": ("root", "/sbin/devd", "/var/run/devd.pid"),
    "moused": ("root", "/usr/sbin/moused", "/var/run/moused.pid"),
}
EXTRA = {"nginx": ["reload", "configtest", "upgrade", "gracefulstop"],
         "postgresql": ["reload", "initdb", "promote"]}


def _usage() -> int:
    sys.stdout.write(
        "\nUsage:\nservice [-j <jail name or id>] -e\nservice [-j <jail name or id>] -R\n"
        "service [-j <jail name or id>] [-v] -l | -r\n"
        "service [-j <jail name or id>] [-v] [-E var=value] <rc.d script> "
        "start|stop|etc.\nservice -h\n\n"
        "-j\tPerform actions within the named jail\n"
        "-E n=v\tSet variable n to v before executing the rc.d script\n"
        "-e\tShow services that are enabled\n"
        "-R\tStop and start enabled /usr/local/etc/rc.d services\n"
        "-l\tList all scripts in /etc/rc.d and /usr/local/etc/rc.d\n"
        "-r\tShow the results of boot time rcorder\n"
        "-v\tVerbose\n\n")
    return 1


def rc_vars(root: pkgdb.Root) -> dict[str, str]:
    from .sysrc import parse_assignments
    env: dict[str, str] = {}
    parse_assignments(root.read("/etc/defaults/rc.conf") or "", env)
    for f in env.get("rc_conf_files", "/etc/rc.conf /etc/rc.conf.local").split():
        parse_assignments(root.read(f) or "", env)
    for d in ("/etc/rc.conf.d", "/usr/local/etc/rc.conf.d"):
        pass
    return env


def _yes(v: str | None) -> bool | None:
    if v is None:
        return None
    u = v.upper()
    if u in ("YES", "TRUE", "ON", "1"):
        return True
    if u in ("NO", "FALSE", "OFF", "0"):
        return False
    return None


def script_path(root: pkgdb.Root, name: str) -> str | None:
    if "/" in name:
        return name if root.exists(name) else None
    for d in ("/etc/rc.d", LOCAL):
        if os.path.isfile(root.real(f"{d}/{name}")):
            return f"{d}/{name}"
    return None


def main(argv: list[str]) -> int:
    args = argv[1:]
    jail = None
    list_all = enabled = restart_all = rcorder = verbose = False
    # sh getopts 'E:j:ehlrRv' (usr.sbin/service/service.sh); bin/sh's getopts reports
    # "Illegal option -x" / "No arg for -x option" on stderr, then service prints usage (stdout)
    # and exits 1
    while args and args[0].startswith("-") and len(args[0]) > 1:
        a = args.pop(0)
        if a == "--":
            break
        k = 1
        while k < len(a):
            c = a[k]
            if c in "jE":
                rest = a[k + 1:]
                if not rest:
                    if not args:
                        sys.stderr.write(f"No arg for -{c} option\n")
                        return _usage()
                    rest = args.pop(0)
                if c == "j":
                    jail = rest
                elif "=" in rest:
                    os.environ[rest.split("=", 1)[0]] = rest.split("=", 1)[1]
                break
            if c == "l":
                list_all = True
            elif c == "e":
                enabled = True
            elif c == "R":
                restart_all = True
            elif c == "r":
                rcorder = True
            elif c == "v":
                verbose = True
            elif c == "h":
                _usage()
                return 0
            else:
                sys.stderr.write(f"Illegal option -{c}\n")
                return _usage()
            k += 1
    if jail is not None:
        with hoststate.locked(write=False) as st:
            root = pkgdb.for_jail(st, jail)
        if root is None:
            sys.stderr.write(f'jexec: jail "{jail}" not found\n' if not jail.isdigit()
                             else f"jexec: jail {jail} not found\n")
            return 1
    else:
        root = pkgdb.current()
    # service.sh tests -R first, then -e, then -l, then -r
    if restart_all:
        # -R: every enabled $local_startup script: "stop" in reverse rcorder, then "start"
        env = rc_vars(root)
        names = [n for n, var in MODELLED.items()
                 if _yes(env.get(var)) and script_path(root, n) == f"{LOCAL}/{n}"]
        for name in reversed(names):
            run_script(root, name, "stop")
        for name in names:
            run_script(root, name, "start")
        return 0
    if enabled:
        env = rc_vars(root)
        for d in ("/etc/rc.d", LOCAL):
            try:
                files = sorted(os.listdir(root.real(d)))
            except OSError:
                continue
            for f in files:
                var = MODELLED.get(f, f"{f}_enable")
                if _yes(env.get(var)):
                    sys.stdout.write(f"{d}/{f}\n")
        return 0
    if list_all:
        # for dir in /etc/rc.d $local_startup; do [ -n "$VERBOSE" ] && echo "From ${dir}:";
        #     [ -d ${dir} ] && /bin/ls -1 ${dir}; done
        out = []
        for d in ("/etc/rc.d", LOCAL):
            if verbose:
                out.append(f"From {d}:\n")
            try:
                out.extend(f + "\n" for f in sorted(os.listdir(root.real(d)),
                                                   key=lambda x: x.encode()) if not f.startswith("."))
            except OSError:
                pass
        sys.stdout.write("".join(out))
        return 0
    if rcorder:
        names = []
        for d in ("/etc/rc.d", LOCAL):
            try:
                for f in sorted(os.listdir(root.real(d))):
                    names.append(f"{d}/{f}")
            except OSError:
                pass
        sys.stdout.write("".join(n + "\n" for n in names))
        return 0
    if len(args) < 2:
        return _usage()  # if [ $# -gt 1 ]; then script=$1; shift; else usage; exit 1; fi
    name = args[0]
    if name == "jail":
        try:
            from .. import rcd_jail
        except ImportError:
            sys.stdout.write("jail does not exist in /etc/rc.d or the local startup\n"
                             f"directories ({LOCAL}), or is not executable\n")
            return 1
        return rcd_jail.service_jail(args[1:])
    path = script_path(root, name) if "/" not in name else None
    if verbose and path:
        sys.stdout.write(f"{name} is located in {os.path.dirname(path)}\n")
    return run_script(root, name, args[1], args[2:])


def run_script(root: pkgdb.Root, name: str, cmd: str, extra: list[str] | None = None) -> int:
    # service.sh looks for "$dir/$script" in /etc/rc.d and $local_startup only, so a name
    # with a '/' is never found there
    path = script_path(root, name) if "/" not in name else None
    if path is None:
        sys.stdout.write(f"{name} does not exist in /etc/rc.d or the local startup\n"
                         f"directories ({LOCAL}), or is not executable\n")
        return 1
    name = os.path.basename(path)
    if name in GENERIC:
        with hoststate.locked() as st:
            return _generic(st, root, name, path, cmd)
    if name not in MODELLED:
        return 0  # a script the testbed does not model (netif, routing, ...): a no-op
    rcvar = MODELLED[name]
    with hoststate.locked() as st:
        if root.jail and root.jid is None:
            rec = pkgdb.jail_record(st, root.jail)
            root.jid = (rec or {}).get("jid")
        return _rc(st, root, name, path, rcvar, cmd)


def _split_prefix(cmd: str) -> tuple[str, str]:
    """run_rc_command(): ``case "$rc_arg" in fast*) ... force*) ... one*) ... quiet*)`` --
    the prefix is stripped even when nothing follows it (rc_arg is then empty)."""
    for p in ("fast", "force", "one", "quiet"):
        if cmd.startswith(p):
            return p, cmd[len(p):]
    return "", cmd


def _rc_usage(path: str, keywords: list[str]) -> int:
    """rc_usage(): ``Usage: $0 [fast|force|one|quiet](kw|kw...)`` on stderr, exit 1."""
    sys.stderr.write(f"Usage: {path} [fast|force|one|quiet]({'|'.join(keywords)})\n")
    return 1


def _gated(cmd: str, pid: Any) -> bool:
    """The rcvar check of run_rc_command() (libexec/rc/rc.subr): every keyword except rcvar,
    stop, delete, enable, describe and status -- and stop too when no pid was found."""
    if cmd in ("rcvar", "delete", "enable", "describe", "status"):
        return False
    if cmd == "stop":
        return not pid
    return True


def _refused(out: Any, err: Any, cmd: str, name: str, rcvar: str, pid: Any, enabled: bool,
             prefix: str) -> Optional[int]:
    """run_rc_command's early exits (libexec/rc/rc.subr): a disabled service refuses the
    gated commands (silently with quiet/fast), and start refuses a running one."""
    quiet = prefix in ("fast", "quiet")
    if _gated(cmd, pid) and not enabled:
        if quiet:
            return 0
        out.write(f"Cannot '{cmd}' {name}. Set {rcvar} to YES in /etc/rc.conf or use "
                  f"'one{cmd}' instead of '{cmd}'.\n")
        return 0
    if cmd == "start" and prefix != "fast" and pid:
        if not quiet:
            err.write(f"{name} already running?  (pid={pid}).\n")
        return 1
    return None


def _startmsg_ok(env: dict[str, str], quiet: bool) -> bool:
    """check_startmsgs(): with rc_quiet set, only when rc_startmsgs is YES (the default)."""
    if not quiet:
        return True
    return _yes(env.get("rc_startmsgs", "YES")) is True


def _rc(st: Any, root: pkgdb.Root, name: str, path: str, rcvar: str, cmd: str) -> int:
    out, err = sys.stdout, sys.stderr
    prefix, cmd = _split_prefix(cmd)
    known = ["start", "stop", "restart", "rcvar", "enable", "disable", "delete", "enabled",
             "describe", "extracommands"] + EXTRA[name] + ["status", "poll"]
    if cmd == "":
        return _rc_usage(path, known)
    if cmd not in known:
        err.write(f"{path}: unknown directive '{cmd}'.\n")
        return _rc_usage(path, known)
    env = rc_vars(root)
    val = env.get(rcvar)
    en = _yes(val)
    if val is not None and en is None:
        err.write(f"{path}: WARNING: ${rcvar} is not set properly - see rc.conf(5).\n")
    enabled = bool(en) or prefix in ("one", "force")
    if cmd == "enabled":
        return 0 if enabled else 1
    rec = services.running(st, root, name)
    pid = rec["pid"] if rec else None
    early = _refused(out, err, cmd, name, rcvar, pid, enabled, prefix)
    if early is not None:
        return early
    if cmd == "rcvar":
        out.write(f"# {name}\n#\n{rcvar}=\"{val if val is not None else 'NO'}\"\n"
                  f"#   (default: \"\")\n\n")
        return 0
    if cmd in ("enable", "disable", "delete"):
        return _toggle(root, name, rcvar, cmd)
    if cmd == "describe":
        return 0
    if cmd == "extracommands":
        out.write(" ".join(EXTRA[name]) + "\n")
        return 0
    if name == "nginx":
        return _nginx(st, root, path, cmd, rec, prefix, env)
    return _postgresql(st, root, path, cmd, env, prefix)


def _nginx(st: Any, root: pkgdb.Root, path: str, cmd: str, rec: Any, prefix: str,
           env: dict[str, str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    quiet = prefix in ("fast", "quiet")
    env = env or {}

    def checkconfig() -> bool:
        out.write("Performing sanity check on nginx configuration:\n")
        out.flush()
        ok, text = services.nginx_configtest(root)
        err.write(text)
        err.flush()
        return ok

    def start() -> int:
        r = services.running(st, root, "nginx")
        if r is not None and prefix != "fast":
            if not quiet:
                err.write(f"nginx already running?  (pid={r['pid']}).\n")
            return 1
        if not root.exists("/usr/local/sbin/nginx"):
            err.write(f"{path}: WARNING: run_rc_command: cannot run /usr/local/sbin/nginx\n")
            return 1
        if not root.exists(services.NGINX_CONF):
            err.write(f"{path}: WARNING: {services.NGINX_CONF} is not readable.\n")
            err.write(f"{path}: WARNING: failed precmd routine for nginx\n")
            return 1
        if not checkconfig():
            err.write(f"{path}: WARNING: failed precmd routine for nginx\n")
            return 1
        if _startmsg_ok(env, quiet):
            out.write("Starting nginx.\n")
        services.nginx_start(st, root)
        return 0

    def stop() -> int:
        r = services.running(st, root, "nginx")
        if r is None:
            if prefix == "fast":
                return 0  # [ -n "$rc_fast" ] && return 0
            err.write("nginx not running? (check /var/run/nginx.pid).\n")
            return 1
        out.write("Stopping nginx.\n")  # a plain echo: not silenced by quiet
        out.write(f"Waiting for PIDS: {r['pid']}.\n")
        services.nginx_stop(st, root)
        return 0

    if cmd == "start":
        return start()
    if cmd == "stop":
        return stop()
    if cmd == "restart":
        if not checkconfig():
            err.write(f"{path}: WARNING: failed precmd routine for nginx\n")
            return 1
        stop()
        return start()
    if cmd in ("status", "poll"):
        if rec:
            out.write(f"nginx is running as pid {rec['pid']}.\n")
            return 0
        out.write("nginx is not running.\n")
        return 1
    if cmd == "configtest":
        return 0 if checkconfig() else 1
    if cmd in ("reload", "upgrade", "gracefulstop"):
        if rec is None:
            err.write("nginx not running? (check /var/run/nginx.pid).\n")
            return 1
        if cmd == "gracefulstop":
            out.write("Beginning graceful shutdown procedure\n")
            services.nginx_stop(st, root)
            return 0
        if not checkconfig():
            err.write(f"{path}: WARNING: failed precmd routine for nginx\n")
            return 1
        if cmd == "upgrade":
            out.write("Upgrading nginx binary:\nStopping old binary:\n")
        return 0
    return 0


def _postgresql(st: Any, root: pkgdb.Root, path: str, cmd: str, env: dict[str, str],
                prefix: str) -> int:
    user = env.get("postgresql_user") or "postgres"
    data = env.get("postgresql_data") or services.PG_DATA
    if data.startswith("~"):
        ent = pkgdb.user_entry(root, user)
        data = (ent[5] if ent else "/var/db/postgres") + data[len("~" + user):] if data.startswith("~" + user) else data
    flags = (env.get("postgresql_flags") or "-w -s -m fast").split()
    silent = "-s" in flags
    if not root.exists("/usr/local/bin/pg_ctl"):
        sys.stderr.write(f"{path}: WARNING: run_rc_command: cannot run /usr/local/bin/pg_ctl\n")
        return 1
    if pkgdb.user_entry(root, user) is None:
        sys.stderr.write(f"su: unknown login: {user}\n")
        return 1
    if cmd == "initdb":
        return services.initdb(st, root, data, user)
    if cmd == "start":
        return services.pg_start(st, root, data, silent)
    if cmd == "stop":
        return services.pg_stop(st, root, data, silent)
    if cmd == "restart":
        if services.running(st, root, "postgresql") is None:
            sys.stderr.write(f'pg_ctl: PID file "{data}/postmaster.pid" does not exist\n'
                             "Is server running?\ntrying to start server anyway\n")
        else:
            services.pg_stop(st, root, data, silent)
        return services.pg_start(st, root, data, silent)
    if cmd in ("status", "poll"):
        return services.pg_status(st, root, data)
    if cmd == "reload":
        if services.running(st, root, "postgresql") is None:
            sys.stderr.write(f'pg_ctl: PID file "{data}/postmaster.pid" does not exist\n'
                             "Is server running?\n")
            return 1
        if not silent:
            sys.stdout.write("server signaled\n")
        return 0
    return 0


def _generic(st: Any, root: pkgdb.Root, name: str, path: str, cmd: str) -> int:
    """rc.subr's default methods for a base daemon tracked in jailctx's process table."""
    out, err = sys.stdout, sys.stderr
    prefix, cmd = _split_prefix(cmd)
    quiet = prefix in ("fast", "quiet")
    rcvar = f"{name}_enable"
    known = ["start", "stop", "restart", "rcvar", "enable", "disable", "delete", "enabled",
             "describe", "extracommands", "status", "poll"]
    if cmd == "":
        return _rc_usage(path, known)
    if cmd not in known:
        err.write(f"{path}: unknown directive '{cmd}'.\n")
        return _rc_usage(path, known)
    env = rc_vars(root)
    val = env.get(rcvar)
    enabled = bool(_yes(val)) or prefix in ("one", "force")
    if cmd == "enabled":
        return 0 if enabled else 1
    jc = pkgdb._jailctx()
    procs = [p for p in (jc.procs_list(st, root.jail) if jc else [])
             if p.get("service") == name] if jc else []
    pid = procs[0]["pid"] if procs else None
    early = _refused(out, err, cmd, name, rcvar, pid, enabled, prefix)
    if early is not None:
        return early
    if cmd == "rcvar":
        out.write(f"# {name}\n#\n{rcvar}=\"{val if val is not None else 'NO'}\"\n"
                  f"#   (default: \"\")\n\n")
        return 0
    if cmd in ("describe", "extracommands"):
        if cmd == "extracommands":
            out.write("\n")
        return 0
    if cmd in ("enable", "disable", "delete"):
        return _toggle(root, name, rcvar, cmd)
    user, command, pidfile = GENERIC[name]

    def stop() -> int:
        cur = [p for p in (jc.procs_list(st, root.jail) if jc else []) if p.get("service") == name]
        if not cur:
            if prefix == "fast":
                return 0
            err.write(f"{name} not running? (check {pidfile}).\n")
            return 1
        out.write(f"Stopping {name}.\n")
        out.write(f"Waiting for PIDS: {cur[0]['pid']}.\n")
        jc.procs_remove(st, jail=root.jail or "", service=name) if root.jail else \
            [jc.procs_remove(st, pid=p["pid"]) for p in cur]
        return 0

    def start() -> int:
        cur = [p for p in (jc.procs_list(st, root.jail) if jc else []) if p.get("service") == name]
        if cur and prefix != "fast":
            if not quiet:
                err.write(f"{name} already running?  (pid={cur[0]['pid']}).\n")
            return 1
        if _startmsg_ok(env, quiet):
            out.write(f"Starting {name}.\n")
        if jc:
            jc.procs_add(st, root.jail, user, command, "Ss", service=name)
        return 0

    if cmd in ("status", "poll"):
        if pid:
            out.write(f"{name} is running as pid {pid}.\n")
            return 0
        out.write(f"{name} is not running.\n")
        return 1
    if cmd == "start":
        return start()
    if cmd == "stop":
        return stop()
    if cmd == "restart":
        stop()
        return start()
    return 0


def _toggle(root: pkgdb.Root, name: str, rcvar: str, cmd: str) -> int:
    from . import sysrc
    import contextlib
    import io
    args = ["sysrc"] + (["-R", root.prefix] if root.prefix else [])
    with contextlib.redirect_stdout(io.StringIO()):
        if cmd == "delete":
            sysrc.main(args + ["-x", rcvar])
        else:
            sysrc.main(args + [f"{rcvar}={'YES' if cmd == 'enable' else 'NO'}"])
    if cmd == "delete":
        sys.stdout.write(f"{rcvar} deleted in /etc/rc.conf\n")
    else:
        sys.stdout.write(f"{name} {cmd}d in /etc/rc.conf\n")
    return 0
