"""The network model of the simulated FreeBSD 15 host: interfaces, VNETs, routes, reachability.

Runtime state (``runtime["net"]``, lost on reboot)::

    {"vnets": {"host": {"ifaces": {name: iface}, "routes": [static route]},
               "<jail name>": {...}},
     "lan": {...}}                       # the outside world (gateway, internet)

An ``iface`` is a dict: ``name, index, kind`` (``ether`` (vtnet0), ``loop``, ``bridge``,
``epair``), ``up`` (IFF_UP), ``mtu``, ``mac``, ``inet`` ([addr, prefixlen] list), ``inet6``
([addr, prefixlen] list, link-local written ``fe80::1%lo0``), ``groups``, ``descr``,
``member_of`` (bridge name), ``members`` (bridges: list of {ifname, port, flags, priority, cost}),
``peer`` (epair: the other end's name), ``home`` (vnet the interface returns to).

Interface indexes are global (one ``if_index`` table for all VNETs, lowest free slot, as in
the kernel's ``if_alloc_domain``) and kept across VNET moves, which is what makes the
tutorial's jail table show ``link#5`` for epair1b and ``link#10`` for the jail's own lo0.

Public API for other modules (``st`` is a :class:`hoststate.State` or a runtime dict):

* :func:`boot` / :func:`boot_step` -- (re)build the model from rc.conf at boot.
* :func:`vnet_create`, :func:`vnet_destroy`, :func:`move_interface`, :func:`loopback_up`.
* :func:`reachable` -- can ``src_vnet`` reach ``dst`` (``proto``/``dport``)? -> (bool, reason).
* :func:`ping_path` -- the same with ping's details (ttl, rtt, error text).
* :func:`from_lan` -- can a machine on the uplink's LAN reach an address (host or jail)?
* :func:`bridge_filter_points` -- where the host's PF sees bridged frames (15.0 pfil sysctls).
"""
from __future__ import annotations

import errno
import hashlib
import ipaddress
import os
from typing import Any

HOST = "host"
LAN_NET = "192.168.1.0/24"
LAN_GATEWAY = "192.168.1.1"
DEFAULT_HOST_ADDR = "192.168.1.10/24"
INTERNET_TTL = 114
INTERNET_RTT = 24.0

# IFF_* bits (sys/net/if.h) and ifconfig's names (ifconfig_netlink.c IFFBITS)
IFF_BITS = [
    (0x1, "UP"), (0x2, "BROADCAST"), (0x4, "DEBUG"), (0x8, "LOOPBACK"), (0x10, "POINTOPOINT"),
    (0x20, "NEEDSEPOCH"), (0x40, "RUNNING"), (0x80, "NOARP"), (0x100, "PROMISC"),
    (0x200, "ALLMULTI"), (0x400, "DRV_OACTIVE"), (0x800, "SIMPLEX"), (0x1000, "LINK0"),
    (0x2000, "LINK1"), (0x4000, "LINK2"), (0x8000, "MULTICAST"), (0x10000, "CANTCONFIG"),
    (0x20000, "PPROMISC"), (0x40000, "MONITOR"), (0x80000, "STATICARP"), (0x100000, "STICKYARP"),
    (0x200000, "DYING"), (0x400000, "RENAMING"), (0x800000, "NOGROUP"), (0x1000000, "LOWER_UP"),
]
# bridge member flags (IFBIFBITS)
IFBIF_BITS = [(0x1, "LEARNING"), (0x2, "DISCOVER"), (0x4, "STP"), (0x8, "SPAN"), (0x10, "STICKY"),
              (0x20, "EDGE"), (0x40, "AUTOEDGE"), (0x80, "PTP"), (0x100, "AUTOPTP"), (0x200, "PRIVATE")]
IFBIF_DEFAULT = 0x143  # LEARNING,DISCOVER,AUTOEDGE,AUTOPTP

CAPS = {
    "ether": "options=4c07bb<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,JUMBO_MTU,VLAN_HWCSUM,TSO4,TSO6,"
             "LRO,VLAN_HWTSO,LINKSTATE,TXCSUM_IPV6>",
    "loop": "options=680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>",
    "epair": "options=8<VLAN_MTU>",
    "bridge": None,
}
ND6 = {
    "ether": "nd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>",
    "epair": "nd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>",
    "bridge": "nd6 options=9<PERFORMNUD,IFDISABLED>",
    "loop": "nd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>",
}
CLONERS = {"bridge": "bridge", "epair": "epair", "lo": "loop"}
KLD_FOR = {"bridge": "if_bridge", "epair": "if_epair"}


class NetError(Exception):
    """A failed kernel operation: ``errno`` plus the text ifconfig/route print for it."""

    def __init__(self, errnum: int, msg: str = ""):
        super().__init__(msg or os.strerror(errnum))
        self.errno = errnum
        self.msg = msg


# ---------------------------------------------------------------------------------------------
# state access


def _rt(st: Any) -> dict[str, Any]:
    return st if isinstance(st, dict) else st.runtime


def get(st: Any) -> dict[str, Any]:
    """The network model, built from rc.conf on first use after a (re)boot."""
    rt = _rt(st)
    if "net" not in rt:
        boot(rt)
    n = rt["net"]
    if "attach_seq" not in n:
        _backfill_attach_seq(n)
    return n


# ---------------------------------------------------------------------------------------------
# attach order: each vnet's V_ifnet list.  if_attach_internal() -> if_link_ifnet() appends the
# interface at the tail (CK_STAILQ_INSERT_TAIL(&V_ifnet, ifp, if_link)); if_vmove() unlinks it
# from the old vnet (if_unlink_ifnet) and re-attaches it in the new one, again at the tail
# [SRC sys/net/if.c if_link_ifnet, if_unlink_ifnet, if_vmove].  The netlink RTM_GETLINK dump
# walks V_ifnet and ifconfig lists in that order [SRC sbin/ifconfig/ifconfig_netlink.c
# prepare_ifmap/cmp_iface "Sort according to the kernel-provided order"].  The model keeps a
# counter in the runtime net dict; each attach stamps the interface with the next value.


