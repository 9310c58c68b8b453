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
    "zpool": ("zpool", "/sbin/zpool"),
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
    "pw": ("pw", "/usr/sbin/pw"),
}


def main(argv: list[str]) -> int:
    """Run one tool.  Never lets a Python exception out: an unexpected one becomes
    ``prog: internal error: ...`` on stderr, exit status 1, and a record in
    :data:`_common.CRASH_LOG` (the tests fail on it).  ``SystemExit`` keeps its code, a write
    to a closed pipe ends quietly with 141 (what sh reports for a SIGPIPE death, as a real tool
    writing into ``| head`` gets), ``KeyboardInterrupt`` gives 130."""
    name = os.path.basename(argv[0]) if argv else ""
    entry = TOOLS.get(name)
    if entry is None:
        sys.stderr.write(f"{name}: not a simulated tool\n")
        return 127
    for stream in (sys.stdout, sys.stderr):
        try:  # argv bytes that are not UTF-8 go out as the same bytes, as a C program's would
            stream.reconfigure(errors="surrogateescape")
        except Exception:  # noqa: BLE001 - not a TextIOWrapper
            pass
    try:
        try:
            mod = importlib.import_module(f"freebsd_testbed.tools.{entry[0]}")
        except ModuleNotFoundError as e:
            if e.name != f"freebsd_testbed.tools.{entry[0]}":
                raise
            sys.stderr.write(f"{name}: Command not found.\n")
            return 127
        rc = mod.main(argv)
        if not isinstance(rc, int):
            rc = 0 if rc is None else 1
        return rc
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        sys.stderr.write(f"{e.code}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    except Exception as e:  # noqa: BLE001 - see the docstring
        from ._common import internal_error
        return internal_error(name, list(argv), e)


def _quiet_stdout() -> None:
    """After EPIPE: point fd 1 at /dev/null so the final flush cannot fail again."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.close(fd)
    except OSError:
        pass


def run() -> None:
    """Entry point used by the launchers: run the tool named by argv[0] and exit with its code."""
    try:
        rc = main(sys.argv)
    except KeyboardInterrupt:
        rc = 130
    except BaseException as e:  # noqa: BLE001 - last resort, main() already catches
        from ._common import internal_error
        rc = internal_error(os.path.basename(sys.argv[0]) if sys.argv else "?", sys.argv, e)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except Exception:  # noqa: BLE001
        pass
    try:
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
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
