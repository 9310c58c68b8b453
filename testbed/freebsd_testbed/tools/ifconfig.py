"""ifconfig(8) [SRC sbin/ifconfig/{ifconfig.c,ifclone.c,ifbridge.c,af_inet.c}] over :mod:`net`."""
from __future__ import annotations

import errno
import ipaddress
import os
import sys
from typing import Any

from .. import hoststate, net
from ._common import UsageError, getopt, progname, strerror

USAGE = (
    "usage: ifconfig [-j jail] [-f type:format] %s [create] [address_family]\n"
    "                [address [dest_address]] [parameters]\n"
    "       ifconfig [-j jail] interface create\n"
    "       ifconfig [-j jail] -a [-dkLmuv] [-f type:format] [-G groupname]\n"
    "                [-g groupname] [address_family]\n"
    "       ifconfig -C\n"
    "       ifconfig [-j jail] -g groupname\n"
    "       ifconfig [-j jail] -l [-du] [-g groupname] [address_family]\n"
    "       ifconfig [-j jail] [-dkLmuv] [-f type:format]\n"
) % "interface"

ONEARG = {"netmask", "broadcast", "mtu", "description", "descr", "name", "vnet", "-vnet", "addm",
          "deletem", "group", "-group", "metric", "stp", "-stp", "learn", "-learn", "discover",
          "-discover", "edge", "-edge", "autoedge", "-autoedge", "ptp", "-ptp", "autoptp", "-autoptp",
          "sticky", "-sticky", "private", "-private", "span", "-span", "maxaddr", "timeout",
          "priority", "hellotime", "fwddelay", "maxage", "holdcnt", "proto", "fib", "ether", "lladdr",
          "link", "prefixlen"}
TWOARG = {"ifpriority", "ifpathcost", "ifmaxaddr"}
NOARG = {"up", "down", "alias", "-alias", "add", "delete", "remove", "-description", "-descr",
         "promisc", "-promisc", "monitor", "-monitor", "debug", "-debug", "flush", "flushall",
         "addr", "-arp", "arp", "rxcsum", "-rxcsum", "txcsum", "-txcsum", "tso", "-tso", "lro",
         "-lro", "vlanmtu", "-vlanmtu", "vlanhwtag", "-vlanhwtag", "staticarp", "-staticarp",
         "accept_rtadv", "-accept_rtadv", "auto_linklocal", "-auto_linklocal", "ifdisabled",
         "-ifdisabled", "create", "plumb", "destroy", "unplumb", "inet", "inet6", "ether", "link"}
MEMBER_FLAG = {"stp": 0x4, "learn": 0x1, "discover": 0x2, "edge": 0x20, "autoedge": 0x40,
               "ptp": 0x80, "autoptp": 0x100, "sticky": 0x10, "private": 0x200}


class Fail(Exception):
    def __init__(self, msg: str, code: int = 1):
        super().__init__(msg)
        self.code = code


def _err(msg: str, e: net.NetError) -> Fail:
    return Fail(f"{msg}: {strerror(e.errno)}")


def _parse_inet(word: str) -> tuple[str, int | None]:
    addr, _, plen = word.partition("/")
    try:
        ipaddress.IPv4Address(addr)
    except ValueError:
        raise Fail(f"{word}: bad value") from None
    if plen:
        if not plen.isdigit() or int(plen) > 32:
            raise Fail(f"{word}: bad value")
        return addr, int(plen)
    return addr, None


def _mask_len(m: str) -> int:
    try:
        if m.lower().startswith("0x"):
            v = int(m, 16)
        else:
            v = int(ipaddress.IPv4Address(m))
    except ValueError:
        raise Fail(f"{m}: bad value") from None
    s = bin(v)[2:].zfill(32)
    return s.count("1") if "01" not in s else s.index("0")


def _classful(addr: str) -> int:
    first = int(addr.split(".")[0])
    return 8 if first < 128 else 16 if first < 192 else 24


def _exists_msg(name: str) -> str:
    return f"interface {name} does not exist"


def apply(st: Any, vn: str, ifname: str, args: list[str], errors: list[str] | None = None,
          out: list[str] | None = None) -> None:
    """Run ``ifconfig IFNAME ARGS...`` in vnet ``vn``.  Raises :class:`Fail` on the first
    fatal error, unless ``errors`` is given (boot): then the message is appended and we stop."""
    try:
        _apply(st, vn, ifname, args, out if out is not None else [])
    except Fail as f:
        if errors is None:
            raise
        errors.append(f"ifconfig: {f}")


