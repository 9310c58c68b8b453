"""pfctl(8) of FreeBSD 15.0; the ruleset model (pf.conf parser/printer) lives in ``pf.py``.

Modelled on sbin/pfctl/pfctl.c ``main()`` (option parsing, the order in which the actions run,
exit status), pfctl_parser.c ``print_status()``/``print_running()``, pfctl_table.c
``pfctl_table()``/``print_table()``/``print_addrx()``/``xprintf()``/``radix_perror()`` and
``pfctl_show_ifaces()``.  Where a function is named below it is the pfctl.c one unless said.

The VNET operated on is ``host`` unless ``TESTBED_VNET`` names a jail (set by jexec, if any).
"""
from __future__ import annotations

import ipaddress
import os
import sys
import time

from .. import hoststate, pf
from ._common import UsageError, getopt, progname, warnx

# usage(): printed to stderr, exit(1)  [pfctl.c usage()]
USAGE = """usage: pfctl [-AdeghMmNnOPqRSrvz] [-a anchor] [-D macro=value] [-F modifier]
	[-f file] [-i interface] [-K host | network]
	[-k host | network | gateway | label | id] [-o level] [-p device]
	[-s modifier] [-t table -T command [address ...]] [-x level]
"""
OPTSTRING = "a:AdD:eqf:F:ghi:k:K:mMnNOo:Pp:rRs:St:T:vx:z"

# pfctl.c clearopt_list / showopt_list / tblcmdopt_list / debugopt_list / optiopt_list, matched
# by pfctl_lookup_option(): the first entry the argument is a (case-sensitive) prefix of.
FLUSH = ["nat", "queue", "rules", "Sources", "states", "info", "Tables", "osfp", "all",
         "ethernet", "Reset"]
SHOW = ["ether", "nat", "queue", "rules", "Anchors", "Sources", "states", "info", "Interfaces",
        "labels", "timeouts", "memory", "Tables", "osfp", "Running", "all", "creatorids"]
TBLCMD = ["kill", "flush", "add", "delete", "load", "replace", "show", "test", "zero", "expire",
          "reset"]
DEBUG = ["none", "urgent", "misc", "loud"]
OPTIMIZE = ["none", "basic", "profile"]

# PF_OPT_* bits (pfctl_parser.h)
O_DISABLE, O_ENABLE, O_VERBOSE, O_NOACTION, O_QUIET, O_CLRRULECTRS = 1, 2, 4, 8, 16, 32
O_USEDNS, O_VERBOSE2, O_DUMMYACTION, O_DEBUG, O_SHOWALL, O_OPTIMIZE = 64, 128, 256, 512, 1024, 2048
O_NODNS, O_MERGE, O_RECURSE, O_NUMERIC, O_KILLMATCH = 4096, 8192, 16384, 32768, 65536

ALTQ_MISSING = "No ALTQ support in kernel\nALTQ related functions disabled\n"

# pfctl_parser.c pf_timeouts[] order; values: pf.h PFTM_*_VAL / pfctl_init_options()
TIMEOUT_DEFAULTS = {
    "tcp.first": 120, "tcp.opening": 30, "tcp.established": 86400, "tcp.closing": 900,
    "tcp.finwait": 45, "tcp.closed": 90, "tcp.tsdiff": 30, "sctp.first": 120,
    "sctp.opening": 30, "sctp.established": 86400, "sctp.closing": 900, "sctp.closed": 90,
    "udp.first": 60, "udp.single": 30, "udp.multiple": 60, "icmp.first": 20, "icmp.error": 10,
    "other.first": 60, "other.single": 30, "other.multiple": 60, "frag": 60, "interval": 10,
    "adaptive.start": 60000, "adaptive.end": 120000, "src.track": 0}
# pfctl.c pf_limits[]; PFSTATE_HIWAT, PFSNODE_HIWAT, PFFRAG_FRENT_HIWAT, PFR_KENTRY_HIWAT
LIMIT_DEFAULTS = {"states": 100000, "src-nodes": 100000, "frags": 5000, "table-entries": 400000}

# PFRES_NAMES (sys/netpfil/pf/pf.h), FCNT/SCNT/KLCNT names (libpfctl)
REASONS = ["match", "bad-offset", "fragment", "short", "normalize", "memory", "bad-timestamp",
           "congestion", "ip-option", "proto-cksum", "state-mismatch", "state-insert",
           "state-limit", "src-limit", "synproxy", "map-failed", "translate", "no-route"]
LCOUNTERS = ["max states per rule", "max-src-states", "max-src-nodes", "max-src-conn",
             "max-src-conn-rate", "overload table insertion", "overload flush states",
             "synfloods detected", "syncookies sent", "syncookies validated"]


class Exit(Exception):
    """errx()/err()/exit(): stop pfctl with this status."""


class Ctx:
    def __init__(self, prog: str):
        self.prog = prog
        self.opts = 0
        self.exit_val = 0
        self.first_title = True
        self.labels = False
        self.ifaces = None

    def warnx(self, msg: str) -> None:
        warnx(self.prog, msg)

    def errx(self, msg: str, code: int = 1) -> None:
        warnx(self.prog, msg)
        raise Exit(code)

    def usage(self) -> None:
        sys.stderr.write(USAGE.replace("pfctl", self.prog, 1))
        raise Exit(1)

    def title(self, t: str) -> None:
        """pfctl_print_title()."""
        if not self.first_title:
            sys.stdout.write("\n")
        self.first_title = False
        sys.stdout.write(t + "\n")

    def xprintf(self, msg: str) -> None:
        """pfctl_table.c xprintf(): stderr, suffix by -n."""
        if self.opts & O_QUIET:
            return
        if self.opts & O_DUMMYACTION:
            sys.stderr.write(msg + " (dummy).\n")
        elif self.opts & O_NOACTION:
            sys.stderr.write(msg + " (syntax only).\n")
        else:
            sys.stderr.write(msg + ".\n")

    def msg(self, text: str) -> None:
        if not self.opts & O_QUIET:
            sys.stderr.write(text + "\n")


