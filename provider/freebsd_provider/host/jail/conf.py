"""A VNET jail's /etc/jail.conf.d/NAME.conf: :class:`JailSpec` and its rendering.

The file is rendered in the style of the FreeBSD 15 VNET tutorial: one block per jail,
``vnet.interface = "epairNb"``, exec.prestart creating the epair and adding its ``a`` end to the
bridge, exec.poststop destroying it. exec hooks are argv lists: each is rendered with /bin/sh
quoting (jail(8) runs a command through ``/bin/sh -c`` when it has shell metacharacters, else
splits it on blanks, and both give the same argv), then escaped as a jail.conf double-quoted
string (``\\``, ``"`` and ``$``). :mod:`.parse` reads it back.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from .paths import consolelog_path
from .. import journal

# Placeholder for the epair unit while the file is written by the allocating script: \x01 can
# not appear in any input (validation rejects control characters).
UNIT_PLACEHOLDER = "\x01EPAIR\x01"
HOOK_KINDS = ("prestart", "poststart", "prestop", "poststop")
SYSVIPC = ("new", "inherit", "disable")
HEADER = "# Managed by Pulumi (freebsd:index:VnetJail): edits are reverted by the next `pulumi up`."


def sh_join(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def conf_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


@dataclass
class JailSpec:
    name: str
    path: str
    bridge: str
    unit: Any  # int, or UNIT_PLACEHOLDER while allocating
    hostname: Optional[str] = None
    addresses: list[str] = field(default_factory=list)
    default_router: Optional[str] = None
    sysvipc: str = "disable"
    allow: list[str] = field(default_factory=list)
    devfs_ruleset: Optional[int] = None
    parameters: dict[str, str] = field(default_factory=dict)
    hooks: dict[str, list[list[str]]] = field(default_factory=dict)
    urn: Optional[str] = None  # the marker comment: the URN of the resource that wrote the file


def render_conf(s: JailSpec) -> str:
    ep = f"epair{s.unit}"
    a, b = ep + "a", ep + "b"
    L: list[str] = [HEADER] + ([journal.comment_line(s.urn)] if s.urn else []) + [f"{s.name} {{"]

    def put(key: str, values: list[str]) -> None:
        for i, v in enumerate(values):
            L.append(f"  {key} {'=' if i == 0 else '+='} {conf_string(v)};")

    put("host.hostname", [s.hostname or s.name])
    put("path", [s.path])
    L.append("  vnet;")
    put("vnet.interface", [b])
    put("exec.prestart", [f"/sbin/ifconfig {ep} create up", f"/sbin/ifconfig {s.bridge} addm {a} up"]
        + [sh_join(h) for h in s.hooks.get("prestart", [])])
    start: list[str] = []
    v4 = [x for x in s.addresses if ":" not in x]
    v6 = [x for x in s.addresses if ":" in x]
    first = True
    for x in v4:
        start.append(f"/sbin/ifconfig {b} {x} up" if first else f"/sbin/ifconfig {b} inet {x} alias")
        first = False
    for x in v6:
        start.append(f"/sbin/ifconfig {b} inet6 {x} alias")
    if not s.addresses:
        start.append(f"/sbin/ifconfig {b} up")
    if s.default_router:
        fam = "-6 " if ":" in s.default_router else ""
        start.append(f"/sbin/route {fam}add default {s.default_router}")
    start.append("/bin/sh /etc/rc")
    put("exec.start", start)
    if s.hooks.get("poststart"):
        put("exec.poststart", [sh_join(h) for h in s.hooks["poststart"]])
    if s.hooks.get("prestop"):
        put("exec.prestop", [sh_join(h) for h in s.hooks["prestop"]])
    put("exec.stop", ["/bin/sh /etc/rc.shutdown"])
    put("exec.poststop", [f"/sbin/ifconfig {s.bridge} deletem {a}", f"/sbin/ifconfig {a} destroy"]
        + [sh_join(h) for h in s.hooks.get("poststop", [])])
    L.append("  exec.clean;")
    put("exec.consolelog", [consolelog_path(s.name)])
    L.append("  mount.devfs;")
    if s.devfs_ruleset is not None:
        L.append(f"  devfs_ruleset = {int(s.devfs_ruleset)};")
    for x in s.allow:
        L.append(f"  allow.{x};")
    if s.sysvipc != "disable":
        for k in ("sysvshm", "sysvmsg", "sysvsem"):
            L.append(f"  {k} = {s.sysvipc};")
    for k in sorted(s.parameters):
        put(k, [s.parameters[k]])
    L.append("}")
    return "\n".join(L) + "\n"
