"""No simulated tool ever shows a Python traceback, whatever its arguments.

Every program in the dispatch table (tools/dispatch.py TOOLS) gets malformed command lines:
unknown flags, missing operands, odd bytes, very long words, relative and missing files, and
the same after each of its real subcommands.  A real FreeBSD tool answers those with a usage
text or an error message and a non-zero status; the testbed must too.  The dispatcher turns an
escaping exception into ``prog: internal error: ...`` plus a record in the host's crash log
(tools/_common.py CRASH_LOG); conftest's autouse fixture fails the test on any record, and this
test also checks stderr for ``Traceback`` directly.
"""
from __future__ import annotations

import io
import os
import signal
import sys

import pytest

from freebsd_testbed.tools import dispatch

PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(dispatch.__file__)))
PKG_PARENT = os.path.dirname(PKG_PARENT)

# malformed arguments, tried alone and after each subcommand of the tool
MALFORMED: list[list[str]] = [
    [],
    ["-Z"],
    ["--bogus-option"],
    ["-"],
    ["--"],
    ["-j"],
    ["-f"],
    ["-o"],
    ["-u"],
    ["-n"],
    ["\x1b[31m\t\r"],
    ["é\u00ff", "\udcff\udcfe"],          # non-ASCII and undecodable bytes (surrogateescape)
    ["x" * 5000],
    ["-" + "v" * 300],
    ["nonexistent/relative/file"],
    ["/nonexistent/dir/file"],
    ["=", "a=", "=b", "a==b"],
    ["%s%n%x", "{}", "${HOME}"],
    [".", ".."],
    ["-1"],
    ["99999999999999999999999"],
]
# shorter set after a subcommand (keeps the run fast)
AFTER_SUB: list[list[str]] = [
    [], ["-Z"], ["--"], ["\udcff"], ["x" * 5000], ["nonexistent/relative/file"],
    ["/nonexistent/dir/file"], ["=", "a="], ["-1"], ["-j"], ["-f"], ["-o"],
]