def _lookup(arg: str, choices: list[str]) -> str | None:
    """pfctl_lookup_option(): strncmp(cmd, *list, strlen(cmd))."""
    if arg:
        for c in choices:
            if c.startswith(arg):
                return c
    return None


def main(argv: list[str]) -> int:
    prog = progname(argv, "pfctl")
    c = Ctx(prog)
    try:
        return _main(c, argv) & 0xff   # exit(exit_val): pfctl_table()'s -1 is 255
    except Exit as e:
        return int(e.args[0]) & 0xff


def _main(c: Ctx, argv: list[str]) -> int:  # noqa: C901 - pfctl.c main() is one long function
    if len(argv) < 2:
        c.usage()
    try:
        opts, args = getopt(c.prog, argv[1:], OPTSTRING)
    except UsageError:
        c.usage()
        return 1
    anchoropt = None
    clearopt = showopt = debugopt = optiopt = tblcmdopt = tableopt = rulesopt = None
    ifaceopt = None
    state_kill: list[str] = []
    src_kill: list[str] = []
    macros: dict[str, str] = {}
    rdwr = False
    loadopt = 0
    for o, v in opts:
        if o == "a":
            anchoropt = v
        elif o == "d":
            c.opts |= O_DISABLE
            rdwr = True
        elif o == "D":
            # pfctl_cmdline_symset(): "could not parse macro definition" is only a warning
            k, eq, val = v.partition("=")
            if not eq:
                c.warnx(f"could not parse macro definition {v}")
            else:
                macros[k] = val
        elif o == "e":
            c.opts |= O_ENABLE
            rdwr = True
        elif o == "q":
            c.opts |= O_QUIET
        elif o == "F":
            clearopt = _lookup(v, FLUSH)
            if clearopt is None:
                c.warnx(f"Unknown flush modifier '{v}'")
                c.usage()
            rdwr = True
        elif o == "i":
            ifaceopt = v
        elif o == "k":
            if len(state_kill) >= 2:
                c.warnx("can only specify -k twice")
                c.usage()
            state_kill.append(v)
            rdwr = True
        elif o == "K":
            if len(src_kill) >= 2:
                c.warnx("can only specify -K twice")
                c.usage()
            src_kill.append(v)
            rdwr = True
        elif o == "m":
            c.opts |= O_MERGE
        elif o == "M":
            c.opts |= O_KILLMATCH
        elif o == "n":
            c.opts |= O_NOACTION
        elif o == "N":
            loadopt |= 2
        elif o == "r":
            c.opts |= O_USEDNS
        elif o == "f":
            rulesopt = v
            rdwr = True
        elif o == "g":
            c.opts |= O_DEBUG
        elif o == "A":
            loadopt |= 8
        elif o == "R":
            loadopt |= 1
        elif o == "o":
            optiopt = _lookup(v, OPTIMIZE)
            if optiopt is None:
                c.warnx(f"Unknown optimization '{v}'")
                c.usage()
            c.opts |= O_OPTIMIZE
        elif o == "O":
            loadopt |= 4
        elif o == "p":
            pass
        elif o == "P":
            c.opts |= O_NUMERIC
        elif o == "s":
            showopt = _lookup(v, SHOW)
            if showopt is None:
                c.warnx(f"Unknown show modifier '{v}'")
                c.usage()
        elif o == "S":
            c.opts |= O_NODNS
        elif o == "t":
            tableopt = v
        elif o == "T":
            tblcmdopt = _lookup(v, TBLCMD)
            if tblcmdopt is None:
                c.warnx(f"Unknown table command '{v}'")
                c.usage()
        elif o == "v":
            if c.opts & O_VERBOSE:
                c.opts |= O_VERBOSE2
            c.opts |= O_VERBOSE
        elif o == "x":
            debugopt = _lookup(v, DEBUG)
            if debugopt is None:
                c.warnx(f"Unknown debug level '{v}'")
                c.usage()
            rdwr = True
        elif o == "z":
            c.opts |= O_CLRRULECTRS
            rdwr = True
        else:  # -h
            c.usage()

    if (c.opts & O_NODNS) and (c.opts & O_USEDNS):
        c.errx("-N and -r are mutually exclusive")
    if (tblcmdopt is None) != (tableopt is None):
        c.usage()
    load_tables_only = False
    if tblcmdopt is not None:
        if tblcmdopt == "load":
            load_tables_only = True
            tblcmdopt = None
        else:
            rdwr = tblcmdopt[0] not in "st"
    elif args:
        c.warnx(f"unknown command line argument: {args[0]} ...")
        c.usage()

    anchor = ""
    if anchoropt is not None:
        if anchoropt == "":
            c.errx("anchor name must not be empty")
        if not rdwr and showopt is None and tblcmdopt is None:
            c.warnx("anchors apply to -f, -F, -s, and -T only")
            c.usage()
        if rdwr and tblcmdopt is None and (anchoropt.startswith("_") or "/_" in anchoropt):
            c.errx("anchor names beginning with '_' cannot be modified from the command line")
        if anchoropt.endswith("*"):
            anchoropt = anchoropt[:-2] if anchoropt.endswith("/*") else anchoropt[:-1]
            c.opts |= O_RECURSE
        if len(anchoropt) >= 1024:
            c.errx(f"anchor name '{anchoropt}' too long")
        anchor = anchoropt

    vnet = os.environ.get("TESTBED_VNET", "host") or "host"
    with hoststate.locked() as st:
        rt = st.runtime
        loaded = vnet != "host" or pf.module_loaded(rt)
        if not c.opts & O_NOACTION:
            if not loaded:
                # dev = open(pf_device, mode); err(1, "%s", pf_device)
                c.errx("/dev/pf: No such file or directory")
            # pfctl_test_altqsupport(): GENERIC has no ALTQ, DIOCGETALTQS -> ENODEV
            if c.opts & O_VERBOSE:
                sys.stderr.write(ALTQ_MISSING)
        else:
            if loaded:
                c.opts |= O_DUMMYACTION
            c.opts &= ~(O_DISABLE | O_ENABLE)
            clearopt = showopt = debugopt = None
        s = pf.vnet_state(rt, vnet) if loaded else pf.vnet_state({}, vnet)
        c.ifaces = _ifaddrs(st, vnet)

        if c.opts & O_DISABLE:
            _disable(c, s)
        if showopt is not None:
            _show(c, st, s, vnet, showopt, anchor, ifaceopt)
        if clearopt is not None:
            _flush(c, s, clearopt, anchor, ifaceopt)
        if state_kill:
            _kill_states(c, s, state_kill)
        if src_kill:
            _kill_src_nodes(c, src_kill)
        if tblcmdopt is not None:
            c.exit_val = _table(c, s, anchor, tableopt or "", tblcmdopt, args, rulesopt)
            rulesopt = None
        optimize = None
        if optiopt is not None:
            optimize = optiopt != "none"
        if rulesopt is not None:
            if _rules(c, s, rulesopt, anchor, optimize, macros, tables_only=load_tables_only):
                c.exit_val = 1
        if c.opts & O_ENABLE:
            _enable(c, s)
        if debugopt is not None:
            # pfctl_debug(): "debug level set to '%s'"
            s["debug"] = {"none": "None", "urgent": "Urgent", "misc": "Misc", "loud": "Loud"}[debugopt]
            c.msg(f"debug level set to '{debugopt}'")
    return c.exit_val


