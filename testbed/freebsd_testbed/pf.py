"""pf(4) model: pf.conf parser, pfctl-style normalizer/printer, ruleset optimizer, evaluator.

Modelled on FreeBSD's sbin/pfctl (parse.y, pfctl_parser.c print_rule/print_pool/print_status,
pfctl_optimize.c) and pf.conf(5).

Runtime state (``runtime["pf"]``, lost on reboot), one entry per VNET (``"host"`` for the host,
a jail name for a VNET jail)::

    {"host": {"enabled": bool, "since": epoch|0, "debug": "Urgent",
              "anchors": {"": {"filter": [rule...], "nat": [...], "rdr": [...], "binat": [...],
                               "scrub": [...]}, "<path>": {...}},
              "tables": {"<anchor>": {"<name>": {"flags": [...], "addrs": [...]}}},
              "options": {"skip": [...], "block_policy": "drop", ...}}}

A rule is a JSON-friendly dict (see :func:`_new_rule`); ``text`` holds its normalized form.

Evaluator (used by ping/psql/fetch and the SSH gate)::

    allows(st, vnet, iface, direction, proto, src, dst, sport=None, dport=None) -> bool
    ssh_allowed(st, client_ip="192.168.1.100", host_ip="192.168.1.10", port=22,
                iface="vtnet0", vnet="host") -> bool

Semantics: pf disabled (or pf.ko not loaded) -> pass.  Interfaces in ``set skip`` -> pass.
Otherwise the last matching filter rule decides, a matching ``quick`` rule ends evaluation;
no match -> pass.  Only the packet that creates state is evaluated (stateful replies pass).

Bridges (if_bridge(4)): where PF sees bridged frames (member in/out, bridge in/out, local
delivery) is decided by the network model with FreeBSD 15.0's pfil sysctls; see
net.bridge_filter_points.
"""
from __future__ import annotations

import ipaddress
import itertools
import os
import time
from typing import Any, Callable, Optional

from . import hoststate

# ----------------------------------------------------------------------------------------
# static tables

PROTOCOLS = {
    "ip": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "tcp": 6, "egp": 8, "pup": 12,
    "udp": 17, "idp": 22, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46,
    "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58, "icmp6": 58, "ipv6-nonxt": 59,
    "ipv6-opts": 60, "eigrp": 88, "ospf": 89, "ipip": 94, "etherip": 97, "pim": 103,
    "ipcomp": 108, "vrrp": 112, "carp": 112, "l2tp": 115, "sctp": 132, "udplite": 136,
    "pfsync": 240, "divert": 258,
}
PROTO_NAMES = {0: "ip", 1: "icmp", 2: "igmp", 3: "ggp", 4: "ipencap", 6: "tcp", 8: "egp",
               12: "pup", 17: "udp", 22: "idp", 41: "ipv6", 43: "ipv6-route", 44: "ipv6-frag",
               46: "rsvp", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 59: "ipv6-nonxt",
               60: "ipv6-opts", 88: "eigrp", 89: "ospf", 94: "ipip", 97: "etherip", 103: "pim",
               108: "ipcomp", 112: "carp", 115: "l2tp", 132: "sctp", 136: "udplite",
               240: "pfsync"}

# A subset of FreeBSD's /etc/services, in file order (getservbyport returns the first entry).
_SERVICES_BUILTIN = """
echo 7/tcp
echo 7/udp
discard 9/tcp sink null
discard 9/udp sink null
systat 11/tcp users
daytime 13/tcp
daytime 13/udp
qotd 17/tcp quote
chargen 19/tcp ttytst source
chargen 19/udp ttytst source
ftp-data 20/tcp
ftp 21/tcp
ssh 22/tcp
ssh 22/udp
telnet 23/tcp
smtp 25/tcp mail
time 37/tcp
time 37/udp
domain 53/tcp
domain 53/udp
bootps 67/udp
bootpc 68/udp
tftp 69/udp
gopher 70/tcp
finger 79/tcp
http 80/tcp www www-http
http 80/udp www www-http
kerberos 88/tcp
kerberos 88/udp
pop3 110/tcp
sunrpc 111/tcp rpcbind
sunrpc 111/udp rpcbind
auth 113/tcp ident
nntp 119/tcp
ntp 123/tcp
ntp 123/udp
netbios-ns 137/udp
netbios-dgm 138/udp
netbios-ssn 139/tcp
imap 143/tcp imap2 imap4
snmp 161/udp
snmptrap 162/udp
bgp 179/tcp
ldap 389/tcp
ldap 389/udp
https 443/tcp
https 443/udp
microsoft-ds 445/tcp
isakmp 500/udp
syslog 514/udp
submission 587/tcp
ldaps 636/tcp
rsync 873/tcp
imaps 993/tcp
pop3s 995/tcp
openvpn 1194/tcp
openvpn 1194/udp
ms-sql-s 1433/tcp
radius 1812/udp
nfsd 2049/tcp nfs
nfsd 2049/udp nfs
mysql 3306/tcp
mysql 3306/udp
rdp 3389/tcp
svn 3690/tcp
sip 5060/tcp
sip 5060/udp
xmpp-client 5222/tcp
postgresql 5432/tcp
postgresql 5432/udp
x11 6000/tcp
http-alt 8080/tcp
http-alt 8080/udp
pip 1321/tcp
pip 1321/udp
personal-agent 5555/tcp
personal-agent 5555/udp
ircd 6667/tcp
irc 194/tcp
irc 194/udp
imap3 220/tcp
ldp 646/tcp
submissions 465/tcp
nfsd-status 1110/tcp
socks 1080/tcp
socks 1080/udp
ftp-data 20/udp
ftp 21/udp
telnet 23/udp
smtp 25/udp mail
pop3 110/udp
imap 143/udp imap2 imap4
auth 113/udp ident
nntp 119/udp
bgp 179/udp
"""


def _load_services() -> list[tuple[str, int, str, list[str]]]:
    text = None
    try:
        with open(hoststate.hostpath("/etc/services"), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except (OSError, ValueError):
        pass
    # The host's /etc/services first, then the stock FreeBSD entries it may lack (the testbed
    # ships a short /etc/services; real pfctl resolves names via getservbyname(3)).
    text = (text or "") + "\n" + _SERVICES_BUILTIN
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].split()
        if len(line) < 2 or "/" not in line[1]:
            continue
        port, _, proto = line[1].partition("/")
        if not port.isdigit():
            continue
        out.append((line[0], int(port), proto, line[2:]))
    return out


def getservbyport(port: int, proto: str) -> Optional[str]:
    for name, p, pr, _ in _load_services():
        if p == port and pr == proto:
            return name
    return None


def getservbyname(name: str, proto: str) -> Optional[int]:
    for n, p, pr, aliases in _load_services():
        if pr == proto and (n == name or name in aliases):
            return p
    return None


ICMP_TYPES = {"echoreq": 8, "echorep": 0, "unreach": 3, "squench": 4, "redir": 5, "althost": 6,
              "routeradv": 9, "routersol": 10, "timex": 11, "paramprob": 12, "timereq": 13,
              "timerep": 14, "inforeq": 15, "inforep": 16, "maskreq": 17, "maskrep": 18,
              "trace": 30}
ICMP6_TYPES = {"unreach": 1, "toobig": 2, "timex": 3, "paramprob": 4, "echoreq": 128,
               "echorep": 129, "groupqry": 130, "grouprep": 131, "groupterm": 132,
               "routersol": 133, "routeradv": 134, "neighbrsol": 135, "neighbradv": 136,
               "redir": 137}

TIMEOUTS = ["tcp.first", "tcp.opening", "tcp.established", "tcp.closing", "tcp.finwait",
            "tcp.closed", "tcp.tsdiff", "sctp.first", "sctp.opening", "sctp.established",
            "sctp.closing", "sctp.closed", "udp.first", "udp.single", "udp.multiple",
            "icmp.first", "icmp.error", "other.first", "other.single", "other.multiple",
            "frag", "interval", "adaptive.start", "adaptive.end", "src.track"]
# pfctl.c pf_limits[] (pfctl_apply_limit: strcasecmp)
LIMITS = ["states", "src-nodes", "frags", "table-entries"]

NAT_PROXY_LOW, NAT_PROXY_HIGH = 50001, 65535

# pfctl.c pf_hints[] (set optimization)
_HINT_NORMAL = {"tcp.first": 120, "tcp.opening": 30, "tcp.established": 86400,
                "tcp.closing": 900, "tcp.finwait": 45, "tcp.closed": 90, "tcp.tsdiff": 30}
_HINT_SATELLITE = {"tcp.first": 180, "tcp.opening": 35, "tcp.established": 86400,
                   "tcp.closing": 905, "tcp.finwait": 50, "tcp.closed": 95, "tcp.tsdiff": 60}
OPTIMIZATION_HINTS = {
    "normal": _HINT_NORMAL, "satellite": _HINT_SATELLITE, "high-latency": _HINT_SATELLITE,
    "conservative": {"tcp.first": 3600, "tcp.opening": 900, "tcp.established": 432000,
                     "tcp.closing": 3600, "tcp.finwait": 600, "tcp.closed": 180, "tcp.tsdiff": 60},
    "aggressive": {"tcp.first": 30, "tcp.opening": 5, "tcp.established": 18000,
                   "tcp.closing": 60, "tcp.finwait": 30, "tcp.closed": 30, "tcp.tsdiff": 10},
}

# parse.y PFCTL_STATE_* (check_rulestate)
RS_NONE, RS_OPTION, RS_ETHER, RS_SCRUB, RS_QUEUE, RS_NAT, RS_FILTER = range(7)
RULE_ORDER_MSG = ("Rules must be in order: options, ethernet, normalization, queueing, "
                  "translation, filtering")


class PfFatal(Exception):
    """err(1, ...) inside pfctl while parsing: the message (without "pfctl: ") and exit 1."""


class PfError(Exception):
    pass


# ----------------------------------------------------------------------------------------
# lexer

_PUNCT = set("(){}<>!=/,")


def _allowed_in_string(c: str) -> bool:
    return c.isalnum() or (not c.isspace() and c.isprintable() and not c.isalnum()
                           and c not in "(){}<>!=/#,\"'$" and c.isascii()) or (
        not c.isascii() and c.isprintable() and not c.isspace())


class Tok:
    __slots__ = ("kind", "val", "line")

    def __init__(self, kind: str, val: str, line: int):
        self.kind, self.val, self.line = kind, val, line

    def __repr__(self) -> str:  # pragma: no cover
        return f"Tok({self.kind},{self.val!r},{self.line})"


class Lexer:
    """Tokens of one file; ``$macro`` is expanded by re-lexing its value in place."""

    def __init__(self, text: str, macros: dict[str, str], errfn: Callable[[int, str], None]):
        self.text = text
        self.pos = 0
        self.line = 1
        self.macros = macros
        self.errfn = errfn
        self.pending: list[Tok] = []

    def _lex_text(self, text: str, line: int, depth: int = 0) -> list[Tok]:
        sub = Lexer(text, self.macros, self.errfn)
        sub.line = line
        out = []
        while True:
            t = sub._next(depth + 1)
            if t.kind == "eof":
                break
            if t.kind == "nl":
                continue
            t.line = line
            out.append(t)
        return out

    def next(self) -> Tok:
        if self.pending:
            return self.pending.pop(0)
        return self._next(0)

    def _next(self, depth: int) -> Tok:
        text = self.text
        while True:
            if self.pos >= len(text):
                return Tok("eof", "", self.line)
            c = text[self.pos]
            if c == "\\" and text.startswith("\\\n", self.pos):
                self.pos += 2
                self.line += 1
                continue
            if c in " \t\r\f\v":
                self.pos += 1
                continue
            if c == "#":
                while self.pos < len(text) and text[self.pos] != "\n":
                    if text.startswith("\\\n", self.pos):
                        self.pos += 2
                        self.line += 1
                        continue
                    self.pos += 1
                continue
            break
        line = self.line
        if c == "\n":
            self.pos += 1
            self.line += 1
            return Tok("nl", "\n", line)
        if c == "$" and depth < 20:
            j = self.pos + 1
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            name = text[self.pos + 1:j]
            self.pos = j
            if not name:
                return Tok("err", "$", line)
            if name not in self.macros:
                self.errfn(line, f"macro '{name}' not defined")
                return Tok("err", name, line)
            toks = self._lex_text(self.macros[name], line, depth)
            if not toks:
                return self._next(depth)
            self.pending = toks[1:] + self.pending
            return toks[0]
        if c in "\"'":
            j = self.pos + 1
            buf = []
            while True:
                if j >= len(text):
                    self.errfn(line, "reading quoted string")
                    self.pos = j
                    return Tok("err", "", line)
                ch = text[j]
                if ch == "\n":
                    self.line += 1
                    if j > 0 and text[j - 1] == "\\":
                        buf.pop()
                        j += 1
                        continue
                    self.errfn(line, "unterminated quote")
                    self.pos = j
                    return Tok("err", "", line)
                if ch == c:
                    break
                if ch == "\\" and j + 1 < len(text) and text[j + 1] == c:
                    buf.append(c)
                    j += 2
                    continue
                buf.append(ch)
                j += 1
            self.pos = j + 1
            return Tok("str", "".join(buf), line)
        if c == "-" and text.startswith("->", self.pos):
            self.pos += 2
            return Tok("p", "->", line)
        two = text[self.pos:self.pos + 2]
        if two in ("!=", "<=", ">=", "<>", "><"):
            # "<>" only as a range operator; "<" followed by a name is a table
            self.pos += 2
            return Tok("p", two, line)
        if c in _PUNCT:
            self.pos += 1
            return Tok("p", c, line)
        if _allowed_in_string(c):
            start = j = self.pos
            while j < len(text) and _allowed_in_string(text[j]):
                j += 1
            self.pos = j
            return Tok("w", text[start:j], line)
        self.pos += 1
        return Tok("err", c, line)


# ----------------------------------------------------------------------------------------
# addresses

def _host_node(kind: str, **kw: Any) -> dict[str, Any]:
    d = {"type": kind, "af": 0, "addr": None, "bits": None, "neg": False, "name": None}
    d.update(kw)
    return d


def _any_node() -> dict[str, Any]:
    return _host_node("any")


def _ip_node(text: str, bits: Optional[int] = None) -> Optional[dict[str, Any]]:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    af = 4 if ip.version == 4 else 6
    full = 32 if af == 4 else 128
    if bits is None:
        bits = full
    if bits > full:
        return None
    net = ipaddress.ip_network(f"{ip}/{bits}", strict=False)
    return _host_node("addr", af=af, addr=str(net.network_address), bits=bits)


