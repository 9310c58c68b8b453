"""Where the jail machinery lives on a FreeBSD host: the tools, /etc/jail.conf.d, the console
logs, and the marker that remembers jail_enable's value before this provider set it."""
from __future__ import annotations

JLS = "/usr/sbin/jls"
SERVICE = "/usr/sbin/service"
SYSRC = "/usr/sbin/sysrc"
SH = "/bin/sh"
CONF_DIR = "/etc/jail.conf.d"
MARKER_DIR = "/var/db/pulumi-freebsd"
JAIL_ENABLE_MARKER = MARKER_DIR + "/jail_enable.previous"


def conf_path(name: str) -> str:
    return f"{CONF_DIR}/{name}.conf"


def consolelog_path(name: str) -> str:
    return f"/var/log/jail_{name}_console.log"