SUBCOMMANDS: dict[str, list[str]] = {
    "zfs": ["create", "destroy", "list", "get", "set", "inherit", "snapshot", "clone", "rename",
            "rollback", "promote", "mount", "unmount", "send", "receive", "allow", "jail",
            "unjail", "hold", "diff", "bookmark", "upgrade", "version", "help", "-V"],
    "sysrc": ["-a", "-A", "-x", "-c", "-d", "-e", "-f", "-F", "-n", "-N", "-j", "-R", "-v",
              "-i", "-D", "-X", "--help", "--version", "name+=", "name-=", "-s"],
    "sysctl": ["-a", "-n", "-d", "-e", "-q", "-N", "-w", "-b", "-i", "kern.", "kern.ostype=",
               "net.link.bridge.member_ifaddrs="],
    "kldload": ["-n", "-v", "-q", "if_bridge", "./x.ko"],
    "kldstat": ["-m", "-n", "-i", "-v", "-q", "-d", "-h"],
    "kldunload": ["-f", "-v", "-i", "-n", "-m"],
    "uname": ["-a", "-m", "-r", "-s", "-v", "-K", "-U", "-p", "-i", "-b", "-o"],
    "freebsd-version": ["-k", "-r", "-u", "-j"],
    "jail": ["-c", "-r", "-m", "-R", "-cm", "-rc", "-e", "-f", "-J", "-l", "-n", "-s", "-v",
             "-q", "-i", "-h", "-d", "-C", "-u", "-U", "-p", "name=x", "path=", "persist",
             "nopersist", "x.y.z=1", "command=", "vnet", "ip4.addr=", "-c name=x",
             "-c path=/nonexistent", "-m jid=0", "-r 99"],
    "jls": ["-v", "-n", "-s", "-h", "-q", "-N", "-d", "-c", "-j", "--libxo", "--libxo=json",
            "--libxo:P", "all", "jid", "name", "nosuchparam"],
    "jexec": ["-l", "-u", "-U", "-d", "-n", "0", "1", "nosuchjail"],
    "ps": ["-a", "-x", "-u", "-j", "-J", "-o", "-p", "-ax", "-auxww", "-d", "-H", "-O"],
    "cpuset": ["-g", "-l", "-s", "-p", "-j", "-c", "-C", "-d", "-x", "-i", "-r", "-t"],
    "rctl": ["-a", "-r", "-u", "-l", "-h", "-n", "jail:", "jail:x:", "jail:x:memoryuse:deny=",
             "user:root"],
    "lockf": ["-k", "-s", "-n", "-t", "-w", "-p", "-T"],
    "testbed-rc": [],
    "pfctl": ["-s", "-f", "-t", "-a", "-k", "-K", "-F", "-e", "-d", "-n", "-v", "-sr", "-si",
              "-ss", "-sn", "-sT", "-sa", "-nf", "-T", "-x", "-g", "-z", "-q", "-o", "-D"],
    "stat": ["-f", "-x", "-L", "-l", "-n", "-r", "-s", "-t", "-q", "-F"],
    "host": ["-t", "-W", "-4", "-6", "-a", "-v", "-c"],
    "chflags": ["-R", "-h", "-v", "-f", "schg", "noschg", "0", "bogusflag"],
    "ifconfig": ["-a", "-l", "-g", "-G", "-C", "-d", "-u", "-m", "-j", "-f", "bridge0",
                 "bridge", "epair", "epair0a", "lo0", "vtnet0", "nosuch0", "bridge0 create",
                 "epair create", "bridge0 addm", "bridge0 deletem", "vtnet0 vnet",
                 "vtnet0 -vnet", "lo0 inet", "lo0 netmask", "lo0 mtu", "lo0 name",
                 "vtnet0 ifpriority", "vtnet0 ifpathcost", "bridge0 ifmaxaddr",
                 "lo0 inet6", "lo0 destroy", "vtnet0 stp", "bridge0 maxaddr"],
    "route": ["add", "delete", "get", "change", "show", "flush", "-n", "-4", "-6", "-q", "-v",
              "add -net", "add default", "delete default", "get default", "add -host"],
    "netstat": ["-r", "-n", "-f", "-i", "-a", "-s", "-4", "-6", "-p", "-I", "-b", "-W", "-L",
                "-rn", "-an"],
    "ping": ["-c", "-t", "-W", "-i", "-s", "-q", "-n", "-S", "-4", "-6"],
    "service": ["-e", "-l", "-r", "-j", "-R", "-v", "jail", "sshd", "nosuchservice",
                "jail start", "jail onestatus", "sshd status", "pf check"],
    "pkg": ["install", "info", "delete", "remove", "query", "rquery", "search", "update",
            "upgrade", "version", "which", "lock", "unlock", "clean", "audit", "annotate",
            "set", "fetch", "check", "autoremove", "bootstrap", "stats", "config", "create",
            "add", "register", "backup", "alias", "-j", "-c", "-r", "-o", "-N", "-v", "-d",
            "help", "nosuchcommand"],
    "fetch": ["-o", "-q", "-a", "-m", "-r", "-T", "-v", "-S", "-1", "http://", "https:///x",
              "ftp://x", "file:///nonexistent"],
    "su": ["-l", "-m", "-f", "-c", "nosuchuser", "nosuchuser -c"],
}

# Crash sites the sweep once found (bytes that are not UTF-8 in argv): each runs in a child
# process, since lockf forks and a child that failed to end would go on as a copy of pytest.
FORMER_CRASHES = {"zfs-undecodable-name": ["zfs", "list", "\udcff"],
                  "lockf-undecodable-command": ["lockf", "x.lock", "\udcff\udcfe"]}


class _Timeout(BaseException):
    """Not an Exception: the dispatcher does not swallow it."""


@pytest.fixture
def quiet_stdin(monkeypatch):
    """stdin = /dev/null (fd 0 and sys.stdin): no tool may read the test runner's terminal."""
    fd = os.open(os.devnull, os.O_RDONLY)
    saved = os.dup(0)
    os.dup2(fd, 0)
    os.close(fd)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    yield
    os.dup2(saved, 0)
    os.close(saved)


def _cases(tool: str) -> list[list[str]]:
    out = [list(m) for m in MALFORMED]
    for sub in SUBCOMMANDS.get(tool, []):
        for m in AFTER_SUB:
            out.append(sub.split() + list(m))
    return out


def _alarm(signum, frame):
    raise _Timeout()


