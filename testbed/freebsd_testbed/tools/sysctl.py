"""sysctl(8) [SRC sbin/sysctl/sysctl.c; RN15 for the 15.0 defaults].

A table of OIDs (:data:`OIDS`): type, default, writability, description and, for OIDs that only
exist while a kernel module is loaded, the module.  Values set at run time (and boot-time
tunables read from /boot/loader.conf, see :mod:`freebsd_testbed.boot`) live in
``runtime["sysctl"]``; ``kern.hostname`` comes from ``runtime["hostname"]``.
Exit status is the number of failed arguments, as in sysctl.c.
"""
from __future__ import annotations

import sys
from typing import Any

from .. import hoststate
from . import kld
from ._common import UsageError, getopt, progname, warnx

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
    # sys/net/if_bridge.c SYSCTL_INTs; 15.0 defaults (commit 22893e584032: pfil_member and
    # pfil_bridge 0); see net.BRIDGE_PFIL_DEFAULTS, which the network model filters by
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


def _exists(rt: dict[str, Any], name: str) -> bool:
    mod = OIDS[name][4]
    return mod is None or kld.find_module(rt, mod) is not None


def value(rt: dict[str, Any], name: str) -> Any:
    if name == "kern.hostname":
        return rt.get("hostname", "")
    return rt.get("sysctl", {}).get(name, OIDS[name][1])


def _fmt(v: Any) -> str:
    return str(v)


def _children(rt: dict[str, Any], prefix: str) -> list[str]:
    p = prefix + "."
    return sorted(n for n in OIDS if (n.startswith(p) or prefix == "") and _exists(rt, n))


USAGE = ("usage: sysctl [-j jail] [-bdehiJNnoqTtWx] [ -B <bufsize> ] [-f filename] name[=value] ...\n"
         "       sysctl [-j jail] [-bdehJNnoqTtWx] [ -B <bufsize> ] -a\n")


def main(argv: list[str]) -> int:
    prog = progname(argv, "sysctl")
    try:
        opts, args = getopt(prog, argv[1:], "AabB:def:hiJj:NnoqTtVWwXx")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    flags = {o for o, _ in opts}
    jail = next((a for o, a in opts if o == "j"), None)
    aflag = "a" in flags or "A" in flags or "X" in flags
    nflag, Nflag, dflag, eflag = "n" in flags, "N" in flags, "d" in flags, "e" in flags
    qflag, iflag = "q" in flags, "i" in flags
    if jail is not None:
        from . import jailhook
        if not jailhook.jail_exists(jail):
            warnx(prog, f'jail "{jail}" not found')  # [UNCONFIRMED] wording
            return 1
    if not args and not aflag:
        sys.stderr.write(USAGE)
        return 1
    out: list[str] = []
    errors = 0
    write = any("=" in a for a in args)
    with hoststate.locked(write=write) as st:
        rt = st.runtime

        def show(name: str) -> None:
            if Nflag:
                out.append(name + "\n")
                return
            if dflag:
                d = OIDS[name][3]
                out.append(d + "\n" if nflag else f"{name}: {d}\n")
                return
            v = _fmt(value(rt, name))
            if nflag:
                out.append(v + "\n")
            elif eflag:
                out.append(f"{name}={v}\n")
            else:
                out.append(f"{name}: {v}\n")

        if not args:
            for name in _children(rt, ""):
                show(name)
        for arg in args:
            name, sep, newval = arg.partition("=")
            if name in OIDS and _exists(rt, name):
                if not sep:
                    show(name)
                    continue
                typ, _, fl, _, _ = OIDS[name]
                if "w" not in fl:
                    if "t" in fl:
                        warnx(prog, f"oid '{name}' is a read only tunable")
                        warnx(prog, "Tunable values are set in /boot/loader.conf")
                    else:
                        warnx(prog, f"oid '{name}' is read only")
                    errors += 1
                    continue
                if typ == "S":
                    new: Any = newval
                else:
                    try:
                        new = int(newval, 0)
                        if typ == "U" and new < 0:
                            raise ValueError
                    except ValueError:
                        warnx(prog, f"invalid {TYPENAME[typ]} '{newval}'")
                        errors += 1
                        continue
                old = _fmt(value(rt, name))
                if name == "kern.hostname":
                    rt["hostname"] = new
                else:
                    rt.setdefault("sysctl", {})[name] = new
                if nflag:
                    out.append(f"{old} -> {_fmt(new)}\n")
                else:
                    out.append(f"{name}: {old} -> {_fmt(new)}\n")
                continue
            kids = _children(rt, name)
            if kids and not sep:
                for k in kids:
                    show(k)
                continue
            if iflag:
                continue
            if not qflag:
                warnx(prog, f"unknown oid '{name}'")
            errors += 1
    sys.stdout.write("".join(out))
    return errors