def _ifaddrs(st, vnet: str) -> dict | None:
    """The VNET's interfaces and addresses (what getifaddrs(3) gives pfctl_parser.c ifa_load)."""
    try:
        from .. import net
        out = {}
        for i in net.ifaces(st, vnet):
            out[i["name"]] = {"inet": list(i.get("inet", [])), "inet6": list(i.get("inet6", [])),
                              "loop": i.get("kind") == "loop"}
        return out or None
    except Exception:  # noqa: BLE001 - no network model: Config's lo0 default
        return None


# ---------------------------------------------------------------------------------- -e / -d

def _enable(c: Ctx, s: dict) -> None:
    """pfctl_enable(): errx(1, "pf already enabled") on EEXIST."""
    if s["enabled"]:
        c.errx("pf already enabled")
    s["enabled"] = True
    s["since"] = int(time.time())
    c.msg("pf enabled")


def _disable(c: Ctx, s: dict) -> None:
    """pfctl_disable(): errx(1, "pf not enabled") on ENOENT."""
    if not s["enabled"]:
        c.errx("pf not enabled")
    s["enabled"] = False
    s["since"] = int(time.time())
    c.msg("pf disabled")


# ---------------------------------------------------------------------------------- -f

def _rules(c: Ctx, s: dict, fn: str, anchor: str, optimize, macros: dict, tables_only: bool = False,
           nested: bool = False) -> int:
    """pfctl_rules(): parse, print (-v), load unless -n; "load anchor" files follow
    (pfctl_load_anchors: "\\nLoading anchor %s from %s" on stderr under -v)."""
    verbose = bool(c.opts & O_VERBOSE)
    noaction = bool(c.opts & O_NOACTION)
    # pfctl.c main(): under -n altqsupport = 1 (ENABLE_ALTQ); otherwise
    # pfctl_test_altqsupport() finds no ALTQ in the GENERIC kernel and queueing is skipped
    kw = dict(anchor=anchor, verbose=verbose, optimize=optimize, macros=macros, ifaces=c.ifaces,
              altq=noaction)

    def not_loaded() -> int:
        """pfctl_rules() ERRX unless -n; a nested anchor file only fails its load (1)."""
        if not noaction:
            c.warnx("Syntax error in config file: pf rules not loaded")
        if nested:
            return 1
        raise Exit(1)
    try:
        if fn == "-":
            cfg = pf.parse_text(sys.stdin.read(), "-", **kw)
        else:
            cfg = pf.parse_file(fn, **kw)
    except pf.PfFatal as e:
        # err(1, ...) while parsing (pfctl_altq.c getifspeed(): "SIOCGIFDATA"): what was
        # printed so far stays, then exit 1 even under -n
        sys.stdout.flush()
        c.warnx(str(e))
        raise Exit(1)
    except OSError as e:
        # parse.y pushfile(): warn("%s", nfile->name); parse_config():
        # warn("cannot open the main config file!"); then pfctl_rules() ERRX unless -n
        from ._common import strerror
        msg = strerror(e.errno or 2)
        c.warnx(f"{fn}: {msg}")
        c.warnx(f"cannot open the main config file!: {msg}")
        return not_loaded()
    for line in cfg.messages:
        sys.stderr.write(line + "\n")
    if cfg.errors:
        if verbose:
            # macros, options and tables are echoed while parsing (parse.y printf), before
            # parse_config() fails
            for line in cfg.out:
                sys.stdout.write(line + "\n")
        return not_loaded()
    if verbose:
        out = list(cfg.out) + ([] if tables_only else cfg.verbose_lines())
        for line in out:
            sys.stdout.write(line + "\n")
    if cfg.altq_enabled and not tables_only:
        # pfctl_rules(): check_commit_altq() -> ERRX("errors in altq config")
        bad = cfg.check_commit_altq()
        if bad:
            for line in bad:
                sys.stderr.write(line + "\n")
            c.warnx("errors in altq config")
            raise Exit(1)
    if not noaction:
        pf.load_config(s, cfg, anchor, tables_only=tables_only, pid=os.getpid())
        if not anchor and not tables_only and c.opts & O_VERBOSE2:
            # pfctl_file_fingerprints() -> pfctl_osfp.c "Loaded %d passive OS fingerprints"
            pass
    for name, afile in cfg.loadanchors:
        if verbose:
            sys.stderr.write(f"\nLoading anchor {name} from {afile}\n")
        if _rules(c, s, afile, name, optimize, macros, nested=True):
            c.warnx("load anchors")
            raise Exit(1)
    return 0


# ---------------------------------------------------------------------------------- -F

