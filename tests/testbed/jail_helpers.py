"""Shared bits of the jail tests: the tutorial's jail.conf and a base-system extractor."""
from __future__ import annotations

import os
import tarfile

TUTORIAL_CONF = """# Global settings
exec.start = "/bin/sh /etc/rc";
exec.stop = "/bin/sh /etc/rc.shutdown";
exec.clean;
mount.devfs;
allow.raw_sockets;
exec.consolelog = "/var/log/jail_${name}_console.log";
$bridge = "bridge0";
webserver {
host.hostname = "webserver";
path = "/jails/containers/webserver";
vnet;
vnet.interface = "epair1b";
exec.prestart = "/sbin/ifconfig epair1 create up";
exec.prestart += "/sbin/ifconfig bridge0 addm epair1a up";
exec.start += "/sbin/ifconfig epair1b 192.168.1.201/24 up";
exec.start += "/sbin/route add default 192.168.1.1";
exec.poststop = "/sbin/ifconfig bridge0 deletem epair1a";
exec.poststop += "/sbin/ifconfig epair1a destroy";
}
database {
host.hostname = "database";
path = "/jails/containers/database";
# PostgreSQL needs SysV shared memory
sysvshm = new;
sysvmsg = new;
sysvsem = new;
vnet;
vnet.interface = "epair2b";
exec.prestart = "/sbin/ifconfig epair2 create up";
exec.prestart += "/sbin/ifconfig bridge0 addm epair2a up";
exec.start += "/sbin/ifconfig epair2b 192.168.1.202/24 up";
exec.start += "/sbin/route add default 192.168.1.1";
exec.poststop = "/sbin/ifconfig bridge0 deletem epair2a";
exec.poststop += "/sbin/ifconfig epair2a destroy";
}
"""


def make_base(root: str, path: str) -> str:
    """Extract the generated base.txz at host path ``path`` under ``root``."""
    from freebsd_testbed import basesystem
    real = os.path.join(root, path.lstrip("/"))
    os.makedirs(real, exist_ok=True)
    txz = os.path.join(root, "tmp", "base.txz")
    os.makedirs(os.path.dirname(txz), exist_ok=True)
    if not os.path.exists(txz):
        basesystem.build_base_txz(txz)
    with tarfile.open(txz) as tf:
        tf.extractall(real)
    return real


def write(root: str, path: str, text: str) -> None:
    real = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "w") as f:
        f.write(text)
