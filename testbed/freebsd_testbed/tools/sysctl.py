"""sysctl(8) [SRC sbin/sysctl/sysctl.c; RN15 for the 15.0 defaults].

A table of OIDs (:data:`OIDS`): type, default, writability, description and, for OIDs that only
exist while a kernel module is loaded, the module.  Values set at run time (and boot-time
tunables read from /boot/loader.conf, see :mod:`freebsd_testbed.boot`) live in
``runtime["sysctl"]``; ``kern.hostname`` comes from ``runtime["hostname"]``.
Exit status is the number of failed arguments, as in sysctl.c.

Modelled from the 14.x/15-era sbin/sysctl/sysctl.c (copies gmshake/freebsd-src ba21c6c1 and
fel1x-developer/freebsd-src 2d614aa2; freebsd/freebsd-src's stored copy is 1990s): parse()
splits ``name[=:]value``, trims blanks, strips one pair of quotes; an unknown name ->
``unknown oid '%s'%s`` (silent with -q, ignored with -i); a node -> ``oid '%s' isn't a leaf
node``; read-only -> ``oid '%s' is read only`` / ``... is a read only tunable`` +
``Tunable values are set in /boot/loader.conf``; numbers via parse_numeric() (strtol base 0,
full match, lists split on " ,") -> ``empty numeric value`` / ``invalid <type> '%s'``; the old
value is shown, then `` -> `` and the new one; a handler error -> warnc(errno, "%s", string).
-f FILE: parsefile() (comments, " at line N", missing file err(EX_NOINPUT)).  -N with -n or
-l, and no operand without -a/-f, give usage (exit 1).  The -j/-J/-V letters of 15.0 and the
usage text are [UNCONFIRMED]: no 15.0 sysctl.c was found in the store.
"""
from __future__ import annotations

import sys
from typing import Any

from .. import hoststate
from . import kld
from ._common import UsageError, getopt, progname, strtol_base0, warn, warnx

OSRELEASE = "15.0-RELEASE"
OSRELDATE = 1500068
KERNEL_VERSION = f"FreeBSD {OSRELEASE} releng/15.0-n280995-7aedc8de6446 GENERIC"  # build id illustrative