def _flush(c: Ctx, s: dict, what: str, anchor: str, ifaceopt) -> None:
    """main() clearopt switch."""
    if what == "ethernet":
        s.setdefault("ether", {})[anchor] = []
        c.msg("Ethernet rules cleared")
    elif what == "rules":
        if c.opts & O_RECURSE:
            _recurse(c, s, anchor, tables=False)
        else:
            _flush_rules(c, s, anchor)
    elif what == "nat":
        _flush_nat(c, s, anchor)
    elif what == "queue":
        pass  # pfctl_clear_altq(): no ALTQ support -> return -1, silent
    elif what == "states":
        _clear_states(c, s, ifaceopt)
    elif what == "Sources":
        c.msg("source tracking entries cleared")
    elif what == "info":
        s["counters"] = {}
        s["cleared"] = int(time.time())
        c.msg("pf: statistics cleared")
    elif what == "all":
        if ifaceopt:
            c.warnx("don't specify an interface with -Fall")
            c.usage()
        s.setdefault("ether", {})[anchor] = []
        c.msg("Ethernet rules cleared")
        _flush_rules(c, s, anchor)
        _flush_nat(c, s, anchor)
        if c.opts & O_RECURSE:
            _recurse(c, s, anchor, tables=True)
        else:
            _clear_tables(c, s, anchor)
            _flush_rules(c, s, anchor)
        if not anchor:
            _clear_states(c, s, None)
            c.msg("source tracking entries cleared")
            s["counters"] = {}
            c.msg("pf: statistics cleared")
            _reset(c, s)
    elif what == "osfp":
        pass  # pfctl_osfp.c pfctl_clear_fingerprints(): DIOCOSFPFLUSH, no message
    elif what == "Tables":
        if c.opts & O_RECURSE:
            _recurse(c, s, anchor, tables=True, rules=False)
        else:
            _clear_tables(c, s, anchor)
    elif what == "Reset":
        _reset(c, s)


def _ruleset(s: dict, anchor: str) -> dict:
    return s.setdefault("anchors", {}).setdefault(
        anchor, {"scrub": [], "filter": [], "nat": [], "rdr": [], "binat": []})


def _flush_rules(c: Ctx, s: dict, anchor: str, quiet: bool = False) -> None:
    """pfctl_flush_rules(): "rules cleared"."""
    rs = _ruleset(s, anchor)
    rs["filter"], rs["scrub"] = [], []
    _prune(s)
    if not quiet:
        c.msg("rules cleared")


def _flush_nat(c: Ctx, s: dict, anchor: str) -> None:
    """pfctl_flush_nat(): "nat cleared"."""
    rs = _ruleset(s, anchor)
    rs["nat"], rs["rdr"], rs["binat"] = [], [], []
    _prune(s)
    c.msg("nat cleared")


def _clear_states(c: Ctx, s: dict, iface) -> None:
    """pfctl_clear_iface_states(): "%d states cleared"."""
    n = s.get("states", 0)
    s["states"] = 0
    c.msg(f"{n} states cleared")


def _clear_tables(c: Ctx, s: dict, anchor: str, quiet: bool = False) -> int:
    """pfctl_do_clear_tables() -> pfctl_table("-F"): "%d tables deleted"."""
    tabs = s.setdefault("tables", {}).get(anchor, {})
    n = sum(1 for t in tabs.values() if _active(s, anchor, t))
    s["tables"][anchor] = {}
    _prune(s)
    if not quiet:
        c.xprintf(f"{n} tables deleted")
    return n


def _reset(c: Ctx, s: dict) -> None:
    """pfctl_reset(): options back to the defaults, then pfctl_clear_interface_flags()."""
    opts = s.setdefault("options", {})
    for k in ("limit", "timeout", "loginterface", "hostid_set", "reassemble", "syncookies", "skip"):
        opts.pop(k, None)
    s["debug"] = "Urgent"
    if not c.opts & O_NOACTION:
        c.msg("pf: interface flags reset")


def _anchor_paths(s: dict, base: str) -> list[str]:
    """pfctl_get_anchors(): the anchor itself first, then its sub-anchors (SLIST_INSERT_HEAD:
    the walk order reversed)."""
    walked = [p for p in _walk(s, base)]
    return [base] + list(reversed(walked))


def _recurse(c: Ctx, s: dict, anchor: str, tables: bool, rules: bool = True) -> None:
    """pfctl_recurse(): "Removing:" and one "  NAME" line per anchor (stdout)."""
    paths = _anchor_paths(s, anchor)
    sys.stdout.write("Removing:\n")
    for p in paths:
        sys.stdout.write(f"  {p or '/'}\n")
        if tables:
            _clear_tables(c, s, p, quiet=True)
        if rules:
            _flush_rules(c, s, p, quiet=True)


def _prune(s: dict) -> None:
    """The kernel drops a ruleset when it holds no rules, no tables and no anchor calls
    (pf_remove_if_empty_kruleset)."""
    anchors = s.setdefault("anchors", {})
    called = set()
    for path, rs in anchors.items():
        for key in rs:
            for x in rs[key]:
                if x.get("anchor_path"):
                    called.add(x["anchor_path"])
    tables = s.get("tables", {})
    for path in list(anchors):
        if not path:
            continue
        rs = anchors[path]
        if any(rs[k] for k in rs) or path in called or tables.get(path):
            continue
        if any(p.startswith(path + "/") for p in anchors):
            continue
        del anchors[path]


# ---------------------------------------------------------------------------------- -k / -K

def _resolve(c: Ctx, spec: str) -> list[str]:
    """pfctl_addrprefix(): getaddrinfo, numeric when a /prefix is given."""
    addr, slash, pre = spec.partition("/")
    try:
        ip = ipaddress.ip_address(addr)
        ips = [str(ip)]
    except ValueError:
        ips = [] if slash else pf._etc_hosts(addr)
        if not ips and addr == "localhost":
            ips = ["127.0.0.1", "::1"]
        if not ips:
            c.errx("getaddrinfo: " + ("Non-recoverable failure in name resolution" if slash
                                      else "hostname nor servname provided, or not known"))
    if slash:
        limit = 128 if ":" in ips[0] else 32
        if not pre.isdigit():
            c.errx(f"prefix is invalid: {pre}")
        if int(pre) > limit:
            c.errx(f"prefix is too large: {pre}")
    return ips


