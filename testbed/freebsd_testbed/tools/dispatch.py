"""Program name -> tool module, and the entry point of the host's launchers.

The host's /sbin/kldload, /usr/sbin/sysrc, ... are tiny scripts (see :func:`launcher_text`) that
run this module's :func:`run` with ``argv[0]`` set to the program's path.  To add a tool: write
``freebsd_testbed/tools/<module>.py`` with ``main(argv) -> int`` and add the program to
:data:`TOOLS` (name -> (module, host path of the launcher)).  Modules are imported lazily, so a
missing module only breaks its own program.
"""
from __future__ import annotations

import importlib
import os
import sys

# program name -> (module under freebsd_testbed.tools, path of the launcher on the host)
TOOLS: dict[str, tuple[str, str]] = {
    "zfs": ("zfs", "/sbin/zfs"),
    "sysrc": ("sysrc", "/usr/sbin/sysrc"),
    "sysctl": ("sysctl", "/sbin/sysctl"),
    "kldload": ("kldload", "/sbin/kldload"),
    "kldstat": ("kldstat", "/sbin/kldstat"),
    "kldunload": ("kldunload", "/sbin/kldunload"),
    "uname": ("uname", "/usr/bin/uname"),
    "freebsd-version": ("freebsd_version", "/bin/freebsd-version"),
    "jail": ("jail", "/usr/sbin/jail"),
    "jls": ("jls", "/usr/sbin/jls"),
    "jexec": ("jexec", "/usr/sbin/jexec"),
    "ps": ("ps", "/bin/ps"),
    "cpuset": ("cpuset", "/usr/bin/cpuset"),
    "rctl": ("rctl", "/usr/bin/rctl"),
    "lockf": ("lockf", "/usr/bin/lockf"),
    "testbed-rc": ("testbed_rc", "/usr/libexec/testbed-rc"),
    "pfctl": ("pfctl", "/sbin/pfctl"),
    "stat": ("stat", "/usr/bin/stat"),
    "host": ("host_cmd", "/usr/bin/host"),
    "chflags": ("chflags", "/bin/chflags"),
    "ifconfig": ("ifconfig", "/sbin/ifconfig"),
    "route": ("route", "/sbin/route"),
    "netstat": ("netstat", "/usr/bin/netstat"),
    "ping": ("ping", "/sbin/ping"),
    "service": ("service", "/usr/sbin/service"),
    "pkg": ("pkg", "/usr/sbin/pkg"),
    "fetch": ("fetch", "/usr/bin/fetch"),
    "su": ("su", "/usr/bin/su"),
}


def main(argv: list[str]) -> int:
    name = os.path.basename(argv[0]) if argv else ""
    entry = TOOLS.get(name)
    if entry is None:
        sys.stderr.write(f"{name}: not a simulated tool\n")
        return 127
    try:
        mod = importlib.import_module(f"freebsd_testbed.tools.{entry[0]}")
    except ModuleNotFoundError as e:
        if e.name != f"freebsd_testbed.tools.{entry[0]}":
            raise
        sys.stderr.write(f"{name}: Command not found.\n")
        return 127
    return mod.main(argv)


def run() -> None:
    """Entry point used by the launchers: run the tool named by argv[0] and exit with its code."""
    try:
        rc = main(sys.argv)
    except KeyboardInterrupt:
        rc = 130
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    sys.stderr.flush()
    os._exit(rc & 0xFF)


def launcher_text(python: str, pkg_parent: str) -> str:
    """The text of one launcher script (same for every tool; argv[0] selects the tool)."""
    return (
        f"#!{python} -SE\n"
        "import sys\n"
        f"sys.path.insert(0, {pkg_parent!r})\n"
        "from freebsd_testbed.tools.dispatch import run\n"
        "run()\n"
    )
