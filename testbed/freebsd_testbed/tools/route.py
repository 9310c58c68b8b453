"""route(8) [SRC sbin/route/route.c, route_netlink.c] over :mod:`freebsd_testbed.net`."""
from __future__ import annotations

import ipaddress
import sys

from .. import hoststate, net
from ._common import progname

USAGE = "usage: route [-46dnqtv] command [[modifiers] args]\n"
FLAGNAMES = {"U": "UP", "G": "GATEWAY", "H": "HOST", "S": "STATIC"}


def _get(rt, vn, dest) -> str:
    try:
        addr = ipaddress.IPv4Address(dest if dest != "default" else "0.0.0.0")
    except ValueError:
        return ""
    r = net.lookup(rt, vn, str(addr))
    if r is None:
        return ""
    i = net.find(rt, r["ifname"], vn)
    names = [FLAGNAMES[c] for c in "UGHS" if c in r["flags"]]
    names.insert(len([n for n in names if n in ("UP", "GATEWAY", "HOST")]), "DONE")
    d = "default" if r["plen"] == 0 else r["dst"]
    lines = [f"   route to: {dest}\n", f"destination: {d}\n"]
    if r["plen"] != 32:
        m = "default" if r["plen"] == 0 else str(ipaddress.IPv4Network(f"0.0.0.0/{r['plen']}").netmask)
        lines.append(f"       mask: {m}\n")
    if not r["gw"].startswith("link#"):
        lines.append(f"    gateway: {r['gw']}\n")
    lines += ["        fib: 0\n", f"  interface: {r['ifname']}\n",
              f"      flags: <{','.join(names)}>\n",
              " recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n",
              "       0         0         0         0      %4d         1         0 \n" % (i["mtu"] if i else 1500)]
    return "".join(lines)


def main(argv: list[str]) -> int:
    prog = progname(argv, "route")
    args = argv[1:]
    qflag = False
    while args and args[0].startswith("-") and len(args[0]) > 1 and args[0] not in ("-net", "-host"):
        for c in args[0][1:]:
            if c == "q":
                qflag = True
            elif c not in "46dntv":
                sys.stderr.write(f"{prog}: illegal option -- {c}\n" + USAGE)
                return 1
        args = args[1:]
    if not args:
        sys.stderr.write(USAGE)
        return 1
    cmd, rest = args[0], args[1:]
    with hoststate.locked() as st:
        rt = st.runtime
        vn = net.current_vnet(rt)
        if cmd == "show":
            cmd = "get"
        if cmd == "get":
            if not rest:
                sys.stderr.write(USAGE)
                return 1
            text = _get(rt, vn, rest[-1])
            if not text:
                sys.stderr.write(f"{prog}: route has not been found\n")
                return 1
            sys.stdout.write(text)
            return 0
        if cmd == "flush":
            net.vnet(rt, vn)["routes"] = []
            return 0
        if cmd not in ("add", "delete", "change"):
            sys.stderr.write(f"{prog}: {cmd}: invalid command\n" if False else USAGE)
            return 1
        host = isnet = False
        iface = None
        pos: list[str] = []
        k = 0
        while k < len(rest):
            w = rest[k]
            if w in ("-host",):
                host = True
            elif w == "-net":
                isnet = True
            elif w in ("-interface", "-iface"):
                pass
            elif w == "-ifp" and k + 1 < len(rest):
                iface = rest[k + 1]
                k += 1
            elif w == "-netmask" and k + 1 < len(rest):
                pos[0] = pos[0] + "/" + str(ipaddress.IPv4Network(f"0.0.0.0/{rest[k + 1]}").prefixlen)
                k += 1
            elif w in ("-inet",):
                pass
            else:
                pos.append(w)
            k += 1
        if not pos or (cmd == "add" and len(pos) < 2):
            sys.stderr.write(USAGE)
            return 1
        dest = pos[0]
        gw = pos[1] if len(pos) > 1 else ""
        try:
            dst, plen = net.parse_dest(dest)
        except ValueError:
            sys.stderr.write(f"{prog}: bad address: {dest}\n")
            return 1
        kind = "host" if host or (plen == 32 and "/" not in dest and not isnet) else "net"
        shown = dest
        line = f"{cmd} {kind} {shown}" + (f": gateway {gw}" if gw else "")
        try:
            if cmd == "delete":
                net.route_delete(rt, vn, dest, host=kind == "host")
            elif cmd == "change":
                net.route_delete(rt, vn, dest, host=kind == "host")
                net.route_add(rt, vn, dest, gw, host=kind == "host", iface=iface)
            else:
                try:
                    ipaddress.IPv4Address(gw)
                except ValueError:
                    sys.stderr.write(f"{prog}: bad address: {gw}\n")
                    return 1
                net.route_add(rt, vn, dest, gw, host=kind == "host", iface=iface)
        except net.NetError as e:
            import errno as _e
            if e.errno == _e.ESRCH:
                sys.stderr.write(f"{prog}: route has not been found\n")
                msg = "not in table"
            elif e.errno == _e.EEXIST:
                msg = "route already in table"
            else:
                msg = "Network is unreachable"
            if not qflag:
                sys.stdout.write(f"{line}: {msg}\n")
            return 1
        if not qflag:
            sys.stdout.write(line + "\n")
    return 0