def _kill_states(c: Ctx, s: dict, kill: list[str]) -> None:
    """pfctl_{label,id,gateway,key,net}_kill_states()."""
    kind = kill[0]
    if kind in ("label", "id", "gateway", "key"):
        if len(kill) != 2 or not kill[1]:
            c.warnx(f"no {kind} specified")
            c.usage()
        if kind == "id":
            v = kill[1].split("/")[0]
            try:
                n = int(v, 16)
            except ValueError:
                c.warnx("wrong id format specified")
                c.usage()
                return
            if n == 0:
                c.warnx("cannot kill id 0")
                c.usage()
        if kind == "key":
            toks = kill[1].split()
            if len(toks) != 4:
                c.errx('pfctl_key_kill_states: key must be "protocol host1:port1 direction '
                       'host2:port2" format')
            if toks[0] not in pf.PROTOCOLS:
                c.errx(f"invalid protocol: {toks[0]}")
            if toks[2] not in ("->", "<-"):
                c.errx(f"invalid direction: {toks[2]}")
        if kind == "gateway":
            _resolve(c, kill[1])
        c.msg("killed 0 states")
        return
    if len(kill) == 2 and kill[0] == "nat":
        kill = kill[1:]
    srcs = _resolve(c, kill[0])
    dests = 0
    if len(kill) > 1:
        dst = _resolve(c, kill[1])
        dests = sum(1 for d in dst if (":" in d) == (":" in srcs[-1]))
    c.msg(f"killed 0 states from {len(srcs)} sources and {dests} destinations")


def _kill_src_nodes(c: Ctx, kill: list[str]) -> None:
    """pfctl_kill_src_nodes()."""
    srcs = _resolve(c, kill[0])
    dests = len(_resolve(c, kill[1])) if len(kill) > 1 else 0
    c.msg(f"killed 0 src nodes from {len(srcs)} sources and {dests} destinations")


# ---------------------------------------------------------------------------------- -T

def _active(s: dict, anchor: str, t: dict) -> bool:
    """PFR_TFLAG_ACTIVE: persistent, or referenced by a rule of the ruleset."""
    return "persist" in t["flags"] or t.get("name") in pf.referenced_tables(s, anchor) or \
        bool(t.get("_referenced"))


def _tflags(s: dict, anchor: str, name: str, t: dict) -> str:
    """print_table() -v flag column: c p a i r h C."""
    refd = name in pf.referenced_tables(s, anchor)
    return (("c" if "const" in t["flags"] else "-") + ("p" if "persist" in t["flags"] else "-")
            + "a" + "-" + ("r" if refd else "-") + "-"
            + ("C" if "counters" in t["flags"] else "-"))


def _parse_addr(c: Ctx, a: str, test: bool) -> tuple[bool, str] | None:
    """pfctl_table.c append_addr() -> host(): '!' negates; unresolvable names print
    "no IP address found for NAME" (host_dns) and fail without a further message."""
    neg = False
    while a.startswith("!"):
        neg = not neg
        a = a[1:]
    addr, slash, bits = a.partition("/")
    if slash and not bits.isdigit():
        sys.stderr.write(f"no IP address found for {a}\n")
        return None
    node = pf._ip_node(addr, int(bits) if slash else None)
    if node is None:
        ips = [] if slash else pf._etc_hosts(addr)
        if not ips and addr == "localhost":
            ips = ["127.0.0.1", "::1"]
        node = pf._ip_node(ips[0], None) if ips else None
        if node is None:
            sys.stderr.write(f"no IP address found for {a}\n")
            return None
    if test and node["bits"] < (32 if node["af"] == 4 else 128):
        c.warnx(f"cannot decode {a}: Invalid argument")
        return None
    return neg, pf.addr_text(node)