def _next_attach_seq(n: dict[str, Any]) -> int:
    seq = int(n.get("attach_seq", 0)) + 1
    n["attach_seq"] = seq
    return seq


def _backfill_attach_seq(n: dict[str, Any]) -> None:
    """A runtime saved before attach order was recorded: stamp its interfaces in the order
    ifconfig used to print them (a jail's own lo0 first, then by index)."""
    n["attach_seq"] = 0
    for vn in [HOST] + sorted(k for k in n.get("vnets", {}) if k != HOST):
        v = n["vnets"].get(vn)
        if not v:
            continue
        def _old(i: dict[str, Any]) -> tuple[int, int]:
            own_lo = i.get("kind") == "loop" and i.get("home") not in (None, HOST)
            return (0 if own_lo else 1, int(i.get("index", 0)))
        for i in sorted(v.get("ifaces", {}).values(), key=_old):
            i["attach_seq"] = _next_attach_seq(n)


def attach_order(i: dict[str, Any]) -> tuple[int, int]:
    """Sort key for a vnet's V_ifnet order (see above)."""
    return (int(i.get("attach_seq", 0)), int(i.get("index", 0)))


def vnets(st: Any) -> dict[str, Any]:
    return get(st)["vnets"]


def vnet(st: Any, name: str) -> dict[str, Any]:
    v = vnets(st).get(name)
    if v is None:
        raise NetError(errno.ENOENT, f'jail "{name}" not found')
    return v


def ifaces(st: Any, vnet_name: str = HOST) -> list[dict[str, Any]]:
    """The interfaces of one vnet, in if_index order (routes and others use this; ``ifconfig``
    lists in V_ifnet attach order instead, see :func:`attach_order`)."""
    v = vnets(st).get(vnet_name)
    if v is None:
        return []
    return sorted(v["ifaces"].values(), key=lambda i: i["index"])


def find(st: Any, name: str, vnet_name: str = HOST) -> dict[str, Any] | None:
    v = vnets(st).get(vnet_name)
    return None if v is None else v["ifaces"].get(name)


def locate(st: Any, name: str) -> tuple[str, dict[str, Any]] | None:
    """Find an interface by name in any vnet (host first)."""
    vs = vnets(st)
    for vn in [HOST] + sorted(k for k in vs if k != HOST):
        i = vs[vn]["ifaces"].get(name)
        if i is not None:
            return vn, i
    return None


def _all(st: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(vn, i) for vn, v in vnets(st).items() for i in v["ifaces"].values()]


def _sysctl(rt: dict[str, Any], name: str, default: int = 0) -> int:
    try:
        return int(rt.get("sysctl", {}).get(name, default))
    except (TypeError, ValueError):
        return default


def _hostuuid(rt: dict[str, Any]) -> str:
    v = rt.get("sysctl", {}).get("kern.hostuuid")
    if not v:
        try:
            from .tools import sysctl as _s
            v = _s.OIDS["kern.hostuuid"][1]
        except Exception:  # pragma: no cover - sysctl table missing
            v = "00000000-0000-0000-0000-000000000000"
    return str(v)


def gen_mac(rt: dict[str, Any], ifname: str) -> str:
    """ether_gen_addr(9): FreeBSD OUI 58:9c:fc plus a hash of the host UUID and the name."""
    d = hashlib.sha1((_hostuuid(rt) + ifname).encode()).digest()
    return "58:9c:fc:%02x:%02x:%02x" % (0x10 | (d[0] & 0x0F), d[1], d[2])


def _hw_mac(rt: dict[str, Any], ifname: str) -> str:
    d = hashlib.sha1(("hw" + _hostuuid(rt) + ifname).encode()).digest()
    return "52:54:00:%02x:%02x:%02x" % (d[0], d[1], d[2])


def _alloc_index(st: Any) -> int:
    used = {i["index"] for _, i in _all(st)}
    idx = 1
    while idx in used:
        idx += 1
    return idx


def _new_iface(st: Any, vnet_name: str, name: str, kind: str) -> dict[str, Any]:
    rt = _rt(st)
    i = {"name": name, "index": _alloc_index(st), "kind": kind, "up": False,
         "mtu": 16384 if kind == "loop" else 1500,
         "mac": None if kind == "loop" else (_hw_mac(rt, name) if kind == "ether" else gen_mac(rt, name)),
         "inet": [], "inet6": [], "groups": [], "descr": None, "home": vnet_name}
    if kind == "loop":
        i["groups"] = ["lo"]
    elif kind == "bridge":
        i["groups"] = ["bridge"]
        i["members"] = []
        i["next_port"] = 1
    elif kind == "epair":
        i["groups"] = ["epair"]
    vnets(st)[vnet_name]["ifaces"][name] = i
    i["attach_seq"] = _next_attach_seq(get(st))     # if_attach: tail of V_ifnet
    return i


# ---------------------------------------------------------------------------------------------
# flags and status


def link_up(st: Any, i: dict[str, Any]) -> bool:
    if i["kind"] == "bridge":
        return bool(i.get("members"))
    if i["kind"] == "loop":
        return i["up"]
    return True


def flags(st: Any, i: dict[str, Any]) -> int:
    k = i["kind"]
    if k == "loop":
        f = 0x8008
        if i["up"]:
            f |= 0x1 | 0x40 | 0x1000000
        return f
    f = 0x8802
    if i["up"]:
        f |= 0x1 | 0x40
    if k == "epair":
        f |= 0x40
    if i.get("member_of"):
        f |= 0x100
    if link_up(st, i):
        f |= 0x1000000
    return f


def bits(value: int, table: list[tuple[int, str]]) -> str:
    names = [n for b, n in table if value & b]
    return "%x<%s>" % (value, ",".join(names))


def is_up(st: Any, i: dict[str, Any]) -> bool:
    return bool(i["up"])


def _mask_hex(plen: int) -> str:
    return "0x%08x" % ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0)


