"""/usr/libexec/testbed-rc: what a jail's /etc/rc and /etc/rc.shutdown do (the base system of
basesystem.py execs it: ``exec /usr/libexec/testbed-rc start|stop``).

``start``: prints rc's usual lines, registers syslogd and cron in the jail's process table (when
``syslogd_enable``/``cron_enable`` are YES, their defaults), then runs ``service NAME start`` for
every script in the jail's /usr/local/etc/rc.d whose rcvar (``rcvar=`` in the script, default
``NAME_enable``) is YES, in name order (``service`` is the packages/services tool; skipped
while dispatch has none).  ``stop`` does the reverse.  Outside a jail it does nothing.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from .. import hoststate, jailctx

LOCAL_RC = "/usr/local/etc/rc.d"


def _rc_conf() -> dict[str, str]:
    from ..boot import rc_conf
    return rc_conf()


def _yes(env: dict[str, str], var: str) -> bool:
    return env.get(var, "").strip().lower() in ("yes", "true", "on", "1")


def _scripts(env: dict[str, str]) -> list[tuple[str, str]]:
    """(name, rcvar) of the enabled local rc.d scripts."""
    out = []
    for d in env.get("local_startup", LOCAL_RC).split():
        real = hoststate.hostpath(d)
        try:
            names = sorted(os.listdir(real))
        except OSError:
            continue
        for n in names:
            p = os.path.join(real, n)
            if not os.path.isfile(p) or not os.access(p, os.X_OK):
                continue
            try:
                text = open(p, encoding="utf-8", errors="replace").read()
            except OSError:
                continue
            m = re.search(r'^\s*name="?([A-Za-z0-9_]+)"?', text, re.M)
            name = m.group(1) if m else n
            m = re.search(r'^\s*rcvar="?([A-Za-z0-9_${}]+)"?', text, re.M)
            rcvar = m.group(1).replace("${name}", name).replace("$name", name) if m else f"{name}_enable"
            if _yes(env, rcvar):
                out.append((n, rcvar))
    return out


def _service(args: list[str]) -> int:
    from . import dispatch
    if "service" not in dispatch.TOOLS:
        return 0
    sys.stdout.flush()
    sys.stderr.flush()
    if hoststate.root() != "/":
        pid = os.fork()
        if pid == 0:
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            rc = dispatch.main(["service"] + args)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(rc & 0xFF)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return subprocess.call([dispatch.TOOLS["service"][1]] + args)


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "start"
    jail = jailctx.current_jail()
    if not jail:
        return 0
    env = _rc_conf()
    w = sys.stdout.write
    if what == "start":
        w("ELF ldconfig path: /lib /usr/lib /usr/lib/compat\n")
        w("32-bit compatibility ldconfig path:\n")
        with hoststate.locked() as st:
            jailctx.procs_remove(st, jail=jail, service="syslogd")
            jailctx.procs_remove(st, jail=jail, service="cron")
            if _yes(env, "syslogd_enable"):
                w("Starting syslogd.\n")
                jailctx.procs_add(st, jail, "root", "/usr/sbin/syslogd -s", "SCs",
                                  service="syslogd", vsz=14432, rss=3220)
            if _yes(env, "cron_enable"):
                w("Starting cron.\n")
                jailctx.procs_add(st, jail, "root", "/usr/sbin/cron -s", "Ss", service="cron",
                                  vsz=14280, rss=2752)
        sys.stdout.flush()
        for n, _ in _scripts(env):
            _service([n, "start"])
        w("\n" + time.strftime("%a %b %e %H:%M:%S %Z %Y") + "\n")
        return 0
    if what in ("stop", "shutdown"):
        for n, _ in reversed(_scripts(env)):
            _service([n, "stop"])
        with hoststate.locked() as st:
            for svc in ("cron", "syslogd"):
                pids = jailctx.procs_remove(st, jail=jail, service=svc)
                if pids:
                    w(f"Stopping {svc}.\nWaiting for PIDS: {', '.join(map(str, pids))}.\n")
        return 0
    sys.stderr.write(f"usage: testbed-rc start|stop\n")
    return 1