def _table(c: Ctx, s: dict, anchor: str, name: str, cmd: str, args: list[str], file) -> int:
    """pfctl_table(): returns 0, 2 (test: not all match) or -1 (exit 255)."""
    if len(name) >= 32:
        c.usage()
    noaction = bool(c.opts & O_NOACTION)
    tabs = s.setdefault("tables", {}).setdefault(anchor, {})
    t = tabs.get(name)
    if t is not None and not _active(s, anchor, dict(t, name=name)):
        t = None

    def nosuch() -> int:
        # RVTEST(...) -> radix_perror(): "pfctl: Table does not exist." (ESRCH)
        sys.stderr.write(f"{c.prog}: Table does not exist.\n")
        return -1

    def load() -> list[tuple[bool, str]] | None:
        out = []
        for a in args:
            r = _parse_addr(c, a, cmd == "test")
            if r is None:
                return None
            out.append(r)
        if file is not None:
            try:
                text = pf.read_host_file(file)
            except OSError as e:
                from ._common import strerror
                c.warnx(f"cannot load {file}: {strerror(e.errno or 2)}")
                return None
            for w in text.replace("\n", " ").split():
                if w.startswith("#"):
                    continue
                r = _parse_addr(c, w, cmd == "test")
                if r is None:
                    return None
                out.append(r)
        return out

    def text(e: tuple[bool, str]) -> str:
        return ("!" if e[0] else "") + e[1]

    def fb(ch: str, e: tuple[bool, str]) -> None:
        sys.stdout.write(f"{ch} {'!' if e[0] else ' '}{e[1]}\n")

    def report(ents: list[tuple[bool, str]], done: list[tuple[bool, str]], verb: str,
               ch: str) -> int:
        """"n/m addresses added|deleted"; under -v each address, marked if it changed."""
        c.xprintf(f"{len(done)}/{len(ents)} addresses {verb}")
        if c.opts & O_VERBOSE:
            for e in ents:
                if e in done:
                    fb(ch, e)
                elif c.opts & O_VERBOSE2:
                    fb(" ", e)
        return 0

    if cmd in ("kill", "flush", "show", "zero", "reset") and (args or file is not None) and \
            cmd != "zero":
        c.usage()
    if cmd == "kill":
        n = 0
        if t is not None:
            n = 1
            if not noaction:
                del tabs[name]
                _prune(s)
        c.xprintf(f"{n} table deleted")
        return 0
    if cmd == "flush":
        if t is None:
            return nosuch()
        n = len(t["addrs"])
        if not noaction:
            t["addrs"] = []
        c.xprintf(f"{n} addresses deleted")
        return 0
    if cmd == "show":
        if t is None:
            return nosuch()
        for a in t["addrs"]:
            neg = a.startswith("!")
            sys.stdout.write(("  !" if neg else "   ") + a.lstrip("!") + "\n")
            if c.opts & O_VERBOSE:
                # print_astats(): the Cleared line; no counters without "counters"
                sys.stdout.write("\tCleared:     " + time.ctime(t.get("tzero") or s.get("since") or
                                                                 int(time.time())) + "\n")
                if "counters" in t["flags"]:
                    for d in ("In", "Out"):
                        for op in ("Block", "Pass", "XPass"):
                            lab = f"{d}/{op}:"
                            sys.stdout.write(f"\t{lab:<12s} [ Packets: {0:<18d} Bytes: {0:<18d} ]\n")
        return 0
    if cmd in ("zero", "reset", "expire") and t is None:
        if cmd == "expire" and (len(args) != 1 or file is not None):
            c.usage()
        if cmd == "zero" and (args or file is not None):
            if load() is None:
                return -1
        return nosuch()
    if cmd == "zero":
        if args or file is not None:
            ents = load()
            if ents is None:
                return -1
            n = sum(1 for e in ents if text(e) in t["addrs"])
            c.xprintf(f"{n}/{len(ents)} addresses cleared")
        else:
            c.xprintf("1 table/stats cleared")
        return 0
    if cmd == "reset":
        c.xprintf(f"0/{len(t['addrs'])} stats cleared")
        return 0
    if cmd == "expire":
        if len(args) != 1 or file is not None:
            c.usage()
        if not args[0].isdigit() or int(args[0]) > 0xFFFFFFFF:
            c.errx("expiry time: " + ("too large" if args[0].isdigit() else "invalid"))
        c.xprintf("0/0 addresses expired")
        return 0
    ents = load()
    if ents is None:
        return -1
    if cmd in ("add", "replace"):
        if t is None:
            # CREATE_TABLE: a table made from the command line is persistent
            c.xprintf("1 table created")
            if noaction:
                return 0
            t = tabs[name] = {"flags": ["persist"], "addrs": [], "tzero": int(time.time())}
            _ruleset(s, anchor)
        elif "const" in t["flags"]:
            sys.stderr.write(f"{c.prog}: Operation not permitted.\n")
            return -1
    elif t is None:
        return nosuch()
    if cmd == "add":
        added, seen = [], set(t["addrs"])
        for e in ents:
            if text(e) not in seen:
                seen.add(text(e))
                added.append(e)
        if not noaction:
            t["addrs"].extend(text(e) for e in added)
        return report(ents, added, "added", "A")
    if cmd == "delete":
        gone = [e for e in ents if text(e) in t["addrs"]]
        if not noaction:
            t["addrs"] = [a for a in t["addrs"] if a not in {text(e) for e in gone}]
        return report(ents, gone, "deleted", "D")
    if cmd == "replace":
        new = []
        for e in ents:
            if text(e) not in new:
                new.append(text(e))
        nadd = len([a for a in new if a not in t["addrs"]])
        ndel = len([a for a in t["addrs"] if a not in new])
        if not noaction:
            t["addrs"] = new
        if nadd:
            c.xprintf(f"{nadd} addresses added")
        if ndel:
            c.xprintf(f"{ndel} addresses deleted")
        if not nadd and not ndel:
            c.xprintf("no changes")
        return 0
    if cmd == "test":
        nmatch = 0
        matched = []
        for e in ents:
            # pfr_tst_addrs(): a '!' on the command line is ignored; a negated entry does not match
            if pf._table_match(s, name, ipaddress.ip_address(e[1]), anchor=anchor):
                nmatch += 1
                matched.append(e)
        c.xprintf(f"{nmatch}/{len(ents)} addresses match")
        if (c.opts & O_VERBOSE) and not (c.opts & O_VERBOSE2):
            for e in matched:
                fb("M", e)
        return 2 if nmatch < len(ents) else 0
    return 0


# ---------------------------------------------------------------------------------- -s

def _status_lines(s: dict, verbose: bool) -> list[str]:
    """pfctl_parser.c print_status()."""
    since = s.get("since") or 0
    running = "Enabled" if s.get("enabled") else "Disabled"
    runtime = int(time.time()) - since
    if since:
        d = runtime
        sec, d = d % 60, d // 60
        mi, d = d % 60, d // 60
        hrs, day = d % 24, d // 24
        stat = f"Status: {running} for {day} days {hrs:02d}:{mi:02d}:{sec:02d}"
    else:
        stat = f"Status: {running}"
    out = [f"{stat:<44s}{'Debug: ' + s.get('debug', 'Urgent'):>15s}", ""]
    if verbose:
        out += ["Hostid:   0x%08x" % pf.hostid(s), "Checksum: 0x" + pf.checksum(s), ""]
    logif = s.get("options", {}).get("loginterface")
    if logif:
        out.append(f"Interface Stats for {logif:<16s} {'IPv4':>5s} {'IPv6':>16s}")
        out.append(f"  {'Bytes In':<25s} {0:14d} {0:16d}")
        out.append(f"  {'Bytes Out':<25s} {0:14d} {0:16d}")
        out.append("  Packets In")
        out.append(f"    {'Passed':<23s} {0:14d} {0:16d}")
        out.append(f"    {'Blocked':<23s} {0:14d} {0:16d}")
        out.append("  Packets Out")
        out.append(f"    {'Passed':<23s} {0:14d} {0:16d}")
        out.append(f"    {'Blocked':<23s} {0:14d} {0:16d}")
        out.append("")

    counters = s.get("counters") or {}

    def ctr(name: str, val: int) -> str:
        # runtime = time(NULL) - since: never 0 unless enabled this very second
        if runtime > 0:
            return f"  {name:<25s} {val:14d} {val / runtime:14.1f}/s"
        return f"  {name:<25s} {val:14d} {'':14s}"
    out.append(f"{'State Table':<27s} {'Total':>14s} {'Rate':>16s}")
    out.append(f"  {'current entries':<25s} {s.get('states', 0):14d} {'':14s}")
    for n in ("searches", "inserts", "removals"):
        out.append(ctr(n, 0))
    if verbose:
        out.append("Source Tracking Table")
        out.append(f"  {'current entries':<25s} {0:14d} {'':14s}")
        for n in ("searches", "inserts", "removals"):
            out.append(ctr(n, 0))
    out.append("Counters")
    for n in REASONS:
        out.append(ctr(n, int(counters.get(n, 0)) if isinstance(counters, dict) else 0))
    if verbose:
        out.append("Limit Counters")
        for n in LCOUNTERS:
            out.append(ctr(n, 0))
        sc = s.get("options", {}).get("syncookies") or {}
        out.append("Syncookies")
        out.append(f"  {'mode':<25s} {sc.get('mode', 'never')}")
        out.append(f"  {'active':<25s} inactive")
        reass = s.get("options", {}).get("reassemble")
        out.append("Reassemble %24s %s" % ("yes" if reass and reass[0] else "no",
                                           "no-df" if reass and reass[1] else ""))
    return out


