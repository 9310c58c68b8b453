"""Booting the simulated host: what happens between power-on and the first SSH command.

:func:`boot` runs these steps, in order, each a small function over the host's files and state:

1. :func:`step_reset_runtime`   - drop all runtime state (hoststate.reset_runtime).
2. :func:`step_kernel`          - the kernel and its compiled-in modules.
3. :func:`step_loader`          - /boot/loader.conf: ``X_load="YES"`` modules and tunables.
4. :func:`step_hostname`        - rc.conf ``hostname``.
5. :func:`step_autoload`        - modules devmatch/rc load on a typical VM.
6. :func:`step_kld_list`        - rc.conf ``kld_list``.

Later issues add interfaces, pf, jails and services as further steps in :data:`STEPS`.
Everything goes through :mod:`freebsd_testbed.hoststate`, so ``TESTBED_ROOT`` selects the host.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from . import hoststate
from .tools import kld, sysctl
from .tools.sysrc import parse_assignments


def _read(path: str) -> str:
    try:
        with open(hoststate.hostpath(path), encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def _assignments(path: str) -> dict[str, str]:
    env: dict[str, str] = {}
    parse_assignments(_read(path), env)
    return env


def rc_conf() -> dict[str, str]:
    env = _assignments("/etc/defaults/rc.conf")
    for f in env.get("rc_conf_files", "/etc/rc.conf /etc/rc.conf.local").split():
        parse_assignments(_read(f), env)
    return env


def step_reset_runtime(rt: dict[str, Any]) -> None:
    rt.clear()


def step_kernel(rt: dict[str, Any]) -> None:
    kld.reset(rt)


def step_loader(rt: dict[str, Any]) -> None:
    conf = _assignments("/boot/loader.conf")
    for var, val in conf.items():
        m = re.fullmatch(r"(.+)_load", var)
        if m and val.upper() == "YES":
            name = conf.get(f"{m.group(1)}_name", m.group(1))
            try:
                kld.load(rt, name, preload=True)
            except kld.KldError:
                pass  # loader prints an error on the console and boots on
    # tunables (dotted names are not sh variables; read them line by line)
    for line in _read("/boot/loader.conf").splitlines():
        mm = re.match(r'^\s*([A-Za-z0-9_.]+\.[A-Za-z0-9_.]+)\s*=\s*"?([^"#]*)"?', line)
        if mm and mm.group(1) in sysctl.OIDS:
            _set_oid(rt, mm.group(1), mm.group(2))


def _set_oid(rt: dict[str, Any], name: str, text: str) -> None:
    """A loader.conf tunable or sysctl.conf line's value, as its OID's type takes it (numbers
    as strtol with base 0 reads them; a value that is not one is skipped)."""
    v: Any = text.strip()
    if sysctl.OIDS[name][0] != "S":
        try:
            v = int(v, 0)
        except ValueError:
            return
    rt.setdefault("sysctl", {})[name] = v


def step_hostname(rt: dict[str, Any]) -> None:
    rt["hostname"] = rc_conf().get("hostname", "")


def step_autoload(rt: dict[str, Any]) -> None:
    for name in kld.BOOT_AUTOLOAD:
        try:
            kld.load(rt, name)
        except kld.KldError:
            pass


def step_kld_list(rt: dict[str, Any]) -> None:
    for name in rc_conf().get("kld_list", "").split():
        try:
            kld.load(rt, name)
        except kld.KldError:
            pass


def step_sysctl_conf(rt: dict[str, Any]) -> None:
    """rc.d/sysctl (libexec/rc/rc.d/sysctl, ``sysctl -i -f``): apply /etc/sysctl.conf and then
    /etc/sysctl.conf.local (name=value lines) to the OIDs that exist now; the others (a module
    not loaded yet, e.g. if_bridge's net.link.bridge.*) are skipped silently (-i)."""
    for path in ("/etc/sysctl.conf", "/etc/sysctl.conf.local"):
        for line in _read(path).split("\n"):
            mm = re.match(r'^\s*([A-Za-z0-9_.]+\.[A-Za-z0-9_.%]+)\s*=\s*"?([^"#]*)"?', line)
            if not mm or mm.group(1) not in sysctl.OIDS:
                continue
            if sysctl._exists(rt, mm.group(1)):
                _set_oid(rt, mm.group(1), mm.group(2))


def step_sysctl_lastload(rt: dict[str, Any]) -> None:
    """rc.d/sysctl_lastload (REQUIRE: LOGIN, BEFORE: jail; "Last chance to set sysctl
    variables that failed the first time"): ``/etc/rc.d/sysctl lastload`` applies both files
    again, now that netif has loaded if_bridge/if_epair for the cloned interfaces."""
    step_sysctl_conf(rt)


def step_net(rt: dict[str, Any]) -> None:
    """rc.d/netif + routing: lo0, the uplink, cloned_interfaces, ifconfig_*, defaultrouter."""
    from . import net
    net.boot_step(rt)


def step_pf(rt: dict[str, Any]) -> None:
    """rc.d/pf: pf_enable=YES loads pf.ko, $pf_rules and enables pf."""
    from . import pf
    pf.boot_step(rt)


def step_jails(rt: dict[str, Any]) -> None:
    """Host processes (init, syslogd, cron, ...), then rc.d/jail: jail_enable=YES starts
    jail_list (or every jail of jail.conf) as ``service jail start`` does."""
    from . import rcd_jail
    rcd_jail.boot_host_procs(rt)
    rcd_jail.boot_step(rt)


STEPS: list[Callable[[dict[str, Any]], None]] = [
    step_reset_runtime, step_kernel, step_loader, step_hostname, step_autoload, step_kld_list,
    step_sysctl_conf, step_net, step_pf, step_sysctl_lastload,
]
STEPS.append(step_jails)


def power_on() -> None:
    """Run inside the host (root "/"): write missing FreeBSD files, then :func:`boot`."""
    from . import provision
    provision.populate(hoststate.root())
    boot()


def boot() -> None:
    """Run all boot steps under the host-state lock."""
    with hoststate.locked() as st:
        for step in STEPS:
            step(st.runtime)


def step_services(rt: dict[str, Any]) -> None:
    """rc's local_startup pass on the host: modelled services (nginx, postgresql) enabled in
    rc.conf are started (jails start theirs from their own /etc/rc)."""
    from . import services
    services.boot_step(rt)


STEPS.append(step_services)