# name -> (type, default, flags, description, module required)
#   type: "I" integer, "U" unsigned, "L" long, "S" string;  flags: "w" writable, "t" tunable
OIDS: dict[str, tuple[str, Any, str, str, str | None]] = {
    "kern.ostype": ("S", "FreeBSD", "", "Operating system type", None),
    "kern.osrelease": ("S", OSRELEASE, "", "Operating system release", None),
    "kern.osrevision": ("I", 199506, "", "Operating system revision", None),
    "kern.version": ("S", KERNEL_VERSION + "\n", "", "Kernel version", None),
    "kern.osreldate": ("I", OSRELDATE, "", "Kernel release date", None),
    "kern.hostname": ("S", "", "w", "Hostname", None),
    "kern.hostuuid": ("S", "7b2c4e1a-5d3f-11f0-9a1b-589cfc107637", "w", "Host UUID", None),
    "kern.securelevel": ("I", -1, "w", "Current secure level", None),
    "kern.module_path": ("S", "/boot/kernel;/boot/modules", "w", "module load search path", None),
    "kern.features.vimage": ("I", 1, "", "Virtual network stack", None),
    "kern.features.racct": ("I", 1, "", "Resource Accounting", None),
    "kern.features.inet": ("I", 1, "", "Internet protocol version 4", None),
    "kern.features.inet6": ("I", 1, "", "Internet protocol version 6", None),
    "kern.features.zfs": ("I", 1, "", "OpenZFS", "zfs"),
    "kern.racct.enable": ("I", 0, "t", "Enable RACCT/RCTL", None),
    "kern.maxproc": ("I", 16340, "t", "Maximum number of processes", None),
    "kern.maxfiles": ("I", 129015, "w", "Maximum number of files", None),
    "hw.machine": ("S", "amd64", "", "Machine class", None),
    "hw.machine_arch": ("S", "amd64", "", "System architecture", None),
    "hw.model": ("S", "QEMU Virtual CPU version 2.5+", "", "Machine model", None),
    "hw.ncpu": ("I", 4, "", "Number of active CPUs", None),
    "hw.pagesize": ("I", 4096, "", "System memory page size", None),
    "hw.physmem": ("L", 4263976960, "", "Amount of physical memory (in bytes)", None),
    "hw.realmem": ("L", 4294967296, "", "Amount of memory (in bytes) reported by the firmware", None),
    "security.jail.jailed": ("I", 0, "", "Process in jail?", None),
    "security.jail.enforce_statfs": ("I", 2, "w", "Processes in jail cannot see all mounted file systems", None),
    "net.inet.ip.forwarding": ("I", 0, "w", "Enable IP forwarding between interfaces", None),
    "net.inet6.ip6.forwarding": ("I", 0, "w", "Enable forwarding of IPv6 packets between interfaces", None),
    "net.inet.ip.connect_inaddr_wild": ("I", 0, "w", "Allow connecting to INADDR_ANY or INADDR_BROADCAST for connect(2)", None),
    "net.inet.tcp.nolocaltimewait": ("I", 0, "w", "Do not create TCP TIME_WAIT state for local connections", None),
    "net.fibs": ("I", 1, "wt", "set number of fibs", None),
    "net.link.bridge.member_ifaddrs": ("I", 0, "w", "Allow layer 3 addresses on bridge members", "if_bridge"),
    # sys/net/if_bridge.c SYSCTL_INTs; 15.0 defaults (commit 22893e584032, "bridge: default to
    # not filtering L3": pfil_member and pfil_bridge 0), which the network model filters by
    # (net.bridge_pfil)
    "net.link.bridge.pfil_onlyip": ("I", 1, "w", "Only pass IP packets when pfil is enabled", "if_bridge"),
    "net.link.bridge.pfil_member": ("I", 0, "w", "Packet filter on the member interface", "if_bridge"),
    "net.link.bridge.pfil_bridge": ("I", 0, "w", "Packet filter on the bridge interface", "if_bridge"),
    "net.link.bridge.pfil_local_phys": ("I", 0, "w", "Packet filter on the physical interface for locally destined packets", "if_bridge"),
    "net.link.bridge.ipfw_arp": ("I", 0, "w", "Filter ARP packets through IPFW layer2", "if_bridge"),
    "net.link.bridge.log_stp": ("I", 0, "w", "Log STP state changes", "if_bridge"),
    "net.link.bridge.inherit_mac": ("I", 0, "w", "Inherit MAC address from the first bridge member", "if_bridge"),
    "net.link.bridge.ipfw": ("I", 0, "w", "Layer2 filter with IPFW", "if_bridge"),
    "net.pf.default_to_drop": ("I", 0, "t", "Make the default rule drop all packets.", "pf"),
    "net.pf.request_maxcount": ("U", 65535, "w", "Maximum number of tables, addresses, ... in a single ioctl() call", "pf"),
    "vfs.zfs.arc.max": ("L", 0, "w", "Maximum ARC size in bytes (LEGACY)", "zfs"),
    "vfs.zfs.version.module": ("S", "2.4.0-rc4-FreeBSD_g5c0b4f8d4", "", "OpenZFS module version", "zfs"),
}

TYPENAME = {"I": "integer", "U": "unsigned integer", "L": "long integer", "S": "string"}
# sbin/sysctl/sysctl.c ctl_typename[] and the kernel's format strings (CTLTYPE_* -> "I", "IU",
# "L", "A") as printed by -t / -F
_FMT = {"I": "I", "U": "IU", "L": "L", "S": "A"}
_SIZE = {"I": 4, "U": 4, "L": 8}

# Descriptions of the nodes (sys/kern/kern_mib.c SYSCTL_ROOT_NODEs and the subsystems' nodes)
NODE_DESCR = {
    "kern": "High kernel, proc, limits &c", "vm": "Virtual memory", "vfs": "File system",
    "net": "Network, (see socket.h)", "debug": "Debugging", "hw": "hardware",
    "machdep": "machine dependent", "user": "user-level", "security": "Security",
    "kern.features": "Kernel Features", "kern.racct": "Resource Accounting",
    "security.jail": "Jails", "net.inet": "Internet Family", "net.inet.ip": "IP",
    "net.inet.tcp": "TCP", "net.inet6": "Internet6 Family", "net.inet6.ip6": "IP6",
    "net.link": "Link layers", "net.link.bridge": "Bridge", "net.pf": "pf(4)",
    "vfs.zfs": "ZFS file system", "vfs.zfs.arc": "ZFS adaptive replacement cache",
    "vfs.zfs.version": "VERSION",
}