def _apply(st: Any, vn: str, ifname: str, args: list[str], out: list[str]) -> None:
    rt = st if isinstance(st, dict) else st.runtime
    name = ifname
    i = net.find(rt, name, vn)
    k = 0
    # create/destroy come first (ifconfig.c handles them before the interface must exist)
    if args and args[0] in ("create", "plumb"):
        if i is not None:
            raise Fail(f"interface {name} already exists")
        if net.split_clone(name) is None:
            raise Fail("SIOCIFCREATE2 (%s): Invalid argument" % name)
        try:
            newname = net.create(rt, vn, name)
        except net.NetError as e:
            raise Fail(f"SIOCIFCREATE2 ({name}): {strerror(e.errno)}") from None
        if newname != name:
            out.append(newname + "\n")
        name = newname
        i = net.find(rt, name, vn)
        k = 1
    elif args and args[0] in ("destroy", "unplumb"):
        if i is None:
            raise Fail(_exists_msg(name))
        try:
            net.destroy(rt, vn, name)
        except net.NetError as e:
            raise Fail(f"SIOCIFDESTROY: {strerror(e.errno)}") from None
        return
    if i is None:
        if args and args[0] == "-vnet" and len(args) > 1:
            pass
        else:
            raise Fail(_exists_msg(name))
    af = "inet"
    pending: dict[str, Any] = {}
    alias = None
    delete = False
    while k < len(args):
        w = args[k]
        k += 1

        def arg() -> str:
            nonlocal k
            if k >= len(args):
                raise Fail(f"'{w}' requires argument")
            k += 1
            return args[k - 1]

        if w in ("inet", "inet6", "link", "ether", "lladdr") and w not in ("ether", "lladdr"):
            af = w
            continue
        if w == "up":
            i["up"] = True
        elif w == "down":
            i["up"] = False
        elif w in ("alias", "add"):
            alias = True
        elif w in ("-alias", "delete", "remove"):
            delete = True
        elif w == "netmask":
            pending["plen"] = _mask_len(arg())
        elif w == "prefixlen":
            v = arg()
            pending["plen"] = int(v) if v.isdigit() else 64
        elif w == "broadcast":
            arg()
        elif w == "mtu":
            v = arg()
            if not v.isdigit() or not 72 <= int(v) <= 65535 or (i["kind"] != "loop" and int(v) > 9000):
                raise Fail("ioctl SIOCSIFMTU (set mtu): Invalid argument")
            i["mtu"] = int(v)
        elif w in ("description", "descr"):
            i["descr"] = arg() or None
        elif w in ("-description", "-descr"):
            i["descr"] = None
        elif w == "name":
            new = arg()
            if net.find(rt, new, vn) is not None:
                raise Fail("ioctl SIOCSIFNAME (set name): File exists")
            v = net.vnets(rt)[vn]["ifaces"]
            v[new] = v.pop(i["name"])
            old = i["name"]
            i["name"] = new
            for _, x in net._all(rt):
                if x.get("peer") == old:
                    x["peer"] = new
                if x.get("member_of") == old:
                    x["member_of"] = new
                for m in x.get("members", []):
                    if m["ifname"] == old:
                        m["ifname"] = new
            for r in net.vnets(rt)[vn]["routes"]:
                if r.get("ifname") == old:
                    r["ifname"] = new
            out.append(new + "\n")
            name = new
        elif w in ("vnet", "-vnet"):
            jail = arg()
            target = _jail_vnet(rt, jail)
            if target is None:
                raise Fail(f'jail "{jail}" not found')
            try:
                if w == "vnet":
                    net.move_interface(rt, name, target, from_vnet=vn)
                else:
                    net.move_interface(rt, name, vn, from_vnet=target)
            except net.NetError as e:
                if e.errno == errno.ENXIO:
                    raise Fail(_exists_msg(name)) from None
                op = "SIOCSIFVNET" if w == "vnet" else "SIOCSIFRVNET"
                raise Fail(f"{op}: {strerror(e.errno)}") from None
            return
        elif w in ("addm", "deletem"):
            m = arg()
            if i["kind"] != "bridge":
                raise Fail(f"BRDG{'ADD' if w == 'addm' else 'DEL'} {m}: Invalid argument")
            try:
                (net.bridge_add if w == "addm" else net.bridge_del)(rt, vn, i, m)
            except net.NetError as e:
                raise Fail(f"BRDG{'ADD' if w == 'addm' else 'DEL'} {m}: {strerror(e.errno)}") from None
        elif w.lstrip("-") in MEMBER_FLAG:
            m = arg()
            if i["kind"] != "bridge":
                raise Fail("unable to get bridge flags")
            mm = next((x for x in i["members"] if x["ifname"] == m), None)
            if mm is None:
                raise Fail("unable to get bridge flags")
            bit = MEMBER_FLAG[w.lstrip("-")]
            mm["flags"] = mm["flags"] & ~bit if w.startswith("-") else mm["flags"] | bit
        elif w in ("ifpriority", "ifpathcost", "ifmaxaddr"):
            # ifbridge.c setbridge_ifpriority/ifpathcost/ifmaxaddr: get_val (strtoul base 0)
            # and a range check -> "invalid value: V"; the ioctl's errno -> "BRDGSIF... V"
            m, v = arg(), arg()
            val = _get_val(v)
            limit = {"ifpriority": 0xff, "ifpathcost": 0xffffffff, "ifmaxaddr": 0xffffffff}[w]
            if val is None or val > limit:
                raise Fail(f"invalid value: {v}")
            op = {"ifpriority": "BRDGSIFPRIO", "ifpathcost": "BRDGSIFCOST",
                  "ifmaxaddr": "BRDGSIFAMAX"}[w]
            mm = next((x for x in i.get("members", []) if x["ifname"] == m), None)
            if i["kind"] != "bridge":
                raise Fail(f"{op} {v}: Invalid argument")
            if mm is None:
                raise Fail(f"{op} {v}: No such file or directory")
            if w == "ifpriority":
                if val > 240:                  # bstp_set_port_priority: BSTP_MAX_PORT_PRIORITY
                    raise Fail(f"{op} {v}: Invalid argument")
                mm["priority"] = val - val % 16   # ... in steps of 16
            elif w == "ifpathcost":
                if val > 200000000:            # bstp_set_path_cost: BSTP_MAX_PATH_COST
                    raise Fail(f"{op} {v}: Invalid argument")
                mm["cost"] = val if val else 2000
            else:
                mm["maxaddr"] = val
        elif w in ("priority", "hellotime", "fwddelay", "maxage", "holdcnt", "maxaddr", "timeout",
                   "proto") and i["kind"] == "bridge":
            _bridge_param(i, w, arg())
        elif w in ("group", "-group"):
            g = arg()
            if w == "group" and g not in i["groups"]:
                i["groups"].append(g)
            elif w == "-group" and g in i["groups"]:
                i["groups"].remove(g)
        elif w in ONEARG:
            arg()
        elif w in TWOARG:
            arg()
            arg()
        elif w in NOARG:
            pass
        else:
            if af == "inet6":
                a, _, p = w.partition("/")
                try:
                    ipaddress.IPv6Address(a.split("%")[0])
                except ValueError:
                    raise Fail(f"{w}: bad value") from None
                pending["addr6"] = a
                if p:
                    pending["plen"] = int(p)
            elif af == "inet":
                a, p = _parse_inet(w)
                pending["addr"] = a
                if p is not None:
                    pending["plen"] = p
            else:
                pending["lladdr"] = w
    if "addr" in pending:
        addr = pending["addr"]
        if delete:
            try:
                net.del_inet(rt, i, addr)
            except net.NetError as e:
                raise Fail(f"ioctl (SIOCDIFADDR): {strerror(e.errno)}") from None
        else:
            plen = pending.get("plen")
            if plen is None:
                existing = next((p for a, p in i["inet"] if a == addr), None)
                plen = existing if existing is not None else _classful(addr)
            if i["kind"] == "loop" and plen == 32 and addr.startswith("127."):
                plen = 8 if addr == "127.0.0.1" and pending.get("plen") is None else plen
            try:
                net.add_inet(rt, vn, i, addr, plen, bool(alias))
            except net.NetError as e:
                raise Fail(f"ioctl (SIOCAIFADDR): {strerror(e.errno)}") from None
    elif "addr6" in pending:
        a = pending["addr6"]
        if delete:
            i["inet6"] = [x for x in i["inet6"] if x[0] != a]
        else:
            try:
                net.add_inet6(rt, i, a, pending.get("plen", 64))
            except net.NetError as e:
                raise Fail(f"ioctl (SIOCAIFADDR_IN6): {strerror(e.errno)}") from None
    elif delete and af == "inet" and "addr" not in pending:
        try:
            net.del_inet(rt, i, None)
        except net.NetError as e:
            raise Fail(f"ioctl (SIOCDIFADDR): {strerror(e.errno)}") from None