def status(st: Any, i: dict[str, Any], cidr: bool = False) -> str:
    """One interface's block as ``ifconfig`` prints it (FreeBSD 15, netlink-based status)."""
    out = [f"{i['name']}: flags={bits(flags(st, i), IFF_BITS)} metric 0 mtu {i['mtu']}\n"]
    if i.get("descr"):
        out.append(f"\tdescription: {i['descr']}\n")
    cap = CAPS.get(i["kind"])
    if cap:
        out.append(f"\t{cap}\n")
    if i.get("mac"):
        out.append(f"\tether {i['mac']}\n")
    for addr, plen in i["inet"]:
        net = ipaddress.ip_network(f"{addr}/{plen}", strict=False)
        line = f"\tinet {addr}/{plen}" if cidr else f"\tinet {addr} netmask {_mask_hex(plen)}"
        if i["kind"] != "loop":
            line += f" broadcast {net.broadcast_address}"
        out.append(line + "\n")
    for addr, plen in i["inet6"]:
        line = f"\tinet6 {addr} prefixlen {plen}"
        if addr.startswith("fe80:"):
            line += " scopeid 0x%x" % i["index"]
        out.append(line + "\n")
    if i["kind"] == "bridge":
        # sbin/ifconfig/ifbridge.c bridge_status (15.0): with no STP port the bridge and root
        # ids are priority<<48 with a zero MAC (sys/net/bridgestp.c bstp_reinit)
        bp = bridge_params(i)
        out.append(f"\tid 00:00:00:00:00:00 priority {bp['priority']} hellotime {bp['hellotime']} "
                   f"fwddelay {bp['fwddelay']}\n")
        out.append(f"\tmaxage {bp['maxage']} holdcnt {bp['holdcnt']} proto {bp['proto']} "
                   f"maxaddr {bp['maxaddr']} timeout {bp['timeout']}\n")
        out.append(f"\troot id 00:00:00:00:00:00 priority {bp['priority']} ifcost 0 port 0\n")
        out.append("\tbridge flags=0<>\n")
        for m in i["members"]:
            # "\tmember: IF flags=...", then "\t        [ifmaxaddr N ]port P priority Q path
            # cost C" and, for an STP port, " proto P" and a "role R state S" line
            out.append(f"\tmember: {m['ifname']} flags={bits(m['flags'], IFBIF_BITS)}\n")
            line = "\t        "
            if m.get("maxaddr"):
                line += f"ifmaxaddr {m['maxaddr']} "
            line += f"port {m['port']} priority {m['priority']} path cost {m['cost']}"
            if m["flags"] & 0x4:
                line += f" proto {bp['proto']}\n\t        role designated state forwarding"
            out.append(line + "\n")
    groups = [g for g in i["groups"] if g != "all"]
    if groups:
        out.append("\tgroups: " + " ".join(groups) + "\n")
    if i["kind"] == "ether":
        out.append("\tmedia: Ethernet autoselect (10Gbase-T <full-duplex>)\n\tstatus: active\n")
    elif i["kind"] == "epair":
        out.append("\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\tstatus: active\n")
    out.append(f"\t{ND6[i['kind']]}\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# boot


def _ensure_kld(rt: dict[str, Any], cloner: str) -> None:
    mod = KLD_FOR.get(cloner)
    if not mod:
        return
    from .tools import kld
    if kld.find_module(rt, mod) is None:
        try:
            kld.load(rt, mod)
        except kld.KldError:
            pass


def boot(st: Any) -> list[str]:
    """Rebuild the network from rc.conf as rc.d/netif + rc.d/routing would.

    Returns the error lines the rc scripts would print on the console (for example a 15.0
    ``ifconfig: BRDGADD vtnet0: Invalid argument`` when rc.conf adds an addressed NIC to a
    bridge).  Call it after /etc/sysctl.conf has been applied (rc order: sysctl, then netif).
    """
    rt = _rt(st)
    rt["net"] = {"vnets": {HOST: {"ifaces": {}, "routes": []}}}
    try:
        from .boot import rc_conf
        rc = rc_conf()
    except Exception:
        rc = {}
    errors: list[str] = []
    vt = _new_iface(rt, HOST, "vtnet0", "ether")
    lo = _new_iface(rt, HOST, "lo0", "loop")
    assert vt["index"] == 1 and lo["index"] == 2
    loopback_up(rt, HOST)
    cloned = rc.get("cloned_interfaces", "").split()
    for c in cloned:
        try:
            create(rt, HOST, c)
        except NetError as e:
            errors.append(f"ifconfig: {e.msg or os.strerror(e.errno)}")
    dhcp = False
    for i in ifaces(rt, HOST):
        if i["kind"] == "loop":
            continue
        var = f"ifconfig_{i['name']}"
        if var not in rc and i["name"] == "vtnet0":
            args = ["inet", DEFAULT_HOST_ADDR]
        else:
            args = rc.get(var, "").split()
        if any(a.upper() in ("DHCP", "SYNCDHCP") for a in args):
            dhcp = True
            args = ["inet", DEFAULT_HOST_ADDR] + [a for a in args if a.upper() not in ("DHCP", "SYNCDHCP")]
        if not args:
            continue
        from .tools import ifconfig as _ifc
        msgs: list[str] = []
        _ifc.apply(rt, HOST, i["name"], args, msgs)
        errors.extend(msgs)
    gw = rc.get("defaultrouter", "NO")
    if "defaultrouter" not in rc or (gw.upper() == "NO" and dhcp):
        gw = LAN_GATEWAY
    if gw.upper() != "NO":
        try:
            route_add(rt, HOST, "default", gw)
        except NetError:
            errors.append(f"route: add net default: gateway {gw}: Network is unreachable")
    return errors


def boot_step(rt: dict[str, Any]) -> None:
    """Adapter for boot.STEPS (takes the runtime dict)."""
    boot(rt)


# ---------------------------------------------------------------------------------------------
# VNETs


def vnet_create(st: Any, name: str) -> None:
    """A new VNET (jail with ``vnet``): lo0 only, down and without addresses."""
    vs = vnets(st)
    if name in vs:
        return
    vs[name] = {"ifaces": {}, "routes": []}
    _new_iface(st, name, "lo0", "loop")


def loopback_up(st: Any, vnet_name: str) -> None:
    """What rc.d/netif does for lo0: 127.0.0.1/8, ::1, fe80::1%lo0, up."""
    lo = find(st, "lo0", vnet_name)
    if lo is None:
        return
    lo["up"] = True
    if ["127.0.0.1", 8] not in lo["inet"]:
        lo["inet"].append(["127.0.0.1", 8])
    for a in (["::1", 128], ["fe80::1%lo0", 64]):
        if a not in lo["inet6"]:
            lo["inet6"].append(a)


def vnet_destroy(st: Any, name: str) -> None:
    """Jail removal: moved-in interfaces go back to their home vnet, the rest is destroyed."""
    vs = vnets(st)
    v = vs.get(name)
    if v is None or name == HOST:
        return
    # vnet_if_return [SRC sys/net/if.c]: walks the dying vnet's V_ifnet, collecting the
    # interfaces whose home vnet is elsewhere, then if_vmove()s them home in that order
    for i in sorted(v["ifaces"].values(), key=attach_order):
        home = i.get("home", HOST)
        if home != name and home in vs:
            move_interface(st, i["name"], home, from_vnet=name)
        else:
            _detach(st, name, i)
    del vs[name]


def _detach(st: Any, vnet_name: str, i: dict[str, Any]) -> None:
    """Remove an interface from its vnet (destroy or move away): bridge, addresses, routes."""
    v = vnets(st)[vnet_name]
    if i.get("member_of"):
        br = v["ifaces"].get(i["member_of"])
        if br is not None:
            br["members"] = [m for m in br["members"] if m["ifname"] != i["name"]]
        i.pop("member_of", None)
    for m in i.get("members", []):
        mi = v["ifaces"].get(m["ifname"])
        if mi is not None:
            mi.pop("member_of", None)
    if i["kind"] == "bridge":
        i["members"] = []
    v["routes"] = [r for r in v["routes"] if r.get("ifname") != i["name"]]
    v["ifaces"].pop(i["name"], None)


def move_interface(st: Any, ifname: str, to_vnet: str, from_vnet: str = HOST) -> None:
    """``ifconfig IF vnet JAIL`` / ``-vnet JAIL`` / jail(8) ``vnet.interface``.

    Raises NetError(ENXIO) if the interface is not in ``from_vnet``, ENOENT if ``to_vnet``
    does not exist, EEXIST if the name is taken there.  Addresses are purged (if_vmove) and the
    interface leaves any bridge; flags and index are kept.
    """
    vs = vnets(st)
    if to_vnet not in vs:
        raise NetError(errno.ENOENT)
    src = vs.get(from_vnet)
    i = None if src is None else src["ifaces"].get(ifname)
    if i is None:
        raise NetError(errno.ENXIO)
    if i["kind"] == "loop":
        raise NetError(errno.EINVAL)
    if from_vnet == to_vnet:
        return
    if ifname in vs[to_vnet]["ifaces"]:
        raise NetError(errno.EEXIST)
    _detach(st, from_vnet, i)
    i["inet"] = []
    i["inet6"] = []
    vs[to_vnet]["ifaces"][ifname] = i
    # if_vmove: unlinked from the old vnet's V_ifnet, attached at the tail of the new one's
    i["attach_seq"] = _next_attach_seq(get(st))


# ---------------------------------------------------------------------------------------------
# cloning


def _units(st: Any, prefix: str) -> set[int]:
    used = set()
    for _, i in _all(st):
        n = i["name"]
        if n.startswith(prefix):
            rest = n[len(prefix):]
            if prefix == "epair":
                rest = rest.rstrip("ab")
            if rest.isdigit():
                used.add(int(rest))
    return used


def split_clone(name: str) -> tuple[str, int | None] | None:
    """``bridge`` -> (bridge, None), ``epair12`` -> (epair, 12); None if not a cloner name."""
    for c in CLONERS:
        if name == c:
            return c, None
        if name.startswith(c) and name[len(c):].isdigit():
            return c, int(name[len(c):])
    return None


def create(st: Any, vnet_name: str, name: str) -> str:
    """SIOCIFCREATE2: returns the created interface's name (``bridge0``, ``epair0a``)."""
    rt = _rt(st)
    sc = split_clone(name)
    if sc is None:
        raise NetError(errno.EINVAL)
    cloner, unit = sc
    if locate(rt, name) is not None and find(rt, name, vnet_name) is not None:
        raise NetError(errno.EEXIST, f"interface {name} already exists")
    _ensure_kld(rt, cloner)
    used = _units(rt, cloner)
    if unit is None:
        unit = 0
        while unit in used:
            unit += 1
    elif unit in used:
        raise NetError(errno.EEXIST)
    kind = CLONERS[cloner]
    if kind == "epair":
        a = _new_iface(rt, vnet_name, f"epair{unit}a", "epair")
        b = _new_iface(rt, vnet_name, f"epair{unit}b", "epair")
        a["peer"], b["peer"] = b["name"], a["name"]
        return a["name"]
    i = _new_iface(rt, vnet_name, f"{cloner}{unit}", kind)
    return i["name"]


def destroy(st: Any, vnet_name: str, name: str) -> None:
    i = find(st, name, vnet_name)
    if i is None:
        raise NetError(errno.ENXIO)
    if i["kind"] not in ("bridge", "epair") and not (i["kind"] == "loop" and name != "lo0"):
        raise NetError(errno.EINVAL)
    _detach(st, vnet_name, i)
    if i.get("peer"):
        loc = locate(st, i["peer"])
        if loc is not None:
            _detach(st, loc[0], loc[1])


# ---------------------------------------------------------------------------------------------
# addresses and bridges


def member_ifaddrs(st: Any) -> bool:
    return _sysctl(_rt(st), "net.link.bridge.member_ifaddrs", 0) != 0


def add_inet(st: Any, vnet_name: str, i: dict[str, Any], addr: str, plen: int, alias: bool) -> None:
    if i.get("member_of") and not member_ifaddrs(st):
        raise NetError(errno.EINVAL)
    if not alias and i["inet"]:
        i["inet"].pop(0)
    i["inet"] = [a for a in i["inet"] if a[0] != addr]
    i["inet"].append([addr, plen])
    i["up"] = True  # configuring an address brings the interface up (ether_ioctl SIOCSIFADDR)


def del_inet(st: Any, i: dict[str, Any], addr: str | None) -> None:
    if addr is None:
        if not i["inet"]:
            raise NetError(errno.EADDRNOTAVAIL)
        i["inet"].pop(0)
        return
    for a in i["inet"]:
        if a[0] == addr:
            i["inet"].remove(a)
            return
    raise NetError(errno.EADDRNOTAVAIL)


def add_inet6(st: Any, i: dict[str, Any], addr: str, plen: int) -> None:
    if i.get("member_of") and not member_ifaddrs(st):
        raise NetError(errno.EINVAL)
    i["inet6"] = [a for a in i["inet6"] if a[0] != addr]
    i["inet6"].append([addr, plen])
    i["up"] = True


BRIDGE_DEFAULTS = {"priority": 32768, "hellotime": 2, "fwddelay": 15, "maxage": 20, "holdcnt": 6,
                   "proto": "rstp", "maxaddr": 2000, "timeout": 1200}


def bridge_params(br: dict[str, Any]) -> dict[str, Any]:
    """The bridge's STP and address-cache parameters (defaults: sys/net/bridgestp.h BSTP_DEFAULT_*,
    if_bridge.c BRIDGE_RTABLE_MAX 2000 and BRIDGE_RTABLE_TIMEOUT 20 * 60)."""
    return {**BRIDGE_DEFAULTS, **(br.get("bparams") or {})}


def bridge_add(st: Any, vnet_name: str, br: dict[str, Any], member: str) -> None:
    """BRDGADD, with FreeBSD 15's rule: no layer-3 addresses on members (EINVAL)."""
    m = find(st, member, vnet_name)
    if m is None:
        raise NetError(errno.ENOENT)
    if m is br or m["kind"] == "loop":
        raise NetError(errno.EINVAL)
    if m.get("member_of"):
        raise NetError(errno.EBUSY if m["member_of"] != br["name"] else errno.EEXIST)
    if (m["inet"] or m["inet6"]) and not member_ifaddrs(st):
        raise NetError(errno.EINVAL)
    if m["mtu"] != br["mtu"] and br["members"]:
        # if_bridge.c bridge_ioctl_add: the first member's MTU becomes the bridge's; later
        # members are set to the bridge's MTU (SIOCSIFMTU), EINVAL only if that fails
        if not 72 <= br["mtu"] <= (16384 if m["kind"] == "loop" else 9000):
            raise NetError(errno.EINVAL)
        m["mtu"] = br["mtu"]
    if not br["members"]:
        br["mtu"] = m["mtu"]
    port = m["index"]
    br["members"].insert(0, {"ifname": member, "port": port, "flags": IFBIF_DEFAULT,
                             "priority": 128, "cost": 2000})
    m["member_of"] = br["name"]


def bridge_del(st: Any, vnet_name: str, br: dict[str, Any], member: str) -> None:
    for mm in br["members"]:
        if mm["ifname"] == member:
            br["members"].remove(mm)
            m = find(st, member, vnet_name)
            if m is not None:
                m.pop("member_of", None)
            return
    raise NetError(errno.ENOENT)


# ---------------------------------------------------------------------------------------------
# routing


def _net(addr: str, plen: int) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(f"{addr.split('%')[0]}/{plen}", strict=False)


def routes(st: Any, vnet_name: str) -> list[dict[str, Any]]:
    """The IPv4 routing table: {dst, plen, gw, flags, ifname} sorted like the radix tree.

    ``gw`` is an address or ``link#N`` (N = the index of the outgoing interface).
    """
    v = vnets(st).get(vnet_name)
    if v is None:
        return []
    lo = v["ifaces"].get("lo0")
    out = []
    seen = set()
    for i in ifaces(st, vnet_name):
        for addr, plen in i["inet"]:
            if i["kind"] == "loop":
                out.append({"dst": addr, "plen": 32, "gw": f"link#{i['index']}", "flags": "UH",
                            "ifname": i["name"]})
                continue
            net = _net(addr, plen)
            key = (str(net.network_address), plen)
            if plen < 32 and key not in seen:
                seen.add(key)
                out.append({"dst": str(net.network_address), "plen": plen, "gw": f"link#{i['index']}",
                            "flags": "U", "ifname": i["name"]})
            if lo is not None:
                out.append({"dst": addr, "plen": 32, "gw": f"link#{lo['index']}", "flags": "UHS",
                            "ifname": "lo0"})
    for r in v["routes"]:
        out.append(dict(r))
    out.sort(key=lambda r: (int(ipaddress.IPv4Address(r["dst"])), -r["plen"]))
    return out


def routes6(st: Any, vnet_name: str) -> list[dict[str, Any]]:
    lo = find(st, "lo0", vnet_name)
    if lo is None or ["::1", 128] not in lo["inet6"]:
        return []
    n = f"link#{lo['index']}"
    return [
        {"dst": "::/96", "gw": "::1", "flags": "URS", "ifname": "lo0"},
        {"dst": "::1", "gw": n, "flags": "UHS", "ifname": "lo0"},
        {"dst": "::ffff:0.0.0.0/96", "gw": "::1", "flags": "URS", "ifname": "lo0"},
        {"dst": "fe80::%lo0/10", "gw": "::1", "flags": "URS", "ifname": "lo0"},
        {"dst": "fe80::%lo0/64", "gw": n, "flags": "U", "ifname": "lo0"},
        {"dst": "fe80::1%lo0", "gw": n, "flags": "UHS", "ifname": "lo0"},
        {"dst": "ff02::/16", "gw": "::1", "flags": "URS", "ifname": "lo0"},
    ]


def parse_dest(dest: str, host: bool = False, net: bool = False) -> tuple[str, int]:
    """route(8) destination: ``default``, ``a.b.c.d``, ``a.b.c.d/n``, ``a.b.c`` (classful)."""
    if dest == "default":
        return "0.0.0.0", 0
    if "/" in dest:
        a, p = dest.split("/", 1)
        parts = a.split(".")
        while len(parts) < 4:
            parts.append("0")
        plen = int(p)
        if not 0 <= plen <= 32:
            raise ValueError(dest)
        return str(_net(".".join(parts), plen).network_address), plen
    parts = dest.split(".")
    if len(parts) < 4:
        n = len(parts)
        parts += ["0"] * (4 - n)
        return str(ipaddress.IPv4Address(".".join(parts))), 8 * n
    ipaddress.IPv4Address(dest)
    return dest, (32 if not net else 32)


def lookup(st: Any, vnet_name: str, dst: str) -> dict[str, Any] | None:
    """Longest-prefix match in a vnet's table (only routes whose interface is usable)."""
    d = ipaddress.IPv4Address(dst)
    best = None
    for r in routes(st, vnet_name):
        if d in _net(r["dst"], r["plen"]):
            if best is None or r["plen"] > best["plen"]:
                best = r
    return best


def _connected_iface(st: Any, vnet_name: str, gw: str) -> dict[str, Any] | None:
    g = ipaddress.IPv4Address(gw)
    for i in ifaces(st, vnet_name):
        if i["kind"] == "loop":
            continue
        for addr, plen in i["inet"]:
            if g in _net(addr, plen):
                return i
    return None


def route_add(st: Any, vnet_name: str, dest: str, gw: str, host: bool = False,
              iface: str | None = None) -> dict[str, Any]:
    dst, plen = parse_dest(dest, host=host)
    if host:
        plen = 32
    v = vnet(st, vnet_name)
    for r in routes(st, vnet_name):
        if r["dst"] == dst and r["plen"] == plen:
            raise NetError(errno.EEXIST)
    if iface is not None:
        i = find(st, iface, vnet_name)
        if i is None:
            raise NetError(errno.ENETUNREACH)
    else:
        i = _connected_iface(st, vnet_name, gw)
        if i is None:
            raise NetError(errno.ENETUNREACH)
    r = {"dst": dst, "plen": plen, "gw": gw, "flags": "UGHS" if plen == 32 else "UGS",
         "ifname": i["name"]}
    v["routes"].append(r)
    return r


def route_delete(st: Any, vnet_name: str, dest: str, host: bool = False) -> dict[str, Any]:
    dst, plen = parse_dest(dest, host=host)
    if host:
        plen = 32
    v = vnet(st, vnet_name)
    for r in v["routes"]:
        if r["dst"] == dst and r["plen"] == plen:
            v["routes"].remove(r)
            return r
    raise NetError(errno.ESRCH)


# ---------------------------------------------------------------------------------------------
# reachability


def _l2_neighbours(st: Any, vn: str, x: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The up interfaces one layer-2 hop from ``x``: its epair peer, its bridge, a bridge's
    members."""
    out: list[tuple[str, dict[str, Any]]] = []
    if x.get("peer"):
        loc = locate(st, x["peer"])
        if loc is not None:
            out.append(loc)
    if x.get("member_of"):
        br = find(st, x["member_of"], vn)
        if br is not None:
            out.append((vn, br))
    if x["kind"] == "bridge":
        for m in x["members"]:
            mi = find(st, m["ifname"], vn)
            if mi is not None:
                out.append((vn, mi))
    return [n for n in out if n[1]["up"]]


def _segment(st: Any, vnet_name: str, i: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every interface (any vnet) in the same layer-2 segment as ``i``; each must be up to pass
    frames (a bridge forwards only while up, and only between up members)."""
    seen: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    todo = [(vnet_name, i)]
    while todo:
        vn, x = todo.pop()
        key = (vn, x["name"])
        if key in seen:
            continue
        seen[key] = (vn, x)
        if x["up"]:
            todo.extend(_l2_neighbours(st, vn, x))
    return [s for s in seen.values() if s[1]["up"]]


def _is_internet(addr: ipaddress.IPv4Address) -> bool:
    return addr.is_global


def bridge_pfil(st: Any, name: str) -> int:
    """The current value of one of if_bridge's pfil sysctls (``pfil_member``, ...), or its
    FreeBSD 15.0 default when unset (tools/sysctl.py OIDS, from sys/net/if_bridge.c)."""
    from .tools.sysctl import OIDS
    oid = f"net.link.bridge.{name}"
    return _sysctl(_rt(st), oid, OIDS[oid][1])


def _l2_path(st: Any, start: tuple[str, dict[str, Any]], goal: tuple[str, dict[str, Any]]
             ) -> list[tuple[str, dict[str, Any]]]:
    """The interfaces a frame crosses from ``start`` to ``goal`` (both included): epair peers
    and bridge ports, breadth first (there are no loops: STP is not modelled)."""
    key = lambda n: (n[0], n[1]["name"])  # noqa: E731
    prev: dict[tuple[str, str], tuple[str, dict[str, Any]] | None] = {key(start): None}
    todo = [start]
    while todo:
        node = todo.pop(0)
        if key(node) == key(goal):
            path = [node]
            while prev[key(path[-1])] is not None:
                path.append(prev[key(path[-1])])  # type: ignore[arg-type]
            return list(reversed(path))
        for n in _l2_neighbours(st, *node):
            if key(n) not in prev:
                prev[key(n)] = node
                todo.append(n)
    return []


def bridge_filter_points(st: Any, path: list[tuple[str, dict[str, Any]]], local: bool,
                         sent: bool = True) -> list[tuple[str, str, str]]:
    """Where the PF of the bridge's vnet sees a frame crossing a bridge on ``path``.

    Returns [(vnet, interface, direction)] in the order the kernel runs the hooks.  From
    sys/net/if_bridge.c (15.0):

    * forwarded between members (bridge_forward -> bridge_pfil): ``in`` on the ingress member
      (pfil_member), ``in`` on the bridge (pfil_bridge), then before bridge_enqueue ``out`` on
      the bridge (pfil_bridge) and ``out`` on the egress member (pfil_member) -- bridge_pfil's
      order "in_if -> bridge_if -> out_if";
    * delivered locally (GRAB_OUR_PACKETS in bridge_input: the frame is for the bridge's or,
      with member_ifaddrs=1, a member's own MAC): ``in`` on the arrival member only with
      pfil_local_phys (and pfil_member, which bridge_pfil checks for the member hook); the
      IP input filter on the interface that holds the address is the caller's (ordinary L3);
    * sent by the host itself (bridge_output: the path starts at the bridge, or at a member
      the host sends on, ``sent``): no bridge hook; the L3 output filter already ran.

    ``local`` says the frame is addressed to the path's last interface (it holds the next hop's
    address); otherwise the last interface is an egress port (the uplink towards the LAN).
    """
    member = bridge_pfil(st, "pfil_member")
    onbridge = bridge_pfil(st, "pfil_bridge")
    local_phys = bridge_pfil(st, "pfil_local_phys")
    pts: list[tuple[str, str, str]] = []
    for k, (vn, x) in enumerate(path):
        if x["kind"] != "bridge" or k == 0 or (k == 1 and sent):
            continue
        ingress = path[k - 1][1]["name"]
        last = k == len(path) - 1
        egress = None if last else path[k + 1][1]["name"]
        if last or (local and k + 1 == len(path) - 1):
            # for the bridge itself, or for the member holding the address (member_ifaddrs=1)
            if local_phys and member:
                pts.append((vn, ingress, "in"))
            continue
        if member:
            pts.append((vn, ingress, "in"))
        if onbridge:
            pts.append((vn, x["name"], "in"))
            pts.append((vn, x["name"], "out"))
        if member and egress:
            pts.append((vn, egress, "out"))
    return pts


def _bridge_blocks(st: Any, path: list[tuple[str, dict[str, Any]]], local: bool, proto: str,
                   src: str, dst: str, dport: int | None, sent: bool = True) -> str | None:
    """The first bridge filter point on ``path`` whose PF blocks the packet, as a reason."""
    for vn, ifname, d in bridge_filter_points(st, path, local, sent):
        if not _pf_allows(st, vn, ifname, d, proto, src, dst, dport):
            return f"blocked by pf ({d} on {ifname} in {vn})"
    return None


def _pf_allows(st: Any, vn: str, iface: str, direction: str, proto: str, src: str, dst: str,
               dport: int | None) -> bool:
    try:
        from . import pf
    except ImportError:
        return True
    fn = getattr(pf, "allows", None)
    if fn is None:
        return True
    if isinstance(st, dict):
        from .hoststate import State
        st = State({}, st)
    return bool(fn(st, vn, iface, direction, proto, src, dst, None, dport))


def _pf_nat(st: Any, vn: str, iface: str, src: str, dst: str) -> bool:
    try:
        from . import pf
    except ImportError:
        return False
    fn = getattr(pf, "nat_applies", None)
    if isinstance(st, dict):
        from .hoststate import State
        st = State({}, st)
    return bool(fn(st, vn, iface, src, dst)) if fn else False


def _own(st: Any, vn: str, dst: str) -> dict[str, Any] | None:
    for i in ifaces(st, vn):
        for a, _ in i["inet"]:
            if a == dst:
                return i
    return None


def ping_path(st: Any, src_vnet: str, dst: str, proto: str = "icmp",
              dport: int | None = None, src: str | None = None) -> dict[str, Any]:
    """Decide what a packet from ``src_vnet`` to ``dst`` meets.

    Returns {"ok": bool, "error": errno-text for sendto() or None, "ttl", "rtt", "reason"}.
    ``error`` set means the send itself fails (no route: ``No route to host``); ``ok`` False
    without error means the packet leaves but no reply comes back.
    """
    res = {"ok": False, "error": None, "ttl": 64, "rtt": 0.05, "reason": ""}
    d = ipaddress.IPv4Address(dst)
    vn = src_vnet
    hops = 0
    rtt = 0.0
    ttl = 64
    while True:
        hops += 1
        if hops > 8:
            res["reason"] = "routing loop"
            return res
        own = _own(st, vn, dst)
        if own is not None:
            if not own["up"]:
                res["reason"] = f"{own['name']} is down"
                return res
            res.update(ok=True, ttl=ttl, rtt=rtt + (0.03 if hops == 1 else 0), reason="local")
            return res
        if d.is_loopback:
            res["error"] = "Network is unreachable" if hops == 1 else None
            res["reason"] = "no loopback address"
            return res
        r = lookup(st, vn, dst)
        if r is None:
            if hops == 1:
                res["error"] = "No route to host"
            res["reason"] = f"no route to {dst} in {vn}"
            return res
        out = find(st, r["ifname"], vn)
        if out is None or not out["up"]:
            if hops == 1:
                res["error"] = "Network is down"
            res["reason"] = f"{r['ifname']} is down"
            return res
        nexthop = r["gw"] if not r["gw"].startswith("link#") else dst
        if src is None or hops > 1:
            s = next((a for a, p in out["inet"]), None) or src
        else:
            s = src
        if hops == 1:
            src = s
        if not _pf_allows(st, vn, out["name"], "out", proto, src or "", dst, dport):
            res["reason"] = f"blocked by pf (out on {out['name']} in {vn})"
            return res
        seg = _segment(st, vn, out)
        target = None
        for svn, si in seg:
            if svn == vn and si is out:
                continue
            for a, _ in si["inet"]:
                if a == nexthop:
                    target = (svn, si)
        if target is None:
            if any(x["name"] == "vtnet0" and svn == HOST for svn, x in seg) and \
                    ipaddress.IPv4Address(nexthop) in ipaddress.ip_network(LAN_NET):
                # out of the host through the uplink: bridged there when `out` is not vtnet0
                vt = find(st, "vtnet0", HOST)
                if vt is not None and not (vn == HOST and out is vt):
                    why = _bridge_blocks(st, _l2_path(st, (vn, out), (HOST, vt)), False,
                                         proto, src or "", dst, dport)
                    if why:
                        res["reason"] = why
                        return res
                # the physical LAN: only the gateway answers; it routes to the internet
                srcaddr = ipaddress.IPv4Address(src) if src else None
                if nexthop == dst and dst != LAN_GATEWAY:
                    res["reason"] = f"no host {dst} on the LAN"
                    return res
                if dst != LAN_GATEWAY and not _is_internet(d):
                    res["reason"] = f"{dst} is not reachable through the gateway"
                    return res
                if srcaddr is not None and srcaddr not in ipaddress.ip_network(LAN_NET) and \
                        not _pf_nat(st, vn, out["name"], src, dst):
                    res["reason"] = f"no return route to {src} (no NAT)"
                    return res
                if dst == LAN_GATEWAY:
                    res.update(ok=True, ttl=ttl, rtt=rtt + 0.35, reason="gateway")
                else:
                    res.update(ok=True, ttl=INTERNET_TTL - (64 - ttl), rtt=rtt + INTERNET_RTT,
                               reason="internet")
                return res
            res["reason"] = f"next hop {nexthop} not reachable on {out['name']}"
            return res
            # unreachable on link
        tvn, ti = target
        rtt += 0.12
        # the frame is addressed to the next hop's MAC: delivered locally where it lives
        why = _bridge_blocks(st, _l2_path(st, (vn, out), target), True, proto, src or "", dst,
                             dport)
        if why:
            res["reason"] = why
            return res
        if not _pf_allows(st, tvn, ti["name"], "in", proto, src or "", dst, dport):
            res["reason"] = f"blocked by pf (in on {ti['name']} in {tvn})"
            return res
        if _own(st, tvn, dst) is None:
            # forwarding through tvn
            if tvn == HOST and not _sysctl(_rt(st), "net.inet.ip.forwarding", 0):
                res["reason"] = f"{tvn} does not forward (net.inet.ip.forwarding=0)"
                return res
            if tvn != HOST:
                res["reason"] = f"{tvn} does not forward"
                return res
            ttl -= 1
        vn = tvn


LAN_CLIENT = "192.168.1.100"


def from_lan(st: Any, dst: str, proto: str = "tcp", dport: int | None = None,
             client: str = LAN_CLIENT) -> tuple[bool, str]:
    """Can a machine on the uplink's LAN (``client``, default 192.168.1.100) reach ``dst``?

    The frame arrives on vtnet0 from the wire.  An address of the host is delivered locally
    (bridge_input's GRAB_OUR_PACKETS when vtnet0 is a bridge member, then IP input on the
    interface holding the address); an address in a jail behind the bridge is forwarded by it
    (bridge filter points, see :func:`bridge_filter_points`) and meets the jail's own PF.  The
    client reaches only addresses on its own subnet (the gateway routes nothing back in).
    Returns (ok, reason) like :func:`reachable`; replies are assumed to follow PF state.
    """
    try:
        d = ipaddress.IPv4Address(dst)
        c = ipaddress.IPv4Address(client)
    except ValueError:
        return False, f"bad address {dst}"
    if d == c:
        return True, "local"
    if d not in ipaddress.ip_network(LAN_NET):
        return False, f"{dst} is not on the LAN {LAN_NET}"
    vt = find(st, "vtnet0", HOST)
    if vt is None or not vt["up"]:
        return False, "vtnet0 is down"
    for tvn, ti in _segment(st, HOST, vt):
        if not any(a == dst for a, _ in ti["inet"]):
            continue
        if not ti["up"]:
            return False, f"{ti['name']} is down"
        if not (tvn == HOST and ti is vt):
            why = _bridge_blocks(st, _l2_path(st, (HOST, vt), (tvn, ti)), True, proto, client, dst,
                                 dport, sent=False)
            if why:
                return False, why
        if not _pf_allows(st, tvn, ti["name"], "in", proto, client, dst, dport):
            return False, f"blocked by pf (in on {ti['name']} in {tvn})"
        return True, "local" if tvn == HOST else f"bridged to {tvn}"
    return False, f"no host {dst} on the LAN"


def reachable(st: Any, src_vnet: str, dst_addr: str, proto: str = "tcp",
              dport: int | None = None) -> tuple[bool, str]:
    """Can a ``proto`` packet from ``src_vnet`` reach ``dst_addr`` (and a reply come back)?

    Checks routes in every vnet crossed, layer 2 (epair pairs, bridges, the uplink), interface
    state and PF.  Whether something listens on ``dport`` is for the caller to decide.
    """
    try:
        p = ping_path(st, src_vnet, dst_addr, proto, dport)
    except ValueError:
        return False, f"bad address {dst_addr}"
    if p["ok"]:
        return True, p["reason"]
    return False, p["error"] or p["reason"]


def raw_sockets_allowed(st: Any, jail: str | None) -> bool:
    """``allow.raw_sockets`` of a jail (True outside jails). Reads runtime["jails"] entries:
    ``params["allow.raw_sockets"]``, ``allow.raw_sockets`` or ``allow_raw_sockets``."""
    if not jail:
        return True
    jails = _rt(st).get("jails") or {}
    items = jails.values() if isinstance(jails, dict) else jails
    for j in items:
        if str(j.get("name")) == jail or str(j.get("jid")) == jail:
            params = j.get("params") or {}
            for k in ("allow.raw_sockets", "allow_raw_sockets"):
                for src in (params, j):
                    if k in src:
                        v = src[k]
                        return v not in (False, 0, "0", "false", None) 
            return False
    return True


def current_vnet(st: Any) -> str:
    """The vnet seen by the calling process: TESTBED_JAIL (set by jexec) if it has a vnet."""
    jail = os.environ.get("TESTBED_JAIL")
    if jail and jail in vnets(st):
        return jail
    return HOST
