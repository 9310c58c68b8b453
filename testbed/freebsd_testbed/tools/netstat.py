"""netstat(1) -r / -i [SRC usr.bin/netstat/route.c, route_netlink.c, if.c]."""
from __future__ import annotations

import sys

from .. import hoststate, net
from ._common import UsageError, getopt, progname

USAGE = ("usage: netstat [-46AaLnRSTWx] [-f protocol_family | -p protocol]\n"
         "               [-M core] [-N system]\n")


def _routes(rt, vn, fam: str | None) -> str:
    out = ["Routing tables\n"]
    r4 = net.routes(rt, vn)
    if fam in (None, "inet") and r4:
        out.append("\nInternet:\n")
        out.append("%-18.18s %-18.18s %-6.6s %8.8s %6s\n" % ("Destination", "Gateway", "Flags", "Netif", "Expire"))
        for r in r4:
            d = "default" if r["plen"] == 0 else (r["dst"] if r["plen"] == 32 else f"{r['dst']}/{r['plen']}")
            out.append("%-18s %-18s %-6s %8.8s\n" % (d, r["gw"], r["flags"], r["ifname"]))
    r6 = net.routes6(rt, vn)
    if fam in (None, "inet6") and r6:
        out.append("\nInternet6:\n")
        out.append("%-33.33s %-29.29s %-6.6s %8.8s %6s\n" % ("Destination", "Gateway", "Flags", "Netif", "Expire"))
        for r in r6:
            out.append("%-33s %-29s %-6s %8.8s\n" % (r["dst"], r["gw"], r["flags"], r["ifname"]))
    return "".join(out)


def _ifaces(rt, vn) -> str:
    out = ["%-5.5s %5.5s %-13.13s %-17.17s %8.8s %5.5s %5.5s %8.8s %5.5s %5.5s %4.4s\n" % (
        "Name", "Mtu", "Network", "Address", "Ipkts", "Ierrs", "Idrop", "Opkts", "Oerrs", "Coll", "")]
    out[0] = "Name      Mtu Network            Address                   Ipkts Ierrs Idrop    Opkts Oerrs  Coll\n"
    for i in net.ifaces(rt, vn):
        link = f"<Link#{i['index']}>"
        out.append("%-5.5s %5d %-18s %-18s %13d %5d %5d %8d %5d %5d\n" % (
            i["name"], i["mtu"], link, i.get("mac") or "lo0", 0, 0, 0, 0, 0, 0))
        for a, p in i["inet"]:
            n = net._net(a, p)
            out.append("%-5.5s     - %-18s %-18s %13d     - %5s %8d     - %5s\n" % (
                i["name"], f"{n.network_address}/{p}", a, 0, "-", 0, "-"))
    return "".join(out)


def main(argv: list[str]) -> int:
    prog = progname(argv, "netstat")
    try:
        opts, rest = getopt(prog, argv[1:], "46AaBbdF:f:ghI:iLlM:mN:nogp:PqQRrSsTtuWwxz")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    o = {c: a for c, a in opts}
    fam = o.get("f")
    if "4" in o:
        fam = "inet"
    if "6" in o:
        fam = "inet6"
    if fam is not None and fam not in ("inet", "inet6", "link"):
        sys.stderr.write(f"{prog}: {fam}: unknown address family\n")
        return 1
    with hoststate.locked() as st:
        rt = st.runtime
        vn = net.current_vnet(rt)
        if "r" in o:
            sys.stdout.write(_routes(rt, vn, fam))
            return 0
        if "i" in o:
            sys.stdout.write(_ifaces(rt, vn))
            return 0
    sys.stdout.write("Active Internet connections\nProto Recv-Q Send-Q Local Address          Foreign Address        (state)    \n")
    return 0