def _counter_lines(c: Ctx, x: dict) -> list[str]:
    """pfctl_print_rule_counters()."""
    out = []
    if c.opts & O_VERBOSE:
        out.append("  [ Evaluations: 0         Packets: 0         Bytes: 0           States: 0     ]")
        out.append("  [ Source Nodes: 0      Limit: 0      NAT/RDR: 0      Route: 0      ]")
        if not c.opts & O_DEBUG:
            out.append(f"  [ Inserted: uid 0 pid {x.get('cpid', 0)} State Creations: 0     ]")
    if c.opts & O_VERBOSE2:
        out.append("  [ Last Active Time: N/A ]")
    return out


def _exists(s: dict, path: str) -> bool:
    return not path or path in s.get("anchors", {})


def _is_anon(call: str) -> bool:
    last = call.rsplit("/", 1)[-1]
    return last.startswith("_")


def _show_rules(c: Ctx, s: dict, path: str, keys: tuple, depth: int, labels: bool = False,
                wildcard: bool = False) -> list[str]:
    """pfctl_show_rules() (keys scrub+filter) / pfctl_show_nat() (nat, rdr, binat)."""
    out: list[str] = []
    ind = "" if c.opts & O_VERBOSE else "  " * depth
    if wildcard and c.opts & O_RECURSE:
        for child in _children(s, path):
            name = child.rsplit("/", 1)[-1]
            word = "anchor" if "filter" in keys else "nat-anchor"
            out.append(f'{ind}{word} "{name}" all {{')
            out += _show_rules(c, s, child, keys, depth + 1, labels)
            out.append(ind + "}")
        return out
    rs = s.get("anchors", {}).get(path, {})
    for key in keys:
        for nr, x in enumerate(rs.get(key, [])):
            if labels:
                if key == "filter" and x["label"]:
                    out.append(" ".join(x["label"]) + " 0 0 0 0 0 0 0 0")
                continue
            num = (f"@{nr} " if c.opts & (O_VERBOSE2 | O_DEBUG) else "")
            text = x["text"]
            call = x.get("anchor_path")
            recurse = bool(call) and (_is_anon(call) or bool(c.opts & O_RECURSE))
            if recurse:
                out.append(ind + num + text + " {")
                out += _counter_lines(c, x)
                out += _show_rules(c, s, call, (key,) if key != "filter" else ("filter",),
                                   depth + 1, wildcard=bool(x.get("anchor_wildcard")))
                out.append(ind + "}")
            else:
                out.append(ind + num + text)
                out += _counter_lines(c, x)
    return out


def _children(s: dict, path: str) -> list[str]:
    pre = path + "/" if path else ""
    return sorted(p for p in s.get("anchors", {}) if p and p.startswith(pre)
                  and "/" not in p[len(pre):] and p != path)


def _walk(s: dict, path: str) -> list[str]:
    """pfctl_walk_anchors(): every sub-anchor, depth first, in name order."""
    out = []
    for ch in _children(s, path):
        out.append(ch)
        out += _walk(s, ch)
    return out


