"""ping(8) [SRC sbin/ping/ping.c]: replies decided by :func:`freebsd_testbed.net.ping_path`."""
from __future__ import annotations

import ipaddress
import math
import os
import random
import sys

from .. import hoststate, net
from ._common import UsageError, getopt, progname

USAGE = ("usage: ping [-4AaDdfHnoQqRrv] [-C pcp] [-c count] [-G sweepmaxsize]\n"
         "\t    [-g sweepminsize] [-h sweepincrsize] [-i wait] [-l preload]\n"
         "\t    [-M mask | time] [-m ttl] [-P policy] [-p pattern] [-S src_addr]\n"
         "\t    [-s packetsize] [-t timeout] [-W waittime] [-z tos] IPv4-host\n"
         "       ping [-4AaDdfHLnoQqRrv] [-C pcp] [-c count] [-I iface] [-i wait]\n"
         "\t    [-l preload] [-M mask | time] [-m ttl] [-P policy] [-p pattern]\n"
         "\t    [-S src_addr] [-s packetsize] [-T ttl] [-t timeout] [-W waittime]\n"
         "\t    [-z tos] IPv4-mcast-group\n")

KNOWN = {"localhost": "127.0.0.1", "google.com": "142.251.47.174", "www.google.com": "142.251.47.174",
         "freebsd.org": "96.47.72.84", "www.freebsd.org": "96.47.72.84", "dns.google": "8.8.8.8",
         "one.one.one.one": "1.1.1.1", "pkg.freebsd.org": "199.232.106.132"}


def resolve(name: str) -> str | None:
    try:
        ipaddress.IPv4Address(name)
        return name
    except ValueError:
        pass
    try:
        with open(hoststate.hostpath("/etc/hosts"), encoding="utf-8") as f:
            for line in f:
                parts = line.split("#")[0].split()
                if len(parts) > 1 and name in parts[1:]:
                    try:
                        ipaddress.IPv4Address(parts[0])
                        return parts[0]
                    except ValueError:
                        continue
    except OSError:
        pass
    return KNOWN.get(name.lower().rstrip("."))


def main(argv: list[str]) -> int:
    prog = progname(argv, "ping")
    try:
        opts, rest = getopt(prog, argv[1:], "46AaC:c:DdfG:g:Hh:I:i:Ll:M:m:noP:p:QqRrS:s:T:t:vW:z:")
    except UsageError:
        sys.stderr.write(USAGE)
        return 64
    o = dict(opts)
    if len(rest) != 1:
        sys.stderr.write(USAGE)
        return 64
    count = None
    if "c" in o:
        try:
            count = int(o["c"])
            if count <= 0:
                raise ValueError
        except ValueError:
            sys.stderr.write(f"{prog}: invalid count of packets to transmit: `{o['c']}'\n")
            return 64
    timeout = None
    if "t" in o:
        try:
            timeout = int(o["t"])
        except ValueError:
            sys.stderr.write(f"{prog}: invalid timeout: `{o['t']}'\n")
            return 64
    size = int(o.get("s", 56)) if o.get("s", "56").isdigit() else 56
    quiet = "q" in o
    target = rest[0]
    jail = os.environ.get("TESTBED_JAIL")
    with hoststate.locked(write=False) as st:
        rt = st.runtime
        vn = net.current_vnet(rt)
        if not net.raw_sockets_allowed(rt, jail):
            sys.stderr.write(f"{prog}: ssend socket: Operation not permitted\n")
            return 71
        addr = resolve(target)
        if addr is None:
            sys.stderr.write(f"{prog}: cannot resolve {target}: Unknown host\n")
            return 68
        path = net.ping_path(rt, vn, addr, "icmp", None, o.get("S"))
    if count is None:
        count = timeout if timeout else 5  # no -c: stop as if interrupted (simulation)
    if timeout is not None:
        count = min(count, max(timeout, 1))
    out = [f"PING {target if target == addr else target} ({addr}): {size} data bytes\n"]
    if target != addr:
        out[0] = f"PING {target} ({addr}): {size} data bytes\n"
    err = []
    times = []
    rnd = random.Random()
    for seq in range(count):
        if path["error"]:
            err.append(f"{prog}: sendto: {path['error']}\n")
            continue
        if path["ok"]:
            base = path["rtt"] if path["rtt"] > 0 else 0.05
            t = base * (0.85 + 0.3 * rnd.random()) + (0.06 if base < 1 else 0)
            times.append(t)
            if not quiet:
                out.append(f"{size + 8} bytes from {addr}: icmp_seq={seq} ttl={path['ttl']} time={t:.3f} ms\n")
    recv = len(times)
    out.append(f"\n--- {target} ping statistics ---\n")
    loss = (count - recv) * 100.0 / count
    out.append(f"{count} packets transmitted, {recv} packets received, {loss:.1f}% packet loss\n")
    if recv:
        avg = sum(times) / recv
        sd = math.sqrt(max(sum(t * t for t in times) / recv - avg * avg, 0.0))
        out.append(f"round-trip min/avg/max/stddev = {min(times):.3f}/{avg:.3f}/{max(times):.3f}/{sd:.3f} ms\n")
    # ping writes the header first, the errors as they happen, the statistics last
    sys.stdout.write(out[0])
    sys.stdout.flush()
    sys.stderr.write("".join(err))
    sys.stderr.flush()
    sys.stdout.write("".join(out[1:]))
    return 0 if recv else 2
