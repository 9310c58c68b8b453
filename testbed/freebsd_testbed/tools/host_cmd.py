"""host(1) (bind-tools / FreeBSD's drill-based host): DNS lookups decided by the model.

The answer needs a nameserver in /etc/resolv.conf (inside a jail: the jail's copy, e.g. the one
the tutorial copies into the template) that the caller's vnet can reach on UDP 53; the records
come from a small built-in zone (the tutorial's google.com answers) and /etc/hosts is NOT used,
as host(1) asks DNS only.
"""
from __future__ import annotations

import ipaddress
import sys

from .. import hoststate

USAGE = ("Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n"
         "            [-R number] [-m flag] [-p port] hostname [server]\n")

# name -> records: ("A"|"AAAA"|"MX", value)
ZONE = {
    "google.com": [("A", "142.251.47.174"), ("AAAA", "2a00:1450:401a:800::200e"), ("MX", "10 smtp.google.com.")],
    "www.google.com": [("A", "142.251.47.174"), ("AAAA", "2a00:1450:401a:800::2004")],
    "freebsd.org": [("A", "96.47.72.84"), ("AAAA", "2610:1c1:1:606c::50:15"), ("MX", "10 mx1.freebsd.org.")],
    "www.freebsd.org": [("A", "96.47.72.84"), ("AAAA", "2610:1c1:1:606c::50:15")],
    "pkg.freebsd.org": [("A", "199.232.106.132")],
    "download.freebsd.org": [("A", "96.47.72.72"), ("AAAA", "2610:1c1:1:6002::200")],
    "dns.google": [("A", "8.8.8.8"), ("A", "8.8.4.4")],
}
REVERSE = {"8.8.8.8": "dns.google.", "8.8.4.4": "dns.google.", "96.47.72.84": "freebsd.org.",
           "142.251.47.174": "fra24s02-in-f14.1e100.net."}


def _nameservers() -> list[str]:
    out = []
    try:
        with open(hoststate.hostpath("/etc/resolv.conf"), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    out.append(parts[1])
    except OSError:
        pass
    return out


def _reachable(server: str) -> bool:
    try:
        from .. import jailctx, net
        with hoststate.locked(write=False) as st:
            vnet = jailctx.current_jail() or "host"
            return net.reachable(st, vnet, server, "udp", 53)[0]
    except Exception:  # noqa: BLE001  (no network model: assume the resolver answers)
        return True


def main(argv: list[str]) -> int:
    args = argv[1:]
    qtype = None
    pos: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-t" and i + 1 < len(args):
            qtype = args[i + 1].upper()
            i += 2
            continue
        if a.startswith("-") and len(a) > 1:
            if a[1:] in ("a", "v", "d"):
                qtype = qtype or "ANY"
                i += 1
                continue
            if a[1] in "cNWRmp":
                i += 2
                continue
            sys.stderr.write(f"host: invalid option -- '{a[1]}'\n" + USAGE)
            return 1
        pos.append(a)
        i += 1
    if not pos:
        sys.stderr.write(USAGE)
        return 1
    name = pos[0]
    servers = [pos[1]] if len(pos) > 1 else _nameservers()
    if not servers or not any(_reachable(s) for s in servers):
        sys.stdout.write(";; connection timed out; no servers could be reached\n")
        return 1
    try:
        ipaddress.ip_address(name)
        ptr = REVERSE.get(name)
        rev = ".".join(reversed(name.split("."))) + ".in-addr.arpa"
        if ptr is None:
            sys.stdout.write(f"Host {rev} not found: 3(NXDOMAIN)\n")
            return 1
        sys.stdout.write(f"{rev} domain name pointer {ptr}\n")
        return 0
    except ValueError:
        pass
    key = name.lower().rstrip(".")
    records = ZONE.get(key)
    if records is None:
        sys.stdout.write(f"Host {name} not found: 3(NXDOMAIN)\n")
        return 1
    shown = 0
    for rtype, value in records:
        if qtype not in (None, "ANY") and qtype != rtype:
            continue
        if rtype == "A":
            sys.stdout.write(f"{name} has address {value}\n")
        elif rtype == "AAAA":
            sys.stdout.write(f"{name} has IPv6 address {value}\n")
        elif rtype == "MX":
            sys.stdout.write(f"{name} mail is handled by {value}\n")
        shown += 1
    if not shown:
        sys.stdout.write(f"{name} has no {qtype} record\n")
    return 0
