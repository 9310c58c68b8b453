"""cpuset(1) -j, rctl(8), ps(1) over the jail model (fast host root)."""
from __future__ import annotations

import os

import pytest

from freebsd_testbed import boot, provision
from freebsd_testbed.tools import dispatch

from jail_helpers import make_base


@pytest.fixture
def run(tmp_path, monkeypatch, capfd):
    root = str(tmp_path / "host")
    os.makedirs(root)
    monkeypatch.setenv("TESTBED_ROOT", root)
    monkeypatch.delenv("TESTBED_JAIL", raising=False)
    provision.populate(root)
    boot.boot()
    make_base(root, "/jails/w")

    def _run(*argv: str):
        capfd.readouterr()
        rc = dispatch.main(list(argv))
        out, err = capfd.readouterr()
        return rc, out, err
    _run.root = root
    assert _run("jail", "-c", "name=webserver", "path=/jails/w", "persist")[0] == 0
    return _run


def test_cpuset(run):
    assert run("cpuset", "-g", "-j", "1")[1] == ("jail 1 mask: 0, 1, 2, 3\n"
                                                 "jail 1 domain policy: first-touch mask: 0\n")
    assert run("cpuset", "-l", "0-1", "-j", "1") == (0, "", "")
    assert run("cpuset", "-g", "-j", "webserver")[1].splitlines()[0] == "jail 1 mask: 0, 1"
    rc, out, err = run("cpuset", "-g", "-j", "9")
    assert (rc, err) == (1, "cpuset: jail 9 not found\n")
    # sys/kern/kern_cpuset.c cpuset_modify(): a jail's mask must be a subset of its parent's
    # (EINVAL); EDEADLK is cpuset_init()'s "no overlap" for a thread/process mask
    rc, out, err = run("cpuset", "-l", "0-7", "-j", "1")
    assert (rc, err) == (1, "cpuset: setaffinity: Invalid argument\n")


def test_rctl_disabled_then_enabled(run):
    rc, out, err = run("rctl")
    assert (rc, err) == (1, "rctl: RACCT/RCTL present, but disabled; enable using "
                            "kern.racct.enable=1 tunable\n")
    with open(os.path.join(run.root, "boot/loader.conf"), "a") as f:
        f.write('kern.racct.enable="1"\n')
    boot.boot()
    assert run("jail", "-c", "name=webserver", "path=/jails/w", "persist")[0] == 0
    assert run("rctl", "-a", "jail:webserver:memoryuse:deny=512M") == (0, "", "")
    assert run("rctl", "-a", "jail:webserver:maxproc:deny=100") == (0, "", "")
    # sys/kern/kern_rctl.c rctl_racct_add_rule(): LIST_INSERT_HEAD, so the newest rule first
    assert run("rctl")[1] == ("jail:webserver:maxproc:deny=100\n"
                              "jail:webserver:memoryuse:deny=536870912\n")
    assert run("rctl", "-h", "jail:webserver:memoryuse")[1] == "jail:webserver:memoryuse:deny=512M\n"
    rc, out, err = run("rctl", "-a", "jail:webserver:foo:deny=1")
    assert (rc, err) == (1, "rctl: failed to add rule 'jail:webserver:foo:deny=1': Invalid argument\n")
    rc, out, _ = run("rctl", "-u", "jail:webserver")
    assert rc == 0 and out.splitlines()[0] == "cputime=0" and "maxproc=0" in out.splitlines()
    assert run("rctl", "-r", "jail:webserver:memoryuse") == (0, "", "")
    assert run("rctl")[1] == "jail:webserver:maxproc:deny=100\n"
    assert run("rctl", "-r", "jail:webserver")[0] == 0
    assert run("rctl")[1] == ""


def test_ps(run, monkeypatch):
    from freebsd_testbed import hoststate, jailctx
    with hoststate.locked() as st:
        jailctx.procs_add(st, "webserver", "root", "/usr/sbin/syslogd -s", "SCs")
        jailctx.procs_add(st, "webserver", "www", "nginx: worker process (nginx)", "I")
    rc, out, _ = run("ps", "-J", "webserver", "-o", "user,stat,command")
    assert out.split("\n")[1:3] == ["root SCsJ /usr/sbin/syslogd -s",
                                    "www  IJ   nginx: worker process (nginx)"]
    monkeypatch.setenv("TESTBED_JAIL", "webserver")
    rc, out, _ = run("ps", "aux")
    lines = out.splitlines()
    assert lines[0].split() == ["USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "TT", "STAT",
                                "STARTED", "TIME", "COMMAND"]
    assert len(lines) == 4 and "/sbin/init" not in out and lines[-1].endswith("ps aux")
    monkeypatch.delenv("TESTBED_JAIL")
    rc, out, _ = run("ps", "ax")
    assert "/sbin/init" in out and "SCsJ" in out