def _show(c: Ctx, st, s: dict, vnet: str, what: str, anchor: str, ifaceopt) -> None:
    w = sys.stdout.write
    if what == "Anchors":
        if not _exists(s, anchor):
            sys.stderr.write(f"Anchor '{anchor}' not found.\n")
        else:
            for p in _walk(s, anchor):
                parent, _, name = p.rpartition("/")
                if parent:
                    if not parent.startswith("_") or c.opts & O_VERBOSE:
                        w(f"  {p}\n")
                elif not name.startswith("_") or c.opts & O_VERBOSE:
                    w(f"  {name}\n")
        if c.opts & O_VERBOSE2:
            w("Ethernet:\n")
        return
    if what == "rules":
        if not _exists(s, anchor):
            c.warnx("Anchor does not exist")
            return
        for line in _show_rules(c, s, anchor, ("scrub", "filter"), 0):
            w(line + "\n")
        return
    if what == "labels":
        if _exists(s, anchor):
            for line in _show_rules(c, s, anchor, ("scrub", "filter"), 0, labels=True):
                w(line + "\n")
        return
    if what == "nat":
        if not _exists(s, anchor):
            c.warnx("DIOCGETRULES: Invalid argument")
            return
        for line in _show_rules(c, s, anchor, ("nat", "rdr", "binat"), 0):
            w(line + "\n")
        return
    if what == "info":
        for line in _status_lines(s, bool(c.opts & O_VERBOSE)):
            w(line + "\n")
        return
    if what == "Running":
        w(("Enabled" if s.get("enabled") else "Disabled") + "\n")
        c.exit_val = 0 if s.get("enabled") else 1
        return
    if what == "timeouts":
        for k, v in _timeouts(s).items():
            unit = " states" if k.startswith("adaptive") else "s"
            w(f"{k:<20s} {v:10d}{unit}\n")
        return
    if what == "memory":
        for k, v in _limits(s).items():
            w(f"{k:<13s} " + ("unlimited\n" if v >= 0xFFFFFFFF else f"hard limit {v:8d}\n"))
        return
    if what == "Tables":
        _show_tables(c, s, anchor)
        return
    if what == "Interfaces":
        _show_ifaces(c, st, s, vnet, ifaceopt)
        return
    if what == "creatorids":
        w("Creator IDs:\n%08x\n" % pf.hostid(s))
        return
    if what == "ether":
        # pfctl_show_eth_rules(): print_eth_rule() per rule; -v adds
        # pfctl_print_eth_rule_counters() "  [ Evaluations: %-8llu  Packets: %-8llu  Bytes: %-10llu]"
        for line in s.get("ether", {}).get(anchor, []):
            w(line + "\n")
            if c.opts & O_VERBOSE:
                w("  [ Evaluations: 0         Packets: 0         Bytes: 0         ]\n")
        return
    if what in ("queue", "states", "Sources", "osfp"):
        # no ALTQ (pfctl_show_altq returns at once), no states, no source nodes; the OS
        # fingerprint list is not modelled
        return
    if what == "all":
        c.opts |= O_SHOWALL
        # pfctl.c main() -sa: pfctl_show_eth_rules() first ("ETH RULES:" title if any)
        eth = s.get("ether", {}).get(anchor, [])
        if eth:
            c.title("ETH RULES:")
            for line in eth:
                w(line + "\n")
                if c.opts & O_VERBOSE:
                    w("  [ Evaluations: 0         Packets: 0         Bytes: 0         ]\n")
        nat = _show_rules(c, s, anchor, ("nat", "rdr", "binat"), 0) if _exists(s, anchor) else []
        if nat:
            c.title("TRANSLATION RULES:")
            for line in nat:
                w(line + "\n")
        c.title("FILTER RULES:")
        if _exists(s, anchor):
            for line in _show_rules(c, s, anchor, ("scrub", "filter"), 0):
                w(line + "\n")
        c.title("INFO:")
        for line in _status_lines(s, bool(c.opts & O_VERBOSE)):
            w(line + "\n")
        labels = _show_rules(c, s, anchor, ("filter",), 0, labels=True) if _exists(s, anchor) else []
        if labels:
            c.title("LABEL COUNTERS:")
            for line in labels:
                w(line + "\n")
        c.title("TIMEOUTS:")
        for k, v in _timeouts(s).items():
            unit = " states" if k.startswith("adaptive") else "s"
            w(f"{k:<20s} {v:10d}{unit}\n")
        c.title("LIMITS:")
        for k, v in _limits(s).items():
            w(f"{k:<13s} hard limit {v:8d}\n")
        _show_tables(c, s, anchor)
        return


def _timeouts(s: dict) -> dict:
    to = dict(TIMEOUT_DEFAULTS)
    to.update(s.get("timeouts") or {})
    return to


def _limits(s: dict) -> dict:
    lim = dict(LIMIT_DEFAULTS)
    lim.update(s.get("limits") or {})
    return lim


def _show_tables(c: Ctx, s: dict, anchor: str) -> None:
    """pfctl_table("-s") -> print_table() / print_tstats() (-vv)."""
    tabs = s.get("tables", {}).get(anchor, {})
    names = [n for n in sorted(tabs) if _active(s, anchor, dict(tabs[n], name=n))]
    if c.opts & O_SHOWALL and names:
        c.title("TABLES:")
    for n in names:
        t = tabs[n]
        if c.opts & O_VERBOSE:
            line = f"{_tflags(s, anchor, n, t)}\t{n}" + (f"\t{anchor}" if anchor else "")
            sys.stdout.write(line + "\n")
            if c.opts & O_VERBOSE2:
                refs = 1 if n in pf.referenced_tables(s, anchor) else 0
                sys.stdout.write(f"\tAddresses:   {len(t['addrs'])}\n")
                sys.stdout.write("\tCleared:     " + time.ctime(t.get("tzero") or s.get("since")
                                                                or int(time.time())) + "\n")
                sys.stdout.write(f"\tReferences:  [ Anchors: {0:<18d} Rules: {refs:<18d} ]\n")
                sys.stdout.write(f"\tEvaluations: [ NoMatch: {0:<18d} Match: {0:<18d} ]\n")
                for lab in ("In/Block:", "In/Pass:", "In/XPass:", "Out/Block:", "Out/Pass:",
                            "Out/XPass:"):
                    sys.stdout.write(f"\t{lab:<12s} [ Packets: {0:<18d} Bytes: {0:<18d} ]\n")
        else:
            sys.stdout.write(n + "\n")


def _show_ifaces(c: Ctx, st, s: dict, vnet: str, filt) -> None:
    """pfctl_table.c pfctl_show_ifaces()/print_iface(): the kernel's pfi_kif list (interfaces,
    their groups and "all", in name order); -v adds " (skip)"."""
    names: set[str] = {"all"}
    try:
        from .. import net
        for i in net.ifaces(st, vnet):
            names.add(i["name"])
            for g in i.get("groups", []):
                names.add(g)
    except Exception:  # noqa: BLE001 - the network model is optional here
        names.update({"lo0", "lo"})
    skip = set(s.get("options", {}).get("skip", []))
    for rs in s.get("anchors", {}).values():
        for key in rs:
            for x in rs[key]:
                if x.get("ifname"):
                    names.add(x["ifname"])
    names |= skip
    if filt:
        names = {n for n in names if n == filt}
    for n in sorted(names):
        sys.stdout.write(n + (" (skip)" if (c.opts & O_VERBOSE) and n in skip else "") + "\n")
        if c.opts & O_VERBOSE2:
            sys.stdout.write("\tCleared:     " + time.ctime(s.get("since") or int(time.time())) + "\n")
            sys.stdout.write(f"\tReferences:  {0:<18d}\n")
            for lab in ("In4/Pass:", "In4/Block:", "Out4/Pass:", "Out4/Block:", "In6/Pass:",
                        "In6/Block:", "Out6/Pass:", "Out6/Block:"):
                sys.stdout.write(f"\t{lab:<12s} [ Packets: {0:<18d} Bytes: {0:<18d} ]\n")