# Order of sysctl -a: the kernel walks each node's children by OID number.  The top-level
# nodes have fixed numbers (CTL_KERN 1 ... CTL_P1003_1B 9, then OID_AUTO ones); so do the
# classic kern.* and hw.* leaves (sys/sys/sysctl.h KERN_OSTYPE 1 ... HW_REALMEM 12).
_ORDER = {
    "kern": 1, "vm": 2, "vfs": 3, "net": 4, "debug": 5, "hw": 6, "machdep": 7, "user": 8,
    "p1003_1b": 9, "compat": 0x100, "security": 0x101, "dev": 0x102,
    "kern.ostype": 1, "kern.osrelease": 2, "kern.osrevision": 3, "kern.version": 4,
    "kern.maxproc": 6, "kern.maxfiles": 7, "kern.securelevel": 9, "kern.hostname": 10,
    "kern.osreldate": 24,
    "hw.machine": 1, "hw.model": 2, "hw.ncpu": 3, "hw.physmem": 5, "hw.pagesize": 7,
    "hw.machine_arch": 11, "hw.realmem": 12,
}


def _exists(rt: dict[str, Any], name: str) -> bool:
    mod = OIDS[name][4]
    return mod is None or kld.find_module(rt, mod) is not None


def value(rt: dict[str, Any], name: str) -> Any:
    if name == "kern.hostname":
        return rt.get("hostname", "")
    return rt.get("sysctl", {}).get(name, OIDS[name][1])


def _fmt(v: Any) -> str:
    return str(v)


def _sortkey(name: str) -> list[tuple[int, str]]:
    parts = name.split(".")
    key = []
    for i in range(len(parts)):
        pre = ".".join(parts[:i + 1])
        key.append((_ORDER.get(pre, 0x1000), parts[i]))
    return key


def _children(rt: dict[str, Any], prefix: str) -> list[str]:
    p = prefix + "."
    return sorted((n for n in OIDS if (n.startswith(p) or prefix == "") and _exists(rt, n)),
                  key=_sortkey)


def _lookup(rt: dict[str, Any], name: str) -> str | None:
    """name2oid (sys/kern/kern_sysctl.c): "leaf", "node" or None (ENOENT).  One trailing '.'
    is ignored (the kernel stops at an empty remainder)."""
    if name.endswith(".") and not name.endswith(".."):
        name = name[:-1]
    if not name:
        return None
    if name in OIDS and _exists(rt, name):
        return "leaf"
    if _children(rt, name):
        return "node"
    return None


def _wrap(v: int, bits: int, signed: bool) -> int:
    v &= (1 << bits) - 1
    if signed and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def _parse_numeric(text: str, typ: str) -> int | None:
    """parse_numeric() (sbin/sysctl/sysctl.c): strtol/strtoul base 0, errno and a full
    match required; INT and UINT are then narrowed to 32 bits."""
    v, rest, erange = strtol_base0(text, unsigned=typ in ("U",))
    if erange or rest == text or rest:
        return None
    if typ == "I":
        return _wrap(v, 32, True)
    if typ == "U":
        return _wrap(v, 32, False)
    return v


USAGE = ("usage: sysctl [-j jail] [-bdehiJNnoqTtVWx] [ -B <bufsize> ] [-f filename] name[=value] ...\n"
         "       sysctl [-j jail] [-bdehJNnoqTtVWx] [ -B <bufsize> ] -a\n")
EX_NOINPUT = 66


class _Usage(Exception):
    pass


def _set_check(rt: dict[str, Any], name: str, new: Any) -> int:
    """The kernel handler's own validation: 0 or an errno."""
    import errno as _e
    if name == "kern.securelevel" and isinstance(new, int) and new < int(value(rt, name)):
        return _e.EPERM  # securelevel can only be raised (kern_mib.c sysctl_kern_securelvl)
    if name == "net.fibs" and isinstance(new, int) and new < 1:
        return _e.EINVAL
    if name == "kern.hostname" and len(str(new)) > 255:
        return _e.EINVAL
    return 0