def _get_val(v: str) -> int | None:
    """ifbridge.c get_val: strtoul(cp, &end, 0) with the whole string used."""
    try:
        if v.lower().startswith("0x"):
            return int(v[2:], 16) if v[2:] else None
        if len(v) > 1 and v.startswith("0"):
            return int(v, 8)
        return int(v, 10) if v.isdigit() else None
    except ValueError:
        return None


# bridge parameter -> (ifconfig's range mask, ioctl name, kernel's valid range or None)
# [SRC sbin/ifconfig/ifbridge.c setbridge_*; sys/net/bridgestp.c bstp_set_*]
_BRIDGE_PARAMS = {
    "priority": (0xffff, "BRDGSPRI", (0, 61440)),
    "hellotime": (0xff, "BRDGSHT", (1, 2)),
    "fwddelay": (0xff, "BRDGSFD", (4, 30)),
    "maxage": (0xff, "BRDGSMA", (6, 40)),
    "holdcnt": (0xff, "BRDGSTXHC", (1, 10)),
    "maxaddr": (0xffffffff, "BRDGSCACHE", None),
    "timeout": (0xffffffff, "BRDGSTO", None),
}


def _bridge_param(i: dict[str, Any], w: str, v: str) -> None:
    bp = i.setdefault("bparams", {})
    if w == "proto":
        p = v.lower()
        if p not in ("stp", "rstp"):
            raise Fail("unknown stp protocol")
        bp["proto"] = p
        return
    mask, op, rng = _BRIDGE_PARAMS[w]
    val = _get_val(v)
    if val is None or val & ~mask:
        raise Fail(f"invalid value: {v}")
    if rng is not None and not rng[0] <= val <= rng[1]:
        raise Fail(f"{op} {v}: Invalid argument")
    if w == "priority":
        val -= val % 4096           # bstp_set_priority: "Limit to steps of 4096"
    bp[w] = val