@pytest.mark.parametrize("prog", sorted(dispatch.TOOLS))
def test_malformed_arguments_no_traceback(prog, host_root, quiet_stdin, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # relative files the tools create land here
    old = signal.signal(signal.SIGALRM, _alarm)
    problems = []
    try:
        for args in _cases(prog):
            argv = [prog] + args
            outb, errb = io.BytesIO(), io.BytesIO()
            monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(outb, "utf-8", write_through=True))
            monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(errb, "utf-8", write_through=True))
            signal.alarm(20)
            try:
                rc = dispatch.main(argv)
            except _Timeout:
                problems.append(f"{argv!r}: hung (no answer in 20 s)")
                continue
            finally:
                signal.alarm(0)
            sys.stdout.flush()
            sys.stderr.flush()
            out = outb.getvalue().decode("utf-8", "replace")
            err = errb.getvalue().decode("utf-8", "replace")
            if "Traceback (most recent call last)" in out + err or "internal error:" in err:
                problems.append(f"{argv!r}: rc={rc}\n{err[-2000:]}")
            if not isinstance(rc, int) or not 0 <= rc <= 255:
                problems.append(f"{argv!r}: exit status {rc!r}")
    finally:
        signal.signal(signal.SIGALRM, old)
    assert not problems, "\n".join(problems[:20]) + f"\n({len(problems)} failing command lines)"


def test_dispatcher_turns_an_exception_into_an_error(host_root, capsys, monkeypatch):
    """An escaping exception: message on stderr, status 1, recorded; never a traceback."""
    import json

    from freebsd_testbed.tools import _common, uname

    def boom(argv):
        raise KeyError("boom")

    monkeypatch.setattr(uname, "main", boom)
    capsys.readouterr()
    assert dispatch.main(["uname", "-a"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == "uname: internal error: KeyError: 'boom'\n"
    log = os.path.join(host_root, _common.CRASH_LOG.lstrip("/"))
    recs = [json.loads(x) for x in open(log, encoding="utf-8")]
    assert recs[-1]["prog"] == "uname" and recs[-1]["argv"] == ["uname", "-a"]
    assert "KeyError" in recs[-1]["traceback"]
    os.remove(log)  # this crash was on purpose: keep the autouse check green


def test_dispatcher_exit_codes(host_root, capsys, monkeypatch):
    from freebsd_testbed.tools import uname

    def exits(argv):
        sys.exit(3)

    monkeypatch.setattr(uname, "main", exits)
    assert dispatch.main(["uname"]) == 3

    def pipe(argv):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(uname, "main", pipe)
    saved = os.dup(1)
    try:
        assert dispatch.main(["uname"]) == 141  # quietly, like a SIGPIPE death in sh
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("argv", list(FORMER_CRASHES.values()), ids=list(FORMER_CRASHES))
def test_former_crash_sites(argv, host_root, tmp_path):
    import subprocess

    code = ("import sys; sys.path.insert(0, %r); from freebsd_testbed.tools import dispatch; "
            "sys.exit(dispatch.main(sys.argv[1:]))" % PKG_PARENT)
    r = subprocess.run([sys.executable, "-SE", "-c", code, *argv], env={"TESTBED_ROOT": host_root},
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=60, cwd=tmp_path)
    err = r.stderr.decode("utf-8", "replace")
    log = os.path.join(host_root, "var/log/testbed/crashes.log")
    crashed = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) else ""
    if os.path.exists(log):
        os.remove(log)  # reported here, not again by the autouse check
    assert "Traceback" not in err and "internal error" not in err and not crashed, err


@pytest.mark.testbed
def test_no_traceback_over_ssh(testbed):
    """The launchers (dispatch.run) over the real sshd: malformed command lines end with an
    error message and a status, never a Python traceback (the autouse fixture also checks
    the host's crash log, under the state dir's /var overlay)."""
    lines = ["jail -c a b", "jail -Z", "jls -j", "jexec", "jexec nosuch true", "sysrc -R = a=",
             "sysrc -x", "ifconfig bridge0 ifpriority", "ifconfig nosuch0 addm x",
             "kldload", "pfctl -Z", "zfs", "ifconfig -j nosuch lo0", "route add",
             "service", "pkg -Z", "jail -c name=x path=/nonexistent persist"]
    for line in lines:
        r = testbed.sh(line + " </dev/null")
        err = r.stderr.decode("utf-8", "replace")
        assert "Traceback" not in err and "internal error" not in err, (line, err)
        assert r.returncode != 0 or line.startswith("zfs"), (line, r.returncode, err)
