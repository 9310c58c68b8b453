"""``freebsd-testbed``: start, use and stop simulated FreeBSD 15 hosts.

    freebsd-testbed up NAME [--state-dir DIR] [--json]
    freebsd-testbed down NAME [--state-dir DIR] [--purge]
    freebsd-testbed status NAME [--state-dir DIR]
    freebsd-testbed reboot NAME [--state-dir DIR]
    freebsd-testbed exec NAME [--state-dir DIR] -- CMD...
    freebsd-testbed log NAME [--state-dir DIR]
    freebsd-testbed fault NAME [--state-dir DIR] [--latency-ms N] [--drop-connections]
                               [--fail-next PATTERN] [--stall-next PATTERN --ms N] [--times N]
                               [--clear]
    freebsd-testbed probe NAME [--state-dir DIR] [--from lan|host|JAIL] [--proto tcp|udp|icmp]
                               ADDR [PORT]

``fault --stall-next PATTERN --ms N`` lets the next N (``--times``, default 1) command lines
matching PATTERN run to completion (their output reaches the client), then holds back their
exit status for N ms: the host did the work but the client has not heard yet.

``probe`` says what a connection from outside (``lan``: a machine on the uplink's LAN), from the
host or from a jail to ADDR[:PORT] meets: open, closed, filtered (by PF) or unreachable (exit 0
only for open).

Errors (unknown testbed, bad flags, not running) exit with status 2 and change nothing.
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import sys

from .host import Testbed, TestbedError

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="freebsd-testbed",
                                description="Simulated FreeBSD 15 hosts reached over a real sshd.")
    sub = p.add_subparsers(dest="cmd", required=True)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help)
        sp.add_argument("name")
        sp.add_argument("--state-dir", help="state directory (default $FREEBSD_TESTBED_HOME/NAME)")
        return sp

    sp = add("up", "start the host (idempotent) and print how to reach it")
    sp.add_argument("--json", action="store_true", help="print one JSON object")
    sp = add("down", "stop the host")
    sp.add_argument("--purge", action="store_true", help="also delete the state dir")
    add("status", "print the host's status as JSON")
    add("reboot", "drop runtime state and boot again")
    sp = add("exec", "run a command line on the host as root over SSH")
    sp.add_argument("command", nargs="*", help="after --: the command (one argument = a whole command line)")
    add("log", "print the host's command log (one JSON line per SSH command)")
    sp = add("fault", "inject faults (for tests): latency, dropped connections, failing or "
                      "stalling commands")
    sp.add_argument("--latency-ms", type=int, metavar="N",
                    help="add N ms to every SSH round trip (half each way), until --clear")
    sp.add_argument("--drop-connections", action="store_true",
                    help="drop every open SSH connection now (new ones are accepted)")
    sp.add_argument("--fail-next", metavar="PATTERN",
                    help="make the next command line matching PATTERN (a Python regex, searched) "
                         "fail with exit 1 without running")
    sp.add_argument("--stall-next", metavar="PATTERN",
                    help="let the next command line matching PATTERN (a Python regex, searched) "
                         "run to completion, then delay its exit status by --ms milliseconds")
    sp.add_argument("--ms", type=int, metavar="N",
                    help="with --stall-next: how long to hold back the exit status (0-600000 ms)")
    sp.add_argument("--times", type=int, default=1, metavar="N",
                    help="with --fail-next/--stall-next: apply to the next N matching commands "
                         "(default 1)")
    sp.add_argument("--clear", action="store_true", help="remove every fault")
    sp = add("probe", "what a connection to ADDR[:PORT] meets (open/closed/filtered/unreachable)")
    sp.add_argument("--from", dest="src", default="lan", metavar="SRC",
                    help="lan (a machine on the uplink's LAN, default), host, or a VNET jail's name")
    sp.add_argument("--proto", default="tcp", choices=["tcp", "udp", "icmp"])
    sp.add_argument("addr", help="an IPv4 address")
    sp.add_argument("port", nargs="?", type=int, help="TCP/UDP port (1-65535)")
    return p


def _fail(msg: str) -> int:
    sys.stderr.write(f"freebsd-testbed: {msg}\n")
    return 2


def _probe(tb: Testbed, args: argparse.Namespace) -> int:
    import ipaddress
    from . import hoststate, probe, proxy
    try:
        ipaddress.IPv4Address(args.addr)
    except ValueError:
        return _fail(f"probe: invalid IPv4 address '{args.addr}'")
    if args.proto != "icmp" and (args.port is None or not 1 <= args.port <= 65535):
        return _fail("probe: a TCP/UDP probe needs a PORT between 1 and 65535")
    if not tb.running():
        return _fail(f"testbed '{tb.name}' is not running")
    try:
        runtime = proxy.load_runtime(tb.dir)
    except (OSError, ValueError) as e:
        return _fail(f"probe: cannot read the host's runtime state: {e}")
    st = hoststate.State({}, runtime)
    try:
        verdict, detail = probe.probe(st, args.src, args.addr, args.proto,
                                      None if args.proto == "icmp" else args.port)
    except KeyError:
        return _fail(f"probe: no VNET jail named '{args.src}' (use lan, host or a running VNET jail)")
    port = "" if args.proto == "icmp" else f" port {args.port}"
    print(f"{args.src} -> {args.addr}{port}/{args.proto}: {verdict} ({detail})")
    return probe.VERDICT_EXIT[verdict]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command: list[str] | None = None
    if argv[:1] == ["exec"] and "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], argv[i + 1:]
    args = _parser().parse_args(argv)
    if command is not None:
        args.command = list(args.command) + command
    if not NAME_RE.match(args.name):
        return _fail(f"invalid testbed name '{args.name}'")
    tb = Testbed(args.name, args.state_dir)
    if args.cmd != "up" and not tb.exists():
        return _fail(f"no testbed named '{args.name}' (no state in {tb.dir})")
    try:
        if args.cmd == "up":
            info = tb.up()
            if args.json:
                print(json.dumps(info))
            else:
                for k in ("name", "host", "port", "user", "private_key_path", "host_key", "state_dir"):
                    print(f"{k}: {info[k]}")
            return 0
        if args.cmd == "down":
            tb.down(purge=args.purge)
            return 0
        if args.cmd == "status":
            print(json.dumps(tb.status()))
            return 0
        if args.cmd == "reboot":
            tb.reboot()
            return 0
        if args.cmd == "log":
            out = sys.stdout
            for line in tb.command_log():
                out.write(line + "\n")
            return 0
        if args.cmd == "fault":
            if args.latency_ms is not None and not 0 <= args.latency_ms <= 60000:
                return _fail("fault: --latency-ms must be between 0 and 60000")
            if args.times < 1 or args.times > 100000:
                return _fail("fault: --times must be between 1 and 100000")
            if args.fail_next is not None:
                try:
                    re.compile(args.fail_next)
                except re.error as e:
                    return _fail(f"fault: invalid --fail-next pattern: {e}")
            if args.stall_next is not None:
                if args.ms is None:
                    return _fail("fault: --stall-next needs --ms N (milliseconds)")
                try:
                    re.compile(args.stall_next)
                except re.error as e:
                    return _fail(f"fault: invalid --stall-next pattern: {e}")
            elif args.ms is not None:
                return _fail("fault: --ms goes with --stall-next")
            if args.ms is not None and not 0 <= args.ms <= 600000:
                return _fail("fault: --ms must be between 0 and 600000")
            if not (args.clear or args.drop_connections or args.fail_next is not None
                    or args.stall_next is not None or args.latency_ms is not None):
                print(json.dumps(tb.faults()))
                return 0
            print(json.dumps(tb.set_faults(clear=args.clear, latency_ms=args.latency_ms,
                                           drop=args.drop_connections, fail_next=args.fail_next,
                                           times=args.times, stall_next=args.stall_next,
                                           stall_ms=args.ms)))
            return 0
        if args.cmd == "probe":
            return _probe(tb, args)
        if args.cmd == "exec":
            cmd = list(args.command)
            if not cmd:
                return _fail("exec: no command given")
            line = cmd[0] if len(cmd) == 1 else " ".join(shlex.quote(c) for c in cmd)
            sys.stdout.flush()
            return tb.exec(line)
    except TestbedError as e:
        return _fail(str(e))
    return 2


if __name__ == "__main__":
    sys.exit(main())