def main(argv: list[str]) -> int:
    prog = progname(argv, "sysctl")
    try:
        opts, args = getopt(prog, argv[1:], "AabB:def:FhiJj:lNnoqTtVWwXx")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    f: dict[str, bool] = {c: False for c in "abdeFhiJlNnoqTtVWx"}
    conffile = None
    jail = None
    for o, a in opts:
        if o == "A":
            f["a"] = f["o"] = True
        elif o == "X":
            f["a"] = f["x"] = True
        elif o == "f":
            conffile = a
        elif o == "j":
            jail = a
        elif o in ("w", "B"):
            pass  # -w: compatibility, ignored; -B: buffer size
        else:
            f[o] = True
    if f["N"] and (f["l"] or f["n"]):
        sys.stderr.write(USAGE)
        return 1
    if jail is not None:
        from . import jailhook
        if not jailhook.jail_exists(jail):
            warnx(prog, f'jail "{jail}" not found')  # [UNCONFIRMED] wording (libjail jail_errmsg)
            return 1
    if not (f["a"] and not args) and not args and conffile is None:
        sys.stderr.write(USAGE)
        return 1
    out = sys.stdout
    write = bool(args) or conffile is not None
    try:
        with hoststate.locked(write=write) as st:
            rt = st.runtime
            if f["a"] and not args:
                _show_all(rt, f, "")
                return 0
            warncount = 0
            if conffile is not None:
                warncount += _parsefile(rt, prog, f, conffile)
            for arg in args:
                warncount += _parse(rt, prog, f, arg, 0)
                out.flush()
            return warncount
    except _Usage:
        sys.stdout.flush()
        sys.stderr.write(USAGE)
        return 1
    except _Exit as e:
        return e.code