def _jail_vnet(rt: dict[str, Any], jail: str) -> str | None:
    if jail in net.vnets(rt) and jail != net.HOST:
        return jail
    jails = rt.get("jails") or {}
    items = jails.values() if isinstance(jails, dict) else jails
    for j in items:
        if str(j.get("jid")) == jail or str(j.get("name")) == jail:
            n = str(j.get("name"))
            if n in net.vnets(rt):
                return n
    return None


def _matches_af(i: dict[str, Any], af: str | None) -> bool:
    if af is None:
        return True
    if af == "inet":
        return bool(i["inet"])
    if af == "inet6":
        return bool(i["inet6"])
    if af in ("ether", "link"):
        return i.get("mac") is not None
    return False


def main(argv: list[str]) -> int:
    prog = progname(argv, "ifconfig")
    args = argv[1:]
    try:
        opts, rest = getopt(prog, args, "adf:G:g:j:klLmnuvC")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    o = {c: a for c, a in opts}
    jail = o.get("j")
    out: list[str] = []
    with hoststate.locked() as st:
        rt = st.runtime
        net.get(rt)
        vn = net.current_vnet(rt)
        if jail is not None:
            t = _jail_vnet(rt, jail)
            if t is None:
                sys.stderr.write(f'{prog}: jail "{jail}" not found\n')
                return 1
            vn = t
        cidr = "inet:cidr" in (o.get("f") or os.environ.get("IFCONFIG_FORMAT", ""))
        listing = "a" in o or "l" in o or not rest or ("g" in o and not rest)
        if "C" in o:
            sys.stdout.write("bridge epair lo\n")  # [UNCONFIRMED] cloner list order
            return 0
        if listing and not ("l" not in o and "a" not in o and "g" in o and not rest and False):
            af = rest[0] if rest else None
            if af is not None and af not in ("inet", "inet6", "ether", "link"):
                sys.stderr.write(USAGE)
                return 1
            sel = []
            for i in net.ifaces(rt, vn):
                if "u" in o and not i["up"]:
                    continue
                if "d" in o and i["up"]:
                    continue
                if "g" in o and o["g"] not in i["groups"]:
                    continue
                if "G" in o and o["G"] in i["groups"]:
                    continue
                if not _matches_af(i, af):
                    continue
                sel.append(i)
            if "l" in o:
                out.append(" ".join(i["name"] for i in sel) + "\n")
            elif "g" in o and "a" not in o:
                out.extend(i["name"] + "\n" for i in sel)
            else:
                out.extend(net.status(rt, i, cidr) for i in sel)
            sys.stdout.write("".join(out))
            return 0
        ifname = rest[0]
        params = rest[1:]
        if not params:
            i = net.find(rt, ifname, vn)
            if i is None:
                sys.stderr.write(f"{prog}: interface {ifname} does not exist\n")
                return 1
            sys.stdout.write(net.status(rt, i, cidr))
            return 0
        if params[0] in ("inet", "inet6", "ether", "link") and len(params) == 1:
            i = net.find(rt, ifname, vn)
            if i is None:
                sys.stderr.write(f"{prog}: interface {ifname} does not exist\n")
                return 1
            sys.stdout.write(net.status(rt, i, cidr))
            return 0
        if vn != net.HOST and os.environ.get("TESTBED_JAIL") and jail is None and \
                vn != os.environ.get("TESTBED_JAIL"):
            pass
        try:
            apply(rt, vn, ifname, params, out=out)
        except Fail as f:
            sys.stdout.write("".join(out))
            sys.stderr.write(f"{prog}: {f}\n")
            return f.code
    sys.stdout.write("".join(out))
    return 0