def _short_v4(text: str, bits: Optional[int]) -> Optional[dict[str, Any]]:
    """Abbreviated IPv4 forms: with a mask pfctl_parser.c host_v4() uses inet_net_pton(3)
    ("10/8", "10.1/16": missing octets are zero); without one host_dns()'s getaddrinfo(3)
    takes inet_aton(3) forms ("10.1" is 10.0.0.1, "10.1.2" is 10.1.0.2)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and len(p) <= 10 for p in parts):
        return None
    nums = [int(p) for p in parts]
    if bits is not None:
        if any(n > 255 for n in nums) or bits > 32:
            return None
        octets = nums + [0] * (4 - len(nums))
        return _ip_node(".".join(str(o) for o in octets), bits)
    if len(parts) == 1:
        return None
    head, last = nums[:-1], nums[-1]
    if any(n > 255 for n in head) or last >= 1 << (8 * (5 - len(nums))):
        return None
    val = 0
    for n in head:
        val = (val << 8) | n
    val = (val << (8 * (5 - len(nums)))) | last
    return _ip_node(str(ipaddress.IPv4Address(val)))


def _lookup_id(kind: str, name: str) -> Optional[int]:
    """getpwnam(3)/getgrnam(3) against the host's /etc/passwd or /etc/group."""
    path = "/etc/passwd" if kind == "user" else "/etc/group"
    try:
        with open(hoststate.hostpath(path), encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if len(parts) >= 3 and parts[0] == name and parts[2].isdigit():
                    return int(parts[2])
    except OSError:
        pass
    # the stock FreeBSD /etc/passwd and /etc/group (bin, daemon, www, operator, ...)
    try:
        from . import basesystem
        text = basesystem.PASSWD if kind == "user" else basesystem.GROUP
        for line in text.splitlines():
            parts = line.split(":")
            if len(parts) >= 3 and parts[0] == name and parts[2].isdigit():
                return int(parts[2])
    except (ImportError, AttributeError):
        pass
    return {"root": 0, "wheel": 0, "nobody": 65534}.get(name)


def _etc_hosts(name: str) -> list[str]:
    out = []
    try:
        with open(hoststate.hostpath("/etc/hosts"), encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split("#", 1)[0].split()
                if len(parts) >= 2 and name in parts[1:]:
                    out.append(parts[0])
    except OSError:
        pass
    return out


def addr_text(h: dict[str, Any]) -> str:
    """print_addr()."""
    t = h["type"]
    if t == "any":
        return "any"
    if t == "addr":
        if h["addr"] in ("0.0.0.0", "::") and h["bits"] == 0:
            return "any"
        full = 32 if h["af"] == 4 else 128
        return h["addr"] + (f"/{h['bits']}" if h["bits"] < full else "")
    if t == "table":
        return f"<{h['name']}>"
    if t == "dyn":
        s = f"({h['name']}"
        for m in h.get("mods", []):
            s += ":" + m
        s += ")"
        if h.get("bits") is not None:
            s += f"/{h['bits']}"
        return s
    if t == "noroute":
        return "no-route"
    if t == "urpf":
        return "urpf-failed"
    if t == "self":
        return "self"
    return "?"


# ----------------------------------------------------------------------------------------
# parser


def _expand_label(label: str, x: dict[str, Any]) -> str:
    """parse.y expand_label(): $if (interface or "any"), $srcaddr/$dstaddr (address as
    print_addr shows it, "! " when negated), $srcport/$dstport (op and port, "" for a
    range a:b), $proto (getprotobynumber(), "ip" for none)."""
    if "$" not in label:
        return label

    def addr(h: dict[str, Any]) -> str:
        t = addr_text(h) if h["type"] != "dyn" else f"({h['name']})"
        return ("! " + t) if h.get("neg") else t

    def port(p: Optional[tuple]) -> str:
        if not p:
            return ""
        op, a, b = p
        return {"=": f"{a}", "!=": f"!={a}", "<": f"<{a}", "<=": f"<={a}", ">": f">{a}",
                ">=": f">={a}", "><": f"{a}><{b}", "<>": f"{a}<>{b}"}.get(op, "")
    reps = [("$if", x.get("ifname") or "any"), ("$srcaddr", addr(x["src"])),
            ("$dstaddr", addr(x["dst"])), ("$srcport", port(x.get("sport"))),
            ("$dstport", port(x.get("dport"))),
            ("$proto", PROTO_NAMES.get(x["proto"] or 0, str(x["proto"]))),
            ("$nr", str(x.get("nr", 0)))]
    for name, val in reps:
        label = label.replace(name, val)
    return label


# keywords that can follow "source-hash" (anything else there is the hash key)
_NOT_A_HASHKEY = frozenset((
    "static-port", "sticky-address", "endpoint-independent", "map-e-portset",
    "prefer-ipv6-nexthop", "inet", "inet6", "all", "from", "to", "proto", "port", "tag",
    "tagged", "label", "keep", "flags", "queue", "rtable", "on", "round-robin", "random",
    "bitmask", "no", "modulate", "synproxy", "user", "group", "icmp-type", "icmp6-type", "tos",
    "allow-opts", "fragment", "max-pkt-rate", "max-pkt-size", "set", "prio", "once",
    "divert-to", "rdr-to", "nat-to", "binat-to", "af-to", "ridentifier", "probability",
    "received-on", "scrub", "dnpipe", "dnqueue", "os", "any", "log", "quick", "source-hash"))


def _new_rule() -> dict[str, Any]:
    return {
        "action": "pass", "ret": None, "return_icmp": None, "direction": "", "log": None,
        "quick": False, "ifname": None, "ifnot": False, "af": 0, "proto": None,
        "src": None, "dst": None, "sport": None, "dport": None,
        "user": None, "group": None, "flags": None, "flags_any": False, "icmp_type": None,
        "tos": None, "keep_state": None, "state_opts": [], "label": [], "tag": None,
        "tagged": None, "tagged_not": False, "rtable": None, "probability": None,
        "fragment": False, "allow_opts": False, "natpass": False, "no": False,
        "pool": [], "pool_ports": None, "pool_opts": [], "nat_to": None, "rdr_to": None,
        "anchor": None, "anchor_inline": False, "once": False, "os": None,
        "prio": None, "queue": None, "route": None, "scrub_opts": [],
    }


class ParseError(Exception):
    pass


class Parser:
    def __init__(self, pfctx: "Config", filename: str, text: str):
        self.cfg = pfctx
        self.filename = filename
        self.lex = Lexer(text, pfctx.macros, self._lexerr)
        self._prev = ""
        self.tok: Tok = self.lex.next()
        self.anchor_stack: list[str] = [pfctx.anchor]

    # -- error helpers
    def _lexerr(self, line: int, msg: str) -> None:
        self.cfg.error(self.filename, line, msg)

    def err(self, msg: str = "syntax error", line: Optional[int] = None) -> None:
        raise ParseError(msg if line is None else (msg, line))

    def advance(self) -> Tok:
        t = self.tok
        self.tok = self.lex.next()
        return t

    def peek_word(self, *words: str) -> bool:
        return self.tok.kind == "w" and self.tok.val in words


    def expect(self, *words: str) -> str:
        v = self.accept(*words)
        if v is None:
            self.err()
        return v  # type: ignore[return-value]

    def string(self) -> str:
        if self.tok.kind in ("w", "str"):
            return self.advance().val
        self.err()
        return ""

    def at_eol(self) -> bool:
        return self.tok.kind in ("nl", "eof")

    # -- driver
    def parse(self) -> None:
        while self.tok.kind != "eof":
            if self.tok.kind == "nl":
                self.advance()
                continue
            line = self.tok.line
            try:
                self.cfg.order_error = False
                self.statement()
                if self.cfg.order_error:
                    self.cfg.order_error = False
                    raise ParseError(RULE_ORDER_MSG)
                if not self.at_eol():
                    if not (self.tok.kind == "p" and self.tok.val == "}" and len(self.anchor_stack) > 1):
                        self.err()
            except (ValueError, TypeError, KeyError, IndexError, RecursionError):
                # never a Python traceback: anything the model cannot digest is what yacc
                # reports for an unexpected token (parse.y yyerror "syntax error")
                self.cfg.error(self.filename, self.tok.line if self.tok.kind != "eof" else line,
                               "syntax error")
                while not self.at_eol():
                    self.advance()
            except ParseError as e:
                arg = e.args[0]
                if isinstance(arg, tuple):
                    msg, eline = arg
                else:
                    msg, eline = arg, self.tok.line if self.tok.kind != "eof" else line
                if self.tok.kind == "err" and msg == "syntax error" and not self.tok.val == "":
                    pass
                self.cfg.error(self.filename, eline, msg)
                while not self.at_eol():
                    self.advance()

    def statement(self) -> None:
        t = self.tok
        if t.kind == "p" and t.val == "}" and len(self.anchor_stack) > 1:
            self.advance()
            self.anchor_stack.pop()
            return
        if t.kind == "err":
            self.err()
        if t.kind not in ("w", "str"):
            self.err()
        v = t.val
        if t.kind == "w" and v == "include":
            self.advance()
            fn = self.string()
            self.cfg.include(fn, t.line, self.filename)
            return
        if t.kind == "w" and v == "set":
            self.advance()
            self.option()
            return
        if t.kind == "w" and v == "table":
            self.advance()
            self.tabledef()
            return
        if t.kind == "w" and v in ("pass", "block", "match", "scrub"):
            self.filter_rule()
            return
        if t.kind == "w" and v in ("anchor", "nat-anchor", "rdr-anchor", "binat-anchor"):
            self.anchor_rule()
            return
        if t.kind == "w" and v == "load":
            self.advance()
            self.expect("anchor")
            name = self.string()
            self.expect("from")
            fn = self.string()
            self.cfg.loadanchors.append((name, fn))
            return
        if t.kind == "w" and v in ("nat", "rdr", "binat", "no"):
            self.nat_rule()
            return
        rule = {"antispoof": self.antispoof_rule, "ether": self.ether_rule,
                "altq": self.altq_rule, "queue": self.queue_rule}.get(v) if t.kind == "w" else None
        if rule is not None:
            rule()
            return
        # macro definition
        self.advance()
        if self.tok.kind == "p" and self.tok.val == "=":
            self.advance()
            vals = []
            while self.tok.kind in ("w", "str"):
                vals.append(self.advance().val)
            if not vals:
                self.err()
            if t.kind != "w" or not all(ch.isalnum() or ch == "_" for ch in v):
                self.err()
            if self.cfg.verbose:
                # parse.y varset: printf("%s = \"%s\"\n", $1, $3) under PF_OPT_VERBOSE
                self.cfg.out.append(f'{v} = "{" ".join(vals)}"')
            if v not in self.cfg.cmdline_macros:
                self.cfg.macros[v] = " ".join(vals)
            return
        self.err("syntax error", t.line if self.tok.kind == "nl" else None)

    # -- options
    def option(self) -> None:
        """parse.y ``option`` with pfctl.c pfctl_set_optimization(), pfctl_apply_limit(),
        pfctl_apply_timeout(), pfctl_set_logif(), pfctl_set_hostid(), pfctl_do_set_debug(),
        pfctl_set_reassembly(), pfctl_cfg_syncookies() and parse.y expand_skip_interface():
        under -v each prints the line pfctl prints (cfg.out)."""
        cfg = self.cfg
        verbose = cfg.verbose

        def out(line: str) -> None:
            if verbose:
                cfg.out.append(line)
        w = self.string()
        o = cfg.options
        if w != "require-order":
            # parse.y: every option but SET REQUIREORDER calls check_rulestate(OPTION)
            self.check_rulestate(RS_OPTION)
        if w == "skip":
            self.expect("on")
            ifs = self.iflist()
            if len(ifs) == 1 and ifs[0] == ("none", False):
                out("set skip on none")
                o["skip"] = []
                return
            o.setdefault("skip", [])
            for n, neg in ifs:
                if neg:
                    self.err("skip on ! <interface> is not supported")
                if n not in o["skip"]:
                    o["skip"].append(n)
            out("set skip on {" + "".join(" " + n for n, _ in ifs) + " }")
        elif w in ("block-policy", "fail-policy"):
            v = self.expect("drop", "return")
            o[w.replace("-", "_")] = v
            out(f"set {w} {v}")
        elif w == "state-policy":
            v = self.expect("if-bound", "floating")
            o["state_policy"] = v
            out(f"set state-policy {v}")
        elif w == "optimization":
            v = self.string()
            hint = OPTIMIZATION_HINTS.get(v.lower())
            if hint is None:
                cfg.stderr("pfctl: invalid state timeouts optimization")
                self.err(f"unknown optimization {v}")
            o["optimization"] = v
            o.setdefault("timeout", {}).update(hint)  # quietly (pfctl_apply_timeout quiet=1)
            out(f"set optimization {v}")
        elif w == "ruleset-optimization":
            v = self.string()
            out(f"set ruleset-optimization {v}")
            if v not in ("none", "basic", "profile"):
                self.err(f"unknown ruleset-optimization {v}")
            o["ruleset_optimization"] = v
        elif w == "loginterface":
            v = self.string()
            o["loginterface"] = None if v == "none" else v
            out(f"set loginterface {v}")
        elif w in ("limit", "timeout"):
            table = LIMITS if w == "limit" else TIMEOUTS
            items = []
            if self.accept("{"):
                while True:
                    self.skip_nl()
                    self.accept(",")
                    self.skip_nl()
                    if self.accept("}"):
                        break
                    items.append((self.string(), self.number()))
            else:
                items.append((self.string(), self.number()))
            for k, n in items:
                if k.lower() not in table:
                    if w == "limit":
                        cfg.stderr("pfctl: Bad pool name.")
                        self.err(f"unable to set limit {k} {n}")
                    cfg.stderr("pfctl: Bad timeout name.")
                    self.err(f"unknown timeout {k}")
                o.setdefault(w, {})[k.lower()] = n
                out(f"set {w} {k} {n}")
        elif w == "debug":
            v = self.string()
            levels = {"none": "None", "urgent": "Urgent", "misc": "Misc", "loud": "Loud"}
            if v not in levels:
                cfg.stderr(f'pfctl: unknown debug level "{v}"')
                self.err(f"error setting debuglevel {v}")
            o["debug"] = levels[v]
            out(f"set debug {v}")
        elif w == "hostid":
            n = self.number()
            if n <= 0 or n > 0xFFFFFFFF:
                self.err("invalid host id")
            o["hostid"] = n
            out("set hostid 0x%08x" % n)
        elif w == "reassemble":
            on = self.yesno()
            nodf = bool(self.accept("no-df"))
            o["reassemble"] = [on, nodf]
            out(f"set reassemble {'yes' if on else 'no'} {'no-df' if nodf else ''}")
        elif w == "syncookies":
            v = self.string()
            if v not in ("never", "always", "adaptive"):
                self.err("illegal value for syncookies")
            wm = None
            if self.accept("("):
                wm = {}
                while not self.accept(")"):
                    if self.at_eol():
                        self.err()
                    self.accept(",")
                    k = self.expect("start", "end")
                    num = self.string()
                    if self.accept("%"):
                        pass
                    num = num.rstrip("%")
                    if not num.isdigit() or not 0 < int(num) <= 100:
                        self.err("illegal percentage value")
                    wm["hi" if k == "start" else "lo"] = int(num)
            if v != "adaptive" and wm is not None:
                cfg.stderr("pfctl: syncookies start/end only apply to adaptive")
                self.err("error setting syncookies")
            if v == "adaptive" and wm is not None:
                hi = wm.get("hi") or 25
                lo = wm.get("lo") or hi // 2
                if lo >= hi:
                    cfg.stderr("pfctl: start must be higher than end")
                    self.err("error setting syncookies")
                out(f"set syncookies adaptive (start {hi}%, end {lo}%)")
            else:
                out(f"set syncookies {v}")
            o["syncookies"] = {"mode": v}
        elif w == "keepcounters":
            o["keepcounters"] = True
        elif w == "require-order":
            # parse.y SET REQUIREORDER yesno: printf("set require-order %s\n", ...) under -v
            cfg.require_order = self.yesno()
            out(f"set require-order {'yes' if cfg.require_order else 'no'}")
        elif w == "fingerprints":
            # parse.y SET FINGERPRINTS STRING: printf("set fingerprints \"%s\"\n") under -v
            o["fingerprints"] = self.string()
            out(f'set fingerprints "{o["fingerprints"]}"')
        elif w == "state-defaults":
            self.state_opts_bare()
        else:
            self.err()

    def yesno(self) -> bool:
        """parse.y yesno: NO | STRING "yes"."""
        if self.accept("no"):
            return False
        v = self.string()
        if v != "yes":
            self.err(f"invalid value '{v}', expected 'yes' or 'no'")
        return True

    def skip_nl(self) -> None:
        while self.tok.kind == "nl":
            self.advance()

    def state_opts_bare(self) -> None:
        """set state-defaults state_opt_list (no parentheses)."""
        while not self.at_eol():
            self.advance()

    def check_rulestate(self, desired: int) -> None:
        """parse.y check_rulestate(): with require-order (the default) statements must come in
        the order options, ethernet, normalization, queueing, translation, filtering."""
        cfg = self.cfg
        if cfg.require_order and cfg.rulestate > desired:
            cfg.order_error = True
            cfg.rulestate_line = self.tok.line
        else:
            cfg.rulestate = desired

    def number(self) -> int:
        """parse.y number: NUMBER, or a STRING atoul() takes (strtoul base 0: 0x1f)."""
        t = self.tok
        if t.kind == "w" and t.val.isdigit():
            self.advance()
            return int(t.val)
        if t.kind == "w" and t.val[:2] in ("0x", "0X") and len(t.val) > 2 and \
                all(c in "0123456789abcdefABCDEF" for c in t.val[2:]):
            self.advance()
            return int(t.val, 16)
        self.err()
        return 0

    def braced_list(self, one: Callable[[], list]) -> list:
        """parse.y's ``'{' optnl xxx_list optnl '}' | xxx_item``: one element, or elements in
        braces separated by optional commas (an empty ``{ }`` is a syntax error).  ``one()``
        parses one element and returns the items it stands for."""
        out: list = []
        if self.accept("{"):
            while True:
                self.accept(",")
                if self.accept("}"):
                    break
                out.extend(one())
            if not out:
                self.err()
        else:
            out.extend(one())
        return out

    def iflist(self, allow_not: bool = True) -> list[tuple[str, bool]]:
        def one() -> list[tuple[str, bool]]:
            neg = bool(self.accept("!")) if allow_not else False
            return [(self.string(), neg)]
        return self.braced_list(one)

    # -- tables
    def tabledef(self) -> None:
        self.expect("<")
        name = self.string()
        self.expect(">")
        flags = []
        addrs: list[str] = []
        shown: list[str] = []
        while not self.at_eol():
            if self.accept("persist"):
                flags.append("persist")
            elif self.accept("const"):
                flags.append("const")
            elif self.accept("counters"):
                flags.append("counters")
            elif self.accept("file"):
                fn = self.string()
                shown.append(f' file "{fn}"')
                try:
                    for line in read_host_file(fn).splitlines():
                        for w in line.split("#", 1)[0].split():
                            addrs.append(w)
                except OSError as e:
                    # parse.y process_tabledef(): yyerror("cannot load \"%s\": %s")
                    self.err(f"cannot load \"{fn}\": {os.strerror(e.errno or 2)}")
            elif self.accept("{"):
                items = []
                while True:
                    self.accept(",")
                    if self.accept("}"):
                        break
                    neg = bool(self.accept("!"))
                    hs = self.host_single()
                    for h in hs:
                        # parse.y table_opt: only plain addresses inside tables
                        bad = {"dyn": "dynamic addresses are not permitted inside tables",
                               "table": "tables cannot contain tables",
                               "noroute": '"no-route" is not permitted inside tables',
                               "urpf": '"urpf-failed" is not permitted inside tables'}.get(h["type"])
                        if bad:
                            self.err(bad)
                        s = ("!" if neg else "") + addr_text(h)
                        items.append(s)
                addrs.extend(items)
                if shown and shown[-1].startswith(" {") and items:
                    # print_tabledef(): consecutive address lists print as one "{ ... }"
                    shown[-1] = shown[-1][:-2] + "".join(" " + a for a in items) + " }"
                elif shown and shown[-1].startswith(" {"):
                    pass
                else:
                    shown.append(" {" + "".join(" " + a for a in items) + " }")
            elif self.tok.kind in ("w", "str"):
                self.err(f"invalid table option '{self.advance().val}'")
            else:
                self.err()
        fl = [f for f in ("const", "persist", "counters") if f in flags]
        if self.cfg.verbose:
            self.cfg.out.append(f"table <{name}>" + "".join(" " + f for f in fl) + "".join(shown))
        self.cfg.tables[name] = {"flags": fl, "addrs": addrs}

    # -- hosts
    def host_single(self) -> list[dict[str, Any]]:
        """One host element (without '!'), may expand to several (hostnames)."""
        t = self.tok
        if t.kind == "p" and t.val == "<":
            self.advance()
            name = self.string()
            self.expect(">")
            return [_host_node("table", name=name)]
        if t.kind == "p" and t.val == "(":
            self.advance()
            name = self.string()
            self.expect(")")
            parts = name.split(":")
            node = _host_node("dyn", name=parts[0], mods=parts[1:])
            if self.accept("/"):
                node["bits"] = self.number()
            return [node]
        s = self.string()
        if s == "any":
            return [_any_node()]
        if s == "no-route":
            return [_host_node("noroute")]
        if s == "urpf-failed":
            return [_host_node("urpf")]
        if s == "self":
            return [_host_node("self")]
        bits = None
        if self.tok.kind == "p" and self.tok.val == "/":
            self.advance()
            bits = self.number()
        elif "/" in s:
            s, _, b = s.partition("/")
            bits = int(b) if b.isdigit() else 999
        n = _ip_node(s, bits)
        if n is None:
            n = _short_v4(s, bits)
        if n is not None:
            return [n]
        if bits is not None and bits > 128:
            self.err(f"invalid netmask '/{bits}'")
        ips = _etc_hosts(s)
        if s in ("localhost",):
            # FreeBSD's /etc/hosts lists ::1 before 127.0.0.1 and getaddrinfo's RFC 6724
            # sort keeps ::1 first (pf1005: route-to (lo0 localhost) -> (lo0 ::1) inet6)
            ips = ips or ["::1", "127.0.0.1"]
        if s in ("lo0",):
            ips = ["127.0.0.1", "::1"]
        out = [x for x in (_ip_node(i, bits) for i in ips) if x]
        if not out:
            self.cfg.stderr(f"no IP address found for {s}")
            self.err("could not parse host specification", t.line)
        return out

    def host_list(self) -> list[dict[str, Any]]:
        def one() -> list[dict[str, Any]]:
            neg = bool(self.accept("!"))
            hs = self.host_single()
            for h in hs:
                h["neg"] = neg
            return hs
        return self.braced_list(one)

    def port_item(self, proto_hint: str = "tcp") -> tuple[str, int, int]:
        ops = ("=", "!=", "<", "<=", ">", ">=")
        t = self.tok
        if t.kind == "p" and t.val in ops:
            self.advance()
            return (t.val, self.port_num(), 0)
        a = self.string()
        if ":" in a:
            lo, _, hi = a.partition(":")
            if hi == "*":
                return ("=", self.port_value(lo), 0)
            plo, phi = self.port_value(lo), self.port_value(hi)
            if plo > phi:
                # parse.y port_item: "invalid port range"
                self.err("invalid port range")
            return (":", plo, phi)
        p1 = self.port_value(a)
        if self.tok.kind == "p" and self.tok.val in ("<>", "><"):
            op = self.advance().val
            return (op, p1, self.port_num())
        return ("=", p1, 0)

    def port_num(self) -> int:
        return self.port_value(self.string())

    def port_value(self, s: str) -> int:
        """parse.y getservice(): atoul() (strtoul base 0, so 0x10 is 16), else
        getservbyname(tcp, then udp): "illegal port value %lu" / "unknown port %s"."""
        n = None
        if s.isdigit():
            n = int(s)
        elif s[:2] in ("0x", "0X") and len(s) > 2 and all(c in "0123456789abcdefABCDEF" for c in s[2:]):
            n = int(s, 16)
        elif len(s) > 1 and s[0] == "0" and all(c in "01234567" for c in s):
            n = int(s, 8)
        if n is not None:
            if n > 65535:
                self.err(f"illegal port value {n}")
            return n
        p = getservbyname(s, "tcp")
        if p is None:
            p = getservbyname(s, "udp")
        if p is None:
            self.err(f"unknown port {s}")
        return p  # type: ignore[return-value]

    def port_list(self) -> list[tuple[str, int, int]]:
        return self.braced_list(lambda: [self.port_item()])

    def ipportspec(self) -> tuple[list, list]:
        hosts: list = [None]
        ports: list = [None]
        if not self.peek_word("port"):
            hosts = self.host_list()
        if self.accept("port"):
            ports = self.port_list()
        return hosts, ports

    def proto_list(self) -> list[int]:
        def one() -> int:
            s = self.string()
            if s.isdigit():
                n = int(s)
                if n > 255:
                    self.err("protocol outside range")
                return n
            if s not in PROTOCOLS:
                self.err(f"unknown protocol {s}")
            return PROTOCOLS[s]
        return self.braced_list(lambda: [one()])

    # -- rule heads
    def rule_common_head(self, r: dict[str, Any], spec: dict[str, Any], allow_dir: bool = True) -> None:
        if allow_dir:
            d = self.accept("in", "out")
            if d:
                r["direction"] = d
        # parse.y logquick: log | QUICK | log QUICK | QUICK log
        quick_first = bool(self.accept("quick"))
        if quick_first:
            r["quick"] = True
        if self.accept("log"):
            r["log"] = []
            if self.accept("("):
                while True:
                    self.accept(",")
                    if self.accept(")"):
                        break
                    if self.accept("all"):
                        r["log"].append("all")
                    elif self.accept("user"):
                        r["log"].append("user")
                    elif self.accept("to"):
                        r["log"].append("to " + self.string())
                    elif self.accept("matches"):
                        r["log"].append("matches")
                    else:
                        self.err()
        if not quick_first and self.accept("quick"):
            r["quick"] = True
        if self.accept("on"):
            spec["ifs"] = self.iflist()
        if self.accept("route-to", "reply-to", "dup-to"):
            self.route_spec(r)
        self.af_proto_fromto(r, spec)

    def af_proto_fromto(self, r: dict[str, Any], spec: dict[str, Any]) -> None:
        """The ``af proto fromto`` tail shared by filter and nat/rdr/binat rule heads."""
        af = self.accept("inet", "inet6")
        if af:
            r["af"] = 4 if af == "inet" else 6
        if self.accept("proto"):
            spec["protos"] = self.proto_list()
        self.fromto(spec)

    def fromto(self, spec: dict[str, Any]) -> None:
        if self.accept("all"):
            return
        if self.accept("from"):
            spec["src"], spec["sport"] = self.ipportspec()
        if self.accept("os"):
            # parse.y os: OS xos | OS '{' os_list '}'; printed as os "NAME"
            spec["os"] = self.braced_list(lambda: [self.string()])
        if self.accept("to"):
            spec["dst"], spec["dport"] = self.ipportspec()

    def filter_opts(self, r: dict[str, Any], spec: dict[str, Any]) -> None:
        marker = set()
        while not self.at_eol() and not (self.tok.kind == "p" and self.tok.val == "{"):
            if r["action"] == "scrub" and self.tok.kind == "w" and self.tok.val in (
                    "fragment", "reassemble", "min-ttl", "max-mss", "set-tos", "no-df",
                    "random-id"):
                # scrub_opts (parse.y): no-df, min-ttl N, max-mss N, set-tos X, random-id,
                # reassemble tcp, fragment reassemble / fragment no reassemble
                w = self.advance().val
                if w == "fragment":
                    # parse.y fragcache: FRAGMENT REASSEMBLE | FRAGMENT FRAGCROP |
                    # FRAGMENT FRAGDROP (all the default); 15.0 adds "no reassemble"
                    if self.accept("no"):
                        self.expect("reassemble")
                        r["scrub_noreass"] = True
                    else:
                        self.expect("reassemble", "crop", "drop-ovl")
                elif w == "reassemble":
                    v = self.string()
                    if v.lower() != "tcp":
                        self.err(f"scrub reassemble supports only tcp, not '{v}'")
                    r["scrub_opts"].append("reassemble tcp")
                elif w in ("min-ttl", "max-mss"):
                    r["scrub_opts"].append(f"{w} {self.number()}")
                elif w == "set-tos":
                    # print_rule(): " set-tos 0x%2.2x" (names via parse.y tos)
                    r["scrub_opts"].append("set-tos 0x%2.2x" % self.tos_value())
                elif w in ("no-df", "random-id"):
                    r["scrub_opts"].append(w)
                else:
                    self.err()
            elif self.accept("flags"):
                if self.accept("any"):
                    r["flags_any"] = True
                    r["flags"] = None
                else:
                    # parse.y flags: FLAGS flag '/' flag | FLAGS '/' flag | FLAGS flag (the
                    # mask is then PF_TH_ALL); pfctl_parser.c parse_flags() "bad flags %s";
                    # print_flags() prints in "FSRPAUEW" bit order; pfrule: "flags always false"
                    def canon(txt: str) -> str:
                        if any(ch not in "FSRPAUEW" for ch in txt):
                            self.err(f"bad flags {txt}")
                        return "".join(ch for ch in "FSRPAUEW" if ch in txt)
                    slash = self.tok.kind == "p" and self.tok.val == "/"
                    a = "" if slash else canon(self.string())
                    if self.accept("/"):
                        b = canon(self.string())
                    else:
                        b = "FSRPAUEW"
                    if any(ch not in b for ch in a):
                        self.err("flags always false")
                    r["flags"] = [a, b] if (a or b) else None
                marker.add("flags")
            elif self.accept("keep", "modulate", "synproxy"):
                kind = self.lex_prev
                self.expect("state")
                r["keep_state"] = kind
                marker.add("keep")
                if self.accept("("):
                    r["state_opts"] = self.state_opts()
            elif self.accept("no"):
                self.expect("state")
                r["keep_state"] = "none"
                marker.add("keep")
            elif self.accept("label"):
                r["label"].append(self.string())
            elif self.accept("tag"):
                r["tag"] = self.string()
            elif self.accept("!"):
                self.expect("tagged")
                r["tagged"] = self.string()
                r["tagged_not"] = True
            elif self.accept("tagged"):
                r["tagged"] = self.string()
            elif self.accept("icmp-type", "icmp6-type"):
                # parse.y icmp_item: a type name/number, or a { list } expanded per element
                spec["icmp"] = self.icmp_list(self.lex_prev)
            elif self.accept("received-on"):
                r["rcv_if"] = self.string()
            elif self.accept("max-pkt-rate"):
                a = self.number()
                self.expect("/")
                r["max_pkt_rate"] = f"{a}/{self.number()}"
            elif self.accept("max-pkt-size"):
                r["max_pkt_size"] = self.number()
            elif self.accept("af-to"):
                # pf.conf(5) af-to: "af-to inet6 from <addr> [to <addr>]"
                naf = self.expect("inet", "inet6")
                self.expect("from")
                frm = self.host_list()
                to = None
                if self.accept("to"):
                    to = self.host_list()
                r["af_to"] = {"af": naf, "from": frm, "to": to}
            elif self.accept("user", "group"):
                # parse.y uids/gids: one rule per list element (expand_rule LOOP_THROUGH)
                kind = self.lex_prev
                # parse.y filter_opt user/group: a repeated option is prepended to the list
                spec[kind] = self.ugid_list(kind) + spec.get(kind, [])
            elif self.accept("tos"):
                r["tos"] = self.tos_value()
            elif self.accept("prio"):
                r["prio"] = self.prio_value()
            elif self.peek_word("set") and not r.get("set_done"):
                # parse.y filter_opt: SET '(' filter_sets ')' | SET filter_set
                self.advance()
                r["set_done"] = True
                items = []
                paren = bool(self.accept("("))
                while True:
                    if paren:
                        self.accept(",")
                        if self.accept(")"):
                            break
                    kw = self.expect("prio", "tos", "queue")
                    if kw == "prio":
                        if self.accept("("):
                            a = self.prio_value()
                            self.accept(",")
                            b = self.prio_value()
                            self.expect(")")
                            items.append(("prio", a if a == b else f"({a}, {b})"))
                        else:
                            items.append(("prio", self.prio_value()))
                    elif kw == "tos":
                        items.append(("tos", self.tos_value()))
                    else:
                        r["queue"] = self.string()
                    if not paren:
                        break
                r["set_opts"] = items
            elif self.accept("divert-to"):
                # FreeBSD parse.y: DIVERTTO portplain -> " divert-to %u"
                r["divert"] = self.port_value(self.string())
            elif self.accept("divert-reply"):
                r["divert"] = 1
            elif self.accept("rtable"):
                r["rtable"] = self.number()
            elif self.accept("probability"):
                r["probability"] = self.string()
            elif self.accept("fragment"):
                r["fragment"] = True
            elif self.accept("allow-opts"):
                r["allow_opts"] = True
            elif self.accept("once"):
                r["once"] = True
            elif self.accept("queue"):
                # parse.y qname: QUEUE STRING | QUEUE '(' STRING comma STRING ')'
                if self.accept("("):
                    # QUEUE '(' STRING ')' | QUEUE '(' STRING comma STRING ')'
                    r["queue"] = self.string()
                    if not self.accept(")"):
                        self.accept(",")
                        r["pqueue"] = self.string()
                        self.expect(")")
                else:
                    r["queue"] = self.string()
            elif self.accept("ridentifier"):
                r["ridentifier"] = self.number()
            elif r["action"] != "scrub" and self.peek_word("scrub"):
                # parse.y filter_opt SCRUB '(' scrub_opts ')': no-df, min-ttl N, max-mss N,
                # set-tos X, reassemble tcp, random-id (scrub actions on pass/match rules)
                self.advance()
                self.expect("(")
                so: dict[str, Any] = {}
                while True:
                    self.accept(",")
                    if self.accept(")"):
                        break
                    w = self.expect("no-df", "min-ttl", "max-mss", "set-tos", "reassemble",
                                    "random-id")
                    if w in so:
                        self.err(f"{w} cannot be respecified")
                    if w in ("min-ttl", "max-mss"):
                        so[w] = self.number()
                    elif w == "set-tos":
                        so[w] = self.tos_value()
                    elif w == "reassemble":
                        self.expect("tcp")
                        so[w] = True
                    else:
                        so[w] = True
                r["scrub_match"] = so
            elif self.accept("dnpipe", "dnqueue"):
                # parse.y filter_opt DNPIPE/DNQUEUE number | '(' number comma number ')'
                kind = self.lex_prev
                if self.accept("("):
                    a = self.number()
                    self.accept(",")
                    b = self.number()
                    self.expect(")")
                    r["dn"] = (kind, a, b)
                else:
                    r["dn"] = (kind, self.number(), 0)
            elif self.accept("binat-to"):
                hosts = self.host_list()
                r["binat_to"] = {"hosts": hosts, "opts": self.pool_opts()}
            elif self.accept("nat-to", "rdr-to"):
                # parse.y filter_opt: NATTO/RDRTO redirpool [port] pool_opts
                kind = self.lex_prev
                hosts = self.host_list()
                pp = None
                if self.accept("port"):
                    a = self.string()
                    pp = a
                popts = self.pool_opts()
                r["nat_to" if kind == "nat-to" else "rdr_to"] = {
                    "hosts": hosts, "port": pp, "opts": popts}
            else:
                self.err()
        spec["marker"] = marker

    def ugid_list(self, kind: str) -> list[tuple[str, int, int]]:
        """parse.y uid_item/gid_item: NAME|NUMBER, unaryop NUMBER, NUMBER <>|>< NUMBER;
        names resolve through the host's /etc/passwd, /etc/group ("unknown user %s")."""
        def one_id() -> int:
            v = self.string()
            if v.isdigit():
                n = int(v)
                if n > 0xFFFFFFFE:
                    self.err(f"illegal {'uid' if kind == 'user' else 'gid'} value {n}")
                return n
            if v == "unknown":
                return 0xFFFFFFFF
            n = _lookup_id(kind, v)
            if n is None:
                self.err(f"unknown {kind} {v}")
            return n  # type: ignore[return-value]

        def one() -> tuple[str, int, int]:
            t = self.tok
            if t.kind == "p" and t.val in ("=", "!=", "<", "<=", ">", ">="):
                self.advance()
                return (t.val, one_id(), 0)
            a = one_id()
            if self.tok.kind == "p" and self.tok.val in ("<>", "><"):
                op = self.advance().val
                return (op, a, one_id())
            return ("=", a, 0)
        return self.braced_list(lambda: [one()])

    def tos_value(self) -> int:
        """parse.y tos: lowdelay/throughput/reliability, a DSCP name, or a number < 256."""
        v = self.string()
        names = {"lowdelay": 0x10, "throughput": 0x08, "reliability": 0x04, "critical": 0xa0,
                 "inetcontrol": 0xc0, "netcontrol": 0xe0, "ef": 0xb8, "va": 0xb0,
                 "af11": 0x28, "af12": 0x30, "af13": 0x38, "af21": 0x48, "af22": 0x50,
                 "af23": 0x58, "af31": 0x68, "af32": 0x70, "af33": 0x78, "af41": 0x88,
                 "af42": 0x90, "af43": 0x98, "cs0": 0x00, "cs1": 0x20, "cs2": 0x40,
                 "cs3": 0x60, "cs4": 0x80, "cs5": 0xa0, "cs6": 0xc0, "cs7": 0xe0}
        if v in names:
            return names[v]
        try:
            n = int(v, 0)
        except ValueError:
            n = -1
        if not 0 <= n <= 255:
            self.err(f"illegal tos value {v}")
        return n

    def prio_value(self) -> int:
        """parse.y prio: "prio must be 0 - 7" (PF_PRIO_MAX)."""
        v = self.string()
        if not v.isdigit() or int(v) > 7:
            self.err("prio must be 0 - 7")
        return int(v)

    def state_opts(self) -> list[str]:
        """parse.y state_opt_list (after "keep state ("); returns the options in the order
        print_rule() prints them (sbin/pfctl/pfctl_parser.c print_rule, "opts" block)."""
        got: dict[str, str] = {}
        timeouts: list[str] = []
        while True:
            if self.at_eol():
                self.err()
            w = self.string()
            if w in ("max", "max-src-states", "max-src-conn", "max-src-nodes"):
                got[w] = f"{w} {self.number()}"
            elif w == "max-src-conn-rate":
                a = self.number()
                self.expect("/")
                got[w] = f"{w} {a}/{self.number()}"
            elif w == "source-track":
                kind = self.accept("rule", "global") or "global"
                got[w] = f"source-track {kind}"
            elif w == "overload":
                self.expect("<")
                t = self.string()
                self.expect(">")
                o = f"overload <{t}>"
                if self.accept("flush"):
                    o += " flush"
                    if self.accept("global"):
                        o += " global"
                got[w] = o
            elif w in ("no-sync", "if-bound", "floating", "sloppy", "pflow", "allow-related"):
                got[w] = w
            elif w in TIMEOUTS:
                timeouts.append(f"{w} {self.number()}")
            else:
                self.err()
            if self.accept(")"):
                break
            self.expect(",")
        # max-src-* options imply source tracking (parse.y: "srctrack = PF_SRCTRACK_GLOBAL")
        if any(k in got for k in ("max-src-states", "max-src-nodes")) and "source-track" not in got:
            got["source-track"] = "source-track global"
        order = ("max", "no-sync", "source-track", "max-src-states", "max-src-conn",
                 "max-src-conn-rate", "max-src-nodes", "overload", "if-bound", "floating",
                 "sloppy", "pflow", "allow-related")
        return [got[k] for k in order if k in got] + sorted(
            timeouts, key=lambda t: TIMEOUTS.index(t.split()[0]))

    def icmp_list(self, kw: str) -> list[str]:
        """parse.y icmp_list / icmp6_list: names or numbers, optional "code"."""
        table = ICMP6_TYPES if kw == "icmp6-type" else ICMP_TYPES
        byno = {v: k for k, v in table.items()}

        def one() -> str:
            t = self.string()
            if t.isdigit():
                n = int(t)
                if n > 255:
                    self.err("illegal icmp-type %d" % n)
                name = byno.get(n, str(n))
            elif t in table:
                name = t
            else:
                self.err(f"unknown icmp-type {t}")
                name = t
            if self.accept("code"):
                name += " code " + self.string()
            return name
        return self.braced_list(lambda: [one()])

    def route_spec(self, r: dict[str, Any]) -> None:
        """parse.y route: ROUTETO/REPLYTO/DUPTO routespec pool_opts."""
        kind = self.lex_prev

        def one() -> list[tuple[str, Optional[dict[str, Any]]]]:
            if self.accept("("):
                ifname = self.string()
                if self.accept(")"):
                    return [(ifname, None)]
                got: list[tuple[str, Optional[dict[str, Any]]]] = [
                    (ifname, h) for h in self.host_single()]
                self.expect(")")
                return got
            return [(self.string(), None)]
        hosts: list[tuple[str, Optional[dict[str, Any]]]] = self.braced_list(one)
        opts = self.pool_opts()
        r["route"] = {"kind": kind, "hosts": hosts, "opts": opts}

    @property
    def lex_prev(self) -> str:
        return self._prev

    def accept(self, *words: str) -> Optional[str]:
        if self.tok.kind in ("w", "p") and self.tok.val in words:
            self._prev = self.advance().val
            return self._prev
        return None

    def pool_opts(self) -> list[str]:
        """parse.y pool_opts: pool type, static-port, sticky-address, map-e-portset,
        endpoint-independent, prefer-ipv6-nexthop."""
        opts = []
        while True:
            w = self.accept("round-robin", "random", "bitmask", "source-hash", "static-port",
                            "sticky-address", "endpoint-independent", "map-e-portset",
                            "prefer-ipv6-nexthop")
            if not w:
                break
            if w in ("round-robin", "random", "bitmask", "source-hash") and any(
                    o.split()[0] in ("round-robin", "random", "bitmask", "source-hash") for o in opts):
                self.err("pool type cannot be redefined")
            if w in opts:
                self.err(f"{w} cannot be redefined")
            if w == "source-hash" and self.tok.kind in ("w", "str") and \
                    self.tok.val not in _NOT_A_HASHKEY:
                # parse.y hashkey: "0x" + 32 hex digits, or any other string hashed with
                # MD5 (HTONL'd words, so print_pool()'s %08x x4 shows the hex digest)
                key = self.advance().val
                if key.startswith("0x"):
                    if len(key) != 34 or any(c not in "0123456789abcdefABCDEF" for c in key[2:]):
                        self.err("hex key must be 128 bits (32 hex digits) long")
                    w += " 0x" + key[2:].lower()
                else:
                    import hashlib
                    w += " 0x" + hashlib.md5(key.encode("utf-8", "surrogateescape")).hexdigest()
            elif w == "map-e-portset":
                parts = [self.string()]
                while self.accept("/"):
                    parts.append(self.string())
                try:
                    nums = [int(x, 0) for x in parts]
                except ValueError:
                    nums = []
                if len(nums) != 3:
                    self.err("map-e-portset syntax error")
                w += " " + "/".join(str(n) for n in nums)
            opts.append(w)
        return opts

    # -- queueing (parse.y altqif / queuespec / queue_opts; expand_altq() and expand_queue()
    #    with sbin/pfctl/pfctl_altq.c eval_pfaltq(), eval_pfqueue(), print_altq() and
    #    print_queue(); printed while parsing under -v)
    def bandwidth(self) -> dict[str, Any]:
        """parse.y bandwidth: NUMBER (bits/s) or STRING strtod() + unit b/K/M/G (with an
        optional trailing b/bit/B/Bit) or %; "unknown unit %s", "bandwidth spec out of range"."""
        s = self.string()
        if s.isdigit():
            return {"abs": int(s), "pct": 0}
        i = 0
        while i < len(s) and (s[i].isdigit() or s[i] in ".eE+-"):
            i += 1
        try:
            bps = float(s[:i]) if i else 0.0
        except ValueError:
            bps, i = 0.0, 0
        cp = s[i:]
        if len(cp) > 1 and cp[1:] in ("Bit", "B", "bit", "b"):
            cp = cp[:1]
        if cp == "b":
            pass
        elif cp == "K":
            bps *= 1000
        elif cp == "M":
            bps *= 1000 * 1000
        elif cp == "G":
            bps *= 1000 * 1000 * 1000
        elif cp == "%":
            if bps < 0 or bps > 100:
                self.err("bandwidth spec out of range")
            return {"abs": 0, "pct": int(bps)}
        else:
            self.err(f"unknown unit {cp}")
        return {"abs": int(bps), "pct": 0}

    def _sc(self, fairq: bool) -> dict[str, Any]:
        if self.accept("("):
            m1 = self.bandwidth()
            if not fairq:
                self.accept(",")
            d = self.number()
            if not fairq:
                self.accept(",")
            m2 = self.bandwidth()
            self.expect(")")
            return {"m1": m1, "d": d, "m2": m2}
        return {"m1": {"abs": 0, "pct": 0}, "d": 0, "m2": self.bandwidth()}

    def scheduler(self, kind: str) -> dict[str, Any]:
        sch: dict[str, Any] = {"type": kind, "flags": [], "sc": {}, "codel": {}}
        if not self.accept("("):
            return sch
        flagsets = {"cbq": ("default", "borrow", "red", "ecn", "rio", "codel"),
                    "priq": ("default", "red", "ecn", "rio", "codel"),
                    "hfsc": ("default", "red", "ecn", "rio", "codel"),
                    "fairq": ("default", "red", "ecn", "rio", "codel")}
        while True:
            self.accept(",")
            if self.accept(")"):
                break
            if kind == "codel":
                w = self.string()
                if w in ("interval", "target"):
                    if sch["codel"].get(w):
                        self.err(f"{w} already specified")
                    sch["codel"][w] = self.number()
                elif w == "ecn":
                    sch["codel"]["ecn"] = 1
                else:
                    self.err(f'unknown codel option "{w}"')
                continue
            if kind in ("hfsc", "fairq") and self.accept("linkshare", "realtime", "upperlimit"):
                w = self.lex_prev
                if kind == "fairq" and w != "linkshare":
                    self.err()
                if w in sch["sc"]:
                    self.err(f"{w} already specified")
                sch["sc"][w] = self._sc(kind == "fairq")
                continue
            if kind == "fairq" and self.accept("hogs"):
                sch["hogs"] = self.bandwidth()
                continue
            if kind == "fairq" and self.accept("buckets"):
                sch["buckets"] = self.number()
                continue
            w = self.string()
            if w not in flagsets[kind]:
                self.err(f'unknown {kind} flag "{w}"')
            if w == "ecn":
                sch["flags"] += ["red", "ecn"]
            else:
                sch["flags"].append(w)
        return sch

    def queue_opts(self) -> dict[str, Any]:
        """parse.y queue_opts (defaults: priority 1, qlimit 50, bandwidth 100%)."""
        o: dict[str, Any] = {"bw": {"abs": 0, "pct": 100}, "priority": 1, "qlimit": 50,
                             "tbrsize": 0, "sched": None, "marker": set()}
        while True:
            # parse.y lookup(): the CoDel scheduler keyword is "codelq" (printed "codel")
            w = self.accept("bandwidth", "priority", "qlimit", "tbrsize", "cbq", "priq", "hfsc",
                            "fairq", "codelq")
            if w is None:
                return o
            if w == "codelq":
                w = "codel"
            key = "sched" if w in ("cbq", "priq", "hfsc", "fairq", "codel") else w
            if key in o["marker"]:
                self.err(f"{'scheduler' if key == 'sched' else w} cannot be respecified")
            o["marker"].add(key)
            if w == "bandwidth":
                o["bw"] = self.bandwidth()
            elif w == "priority":
                n = self.number()
                if n > 255:
                    self.err("priority out of range: max 255")
                o["priority"] = n
            elif w == "qlimit":
                n = self.number()
                if n > 65535:
                    self.err("qlimit out of range: max 65535")
                o["qlimit"] = n
            elif w == "tbrsize":
                n = self.number()
                if n > 0xFFFFFFFF:
                    self.err(f"tbrsize too big: max {0xFFFFFFFF}")
                o["tbrsize"] = n
            else:
                o["sched"] = self.scheduler(w)

    def qassign(self) -> list[str]:
        if self.accept("{"):
            out = []
            while True:
                self.skip_nl()
                self.accept(",")
                self.skip_nl()
                if self.accept("}"):
                    break
                out.append(self.string())
            if not out:
                self.err()
            return out
        if self.tok.kind in ("w", "str") and not self.at_eol():
            return [self.string()]
        return []

    def _altq_iface(self) -> list[tuple[str, bool]]:
        return self.iflist() if self.accept("on") else [("", False)]

    def altq_rule(self) -> None:
        cfg = self.cfg
        line = self.tok.line
        self.advance()
        self.check_rulestate(RS_QUEUE)
        ifs = self._altq_iface()
        o = self.queue_opts()
        self.expect("queue")
        qs = self.qassign()
        if not self.at_eol():
            self.err()
        if cfg.order_error:
            return
        if o["sched"] is None:
            self.err("no scheduler specified!")
        if not qs and o["sched"]["type"] != "codel":
            self.err("no child queues specified")
        if not cfg.altq_enabled:
            return
        errs = 0
        for ifname, ifnot in ifs:
            if ifnot:
                cfg.error(self.filename, line, "altq on ! <interface> is not supported")
                errs += 1
                continue
            a = {"qname": "", "ifname": ifname, "sched": o["sched"]["type"], "opts": o["sched"],
                 "qlimit": o["qlimit"], "tbrsize": o["tbrsize"], "bw": o["bw"]}
            if self._eval_pfaltq(a):
                errs += 1
            else:
                cfg.altq_last = a
                cfg.altq_ifs[ifname] = {"a": a, "default": 0, "root": 0, "pris": set()}
            if cfg.verbose and cfg.altq_last is not None:
                text = altq_text(cfg.altq_last, o["bw"], o["sched"])
                if qs:
                    text += "queue { " + "".join(q + " " for q in qs) + "}"
                cfg.out.append(text)
            if a["sched"] in ("cbq", "hfsc") and ifname in cfg.altq_ifs:
                root = {"qname": "root_" + ifname, "ifname": ifname, "sched": a["sched"],
                        "opts": o["sched"], "qlimit": a["qlimit"], "parent": "",
                        "priority": 1, "bw": {"abs": a["ifbandwidth"], "pct": 0}}
                if self._eval_pfqueue(root, line):
                    errs += 1
            for q in qs:
                cfg.altq_pending.append({
                    "queue": q, "ifname": ifname, "sched": a["sched"],
                    "parent": ("root_" + ifname) if a["sched"] in ("cbq", "hfsc") else ""})
        if errs:
            raise ParseError(("", line))

    def _eval_pfaltq(self, a: dict[str, Any]) -> int:
        """pfctl_altq.c eval_pfaltq(): interface bandwidth (absolute, or getifspeed()), the
        32-bit clamp for schedulers other than hfsc and the tbrsize heuristic x getifmtu()."""
        cfg = self.cfg
        bw = a["bw"]
        errors = 0
        if bw["abs"] > 0:
            a["ifbandwidth"] = bw["abs"]
        else:
            rate = cfg.ifspeed(a["ifname"])
            if rate == 0:
                cfg.stderr(f"interface {a['ifname']} does not know its bandwidth, "
                           "please specify an absolute bandwidth")
                errors += 1
                a["ifbandwidth"] = 0
            else:
                a["ifbandwidth"] = _eval_bwspec(bw, rate) or rate
        if a["sched"] != "hfsc" and a["ifbandwidth"] > 0xFFFFFFFF:
            a["ifbandwidth"] = 0xFFFFFFFF
            cfg.stderr(f"pfctl: interface {a['ifname']} bandwidth limited to {0xFFFFFFFF} bps "
                       "because selected scheduler is 32-bit limited\n")
        if a["tbrsize"] == 0:
            rate = a["ifbandwidth"]
            size = (1 if rate <= 1000000 else 4 if rate <= 10000000 else 8 if rate <= 200000000
                    else 24 if rate <= 2500000000 else 128)
            a["tbrsize"] = size * cfg.ifmtu(a["ifname"])
        return errors

    def _eval_pfqueue(self, pa: dict[str, Any], line: int) -> int:
        """pfctl_altq.c eval_pfqueue() and the per-scheduler checks."""
        cfg = self.cfg
        ifq = cfg.altq_ifs.get(pa["ifname"])
        if ifq is None:
            cfg.stderr(f"altq not defined on {pa['ifname']}")
            return 1
        pa["sched"] = ifq["a"]["sched"]
        pa["ifbandwidth"] = ifq["a"]["ifbandwidth"]
        key = (pa["ifname"], pa["qname"])
        if key in cfg.altq_queues:
            cfg.stderr(f"queue {pa['qname']} already exists on interface {pa['ifname']}")
            return 1
        parent = None
        if pa["parent"]:
            parent = cfg.altq_queues.get((pa["ifname"], pa["parent"]))
            if parent is None:
                cfg.stderr(f"parent {pa['parent']} not found for {pa['qname']}")
                return 1
        if pa["qlimit"] == 0:
            pa["qlimit"] = 50
        ref = parent["bandwidth"] if parent else pa["ifbandwidth"]
        pa["ref_bw"] = ref      # eval_queue_opts() reference for service curves
        pa["bandwidth"] = 0
        if pa["sched"] in ("cbq", "hfsc", "fairq"):
            pa["bandwidth"] = _eval_bwspec(pa["bw"], ref)
            if pa["bandwidth"] > pa["ifbandwidth"]:
                cfg.stderr(f"bandwidth for {pa['qname']} higher than interface")
                return 1
            if parent is not None and pa["sched"] != "hfsc":
                if pa["bandwidth"] > parent["bandwidth"]:
                    cfg.stderr(f"pfctl: bandwidth for {pa['qname']} higher than parent")
                    return 1
                parent["bwsum"] = parent.get("bwsum", 0) + pa["bandwidth"]
                if parent["bwsum"] > parent["bandwidth"]:
                    cfg.stderr(f"pfctl: the sum of the child bandwidth ({parent['bwsum']}) higher"
                               f' than parent "{parent["qname"]}" ({parent["bandwidth"]})')
        flags = pa["opts"].get("flags", []) if pa["opts"]["type"] == pa["sched"] else []
        pa["flags"] = list(flags)
        if pa["sched"] == "cbq":
            if pa["priority"] >= 8:
                cfg.stderr("pfctl: priority out of range: max 7")
                return -1
            if not pa["parent"]:
                pa["flags"] += ["wrr", "root"]
                ifq["root"] += 1
            if "default" in flags:
                ifq["default"] += 1
        elif pa["sched"] == "priq":
            if pa["priority"] >= 16:
                cfg.stderr("pfctl: priority out of range: max 15")
                return -1
            if pa["priority"] in ifq["pris"]:
                cfg.stderr(f"pfctl: {pa['qname']} does not have a unique priority on interface "
                           f"{pa['ifname']}")
                return -1
            ifq["pris"].add(pa["priority"])
            if "default" in flags:
                ifq["default"] += 1
        elif pa["sched"] in ("hfsc", "fairq") and parent is not None:
            if "default" in parent["flags"]:
                cfg.stderr(f"pfctl: adding {pa['qname']} would make default queue "
                           f"{pa['parent']} not a leaf")
                return -1
            if "default" in flags:
                ifq["default"] += 1
            if pa["sched"] == "hfsc" and self._hfsc_admission(pa, parent):
                return -1
        elif pa["sched"] == "fairq" and "default" in flags:
            ifq["default"] += 1
        cfg.altq_queues[key] = pa
        cfg.altq_last = pa
        return 0

    def _hfsc_admission(self, pa: dict[str, Any], parent: dict[str, Any]) -> int:
        """pfctl_altq.c eval_pfqueue_hfsc(): m2 set, convex curves, real-time sum <= 80% of
        the interface, linkshare sum <= the parent's linkshare, upper-limit bounds (the
        generalized-curve checks are reduced to their m2 slopes)."""
        cfg = self.cfg
        ref = pa["ref_bw"]
        scs = pa["opts"].get("sc", {}) if pa["opts"]["type"] == "hfsc" else {}
        cur = {}
        for name in ("realtime", "linkshare", "upperlimit"):
            sc = scs.get(name)
            cur[name] = ((_eval_bwspec(sc["m1"], ref), sc["d"], _eval_bwspec(sc["m2"], ref))
                         if sc else (0, 0, 0))
        if cur["linkshare"][2] == 0:
            cur["linkshare"] = (cur["linkshare"][0], cur["linkshare"][1], pa["bandwidth"])
        pa["sc_eval"] = cur
        for m1, _d, m2 in cur.values():
            if m1 > 0 and m2 == 0:
                cfg.stderr(f"pfctl: m2 is zero for {pa['qname']}")
                return -1
        for m1, _d, m2 in cur.values():
            if m1 != 0 and m1 < m2:
                cfg.stderr(f"pfctl: m1 must be zero for convex curve: {pa['qname']}")
                return -1
        if cur["realtime"][2]:
            parent["rt_sum"] = parent.get("rt_sum", 0) + cur["realtime"][2]
            cap = pa["ifbandwidth"] // 100 * 80
            if parent["rt_sum"] > cap:
                cfg.stderr("pfctl: real-time sc exceeds 80% of the interface bandwidth "
                           f"({rate2str(cap)})")
                return -1
        if cur["linkshare"][2]:
            parent["ls_sum"] = parent.get("ls_sum", 0) + cur["linkshare"][2]
            pls = parent.get("sc_eval", {}).get("linkshare", (0, 0, parent["bandwidth"]))[2]
            if parent["ls_sum"] > pls:
                cfg.stderr("pfctl: linkshare sc exceeds parent's sc")
                return -1
        um1, _ud, um2 = cur["upperlimit"]
        if um2:
            if um1 > pa["ifbandwidth"] or um2 > pa["ifbandwidth"]:
                cfg.stderr("pfctl: upper-limit larger than interface bandwidth")
                return -1
            if cur["realtime"][2] and cur["realtime"][2] > um2:
                cfg.stderr("pfctl: upper-limit sc smaller than real-time sc")
                return -1
        return 0

    def queue_rule(self) -> None:
        cfg = self.cfg
        line = self.tok.line
        self.advance()
        self.check_rulestate(RS_QUEUE)
        name = self.string()
        ifs = self._altq_iface()
        o = self.queue_opts()
        qs = self.qassign()
        if not self.at_eol():
            self.err()
        if cfg.order_error:
            return
        if len(name) >= 64:
            self.err("queue name too long (max 63 chars)")
        if o["tbrsize"]:
            self.err("cannot specify tbrsize for queue")
        if not cfg.altq_enabled:
            return
        if not cfg.altq_pending:
            self.err(f"queue {name} has no parent")
        found = 0
        errs = 0
        for ifname, ifnot in ifs:
            for tq in list(cfg.altq_pending):
                if tq["queue"] != name or not (not ifname or (not ifnot and ifname == tq["ifname"])
                                               or (ifnot and ifname != tq["ifname"])):
                    continue
                found += 1
                if o["sched"] is not None and o["sched"]["type"] != tq["sched"]:
                    self.err("exactly one scheduler type per interface allowed")
                if tq["sched"] == "priq":
                    if qs:
                        self.err("priq queues cannot have child queues")
                    if o["bw"]["abs"] > 0 or o["bw"]["pct"] < 100:
                        self.err("priq doesn't take bandwidth")
                opts = o["sched"] or {"type": tq["sched"], "flags": [], "sc": {}, "codel": {}}
                pa = {"qname": name, "ifname": tq["ifname"], "parent": tq["parent"],
                      "priority": o["priority"], "qlimit": o["qlimit"], "bw": o["bw"],
                      "opts": opts}
                if self._eval_pfqueue(pa, line):
                    errs += 1
                for q in qs:
                    if q == name:
                        cfg.error(self.filename, line, "queue cannot have itself as child")
                        errs += 1
                        continue
                    cfg.altq_pending.append({"queue": q, "ifname": tq["ifname"],
                                             "sched": tq["sched"], "parent": name})
                if cfg.verbose and cfg.altq_last is not None and (
                        (found == 1 and not ifname) or (found > 0 and ifname)):
                    text = queue_text(cfg.altq_last, o["bw"], bool(ifname), o["sched"])
                    if qs:
                        text += "{ " + "".join(q + " " for q in qs) + "}"
                    cfg.out.append(text)
        if not found:
            cfg.error(self.filename, line, f"queue {name} has no parent")
            errs += 1
        if errs:
            raise ParseError(("errors in queue definition", line))

    # -- ethernet rules (parse.y etherrule / expand_eth_rule; printed by pfctl_parser.c
    #    print_eth_rule() when pfctl_load_eth_rule() loads them under -v)
    def mac_item(self) -> list[dict[str, Any]]:
        """parse.y xmac: ``[!] mac``, ``mac/masklen`` or ``mac&mask`` (node_mac_from_string*:
        sscanf "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx"; a bad address is a parse error)."""
        neg = bool(self.accept("!"))
        s = self.string()

        def mac(text: str) -> list[int]:
            parts = text.split(":")
            if len(parts) != 6:
                self.err()
            out = []
            for p in parts:
                if not p or len(p) > 2 or any(c not in "0123456789abcdefABCDEF" for c in p):
                    self.err()
                out.append(int(p, 16))
            return out
        if self.accept("/"):
            bits = self.number()
            if bits > 48:
                self.err()
            mask = [0] * 6
            for i in range(bits):
                mask[i // 8] |= 1 << (i % 8)
            return [{"addr": mac(s), "mask": mask, "neg": neg}]
        if "&" in s:
            a, _, m = s.partition("&")
            return [{"addr": mac(a), "mask": mac(m), "neg": neg}]
        return [{"addr": mac(s), "mask": [0xff] * 6, "neg": neg}]

    def ether_rule(self) -> None:
        """parse.y etherrule: ETHER action dir quick interface bridge etherproto etherfromto
        l3fromto etherfilter_opts; expand_eth_rule() loops over interfaces, protocols, source
        and destination MACs and the l3 source/destination addresses."""
        self.advance()
        self.check_rulestate(RS_ETHER)
        act = self.expect("pass", "block")
        r: dict[str, Any] = {"action": act, "direction": "", "quick": False, "bridge_to": None,
                             "label": [], "ridentifier": 0, "queue": None, "tag": None,
                             "tagged": None, "tagged_not": False, "dnpipe": None}
        spec: dict[str, Any] = {}
        d = self.accept("in", "out")
        if d:
            r["direction"] = d
        if self.accept("quick"):
            r["quick"] = True
        if self.accept("on"):
            spec["ifs"] = self.iflist()
        if self.accept("bridge-to"):
            r["bridge_to"] = self.string()
        if self.accept("proto"):
            def one_proto() -> list[int]:
                s = self.string()
                try:
                    v = int(s, 0)
                except ValueError:
                    v = {"ip": 0x0800, "ipv6": 0x86dd, "ip6": 0x86dd, "arp": 0x0806,
                         "revarp": 0x8035, "vlan": 0x8100, "lldp": 0x88cc}.get(s.lower(), -1)
                if not 0 <= v <= 0xffff:
                    self.err()
                return [v]
            spec["protos"] = self.braced_list(one_proto)
        if self.accept("from"):
            spec["smac"] = self.braced_list(self.mac_item)
        if self.accept("to"):
            spec["dmac"] = self.braced_list(self.mac_item)
        l3: dict[str, Any] = {}
        if self.accept("l3"):
            self.fromto(l3)
        while not self.at_eol():
            if self.accept("label"):
                r["label"].append(self.string())
            elif self.accept("ridentifier"):
                r["ridentifier"] = self.number()
            elif self.accept("queue"):
                r["queue"] = self.string()
            elif self.accept("tag"):
                r["tag"] = self.string()
            elif self.accept("!"):
                self.expect("tagged")
                r["tagged"], r["tagged_not"] = self.string(), True
            elif self.accept("tagged"):
                r["tagged"] = self.string()
            elif self.accept("dnpipe", "dnqueue"):
                r["dnpipe"] = (self.lex_prev, self.number())
            else:
                self.err()
        if len(r["label"]) > 5:
            self.err("filter_opts: too many labels")
        for (ifname, ifnot), proto, sm, dm, sh, dh in itertools.product(
                spec.get("ifs") or [(None, False)], spec.get("protos") or [0],
                spec.get("smac") or [None], spec.get("dmac") or [None],
                l3.get("src") or [None], l3.get("dst") or [None]):
            x = dict(r, ifname=ifname, ifnot=ifnot, proto=proto, smac=sm, dmac=dm,
                     src=sh or _any_node(), dst=dh or _any_node(), sport=None, dport=None)
            x["text"] = eth_rule_text(x)
            self.cfg.ether.setdefault(self.anchor_stack[-1], []).append(x)

    def filter_rule(self) -> None:
        r = _new_rule()
        action = self.advance().val
        r["action"] = action
        self.check_rulestate(RS_SCRUB if action == "scrub" else RS_FILTER)
        spec: dict[str, Any] = {}
        if action == "block":
            rv = self.accept("drop", "return", "return-rst", "return-icmp", "return-icmp6")
            if rv:
                r["ret"] = rv
                if rv in ("return-icmp", "return-icmp6", "return-rst") and self.accept("("):
                    args = []
                    while not self.accept(")"):
                        if self.at_eol():
                            self.err()
                        args.append(self.advance().val)
                    r["return_icmp"] = [a for a in args if a != ","]
        self.rule_common_head(r, spec)
        self.filter_opts(r, spec)
        if self.tok.kind == "p" and self.tok.val == "{":
            self.err()
        if action == "scrub":
            # parse.y scrubrule
            if r["quick"]:
                self.err("scrub rules do not support 'quick'")
            if "reassemble tcp" in r["scrub_opts"] and r["direction"]:
                self.err("reassemble tcp rules can not specify direction")
        bt = r.pop("binat_to", None)
        if bt is not None:
            # binat-to (OpenBSD-style parse.y in FreeBSD 15): an outbound rule with
            # "nat-to <addr> static-port" and the reverse inbound rule (source and
            # destination swapped, destination = the binat address) with "rdr-to <source>"
            if r["direction"] == "in":
                self.err("binat-to can only be used with outbound rules")
            if r.get("nat_to") or r.get("rdr_to"):
                self.err("binat-to can't be used with nat-to or rdr-to")
            out = dict(r, direction="out", label=list(r["label"]),
                       nat_to={"hosts": bt["hosts"], "port": None,
                               "opts": list(bt["opts"]) + ["static-port"]})
            self.expand(out, dict(spec), "filter")
            srcs = spec.get("src") or [_any_node()]
            rev_spec = dict(spec, src=spec.get("dst"), dst=[dict(h, neg=False) for h in bt["hosts"]],
                            sport=spec.get("dport"), dport=spec.get("sport"))
            rev = dict(r, direction="in", label=list(r["label"]),
                       rdr_to={"hosts": [dict(h, neg=False) for h in srcs], "port": None,
                               "opts": list(bt["opts"])})
            self.expand(rev, rev_spec, "filter")
            return
        self.expand(r, spec, "scrub" if action == "scrub" else "filter")

    def antispoof_rule(self) -> None:
        """parse.y antispoof_rule: per interface "block drop in on ! IF from <its networks>"
        and, unless IFF_LOOPBACK, "block drop in from <its addresses>" (ifa_lookup with
        PFI_AFLAG_NETWORK skips scoped link-local addresses); ``(IF)`` uses the dynamic forms
        ``(IF:network)`` and ``(IF)``."""
        self.advance()
        r = _new_rule()
        r.update(action="block", ret="drop", direction="in")
        if self.accept("log"):
            r["log"] = []
        if self.accept("quick"):
            r["quick"] = True
        self.expect("for")
        ifs: list[tuple[str, bool]] = []

        def one() -> None:
            if self.accept("("):
                ifs.append((self.string(), True))
                self.expect(")")
            else:
                ifs.append((self.string(), False))
        if self.accept("{"):
            while True:
                self.skip_nl()
                self.accept(",")
                if self.accept("}"):
                    break
                one()
        else:
            one()
        af = self.accept("inet", "inet6")
        if af:
            r["af"] = 4 if af == "inet" else 6
        while not self.at_eol():
            if self.accept("label"):
                r["label"].append(self.string())
            elif self.accept("rtable"):
                r["rtable"] = self.number()
            else:
                self.err()
        self.check_rulestate(RS_FILTER)
        for name, dyn in ifs:
            info = self.cfg.ifaces.get(name) or {}
            if dyn:
                nets = [_host_node("dyn", name=name, mods=["network"])]
                own = [_host_node("dyn", name=name, mods=[])]
            else:
                nets, own = [], []
                for fam in ("inet", "inet6"):
                    for addr, plen in info.get(fam, []):
                        a = str(addr).split("%")[0]
                        node = _ip_node(a)
                        if node is None:
                            continue
                        own.append(node)
                        if "%" not in str(addr) and not a.lower().startswith("fe80:"):
                            net = ipaddress.ip_network(f"{a}/{plen}", strict=False)
                            nets.append(_ip_node(str(net.network_address), int(plen)))
            if r["af"]:
                nets = [h for h in nets if not h["af"] or h["af"] == r["af"]]
                own = [h for h in own if not h["af"] or h["af"] == r["af"]]
            if nets:
                self.expand(dict(r, label=list(r["label"])), {"ifs": [(name, True)], "src": nets},
                            "filter")
            if own and not info.get("loop") and not name.startswith("lo"):
                self.expand(dict(r, label=list(r["label"])), {"src": own}, "filter")

    def anchor_rule(self) -> None:
        kind = self.advance().val
        r = _new_rule()
        r["action"] = {"anchor": "pass", "nat-anchor": "nat", "rdr-anchor": "rdr",
                       "binat-anchor": "binat"}[kind]
        r["anchor_kind"] = kind
        self.check_rulestate(RS_FILTER if kind == "anchor" else RS_NAT)
        name = None
        if self.tok.kind in ("w", "str") and not (self.tok.kind == "w" and self.tok.val in (
                "in", "out", "on", "inet", "inet6", "proto", "from", "to", "all", "quick", "log")):
            name = self.advance().val
        spec: dict[str, Any] = {}
        self.rule_common_head(r, spec, allow_dir=True)
        if kind == "anchor":
            self.filter_opts(r, spec)
        inline = self.tok.kind == "p" and self.tok.val == "{"
        if name is None and not inline:
            self.err("anchors without explicit rules must specify a name")
        base = self.anchor_stack[-1]
        if name is None:
            name = f"_{self.cfg.anon}"
            self.cfg.anon += 1
        if name.startswith("/"):
            path = name.lstrip("/")
        else:
            path = f"{base}/{name}" if base else name
        r["anchor"] = name
        r["anchor_path"] = path
        r["anchor_inline"] = inline
        ruleset = "filter" if kind == "anchor" else kind.split("-")[0]
        self.expand(r, spec, ruleset)
        if inline:
            self.advance()
            self.cfg.ensure_anchor(path)
            self.anchor_stack.append(path)
            # rules follow until the matching '}' (handled by statement())
            if not self.at_eol():
                # rules on the same line as '{'
                self.statement_inline()

    def statement_inline(self) -> None:
        while not self.at_eol():
            if self.tok.kind == "p" and self.tok.val == "}":
                self.advance()
                self.anchor_stack.pop()
                return
            self.statement()

    def nat_rule(self) -> None:
        r = _new_rule()
        if self.accept("no"):
            r["no"] = True
        kind = self.expect("nat", "rdr", "binat")
        r["action"] = kind
        self.check_rulestate(RS_NAT)
        spec: dict[str, Any] = {}
        if self.accept("pass"):
            r["natpass"] = True
            if self.accept("log"):
                r["log"] = []
        if self.accept("on"):
            spec["ifs"] = self.iflist()
        self.af_proto_fromto(r, spec)
        while self.accept("tag", "tagged"):
            if self.lex_prev == "tag":
                r["tag"] = self.string()
            else:
                r["tagged"] = self.string()
        if r["no"]:
            if self.accept("->"):
                self.err()
        else:
            self.expect("->")
            hosts = self.host_list()
            r["pool"] = hosts
            if self.accept("port"):
                a = self.string()
                # parse.y redirection: "port a:b" / "port a:*" (rdr: the range follows the
                # destination port range) / "port a" (nat: proxy_port[0] = proxy_port[1] = a)
                if ":" in a:
                    lo, _, hi = a.partition(":")
                    r["pool_ports"] = [self.port_value(lo), -1 if hi == "*" else self.port_value(hi)]
                else:
                    pv = self.port_value(a)
                    r["pool_ports"] = [pv, pv if kind == "nat" else 0]
                r["pool_port_given"] = True
            r["pool_opts"] = self.pool_opts()
            # parse.y natrule: a rule without af takes the af of a single-af pool before
            # expand_rule(), so source/destination hosts of the other af are skipped silently
            pafs = {h["af"] for h in hosts if h["af"]}
            if not r["af"] and len(pafs) == 1 and all(h["af"] for h in hosts):
                r["af"] = next(iter(pafs))
        self.expand(r, spec, kind)

    # -- expansion (expand_rule)
    def expand(self, r: dict[str, Any], spec: dict[str, Any], ruleset: str) -> None:
        ifs = spec.get("ifs") or [(None, False)]
        protos = spec.get("protos") or [None]
        srcs = spec.get("src") or [None]
        sports = spec.get("sport") or [None]
        dsts = spec.get("dst") or [None]
        dports = spec.get("dport") or [None]
        marker = set(spec.get("marker", set()))
        if 6 in (spec.get("protos") or []):
            marker.add("proto_has_tcp")
        icmps = spec.get("icmp") or [None]
        users = spec.get("user") or [None]
        oses = spec.get("os") or [None]
        groups = spec.get("group") or [None]
        produced = []
        # expand_rule(): LOOP_THROUGH interfaces, icmp types, protocols, sources, source
        # ports, destinations, destination ports, uids, gids (innermost last)
        for (ifname, ifnot), icmp, proto, sh, sp, osn, dh, dp, uid, gid in itertools.product(
                ifs, icmps, protos, srcs, sports, oses, dsts, dports, users, groups):
            saf = sh["af"] if sh else 0
            daf = dh["af"] if dh else 0
            if saf and daf and saf != daf:
                continue
            if r["af"] and ((saf and saf != r["af"]) or (daf and daf != r["af"])):
                continue
            x = dict(r)
            x["label"] = list(r["label"])
            x["ifname"], x["ifnot"] = ifname, ifnot
            x["proto"] = proto
            x["src"] = sh or _any_node()
            x["dst"] = dh or _any_node()
            x["sport"], x["dport"] = sp, dp
            x["os"] = osn
            x["af"] = r["af"] or saf or daf
            if icmp is not None:
                x["icmp_type"] = icmp
            x["user"], x["group"] = uid, gid
            # expand_rule(): expand_label() on labels, tag and tagged; $nr is the number the
            # rule gets in its anchor (the anchor's rule counter)
            rs = self.cfg.ensure_anchor(self.anchor_stack[-1])
            x["nr"] = sum(len(v) for v in rs.values()) + len(produced)
            x["label"] = [_expand_label(lab, x) for lab in x["label"]]
            for key in ("tag", "tagged"):
                if x.get(key):
                    x[key] = _expand_label(x[key], x)
            produced.append(x)
        for x in produced:
            self.finish(x, marker, ruleset)

    def pool_af(self, x: dict[str, Any], pool: list, line: int) -> list:
        """expand_rule(): the rule inherits the af of a single-af pool; pool addresses of
        another af are dropped; none left -> "no translation address with matching address
        family found." (parse.y)."""
        paf = {h["af"] for h in pool if h["af"]}
        if not x["af"] and len(paf) == 1:
            x["af"] = next(iter(paf))
        if x["af"]:
            pool = [h for h in pool if not h["af"] or h["af"] == x["af"]]
        if not pool:
            raise ParseError(("no translation address with matching address family found.", line))
        return pool

    def pool_type(self, opts: list[str], pool: list, line: int, n: Optional[int] = None) -> list[str]:
        """parse.y: a pool of several addresses, a table or an interface defaults to
        round-robin; bitmask/random/source-hash reject tables and interfaces."""
        n = len(pool) if n is None else n
        ptype = next((o.split()[0] for o in opts if o.split()[0] in (
            "round-robin", "random", "bitmask", "source-hash")), None)
        if ptype and ptype != "round-robin":
            for h in pool:
                if h["type"] == "table":
                    raise ParseError(("tables are not supported by pool type", line))
                if h["type"] == "dyn":
                    raise ParseError((f"interface ({h['name']}) is not supported by pool type", line))
            if ptype != "round-robin" and n > 1 and ptype != "random":
                pass
        if ptype is None and (n > 1 or any(h["type"] in ("dyn", "table") for h in pool)):
            opts = ["round-robin"] + list(opts)
        return list(opts)

    def finish(self, x: dict[str, Any], marker: set, ruleset: str) -> None:
        line = self.tok.line
        p = x["proto"]
        if x["action"] in ("pass", "block", "match", "scrub") and not x.get("anchor"):
            if (x["sport"] or x["dport"]) and p not in (6, 17, 132):
                raise ParseError(("port only applies to tcp/udp/sctp", line))
        if x["action"] in ("nat", "rdr", "binat"):
            if (x["sport"] or x["dport"]) and p not in (6, 17, 132):
                raise ParseError(("port only applies to tcp/udp/sctp", line))
        if x.get("os") and p not in (None, 6):
            raise ParseError(("OS fingerprinting only apply to tcp", line))
        if x["flags"] and p not in (None, 6) and not (marker & {"proto_has_tcp"}):
            # parse.y pfrule: only when no protocol of the list is tcp
            raise ParseError(("flags only apply to tcp", line))
        if x["action"] == "pass" and not x.get("anchor"):
            if x["keep_state"] is None:
                x["keep_state"] = "keep"
            if x["keep_state"] == "none":
                x["keep_state"] = None
            if (x["keep_state"] and x["flags"] is None and not x["flags_any"] and not x["fragment"]
                    and "flags" not in marker and p in (None, 6)):
                x["flags"] = ["S", "SA"]
        elif x["action"] in ("block", "match", "scrub"):
            if x["keep_state"] == "none":
                x["keep_state"] = None
        if x["action"] == "block" and x["ret"] is None:
            x["ret"] = "return" if self.cfg.options.get("block_policy") == "return" else "drop"
        route = x.get("route")
        if route:
            # parse.y filter rule: "route-to, reply-to and dup-to are not supported on block
            # rules"; expand_rule(): route hosts of the wrong af are dropped, none left ->
            # "no routing address with matching address family found."
            if x["action"] == "block":
                raise ParseError(("route-to, reply-to and dup-to are not supported on block rules", line))
            hosts = route["hosts"]
            raf = ({"inet": 4, "inet6": 6}[x["af_to"]["af"]]
                   if x.get("af_to") and route["kind"] != "reply-to" else x["af"])
            if not x["af"]:
                for _, h in hosts:
                    if h is not None and h["af"]:
                        x["af"] = h["af"]
                        break
                raf = raf or x["af"]
            if raf:
                v6ok = raf == 4 and "prefer-ipv6-nexthop" in route["opts"]
                hosts = [(i, h) for i, h in hosts
                         if h is None or not h["af"] or h["af"] == raf or (v6ok and h["af"] == 6)]
                if not hosts:
                    raise ParseError(("no routing address with matching address family found.", line))
            x["route"] = dict(route, hosts=hosts, opts=self.pool_type(
                route["opts"], [h for _, h in hosts if h is not None], line, len(hosts)))
        for key in ("nat_to", "rdr_to"):
            t = x.get(key)
            if not t:
                continue
            pool = self.pool_af(x, t["hosts"], line)
            x[key] = dict(t, hosts=pool, opts=self.pool_type(t["opts"], pool, line))
        if x["action"] in ("nat", "rdr", "binat") and not x["no"] and not x.get("anchor"):
            pool = self.pool_af(x, x["pool"], line)
            x["pool"] = pool
            opts = x["pool_opts"]
            # parse.y rule_consistent()/nat rules: option checks (pf1033..pf1043)
            if x["action"] != "nat":
                for o in ("static-port", "map-e-portset"):
                    if any(v.split()[0] == o for v in opts):
                        raise ParseError((f"the '{o}' option is only valid with nat rules", line))
            mape = any(v.startswith("map-e-portset") for v in opts)
            if "static-port" in opts and x.get("pool_port_given"):
                raise ParseError(("the 'static-port' option can't be used when specifying a port range", line))
            if mape and "static-port" in opts:
                raise ParseError(("the 'map-e-portset' option can't be used 'static-port'", line))
            if mape and x.get("pool_port_given"):
                raise ParseError(("the 'map-e-portset' option can't be used when specifying a port range", line))
            x["pool_opts"] = self.pool_type(opts, pool, line)
            pp = x.get("pool_ports")
            if x["action"] == "rdr" and pp and pp[1] == -1:
                # "port a:*": the redirect range is as wide as the destination port range
                dp = x["dport"]
                width = (dp[2] - dp[1]) if dp and dp[0] == ":" else 0
                x["pool_ports"] = [pp[0], pp[0] + width]
            if x["action"] == "nat" and x["pool_ports"] is None:
                x["pool_ports"] = [0, 0] if "static-port" in x["pool_opts"] else [NAT_PROXY_LOW, NAT_PROXY_HIGH]
            if "static-port" in x["pool_opts"]:
                x["pool_opts"] = [o for o in x["pool_opts"] if o != "static-port"]
                x["pool_ports"] = [0, 0]
        x["anchor_path_base"] = self.anchor_stack[-1]
        x["text"] = rule_text(x)
        self.cfg.add_rule(self.anchor_stack[-1], ruleset, x)


# ----------------------------------------------------------------------------------------
# printer


def _port_text(op_p: tuple, proto: Optional[int], numeric: bool = False) -> str:
    op, p1, p2 = op_p
    pname = "tcp" if proto == 6 else "udp"
    s = None if numeric else getservbyport(p1, pname)
    a1 = s if (s is not None and op in ("=", "!=")) else str(p1)
    if op == "><":
        return f" port {p1} >< {p2}"
    if op == "<>":
        return f" port {p1} <> {p2}"
    if op == ":":
        return f" port {p1}:{p2}"
    return f" port {op} {a1}"


def _zero_addr(h: dict[str, Any]) -> bool:
    return h["type"] == "any" or (h["type"] == "addr" and h["bits"] == 0 and
                                  h["addr"] in ("0.0.0.0", "::"))


def _fromto(x: dict[str, Any]) -> str:
    s, d = x["src"], x["dst"]
    # print_fromto(): " all" when both are zero address/mask (any, 0/0), not negated, no
    # ports and no os fingerprint
    if _zero_addr(s) and _zero_addr(d) and not s["neg"] and not d["neg"] \
            and not x["sport"] and not x["dport"] and not x.get("os"):
        return " all"
    out = " from " + ("! " if s["neg"] else "") + addr_text(s)
    if x["sport"]:
        out += _port_text(tuple(x["sport"]), x["proto"])
    if x.get("os"):
        # print_fromto(): " os \"%s\"" (pfctl_lookup_fingerprint)
        out += f' os "{x["os"]}"'
    out += " to " + ("! " if d["neg"] else "") + addr_text(d)
    if x["dport"]:
        out += _port_text(tuple(x["dport"]), x["proto"])
    return out


def _pool_text(x: dict[str, Any]) -> str:
    pool = x["pool"]
    addrs = [addr_text(h) for h in pool]
    s = ("{ " + ", ".join(addrs) + " }") if len(addrs) > 1 else addrs[0]
    pp = x.get("pool_ports")
    if x["action"] == "nat" and pp:
        p1, p2 = pp
        if (p1, p2) != (NAT_PROXY_LOW, NAT_PROXY_HIGH) and (p1 or p2):
            s += f" port {p1}" if p1 == p2 else f" port {p1}:{p2}"
    elif x["action"] == "rdr" and pp and pp[0]:
        s += f" port {pp[0]}"
        if pp[1] and pp[1] != pp[0]:
            s += f":{pp[1]}"
    for o in x["pool_opts"]:
        s += " " + o
    if x["action"] == "nat" and pp == [0, 0]:
        s += " static-port"
    return s


def rule_text(x: dict[str, Any], numeric: bool = False) -> str:
    """print_rule()."""
    act = x["action"]
    if x.get("anchor"):
        kind = x.get("anchor_kind", "anchor")
        out = kind if x["anchor"].startswith("_") else f'{kind} "{x["anchor"]}"'
    elif act in ("nat", "rdr", "binat"):
        out = ("no " if x["no"] else "") + act + (" pass" if x["natpass"] else "")
    else:
        out = act
    if act == "block":
        ret = x["ret"]
        if ret == "return-icmp" or ret == "return-icmp6":
            args = x.get("return_icmp") or []
            code = args[0] if args else "port-unr"
            code6 = args[1] if len(args) > 1 else (args[0] if args and ret == "return-icmp6" else "port-unr")
            if x["af"] == 4:
                out += f" return-icmp({code})"
            elif x["af"] == 6 or ret == "return-icmp6":
                out += f" return-icmp6({code6 if ret == 'return-icmp' else code})"
            else:
                out += f" return-icmp({code}, {code6})"
        else:
            out += " " + ret
    if x["direction"]:
        out += " " + x["direction"]
    if x["log"] is not None:
        out += " log"
        if x["log"]:
            out += " (" + ", ".join(x["log"]) + ")"
    if x["quick"]:
        out += " quick"
    if x["ifname"]:
        out += (" on ! " if x["ifnot"] else " on ") + x["ifname"]
    route = x.get("route")
    if route:
        # print_rule: r->rt -> " route-to "/" reply-to "/" dup-to " + print_pool(PF_PASS)
        # print_pool(PF_PASS): an interface-only route host (zero address, set_ipmask 128)
        # prints bare when the rule has an af (PF_AZERO), else "(if ?)" (inet_ntop(0) fails)
        items = [(i if x["af"] else f"({i} ?)") if h is None else f"({i} {addr_text(h)})"
                 for i, h in route["hosts"]]
        out += f" {route['kind']} " + (("{ " + ", ".join(items) + " }") if len(items) > 1 else items[0])
        for o in route["opts"]:
            out += " " + o
    if x["af"]:
        out += " inet" if x["af"] == 4 else " inet6"
    if x["proto"] is not None:
        out += " proto " + PROTO_NAMES.get(x["proto"], str(x["proto"]))
    out += _fromto(x)
    if x.get("rcv_if"):
        out += " received-on " + x["rcv_if"]
    for key in ("user", "group"):
        ug = x.get(key)
        if ug:
            # print_ugid(): UID_MAX prints as "unknown"
            op, a, b = ug
            a_s = "unknown" if a == 0xFFFFFFFF and op in ("=", "!=") else str(a)
            out += f" {key} {a} {op} {b}" if op in ("<>", "><") else f" {key} {op} {a_s}"
    if x["flags"]:
        out += f" flags {x['flags'][0]}/{x['flags'][1]}"
    elif act == "pass" and x["proto"] in (None, 6) and not x["fragment"] and not x.get("anchor") \
            and x["keep_state"] and x["flags_any"]:
        out += " flags any"
    if x["icmp_type"]:
        out += (" icmp6-type " if x["af"] == 6 else " icmp-type ") + x["icmp_type"]
    if x["tos"]:
        out += " tos 0x%2.2x" % x["tos"]
    if x["prio"] is not None:
        out += f" prio {x['prio']}"
    if x.get("set_opts"):
        # print_rule: " set (" [" prio N" | " prio(a, b)"] [", tos 0x.."] " )"
        parts = []
        for k, v in x["set_opts"]:
            if k == "prio":
                parts.append(f" prio{v}" if isinstance(v, str) else f" prio {v}")
            else:
                parts.append(" tos 0x%2.2x" % v)
        out += " set (" + ",".join(parts) + " )"
    if x.get("max_pkt_rate"):
        out += f" max-pkt-rate {x['max_pkt_rate']}"
    if x.get("max_pkt_size"):
        out += f" max-pkt-size {x['max_pkt_size']}"
    ks = x["keep_state"]
    if not ks and act == "pass" and not x.get("anchor"):
        out += " no state"
    elif ks in ("keep", "modulate", "synproxy"):
        out += f" {ks} state"
    if x["probability"]:
        out += f" probability {x['probability']}"
    if x["state_opts"] and ks:
        out += " (" + ", ".join(x["state_opts"]) + ")"
    if x["fragment"]:
        out += " fragment"
    sm = x.get("scrub_match")
    if sm and act != "scrub":
        # print_rule(): scrub actions on pass/match rules, " scrub (" items joined by ", " ")"
        parts = []
        if "no-df" in sm:
            parts.append("no-df")
        if "random-id" in sm:
            parts.append("random-id")
        if "min-ttl" in sm:
            parts.append(f"min-ttl {sm['min-ttl']}")
        if "set-tos" in sm:
            parts.append("set-tos 0x%2.2x" % sm["set-tos"])
        if "reassemble" in sm:
            parts.append("reassemble tcp")
        if "max-mss" in sm:
            parts.append(f"max-mss {sm['max-mss']}")
        if parts:
            out += " scrub (" + ", ".join(parts) + ")"
    if x["allow_opts"]:
        out += " allow-opts"
    if act == "scrub":
        # print_rule: no-df, random-id, min-ttl, max-mss, set-tos, then for scrub rules
        # " reassemble tcp" and " fragment [no ]reassemble"
        order = ("no-df", "random-id", "min-ttl", "max-mss", "set-tos", "reassemble")
        for key in order:
            for o in x["scrub_opts"]:
                if o.split()[0] == key:
                    out += " " + o
        out += " fragment no reassemble" if x.get("scrub_noreass") else " fragment reassemble"
    for lab in x["label"]:
        out += f' label "{lab}"'
    if x.get("ridentifier"):
        out += f" ridentifier {x['ridentifier']}"
    dn = x.get("dn")
    if dn:
        # print_rule(): " dnpipe(%d, %d)" when a return pipe is set, else " dnpipe %d"
        out += f" {dn[0]}({dn[1]}, {dn[2]})" if dn[2] else f" {dn[0]} {dn[1]}"
    if x["queue"] and x.get("pqueue"):
        out += f" queue({x['queue']}, {x['pqueue']})"
    elif x["queue"]:
        out += f" queue {x['queue']}"
    if x["tag"]:
        out += f" tag {x['tag']}"
    if x["tagged"]:
        out += (" !" if x["tagged_not"] else "") + f" tagged {x['tagged']}"
    if x["rtable"] is not None:
        out += f" rtable {x['rtable']}"
    if x.get("divert"):
        out += f" divert-to {x['divert']}"
    if x["once"]:
        out += " once"
    for key, word in (("nat_to", "nat-to"), ("rdr_to", "rdr-to")):
        t = x.get(key)
        if t:
            hs = [addr_text(h) if isinstance(h, dict) else str(h) for h in t["hosts"]]
            out += f" {word} " + (("{ " + ", ".join(hs) + " }") if len(hs) > 1 else hs[0])
            if t["port"]:
                out += f" port {t['port']}"
            for o in t["opts"]:
                out += " " + o
    aft = x.get("af_to")
    if aft:
        # pf.conf(5) af-to (FreeBSD 15): " af-to inet6 from <pool> [to <pool>]"
        def _hl(hs: list) -> str:
            ts = [addr_text(h) for h in hs]
            return ("{ " + ", ".join(ts) + " }") if len(ts) > 1 else ts[0]
        out += f" af-to {aft['af']} from {_hl(aft['from'])}"
        if aft["to"]:
            out += f" to {_hl(aft['to'])}"
    if not x.get("anchor") and act in ("nat", "rdr", "binat") and not x["no"]:
        out += " -> " + _pool_text(x)
    return out


# pf1079 prints nat-to before rdr-to: keep that order in rule_text (nat_to first).


def _eval_bwspec(bw: dict[str, Any], ref: int) -> int:
    """pfctl_altq.c eval_bwspec()."""
    if bw["abs"] > 0:
        return min(bw["abs"], ref)
    if bw["pct"] > 0:
        return ref // 100 * bw["pct"]
    return 0


def rate2str(rate: float) -> str:
    """pfctl_altq.c rate2str(): /1000 per unit of " KMG", "%.2f%cb" unless integral."""
    i = 0
    while rate >= 1000 and i <= 3:
        rate /= 1000
        i += 1
    unit = " KMG"[i] if i < 4 else "\0"
    if int(rate * 100) % 100:
        return "%.2f%cb" % (rate, unit)
    return "%d%cb" % (int(rate), unit)


def _sc_text(name: str, m1: int, d: int, m2: int, sc: Optional[dict[str, Any]]) -> str:
    """pfctl_altq.c print_hfsc_sc() / print_fairq_sc()."""
    out = " " + name
    if d:
        out += "(" + (f"{sc['m1']['pct']}%" if sc and sc["m1"]["pct"] > 0 else rate2str(m1))
        out += f" {d}"
    out += (f" {sc['m2']['pct']}%" if sc and sc["m2"]["pct"] > 0 else " " + rate2str(m2))
    if d:
        out += ")"
    return out


_FLAG_ORDER = {"cbq": ("red", "ecn", "rio", "codel", "cleardscp", "flowvalve", "borrow", "wrr",
                       "efficient", "root", "default"),
               "priq": ("red", "ecn", "rio", "codel", "cleardscp", "default"),
               "hfsc": ("red", "ecn", "rio", "codel", "cleardscp", "default"),
               "fairq": ("red", "ecn", "rio", "codel", "cleardscp", "default")}


def _sched_text(a: dict[str, Any], qopts: Optional[dict[str, Any]]) -> str:
    """print_cbq_opts()/print_priq_opts()/print_hfsc_opts()/print_fairq_opts()/
    print_codel_opts(): "" when nothing is set."""
    kind = a["sched"]
    flags = a.get("flags", a["opts"].get("flags", []) if a["opts"]["type"] == kind else [])
    if kind == "codel":
        c = a["opts"].get("codel", {}) if a["opts"]["type"] == "codel" else {}
        if not (c.get("target") or c.get("interval") or c.get("ecn")):
            return ""
        out = "codel("
        if c.get("target"):
            out += f" target {c['target']}"
        if c.get("interval"):
            out += f" interval {c['interval']}"
        if c.get("ecn"):
            out += "ecn"
        return out + " ) "
    fl = "".join(" " + f for f in _FLAG_ORDER[kind] if f in flags)
    scs = ""
    if kind in ("hfsc", "fairq"):
        sc = a["opts"].get("sc", {}) if a["opts"]["type"] == kind else {}
        ref = a.get("ref_bw", a.get("ifbandwidth", 0))
        base = a.get("bandwidth", 0)
        for name in (("realtime", "linkshare", "upperlimit") if kind == "hfsc" else ("linkshare",)):
            s = sc.get(name)
            if s is None:
                if name == "linkshare" and not a.get("qname"):
                    continue
                continue
            m1 = _eval_bwspec(s["m1"], ref)
            m2 = _eval_bwspec(s["m2"], ref)
            if m2 == 0:
                continue
            if name == "linkshare" and m2 == base and s["d"] == 0:
                continue
            scs += _sc_text(name, m1, s["d"], m2, s if qopts is not None else None)
    if not fl and not scs:
        return ""
    return f"{kind}(" + fl + scs + " ) "


def altq_text(a: dict[str, Any], bw: dict[str, Any], qopts: Optional[dict[str, Any]]) -> str:
    """pfctl_altq.c print_altq() (expand_altq() appends "queue { ... }")."""
    out = f"altq on {a['ifname']} "
    out += _sched_text(a, qopts) or a["sched"] + " "
    if bw["pct"] > 0:
        if bw["pct"] < 100:
            out += f"bandwidth {bw['pct']}% "
    else:
        out += f"bandwidth {rate2str(a['ifbandwidth'])} "
    if a["qlimit"] != 50:
        out += f"qlimit {a['qlimit']} "
    return out + f"tbrsize {a['tbrsize']} "


def queue_text(a: dict[str, Any], bw: dict[str, Any], print_if: bool,
               qopts: Optional[dict[str, Any]]) -> str:
    """pfctl_altq.c print_queue()."""
    if not a.get("qname"):
        return altq_text(a, bw, qopts)
    out = f"queue {a['qname']} "
    if print_if:
        out += f"on {a['ifname']} "
    if a["sched"] in ("cbq", "hfsc", "fairq"):
        if bw["pct"] > 0:
            if bw["pct"] < 100:
                out += f"bandwidth {bw['pct']}% "
        else:
            out += f"bandwidth {rate2str(a['bandwidth'])} "
    if a["priority"] != 1:
        out += f"priority {a['priority']} "
    if a["qlimit"] != 50:
        out += f"qlimit {a['qlimit']} "
    if a["sched"] != "codel":
        out += _sched_text(a, qopts)
    return out


def _eth_addr_text(a: dict[str, Any]) -> str:
    """pfctl_parser.c print_eth_addr(): nothing for an all-zero address; a mask of leading
    one bits (tested bit i as mask[i / 8] & (1 << i % 8)) prints as /len, any other
    non-full mask as &xx:xx:xx:xx:xx:xx."""
    if not any(a["addr"]):
        return ""
    out = ("! " if a["neg"] else "") + ":".join("%02x" % b for b in a["addr"])
    mask = a["mask"]
    masklen, seen_unset, i = 48, False, 0
    while i < 48:
        isset = bool(mask[i // 8] & (1 << (i % 8)))
        if not seen_unset:
            if not isset:
                seen_unset, masklen = True, i
        elif isset:
            break
        i += 1
    if masklen == 48:
        return out
    if i == 48:
        return out + f"/{masklen}"
    return out + "&" + ":".join("%02x" % b for b in mask)


def eth_rule_text(x: dict[str, Any]) -> str:
    """pfctl_parser.c print_eth_rule(): "ether" action [in|out] [quick] [on [!] if]
    [bridge-to if] [proto 0x%04x] [from mac] [to mac] " l3" print_fromto() [label "x"]...
    [ridentifier N] [queue q] [tag t] [[!] tagged t] [dnpipe|dnqueue N]."""
    out = "ether " + x["action"]
    if x["direction"]:
        out += " " + x["direction"]
    if x["quick"]:
        out += " quick"
    if x["ifname"]:
        out += (" on ! " if x["ifnot"] else " on ") + x["ifname"]
    if x["bridge_to"]:
        out += " bridge-to " + x["bridge_to"]
    if x["proto"]:
        out += " proto 0x%04x" % x["proto"]
    if x["smac"] is not None:
        out += " from " + _eth_addr_text(x["smac"])
    if x["dmac"] is not None:
        out += " to " + _eth_addr_text(x["dmac"])
    out += " l3" + _fromto(dict(x, proto=0))
    for lab in x["label"]:
        out += f' label "{lab}"'
    if x["ridentifier"]:
        out += f" ridentifier {x['ridentifier']}"
    if x["queue"]:
        out += f" queue {x['queue']}"
    if x["tag"]:
        out += f" tag {x['tag']}"
    if x["tagged"]:
        out += (" !" if x["tagged_not"] else "") + f" tagged {x['tagged']}"
    if x["dnpipe"]:
        out += f" {x['dnpipe'][0]} {x['dnpipe'][1]}"
    return out

# ----------------------------------------------------------------------------------------
# optimizer (pfctl_optimize.c: superblocks, remove_identical_rules, reorder_rules)

_BREAK_KEYS = ("action", "ret", "return_icmp", "log", "quick", "keep_state", "state_opts",
               "tag", "queue", "allow_opts", "fragment", "natpass", "nat_to", "rdr_to", "route",
               "once", "rtable", "prio")
_NOMERGE_KEYS = ("af", "ifnot", "ifname", "tagged", "tagged_not", "direction", "proto",
                 "icmp_type", "flags", "tos", "sport", "dport", "os", "user", "group", "flags_any")


def _barrier(x: dict[str, Any]) -> bool:
    return bool(x["label"] or x["probability"] or x.get("anchor")
                or any(o.startswith("max") for o in x["state_opts"]))


def _key(x: dict[str, Any], keys: tuple) -> str:
    return repr([x.get(k) for k in keys])


def _sb_inclusive(first: dict[str, Any], x: dict[str, Any]) -> bool:
    if _barrier(x) or _barrier(first):
        return False
    return _key(first, _BREAK_KEYS) == _key(x, _BREAK_KEYS)


def _addr_is_any(h: dict[str, Any]) -> bool:
    return h["type"] == "any" or (h["type"] == "addr" and h["bits"] == 0)


def _addr_eq(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return addr_text(a) == addr_text(b) and a["neg"] == b["neg"] and a["type"] == b["type"]


def _superset(sup: dict[str, Any], sub: dict[str, Any]) -> bool:
    """exclude_supersets() + memcmp: sub is identical to / contained in sup."""
    a = dict(sup)
    b = dict(sub)
    if not a["ifname"]:
        b["ifname"] = None
        b["ifnot"] = False
    if not a["direction"]:
        b["direction"] = ""
    if (a["proto"] is None or a["proto"] == b["proto"]) and not a["flags"] and b["flags"]:
        b["flags"] = a["flags"]
    if a["proto"] is None:
        b["proto"] = None
    if not a["sport"]:
        b["sport"] = None
    if not a["dport"]:
        b["dport"] = None
    for k in ("src", "dst"):
        sa, sb = a[k], b[k]
        if _addr_is_any(sa) and not sa["neg"] and not sb["neg"]:
            b[k] = sa
        elif sa["type"] == "addr" and sb["type"] == "addr" and sa["neg"] == sb["neg"] and \
                a["af"] == b["af"] and sa["bits"] < sb["bits"]:
            net = ipaddress.ip_network(f"{sa['addr']}/{sa['bits']}")
            if ipaddress.ip_address(sb["addr"]) in net:
                b[k] = sa
    keys = _BREAK_KEYS + _NOMERGE_KEYS + ("label", "probability", "anchor")
    if _key(a, keys) != _key(b, keys):
        return False
    return all(_addr_eq(a[k], b[k]) for k in ("src", "dst"))


def _remove_identical(rules: list) -> list:
    rules = list(rules)
    i = 0
    while i < len(rules):
        removed_i = False
        j = i + 1
        while j < len(rules):
            if _superset(rules[i], rules[j]):
                del rules[j]
                continue
            if _superset(rules[j], rules[i]):
                del rules[i]
                removed_i = True
                break
            j += 1
        if not removed_i:
            i += 1
    return rules


def _skip_cmp(i: int, a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when rule a belongs to the skiplist whose first rule is b (skip_cmp_* == 0)."""
    if i == 0:
        return bool(a["ifname"]) and a["ifname"] == b["ifname"] and a["ifnot"] == b["ifnot"]
    if i == 1:
        return bool(a["direction"]) and a["direction"] == b["direction"]
    if i == 2:
        return bool(a["af"]) and a["af"] == b["af"]
    if i == 3:
        return a["proto"] not in (None, 0) and a["proto"] == b["proto"]
    if i in (4, 6):
        k = "src" if i == 4 else "dst"
        x, y = a[k], b[k]
        if x["neg"] != y["neg"] or x["type"] != y["type"]:
            return False
        if x["type"] in ("any",):
            return False
        if x["type"] == "addr":
            if x["addr"] in ("0.0.0.0", "::"):
                return False
            return (x["addr"], x["bits"], x["af"]) == (y["addr"], y["bits"], y["af"])
        if x["type"] in ("noroute", "urpf"):
            return True
        return addr_text(x) == addr_text(y)
    k = "sport" if i == 5 else "dport"
    return bool(a[k]) and a[k] == b[k]


def _reorder(rules: list) -> list:
    """reorder_rules(): returns the blocks (lists of rules) in their final order."""
    n = len(rules)
    NSKIP = 8
    skips: list[list[dict]] = []
    for i in range(NSKIP):
        lists: list[dict] = []
        for r in rules:
            for sl in lists:
                if _skip_cmp(i, r, sl["rules"][0]):
                    break
            else:
                sl = {"rules": [], "count": 0}
                lists.append(sl)
            sl["count"] += 1
            sl["rules"].append(r)
            idx = lists.index(sl)
            while idx > 0 and lists[idx - 1]["count"] < sl["count"]:
                lists[idx - 1], lists[idx] = lists[idx], lists[idx - 1]
                idx -= 1
        skips.append(lists)
    largest = 0
    for i in range(NSKIP):
        first = skips[i][0]
        if first["count"] == n or first["count"] == 1:
            first["count"] = 0
        elif first["count"] > largest:
            largest = first["count"]
    if largest == 0:
        return [rules]
    head = list(rules)
    block: list = []
    before: list[list] = []  # blocks inserted before this one
    while head:
        largest, largest_list = 1, -1
        for i in range(NSKIP):
            if skips[i] and skips[i][0]["count"] > largest:
                largest, largest_list = skips[i][0]["count"], i
        if largest <= 1:
            block.extend(head)
            head = []
            break
        sl = skips[largest_list].pop(0)
        moved = list(sl["rules"])
        for r in moved:
            if r in head:
                head.remove(r)
            for i in range(NSKIP):
                lists = skips[i]
                if not lists or lists[0] is sl or lists[0]["count"] <= 1:
                    continue
                for k, other in enumerate(lists):
                    if any(o is r for o in other["rules"]):
                        other["rules"] = [o for o in other["rules"] if o is not r]
                        other["count"] -= 1
                        while k + 1 < len(lists) and lists[k + 1]["count"] > other["count"]:
                            lists[k], lists[k + 1] = lists[k + 1], lists[k]
                            k += 1
                        break
        if sl["count"] > 2:
            before.extend(_reorder(moved))
        else:
            block.extend(moved)
    return before + ([block] if block else [])


TABLE_THRESHOLD = 6     # pfctl_optimize.c


def _comb_key(x: dict[str, Any]) -> str:
    """comparable_rule(COMBINED): everything but the src/dst addresses (negation and ports
    stay)."""
    d = {k: v for k, v in x.items()
         if k not in ("src", "dst", "text", "nr", "anchor_path_base", "cpid")}
    d["_sneg"], d["_dneg"] = x["src"]["neg"], x["dst"]["neg"]
    return repr(sorted(d.items(), key=lambda kv: kv[0]))


def _addr_key(h: dict[str, Any]) -> tuple:
    t = "addr" if h["type"] == "any" else h["type"]
    return (t, h["neg"], addr_text(h))


def _combine(rules: list, ctx: Optional["Config"]) -> list:
    """pfctl_optimize.c combine_rules(): rules identical but for one address are merged into
    a const table once TABLE_THRESHOLD of them share it.  Under -n the table keeps its
    temporary name "__automatic_%d" (add_opt_table(): static counter over every table
    started); print_tabledef() shows it under -v.  A real load names it
    "__automatic_%x_%d" (pf_opt_create_table(): arc4random() identifier)."""
    rules = list(rules)
    tbl: dict[int, dict[str, Any]] = {}      # id(rule) -> {"side": "src"/"dst", "t": table}

    def new_table() -> dict[str, Any]:
        n = ctx.opt_tablenum if ctx is not None else 0
        if ctx is not None:
            ctx.opt_tablenum += 1
        return {"name": f"__automatic_{n}", "nodes": [], "count": 0, "generated": False}

    def add(t: dict[str, Any], h: dict[str, Any]) -> None:
        t["nodes"].append(h)
        t["count"] += 1
    i = 0
    while i < len(rules):
        p1 = rules[i]
        j = i + 1
        while j < len(rules):
            p2 = rules[j]
            s_eq = _addr_key(p1["src"]) == _addr_key(p2["src"])
            d_eq = _addr_key(p1["dst"]) == _addr_key(p2["dst"])
            t1, t2 = tbl.get(id(p1)), tbl.get(id(p2))
            removed = False
            for side, eq_other, neq in (("dst", s_eq, d_eq), ("src", d_eq, s_eq)):
                other = "src" if side == "dst" else "dst"
                if not (eq_other and not neq):
                    continue
                if (t1 and t1["side"] == other) or t2:
                    continue
                a, b = p1[side], p2[side]
                if a["type"] not in ("addr", "any") or b["type"] not in ("addr", "any") or \
                        a["neg"] != b["neg"] or _comb_key(p1) != _comb_key(p2):
                    continue
                if t1 is None:
                    t1 = tbl[id(p1)] = {"side": side, "t": new_table()}
                    add(t1["t"], a)
                add(t1["t"], b)
                tbl[id(p2)] = t1
                if t1["t"]["count"] >= TABLE_THRESHOLD:
                    del rules[j]
                    removed = True
                break
            if not removed:
                j += 1
        i += 1
    out = []
    for r in rules:
        ent = tbl.get(id(r))
        if ent is None or ent["t"]["count"] < TABLE_THRESHOLD:
            out.append(r)
            continue
        t = ent["t"]
        if t["generated"]:
            continue
        t["generated"] = True
        name = t["name"]
        if ctx is not None and not ctx.noaction:
            if not ctx.opt_table_id:
                ctx.opt_table_id = int.from_bytes(os.urandom(4), "big")
            name = "__automatic_%x_%d" % (ctx.opt_table_id, ctx.opt_created)
            ctx.opt_created += 1
            ctx.tables[name] = {"flags": ["const"], "addrs": [addr_text(h) for h in t["nodes"]]}
        if ctx is not None:
            ctx.opt_tabledefs.append("table <%s> const {%s }" % (
                name, "".join(" " + addr_text(h) for h in t["nodes"])))
        side = ent["side"]
        r = dict(r)
        r[side] = _host_node("table", name=name, neg=r[side]["neg"])
        r["text"] = rule_text(r)
        out.append(r)
    return out


def optimize(rules: list, ctx: Optional["Config"] = None) -> list:
    """pfctl_optimize.c: superblocks; per superblock remove_identical_rules(),
    combine_rules(), reorder_rules()."""
    blocks: list[list] = []
    for r in rules:
        if blocks and _sb_inclusive(blocks[-1][0], r):
            blocks[-1].append(r)
        else:
            blocks.append([r])
    out = []
    for b in blocks:
        if len(b) == 1:
            out.extend(b)
            continue
        b = _remove_identical(b)
        b = _combine(b, ctx)
        for blk in _reorder(b):
            out.extend(blk)
    return out


# ----------------------------------------------------------------------------------------
# configuration (result of parsing one file)


class Config:
    def __init__(self, anchor: str = "", verbose: bool = False, optimize: Optional[bool] = None,
                 macros: Optional[dict[str, str]] = None, cwd: str = "/",
                 ifaces: Optional[dict[str, dict[str, Any]]] = None, altq: bool = True):
        self.anchor = anchor
        # interface name -> {"inet": [[addr, plen]], "inet6": [...], "loop": bool}
        # (getifaddrs(3) as pfctl_parser.c ifa_load() sees it); lo0 if nothing is known
        self.ifaces = ifaces if ifaces is not None else {
            "lo0": {"inet": [["127.0.0.1", 8]], "inet6": [["::1", 128], ["fe80::1%lo0", 64]],
                    "loop": True}}
        self.verbose = verbose
        self.macros: dict[str, str] = dict(macros or {})
        self.cmdline_macros = set(self.macros)
        self.optimize_override = optimize
        self.options: dict[str, Any] = {}
        self.tables: dict[str, dict[str, Any]] = {}
        self.anchors: dict[str, dict[str, list]] = {}
        self.ether: dict[str, list] = {}    # anchor path -> ethernet rules (parse.y etherrule)
        # ALTQ (parse.y altqif/queuespec): evaluated with -n (pfctl.c main(): altqsupport = 1
        # under -n; the GENERIC kernel has no ALTQ, so a real load skips queue definitions)
        self.altq_enabled = altq
        self.noaction = altq
        # pfctl_optimize.c tables made by combine_rules()
        self.opt_tablenum = 0
        self.opt_table_id = 0
        self.opt_created = 0
        self.opt_tabledefs: list[str] = []
        self.autotables: dict[str, list[str]] = {}
        self.altq_ifs: dict[str, dict[str, Any]] = {}
        self.altq_queues: dict[tuple[str, str], dict[str, Any]] = {}
        self.altq_pending: list[dict[str, Any]] = []   # parse.y "queues" (declared children)
        self.altq_last: Optional[dict[str, Any]] = None  # pf->paltq->altq
        self.loadanchors: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.messages: list[str] = []   # stderr lines, in order
        self.out: list[str] = []        # verbose stdout lines (options, tables)
        self.anon = 0
        self.include_depth = 0
        self.require_order = True   # parse.y require_order
        self.rulestate = RS_NONE
        self.order_error = False
        self.rulestate_line = 0
        self.ensure_anchor(anchor)

    def ensure_anchor(self, path: str) -> dict[str, list]:
        return self.anchors.setdefault(path, {"scrub": [], "filter": [], "nat": [], "rdr": [],
                                              "binat": []})

    def error(self, filename: str, line: int, msg: str) -> None:
        s = f"{filename}:{line}: {msg}"
        self.errors.append(s)
        if msg:     # an empty message: YYERROR after the reason was printed (file->errors++)
            self.messages.append(s)

    def ifmtu(self, ifname: str) -> int:
        """pfctl_altq.c getifmtu(): SIOCGIFMTU; FreeBSD assumes 1500 when it fails."""
        if ifname.startswith("lo") and ifname in self.ifaces:
            return 16384
        return 1500

    def ifspeed(self, ifname: str) -> int:
        """pfctl_altq.c getifspeed(): if_data.ifi_baudrate (err(1, "SIOCGIFDATA") for an
        interface that does not exist); vtnet(4) and epair(4) report 10 Gbit/s."""
        if ifname not in self.ifaces:
            raise PfFatal("SIOCGIFDATA: Device not configured")
        if ifname.startswith(("vtnet", "epair")):
            return 10 * 1000 * 1000 * 1000
        return 0

    def check_commit_altq(self) -> list[str]:
        """pfctl_altq.c check_commit_altq(): one root (cbq) and one default queue per
        interface (warnx)."""
        out = []
        for ifname, q in self.altq_ifs.items():
            kind = q["a"]["sched"]
            if kind == "cbq" and q["root"] != 1:
                out.append(f"pfctl: should have one root queue on {ifname}")
            if kind in ("cbq", "priq", "hfsc", "fairq") and q["default"] != 1:
                out.append(f"pfctl: should have one default queue on {ifname}")
        return out

    def stderr(self, msg: str) -> None:
        self.messages.append(msg)

    def add_rule(self, anchor: str, ruleset: str, x: dict[str, Any]) -> None:
        self.ensure_anchor(anchor)[ruleset].append(x)

    def include(self, fn: str, line: int, parent: str) -> None:
        if self.include_depth > 10:
            raise ParseError(("include depth exceeded", line))
        try:
            text = read_host_file(fn)
        except OSError as e:
            # parse.y include: pushfile() warn()s, then yyerror("failed to include file %s")
            self.stderr(f"pfctl: {fn}: {os.strerror(e.errno or 2)}")
            raise ParseError((f"failed to include file {fn}", line))
        self.include_depth += 1
        try:
            Parser(self, fn, text).parse()
        finally:
            self.include_depth -= 1

    def finalize(self) -> None:
        opt = self.optimize_override
        if opt is None:
            opt = self.options.get("ruleset_optimization", "basic") != "none"
        for path, rs in self.anchors.items():
            for key in rs:
                for x in rs[key]:
                    x.pop("anchor_path_base", None)
            if opt:
                self.opt_tabledefs = []
                rs["filter"] = optimize(rs["filter"], self)
                if self.opt_tabledefs:
                    self.autotables[path] = self.opt_tabledefs

    def verbose_lines(self) -> list[str]:
        """What pfctl -nv prints after the option/table lines (scrub, nat, rdr, binat, filter)."""
        out: list[str] = []

        def emit(path: str, key: str, depth: int) -> None:
            if key == "filter":
                # print_tabledef() of optimizer tables, as the filter ruleset is loaded
                out.extend(self.autotables.get(path, []))
            for x in self.anchors.get(path, {}).get(key, []):
                ind = "  " * depth
                if x.get("anchor"):
                    sub = x["anchor_path"]
                    if x.get("anchor_inline") and self.anchors.get(sub, {}).get(key):
                        out.append(ind + x["text"] + " {")
                        emit(sub, key, depth + 1)
                        out.append(ind + "}")
                    else:
                        out.append(ind + x["text"])
                else:
                    out.append(ind + x["text"])
        # pfctl.c pfctl_rules(): the ethernet ruleset is loaded (and printed) first
        out.extend(x["text"] for x in self.ether.get(self.anchor, []))
        for key in ("scrub", "nat", "rdr", "binat", "filter"):
            emit(self.anchor, key, 0)
        return out


def parse_text(text: str, filename: str, **kw: Any) -> Config:
    cfg = Config(**kw)
    Parser(cfg, filename, text).parse()
    cfg.finalize()
    return cfg


def real_path(path: str) -> str:
    """Where a path named on pfctl's command line (or in pf.conf) is on the real filesystem.

    Absolute paths are host paths (``hoststate.hostpath``).  Relative paths resolve against the
    process's current directory exactly as open(2) does on FreeBSD (pfctl_fopen() in
    sbin/pfctl/pfctl_parser.c just calls fopen()): inside the testbed the session's ``sh`` runs
    chrooted into the host root, so ``cd /etc && pfctl -nvf pf.conf`` opens /etc/pf.conf.
    """
    if not path:
        raise FileNotFoundError(2, "No such file or directory", path)
    if "\0" in path:
        raise FileNotFoundError(2, "No such file or directory", path)
    if path.startswith("/"):
        return hoststate.hostpath(path)
    return path


def read_host_file(path: str) -> str:
    """pfctl_fopen() (sbin/pfctl/pfctl_parser.c): a directory fails with EISDIR."""
    rp = real_path(path)
    if path == "/dev/null" and not os.path.exists(rp):
        return ""   # devfs(5) is always mounted on a FreeBSD host (pf0048: file "/dev/null")
    if os.path.isdir(rp):
        raise IsADirectoryError(21, "Is a directory", path)
    with open(rp, "rb") as f:
        data = f.read()
    return data.decode("utf-8", errors="surrogateescape")


def parse_file(path: str, **kw: Any) -> Config:
    """Parse a host file (``-`` is not supported here); raises OSError if unreadable."""
    return parse_text(read_host_file(path), path, **kw)


# ----------------------------------------------------------------------------------------
# runtime state


def module_loaded(runtime: dict[str, Any]) -> bool:
    from .tools import kld
    return kld.find_module(runtime, "pf") is not None


def vnet_state(runtime: dict[str, Any], vnet: str = "host") -> dict[str, Any]:
    pf = runtime.setdefault("pf", {})
    s = pf.get(vnet)
    if s is None:
        s = pf[vnet] = {"enabled": False, "since": 0, "debug": "Urgent", "anchors": {},
                        "tables": {}, "options": {}, "states": 0,
                        "counters": {"match": 0}}
    return s


def load_config(s: dict[str, Any], cfg: Config, anchor: str = "", tables_only: bool = False,
                pid: int = 0) -> None:
    """Replace the ruleset of ``anchor`` (and the anchors defined inside it) with cfg's.

    pfctl.c pfctl_rules(): one transaction for scrub/filter/nat/rdr/binat and tables of the
    anchor; pfctl_load_options() (main ruleset only) sets every limit and timeout to the file's
    value or pfctl's default (pfctl_init_options), and with ``set limit states`` but no adaptive
    timeouts, adaptive.start/end to 60%/120% of it.  ``-T load`` (tables_only) loads the tables.
    """
    anchors = s.setdefault("anchors", {})
    if not tables_only:
        for path in list(anchors):
            if path == anchor or (anchor and path.startswith(anchor + "/")) or (not anchor and path):
                if not anchor and path and path not in cfg.anchors:
                    # loading the main ruleset keeps anchors loaded separately
                    continue
                if path in cfg.anchors or path == anchor:
                    del anchors[path]
        called = []
        for path, rs in cfg.anchors.items():
            for key in rs:
                for x in rs[key]:
                    x["cpid"] = pid
                    if x.get("anchor_path"):
                        called.append(x["anchor_path"])
            anchors[path] = rs
        for path in called:
            # pf_kanchor_setup(): an anchor call creates its (maybe empty) ruleset
            anchors.setdefault(path, {"scrub": [], "filter": [], "nat": [], "rdr": [],
                                      "binat": []})
    if not tables_only:
        # the Ethernet ruleset of the anchor (pfctl_load_eth_ruleset), for pfctl -s ether
        eth = s.setdefault("ether", {})
        eth[anchor] = [x["text"] for x in cfg.ether.get(anchor, [])]
    tables = s.setdefault("tables", {})
    tset = tables.setdefault(anchor, {})
    for name, t in cfg.tables.items():
        tset[name] = {"flags": t["flags"], "addrs": list(t["addrs"]), "tzero": int(time.time())}
    if not anchor and not tables_only:
        s["options"] = cfg.options
        if "debug" in cfg.options:
            s["debug"] = cfg.options["debug"]
        lim = dict(cfg.options.get("limit", {}))
        to = dict(cfg.options.get("timeout", {}))
        if "states" in lim and "adaptive.start" not in to and "adaptive.end" not in to:
            to["adaptive.start"] = (lim["states"] // 10) * 6
            to["adaptive.end"] = (lim["states"] // 10) * 12
        s["limits"], s["timeouts"] = lim, to
        if "hostid" in cfg.options:
            s["hostid"] = cfg.options["hostid"]


def hostid(s: dict[str, Any]) -> int:
    """pf_status.hostid: random at pf attach (arc4random), or ``set hostid``."""
    h = s.get("hostid")
    if not h:
        h = s["hostid"] = int.from_bytes(os.urandom(4), "big") or 1
    return h


def checksum(s: dict[str, Any]) -> str:
    """pf_status.pf_chksum: MD5 over the loaded main ruleset (pf_setup_pfsync_matching)."""
    import hashlib
    rs = s.get("anchors", {}).get("", {})
    if not any(rs.get(k) for k in ("filter", "nat", "rdr", "binat", "scrub")):
        return "0" * 32
    text = "\n".join(x["text"] for k in ("scrub", "filter", "nat", "rdr", "binat")
                     for x in rs.get(k, []))
    return hashlib.md5(text.encode()).hexdigest()


def referenced_tables(s: dict[str, Any], anchor: str = "") -> set[str]:
    out = set()
    for x in s.get("anchors", {}).get(anchor, {}).get("filter", []) + \
            s.get("anchors", {}).get(anchor, {}).get("nat", []) + \
            s.get("anchors", {}).get(anchor, {}).get("rdr", []):
        for k in ("src", "dst"):
            if x[k] and x[k]["type"] == "table":
                out.add(x[k]["name"])
    return out


# ----------------------------------------------------------------------------------------
# evaluator


def _iface_group(ifname: str) -> str:
    i = len(ifname)
    while i > 0 and ifname[i - 1].isdigit():
        i -= 1
    base = ifname[:i]
    if base.startswith("epair"):
        return "epair"
    return base


def _if_match(rule_if: str, iface: str) -> bool:
    if rule_if == iface:
        return True
    if rule_if[-1:].isdigit():
        return False
    return rule_if in ("all",) or _iface_group(iface) == rule_if and rule_if in (
        "lo", "epair", "bridge", "tun", "tap", "vlan", "lagg", "gif", "gre", "wg", "pflog",
        "pfsync", "enc")


def _iface_addrs(st: Any, vnet: str, ifname: Optional[str]) -> list[str]:
    """Addresses of an interface (or all, ifname None) from the network model, if available."""
    try:
        from . import net  # type: ignore[attr-defined]
        fn = getattr(net, "interface_addresses", None)
        if fn is not None:
            return list(fn(st, vnet, ifname))
    except Exception:  # noqa: BLE001 - the network model is optional
        pass
    if ifname and ifname.startswith("lo"):
        return ["127.0.0.1", "::1"]
    return []


def _addr_match(st: Any, vnet: str, s: dict[str, Any], h: dict[str, Any], ip: str) -> bool:
    try:
        a = ipaddress.ip_address(ip)
    except ValueError:
        return False
    t = h["type"]
    if t == "any":
        res = True
    elif t == "addr":
        if (h["af"] == 4) != (a.version == 4):
            res = False
        else:
            res = a in ipaddress.ip_network(f"{h['addr']}/{h['bits']}")
    elif t == "table":
        res = _table_match(s, h["name"], a)
    elif t == "dyn":
        addrs = _iface_addrs(st, vnet, h["name"])
        res = ip in addrs
        if "network" in h.get("mods", []):
            res = res  # approximation: interface addresses only
    elif t == "self":
        res = ip in _iface_addrs(st, vnet, None) or ip in s.get("self_addrs", [])
    else:
        res = False
    return res != h["neg"]


def _table_match(s: dict[str, Any], name: str, a: Any, anchor: Optional[str] = None) -> bool:
    tabsets = s.get("tables", {})
    for anchor_tables in ([tabsets.get(anchor, {})] if anchor is not None else tabsets.values()):
        t = anchor_tables.get(name)
        if t is None:
            continue
        best = None
        for e in t["addrs"]:
            neg = e.startswith("!")
            e = e.lstrip("!")
            try:
                net = ipaddress.ip_network(e, strict=False)
            except ValueError:
                continue
            if net.version == a.version and a in net:
                if best is None or net.prefixlen > best[0]:
                    best = (net.prefixlen, neg)
        if best is not None:
            return not best[1]
        return False
    return False


def _port_match(spec: Optional[list], port: Optional[int]) -> bool:
    if not spec:
        return True
    if port is None:
        return False
    op, p1, p2 = spec
    return {"=": port == p1, "!=": port != p1, "<": port < p1, "<=": port <= p1,
            ">": port > p1, ">=": port >= p1, "><": p1 < port < p2,
            "<>": port < p1 or port > p2, ":": p1 <= port <= p2}[op]


def _rule_match(st: Any, vnet: str, s: dict[str, Any], x: dict[str, Any], iface: str,
                direction: str, proto: Optional[int], af: int, src: str, dst: str,
                sport: Optional[int], dport: Optional[int]) -> bool:
    if x["direction"] and x["direction"] != direction:
        return False
    if x["ifname"] and _if_match(x["ifname"], iface) == x["ifnot"]:
        return False
    if x["af"] and x["af"] != af:
        return False
    if x["proto"] is not None and x["proto"] != proto:
        return False
    if not _addr_match(st, vnet, s, x["src"], src):
        return False
    if not _addr_match(st, vnet, s, x["dst"], dst):
        return False
    if not _port_match(x["sport"], sport) or not _port_match(x["dport"], dport):
        return False
    if x.get("tagged"):
        return False
    return True


def _eval(st: Any, vnet: str, s: dict[str, Any], path: str, pkt: tuple) -> tuple[Optional[str], bool]:
    """Returns (action of the last match or None, quick-terminated)."""
    decision: Optional[str] = None
    for x in s.get("anchors", {}).get(path, {}).get("filter", []):
        if not _rule_match(st, vnet, s, x, *pkt):
            continue
        if x.get("anchor"):
            sub, q = _eval(st, vnet, s, x["anchor_path"], pkt)
            if sub is not None:
                decision = sub
            if q or (x["quick"] and sub is not None):
                return decision, True
            continue
        if x["action"] == "match":
            continue
        decision = x["action"]
        if x["quick"]:
            return decision, True
    return decision, False


def allows(st: Any, vnet: Optional[str], iface: str, direction: str, proto: Any, src: str,
           dst: str, sport: Optional[int] = None, dport: Optional[int] = None) -> bool:
    """Would pf in ``vnet`` pass this (state-creating) packet on ``iface``/``direction``?"""
    vnet = vnet or "host"
    rt = st.runtime
    s = rt.get("pf", {}).get(vnet)
    if not s or not s.get("enabled"):
        return True
    if vnet == "host" and not module_loaded(rt):
        return True
    skip = s.get("options", {}).get("skip", [])
    if any(_if_match(n, iface) for n in skip):
        return True
    if isinstance(proto, str):
        proto = PROTOCOLS.get(proto.lower())
    try:
        af = 4 if ipaddress.ip_address(src).version == 4 else 6
    except ValueError:
        af = 4
    pkt = (iface, direction, proto, af, src, dst, sport, dport)
    decision, _ = _eval(st, vnet, s, "", pkt)
    return decision != "block"


def ssh_allowed(st: Any, client_ip: str = "192.168.1.100", host_ip: str = "192.168.1.10",
                port: int = 22, iface: str = "vtnet0", vnet: str = "host") -> bool:
    """Would a NEW TCP connection from client_ip to host_ip:port, arriving on iface, pass?"""
    return allows(st, vnet, iface, "in", 6, client_ip, host_ip, 50000, port)


# ----------------------------------------------------------------------------------------
# boot (rc.d/pf)


def boot_step(rt: dict[str, Any]) -> None:
    """rc.d/pf at boot: with pf_enable=YES load pf.ko, load $pf_rules, enable pf."""
    try:
        from .boot import rc_conf
        conf = rc_conf()
    except Exception:  # noqa: BLE001
        return
    if conf.get("pf_enable", "NO").upper() not in ("YES", "TRUE", "ON", "1"):
        return
    from .tools import kld
    if kld.find_module(rt, "pf") is None:
        try:
            kld.load(rt, "pf")
        except kld.KldError:
            return
    s = vnet_state(rt, "host")
    rules = conf.get("pf_rules", "/etc/pf.conf")
    try:
        cfg = parse_file(rules)
    except OSError:
        cfg = None
    if cfg is not None and not cfg.errors:
        load_config(s, cfg)
    s["enabled"] = True
    s["since"] = int(time.time())