class _Exit(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _parsefile(rt: dict[str, Any], prog: str, f: dict[str, bool], filename: str) -> int:
    """parsefile(): '#' starts a comment (outside quotes, unless escaped), blank lines are
    skipped, each line is parse()d with " at line N" in its messages."""
    try:
        with open(hoststate.hostpath(filename) if filename.startswith("/") else filename,
                  encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
    except OSError as e:
        warn(prog, filename, e.errno or 2)
        raise _Exit(EX_NOINPUT)
    warncount = 0
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for lineno, line in enumerate(lines, 1):
        pq = line.find("'")
        pdq = line.find('"')
        p = 0
        while True:
            p = line.find("#", p)
            if p < 0:
                break
            if pq >= 0 and p > pq:
                q = line.find("'", pq + 1)
                if q >= 0:
                    line = line[:q + 1]
                break
            if pdq >= 0 and p > pdq:
                q = line.find('"', pdq + 1)
                if q >= 0:
                    line = line[:q + 1]
                break
            if p == 0 or line[p - 1] != "\\":
                line = line[:p]
                break
            p += 1
        line = line.strip(" \t\n\v\f\r")
        if not line:
            continue
        warncount += _parse(rt, prog, f, line, lineno)
    return warncount


def _descr(name: str) -> str:
    if name in OIDS:
        return OIDS[name][3]
    return NODE_DESCR.get(name, "")


def _show_var(rt: dict[str, Any], f: dict[str, bool], name: str, nflag: bool) -> int:
    """show_var(): 0 when something was printed (the caller adds the newline), 1 when not."""
    out = sys.stdout
    leaf = name in OIDS
    typ, _, fl, _, _ = OIDS[name] if leaf else ("N", None, "", "", None)
    if f["W"] and ("w" not in fl or not leaf):
        return 1
    if f["T"] and "t" not in fl:
        return 1
    if f["N"]:
        out.write(name)
        return 0
    sep = "=" if f["e"] else ": "
    if f["t"] or f["F"] or f["d"]:
        if not nflag:
            out.write(name + sep)
        if f["t"]:
            tn = TYPENAME.get(typ, "node")
            out.write(tn + sep if (f["F"] or f["d"]) else tn)
        if f["F"]:
            fm = _FMT.get(typ, "N")
            out.write(fm + sep if f["d"] else fm)
        if f["d"]:
            out.write(_descr(name))
        return 0
    if not leaf:
        return 1
    v = value(rt, name)
    if f["b"]:
        if typ == "S":
            out.write(str(v) + "\0")
        else:
            size = _SIZE[typ]
            sys.stdout.flush()
            sys.stdout.buffer.write(int(v).to_bytes(size, "little", signed=typ in ("I", "L")))
        return 0
    if not nflag:
        out.write(name + sep)
    if typ == "S":
        if f["l"]:
            out.write(f"{len(str(v).encode()) + 1}{sep}")
        out.write(str(v))
        return 0
    size = _SIZE[typ]
    if f["l"]:
        out.write(f"{size}{sep}")
    iv = int(v)
    if f["x"]:
        uv = iv & ((1 << (size * 8)) - 1)
        width = 2 + size * 2
        out.write(f"{uv:#0{width}x}" if uv else "0" * width)
    else:
        out.write(str(iv))
    return 0


def _show_all(rt: dict[str, Any], f: dict[str, bool], prefix: str) -> None:
    for name in _children(rt, prefix):
        if not _show_var(rt, f, name, f["n"]) and not f["b"]:
            sys.stdout.write("\n")


def _parse(rt: dict[str, Any], prog: str, f: dict[str, bool], string: str, lineno: int) -> int:
    """parse() (sbin/sysctl/sysctl.c): returns 1 on a failure (counted into the exit status)."""
    line = f" at line {lineno}" if lineno else ""
    out = sys.stdout
    # strsep(&cp, "=:"): either '=' or ':' separates name and value
    cut = min((i for i in (string.find("="), string.find(":")) if i >= 0), default=-1)
    newval = None
    if cut >= 0:
        name, newval = string[:cut], string[cut + 1:]
        if f["T"] or f["W"]:
            sys.stdout.flush()
            warnx(prog, "Can't set variables when using -T or -W")
            raise _Usage()
        newval = newval.lstrip(" \t\n\v\f\r")
        if newval[:1] in ("'", '"'):
            if newval[-1] == newval[0]:
                newval = newval[:-1]
            newval = newval[1:]
    else:
        name = string
    name = name.rstrip(" \t\n\v\f\r")
    kind = _lookup(rt, name)
    if kind is None:
        if f["i"]:
            return 0
        if not f["q"]:
            out.flush()
            warnx(prog, f"unknown oid '{name}'{line}")
        return 1
    oid = name[:-1] if name.endswith(".") else name
    if newval is None or f["d"]:
        if kind == "node":
            if f["d"]:
                if not _show_var(rt, f, oid, f["n"]) and not f["b"]:
                    out.write("\n")
            _show_all(rt, f, oid)
        elif not _show_var(rt, f, oid, f["n"]) and not f["b"]:
            out.write("\n")
        return 0
    if kind == "node":
        out.flush()
        warnx(prog, f"oid '{name}' isn't a leaf node{line}")
        return 1
    typ, _, fl, _, _ = OIDS[oid]
    if "w" not in fl:
        out.flush()
        if "t" in fl:
            warnx(prog, f"oid '{name}' is a read only tunable{line}")
            warnx(prog, "Tunable values are set in /boot/loader.conf")
        else:
            warnx(prog, f"oid '{name}' is read only{line}")
        return 1
    new: Any
    if typ == "S":
        new = newval
    else:
        if newval == "":
            out.flush()
            warnx(prog, "empty numeric value")
            return 1
        vals = []
        for cp in newval.replace(",", " ").split(" "):
            if cp == "":
                continue
            v = _parse_numeric(cp, typ)
            if v is None:
                out.flush()
                warnx(prog, f"invalid {TYPENAME[typ]} '{cp}'{line}")
                return 1
            vals.append(v)
        if not vals:
            # newsize 0: the kernel handler reads nothing and keeps the value
            new = value(rt, oid)
        else:
            new = vals[0]
    i = _show_var(rt, f, oid, f["n"])
    err = _set_check(rt, oid, new)
    if err:
        if not i and not f["b"]:
            out.write("\n")
        out.flush()
        warn(prog, f"{string}{line}", err)
        return 1
    if oid == "kern.hostname":
        rt["hostname"] = new
    else:
        rt.setdefault("sysctl", {})[oid] = new
    if not f["b"]:
        out.write(" -> ")
    j = _show_var(rt, f, oid, True)
    if not j and not f["b"]:
        out.write("\n")
    return 0
