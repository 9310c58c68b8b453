"""ifconfig(8), route(8) and sysctl(8) pieces for bridges and epairs: argv builders, parsers and
the facts the Bridge reads besides the shared ones.

ifconfig has no libxo output in 15.0: :func:`parse_all` reads the text of ``ifconfig -a`` by line
prefix (the order of the generic lines moved between versions), with netmasks in hex
(``inet 192.168.1.10 netmask 0xffffff00 broadcast ...``) or CIDR (``-f inet:cidr``).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from .common import interface_name_error, lines, locked
from .factbase import Fact, fact

IFCONFIG = "/sbin/ifconfig"
ROUTE = "/sbin/route"
SYSCTL = "/sbin/sysctl"
SH = "/bin/sh"

MEMBER_IFADDRS = "net.link.bridge.member_ifaddrs"
SYSCTL_CONF = "/etc/sysctl.conf"
LOADER_CONF = "/boot/loader.conf"

_BRIDGE_RE = re.compile(r"^bridge[0-9]{1,5}\Z")


@dataclass
class Member:
    name: str
    flags: str = ""  # e.g. "143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>"


@dataclass
class Interface:
    name: str
    flags: list[str] = field(default_factory=list)
    mtu: int = 0
    mac: str = ""
    description: str = ""
    inet: list[str] = field(default_factory=list)   # CIDRs, e.g. "192.168.1.10/24"
    inet6: list[str] = field(default_factory=list)  # CIDRs; link-local ones keep their %scope
    groups: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)

    @property
    def up(self) -> bool:
        return "UP" in self.flags

    @property
    def is_bridge(self) -> bool:
        return "bridge" in self.groups or bool(_BRIDGE_RE.match(self.name))

    def routable_addresses(self) -> list[str]:
        """Addresses FreeBSD 15 refuses on a bridge member (IPv4, and IPv6 that is not link-local)."""
        return list(self.inet) + [a for a in self.inet6 if not a.lower().startswith("fe80:")]


# --------------------------------------------------------------------------------------------
# Parsing


_HEAD_RE = re.compile(r"^([A-Za-z0-9_.-]+): flags=([0-9a-f]+)<([^>]*)>(?: metric \d+)?(?: mtu (\d+))?")


def _mask_len(mask: str) -> int:
    v = int(mask, 16) if mask.lower().startswith("0x") else int(ipaddress.IPv4Address(mask))
    return bin(v).count("1")


def parse_all(text: str) -> dict[str, Interface]:
    """Parse ``ifconfig -a`` (or ``ifconfig IF``) output into interfaces by name."""
    out: dict[str, Interface] = {}
    cur: Optional[Interface] = None
    for line in lines(text):
        if not line.strip():
            continue
        if not line[0].isspace():
            m = _HEAD_RE.match(line)
            if not m:
                raise ValueError(f"unexpected ifconfig line: {line!r}")
            cur = Interface(name=m.group(1), flags=[f for f in m.group(3).split(",") if f],
                            mtu=int(m.group(4) or 0))
            out[cur.name] = cur
            continue
        if cur is None:
            raise ValueError(f"ifconfig output starts with an indented line: {line!r}")
        words = line.split()
        key = words[0]
        if key == "inet" and len(words) >= 2:
            addr = words[1]
            if "/" in addr:
                cur.inet.append(addr)
            elif "netmask" in words:
                cur.inet.append(f"{addr}/{_mask_len(words[words.index('netmask') + 1])}")
            else:
                cur.inet.append(f"{addr}/32")
        elif key == "inet6" and len(words) >= 2:
            addr = words[1]
            if "/" not in addr and "prefixlen" in words:
                addr = f"{addr}/{words[words.index('prefixlen') + 1]}"
            cur.inet6.append(addr)
        elif key == "ether" and len(words) >= 2:
            cur.mac = words[1]
        elif key == "description:":
            cur.description = line.split("description:", 1)[1].strip()
        elif key == "groups:":
            cur.groups = words[1:]
        elif key == "member:" and len(words) >= 2:
            flags = words[2].split("=", 1)[1] if len(words) >= 3 and words[2].startswith("flags=") else ""
            cur.members.append(Member(words[1], flags))
    return out


# --------------------------------------------------------------------------------------------
# Builders


def list_all() -> list[str]:
    """The shared fact: every interface of the host with its addresses and bridge members."""
    return [IFCONFIG, "-a"]


def create(name: str) -> list[str]:
    return [IFCONFIG, name, "create"]


def destroy(name: str) -> list[str]:
    return [IFCONFIG, name, "destroy"]


def set_up(name: str, up: bool = True) -> list[str]:
    return [IFCONFIG, name, "up" if up else "down"]


def addm(bridge: str, members: Sequence[str], up: bool = True) -> list[str]:
    argv = [IFCONFIG, bridge]
    for m in members:
        argv += ["addm", m]
    if up:
        argv.append("up")
    return argv


def deletem(bridge: str, member: str) -> list[str]:
    return [IFCONFIG, bridge, "deletem", member]


def family(cidr: str) -> str:
    return "inet6" if ":" in cidr else "inet"


def add_address(name: str, cidr: str) -> list[str]:
    """Add an address (``alias``: never replaces an existing one)."""
    return [IFCONFIG, name, family(cidr), cidr, "alias"]


def remove_address(name: str, cidr: str) -> list[str]:
    return [IFCONFIG, name, family(cidr), cidr.split("/")[0], "-alias"]


def route_get_default() -> list[str]:
    return [ROUTE, "-n", "get", "default"]


def parse_route_get(text: str) -> tuple[Optional[str], Optional[str]]:
    """(gateway, interface) from ``route -n get default`` (None, None when there is none)."""
    gw = iface = None
    for line in lines(text):
        k, _, v = line.strip().partition(":")
        if k == "gateway":
            gw = v.strip()
        elif k == "interface":
            iface = v.strip()
    return gw, iface


def _route(res) -> tuple[Optional[str], Optional[str]]:
    # route(8) exits 1 when there is no default route: no gateway to move or restore
    return parse_route_get(res.stdout) if res.exit_code == 0 else (None, None)


def default_route() -> Fact[tuple[Optional[str], Optional[str]]]:
    """(gateway, interface) of the default route, (None, None) when there is none."""
    return fact(route_get_default(), _route, "default route")


def sysctl_set(name: str, value: str) -> list[str]:
    return [SYSCTL, f"{name}={value}"]


def sysctl_get(name: str) -> list[str]:
    return [SYSCTL, "-n", name]


def _sysctl_value(res) -> Optional[str]:
    # the OID exists only while if_bridge is loaded: unknown OID, no value
    return res.stdout.strip() if res.exit_code == 0 else None


def member_ifaddrs() -> Fact[Optional[str]]:
    """``net.link.bridge.member_ifaddrs`` now, None when if_bridge is not loaded."""
    return fact(sysctl_get(MEMBER_IFADDRS), _sysctl_value, "member_ifaddrs")


# Move the uplink's addresses to the bridge in ONE remote command, so the SSH session that runs
# it survives: the host is unreachable only between the -alias and the bridge's new address, and
# this shell is already running on the host.  If adding the uplink to the bridge fails, the
# addresses (and the default route) go back to the uplink.  Positional parameters:
#   $1 bridge, $2 uplink, $3 default gateway ("" = leave routes alone), $4... CIDRs to move.
_MOVE_SCRIPT = r'''
br=$1; up=$2; gw=$3; shift 3
fam() { case $1 in *:*) echo inet6 ;; *) echo inet ;; esac; }
for a in "$@"; do /sbin/ifconfig "$up" $(fam "$a") "${a%/*}" -alias || exit 1; done
if /sbin/ifconfig "$br" addm "$up" up; then
  rc=0
  for a in "$@"; do /sbin/ifconfig "$br" $(fam "$a") "$a" alias || rc=1; done
else
  rc=1; br=$up
  for a in "$@"; do /sbin/ifconfig "$up" $(fam "$a") "$a" alias; done
fi
if [ -n "$gw" ]; then
  /sbin/route -q add default "$gw" >/dev/null 2>&1 || /sbin/route -q change default "$gw" >/dev/null 2>&1 || rc=1
fi
[ $rc = 0 ] || echo "could not move the addresses of $up to $br" >&2
exit $rc
'''

# The reverse (delete): take the uplink out of the bridge, give it its addresses back.
#   $1 bridge, $2 uplink, $3 default gateway ("" = leave routes alone), $4... CIDRs.
_RESTORE_SCRIPT = r'''
br=$1; up=$2; gw=$3; shift 3
fam() { case $1 in *:*) echo inet6 ;; *) echo inet ;; esac; }
for a in "$@"; do /sbin/ifconfig "$br" $(fam "$a") "${a%/*}" -alias 2>/dev/null; done
/sbin/ifconfig "$br" deletem "$up" 2>/dev/null
rc=0
for a in "$@"; do /sbin/ifconfig "$up" $(fam "$a") "$a" alias || rc=1; done
/sbin/ifconfig "$up" up
if [ -n "$gw" ]; then
  /sbin/route -q add default "$gw" >/dev/null 2>&1 || /sbin/route -q change default "$gw" >/dev/null 2>&1 || rc=1
fi
exit $rc
'''


def move_addresses(bridge: str, uplink: str, gateway: Optional[str], cidrs: Sequence[str]) -> list[str]:
    return [SH, "-c", _MOVE_SCRIPT, "sh", bridge, uplink, gateway or "", *cidrs]


def restore_addresses(bridge: str, uplink: str, gateway: Optional[str], cidrs: Sequence[str]) -> list[str]:
    return [SH, "-c", _RESTORE_SCRIPT, "sh", bridge, uplink, gateway or "", *cidrs]


# Persist a sysctl in /etc/sysctl.conf (replace the line for the name, or append).
#   $1 file, $2 name, $3 value ("" = remove the line)
_SYSCTL_CONF_SCRIPT = r'''
f=$1; n=$2; v=$3; t="$f.pulumi-tmp.$$"
umask 022
if [ -e "$f" ]; then grep -v "^[[:space:]]*$n[[:space:]]*=" "$f" > "$t" || true; else : > "$t"; fi
[ -z "$v" ] || echo "$n=$v" >> "$t"
chmod 0644 "$t"; mv -f "$t" "$f"
'''


def persist_sysctl(name: str, value: Optional[str], file: str = SYSCTL_CONF) -> list[str]:
    return locked([SH, "-c", _SYSCTL_CONF_SCRIPT, "sh", file, name, value or ""])


# --------------------------------------------------------------------------------------------
# Validation


def bridge_name_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not _BRIDGE_RE.match(name):
        return f"invalid bridge name {name!r}: expected bridgeN, e.g. bridge0"
    return None


def member_name_error(name: str) -> Optional[str]:
    """An interface that may join a bridge (any but a loopback)."""
    err = interface_name_error(name)
    if not err and name.startswith("lo") and name[2:].isdigit():
        err = f"{name} is a loopback interface and cannot join a bridge"
    return err


def cidr_error(cidr: str, what: str = "address") -> Optional[str]:
    """A host address with a prefix length, e.g. 192.168.1.10/24 or 2001:db8::1/64."""
    if not isinstance(cidr, str) or "/" not in cidr:
        return f"invalid {what} {cidr!r}: expected ADDRESS/PREFIXLEN, e.g. 192.168.1.10/24"
    try:
        iface = ipaddress.ip_interface(cidr)
    except ValueError:
        return f"invalid {what} {cidr!r}: expected ADDRESS/PREFIXLEN, e.g. 192.168.1.10/24"
    addr, plen = cidr.split("/", 1)
    if not plen.isdigit() or str(iface.ip) != addr.lower() and str(iface.ip) != addr:
        return f"invalid {what} {cidr!r}: write the address in canonical form ({iface.ip}/{iface.network.prefixlen})"
    if iface.ip == iface.network.network_address and iface.network.prefixlen < iface.max_prefixlen - 1:
        return f"invalid {what} {cidr!r}: that is the network address, not a host address"
    if iface.ip.is_multicast or iface.ip.is_unspecified:
        return f"invalid {what} {cidr!r}: not a unicast host address"
    return None


def ip_error(ip: str, what: str = "address") -> Optional[str]:
    try:
        a = ipaddress.ip_address(ip)
    except (ValueError, TypeError):
        return f"invalid {what} {ip!r}: expected an IPv4 or IPv6 address"
    if str(a) != ip:
        return f"invalid {what} {ip!r}: write it in canonical form ({a})"
    if a.is_multicast or a.is_unspecified:
        return f"invalid {what} {ip!r}: not a unicast address"
    return None


def same_address(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_interface(a) == ipaddress.ip_interface(b)
    except ValueError:
        return a == b
