"""``freebsd-testbed probe``: what a TCP/UDP connection or a ping to an address would meet.

The vantage points are the ones a test of a firewall needs and that no FreeBSD tool on the host
offers: ``lan`` (a machine on the uplink's LAN, 192.168.1.100, outside the host), ``host`` (the
host itself) and any VNET jail by name.  The answer comes from the network model (routes,
layer 2, PF at every point FreeBSD 15 runs it, see net.py) and the simulated services:

    open        a service listens there (TCP/UDP), or the address answers (ICMP)
    closed      PF lets the packet through but nothing listens (a RST / port unreachable)
    filtered    the host's or a jail's PF drops it (names the rule's interface and direction)
    unreachable no route, an interface down, or no such host on the segment
"""
from __future__ import annotations

import ipaddress
from typing import Any

from . import net

VERDICT_EXIT = {"open": 0, "closed": 1, "filtered": 1, "unreachable": 1}


def _listener(st: Any, vnet: str, addr: str, proto: str, port: int) -> str | None:
    """Who listens on addr:port in ``vnet``: the host's sshd on 22, or a simulated service."""
    if proto == "tcp" and port == 22 and vnet == net.HOST:
        return "sshd"
    if proto != "tcp":
        return None
    from . import services
    names = {r.get("name") for r in (st.runtime.get("services") or {}).values()
             if isinstance(r, dict)}
    for name in sorted(n for n in names if n):
        for rec in services.all_running(st, name):
            if services.vnet_of(st, rec.get("jail") or None) != vnet:
                continue
            for a, p in rec.get("listen") or []:
                if p == port and a in ("0.0.0.0", addr):
                    where = f" in {rec['jail']}" if rec.get("jail") else ""
                    return f"{name}{where}"
    return None


def probe(st: Any, src: str, addr: str, proto: str = "tcp", port: int | None = None
          ) -> tuple[str, str]:
    """(verdict, detail) for a packet from ``src`` (lan, host or a jail) to ``addr``."""
    ipaddress.IPv4Address(addr)  # ValueError for the caller
    if src == "lan":
        ok, why = net.from_lan(st, addr, proto, port)
    else:
        vn = net.HOST if src == "host" else src
        if vn not in net.vnets(st):
            raise KeyError(src)
        ok, why = net.reachable(st, vn, addr, proto, port)
    if not ok:
        return ("filtered" if "blocked by pf" in why else "unreachable"), why
    if proto == "icmp" or port is None:
        return "open", why
    owner = next((vn for vn in net.vnets(st)
                  if any(a == addr for i in net.ifaces(st, vn) for a, _ in i["inet"])), None)
    if owner is None:
        return "open", why  # beyond the gateway: the internet answers
    who = _listener(st, owner, addr, proto, port)
    if who is None:
        return "closed", f"nothing listens on {addr} port {port}/{proto}"
    return "open", who
