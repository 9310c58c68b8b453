"""FreeBSD-looking files written into a host root on first boot (and into fast tests' roots).

:func:`populate` writes only files that do not exist yet, so it is safe on every ``up``.
All paths go through :func:`hoststate.hostpath` semantics relative to ``root``.
"""
from __future__ import annotations

import hashlib
import os

from .tools import kld

RC_CONF = """hostname="testbed"
ifconfig_vtnet0="inet 192.168.1.10/24"
defaultrouter="192.168.1.1"
sshd_enable="YES"
ntpd_enable="YES"
ntpd_sync_on_start="YES"
moused_nondefault_enable="NO"
# Set dumpdev to "AUTO" to enable crash dumps, "NO" to disable
dumpdev="AUTO"
zfs_enable="YES"
"""

LOADER_CONF = """kern.geom.label.disk_ident.enable="0"
kern.geom.label.gptid.enable="0"
cryptodev_load="YES"
zfs_load="YES"
"""

# /etc/defaults/rc.conf: FreeBSD's libexec/rc/rc.conf, installed by libexec/rc/Makefile as
# CONFS (CONFSDIR /etc/defaults, mode 0444), kept byte for byte in data/defaults_rc.conf.
# [SRC libexec/rc/rc.conf; the text is Brine28/freebsd-src@52614649101d65deb154694c496c8052513eb21c,
# a fork of freebsd/freebsd-src main from the 15.0 development window (virtual_oss,
# osrelease_*_url, svcj_all_enable present; the store's freebsd/freebsd-src copies,
# 0216ab4d/2cd26a28, are 13-era)].  `sysrc -A' lists it, `sysrc -d' reads its comments.
_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def _data(name: str) -> str:
    with open(os.path.join(_DATA, name), encoding="utf-8", newline="") as f:
        return f.read()


RC_DEFAULTS = _data("defaults_rc.conf")

# sha256 of the subset the testbed wrote before the real file: a host provisioned back then
# gets the real file on its next `up' (as an upgrade would install the new CONFS file).
_OLD_RC_DEFAULTS_SHA256 = {"73808a794cdfbebfda6b9fc3da7fcbbc8fd38fa5fb9bb335884533e96742821c"}

RESOLV_CONF = "search localdomain\nnameserver 192.168.1.1\n"
FREEBSD_UPDATE_VERSION = "15.0-RELEASE"


def _write(root: str, path: str, text: str, mode: int = 0o644) -> None:
    real = os.path.join(root, path.lstrip("/"))
    if os.path.lexists(real):
        return
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(real, mode)


def _upgrade_old_defaults(root: str) -> None:
    real = os.path.join(root, "etc/defaults/rc.conf")
    try:
        with open(real, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return
    if digest in _OLD_RC_DEFAULTS_SHA256:
        try:
            os.chmod(real, 0o644)
            os.remove(real)
        except OSError:
            return


def populate(root: str) -> None:
    """Write the FreeBSD files a fresh 15.0 host has (only those missing)."""
    _write(root, "/etc/rc.conf", RC_CONF)
    _upgrade_old_defaults(root)
    _write(root, "/etc/defaults/rc.conf", RC_DEFAULTS, 0o444)
    _write(root, "/boot/loader.conf", LOADER_CONF)
    marker = os.path.join(root, "var/db/testbed/provisioned")
    if not os.path.exists(marker):
        # first boot: FreeBSD's own resolv.conf replaces whatever the image had
        real = os.path.join(root, "etc/resolv.conf")
        if os.path.lexists(real):
            os.remove(real)
        _write(root, "/etc/resolv.conf", RESOLV_CONF)
    for stem in kld.CATALOG:
        _write(root, f"/boot/kernel/{stem}.ko", "")
    _write(root, "/boot/kernel/kernel", "")
    os.makedirs(os.path.join(root, "boot/modules"), exist_ok=True)
    for d in ("var/db/testbed", "var/log/testbed", "jails", "zroot", "usr/local/etc/rc.d", "etc/jail.conf.d"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    if not os.path.exists(marker):
        with open(marker, "w", encoding="utf-8") as f:
            f.write(FREEBSD_UPDATE_VERSION + "\n")
