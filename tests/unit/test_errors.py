"""errors.classify: the one place that reads error text, on FreeBSD's own messages."""
from __future__ import annotations

import pytest

from freebsd_provider import errors as E
from freebsd_provider.ssh import CommandError, Result

LOCK = ["/usr/bin/lockf", "-k", "-t", "120", "/var/run/pulumi-freebsd.lock"]


def res(argv, err="", code=1, out=""):
    return Result(list(argv), " ".join(argv), code, out, err)


CASES = [
    # jexec.c: jail_getid's error; sysrc -j / service -j / pkg -j run jexec
    (["/usr/sbin/jexec", "web", "/bin/cat", "/etc/rc.conf"], 'jexec: jail "web" not found\n', E.JailNotRunning),
    ([*LOCK, "/usr/sbin/sysrc", "-j", "web", "-x", "a"], 'jexec: jail "web" not found\n', E.JailNotRunning),
    (["/usr/sbin/pkg", "-j", "db", "info"], 'pkg: jail "db" not found\n', E.JailNotRunning),
    (["/sbin/pfctl", "-s", "info"], "pfctl: /dev/pf: No such file or directory\n", E.ModuleNotLoaded),
    (["/sbin/pfctl", "-e"], "pfctl: pf already enabled\n", E.PfAlreadyEnabled),
    (["/sbin/pfctl", "-d"], "pfctl: pf not enabled\n", E.PfNotEnabled),
    (["/sbin/kldunload", "pf"], "kldunload: can't find file pf\n", E.ModuleNotLoaded),
    (["/sbin/kldunload", "if_bridge"], "kldunload: can't unload file: Device busy\n", E.ModuleBusy),
    (["/sbin/zfs", "destroy", "zroot/x"], "cannot open 'zroot/x': dataset does not exist\n", E.DatasetMissing),
    (["/sbin/zfs", "create", "zroot/x"], "cannot create 'zroot/x': dataset already exists\n", E.AlreadyExists),
    (["/sbin/ifconfig", "bridge0", "destroy"], "ifconfig: interface bridge0 does not exist\n", E.InterfaceMissing),
    (["/sbin/ifconfig", "bridge0", "create"], "ifconfig: SIOCIFCREATE2 (bridge0): File exists\n", E.AlreadyExists),
    ([*LOCK, "/usr/sbin/sysrc", "-x", "nginx_enable"], "sysrc: unknown variable 'nginx_enable'\n", E.UnknownVariable),
    (["/usr/sbin/service", "-j", "web", "nginx", "onestatus"],
     "nginx does not exist in /etc/rc.d or the local startup\ndirectories (/usr/local/etc/rc.d), or is not executable\n",
     E.NoRcScript),
    (["/usr/sbin/service", "-j", "web", "nginx", "onestart"], "nginx already running?  (pid=4242).\n", E.ServiceAlreadyRunning),
    (["/usr/sbin/service", "-j", "web", "nginx", "onestop"], "nginx not running? (check /var/run/nginx.pid).\n", E.ServiceNotRunning),
    (["/usr/bin/rctl", "-a", "jail:web:memoryuse:deny=1g"],
     "rctl: failed to add rule 'jail:web:memoryuse:deny=1g': RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n",
     E.RctlDisabled),
    (["/bin/cat", "/nope"], "cat: /nope: No such file or directory\n", E.NoSuchFile),
    (["/bin/sh", "-c", "exit 2"], "", E.CommandFailed),
]


@pytest.mark.parametrize("argv,err,kind", CASES, ids=[c[2].__name__ + ":" + c[0][-1] for c in CASES])
def test_classify_picks_the_specific_type(argv, err, kind):
    e = E.classify(res(argv, err))
    assert type(e) is kind
    assert isinstance(e, E.CommandFailed) and e.result.stderr == err


def test_constructing_the_base_class_classifies_too():
    e = CommandError(res(["/usr/sbin/jexec", "web", "/bin/true"], 'jexec: jail "web" not found\n'))
    assert isinstance(e, E.JailNotRunning)
    assert "command failed (exit 1)" in str(e)


def test_a_message_of_another_tool_does_not_classify():
    # "not running" from a program that is not service(8) is not ServiceNotRunning
    assert type(E.classify(res(["/bin/sh", "-c", "x"], "nginx not running?\n"))) is E.CommandFailed
    # a command run in a running jail that prints the same words is not a stopped jail unless
    # the command line goes through jexec; and never from a command on the host
    assert type(E.classify(res(["/bin/sh", "-c", "x"], 'jexec: jail "web" not found\n'))) is E.CommandFailed
    # the word "jail" in a file name is not a missing jail
    assert not isinstance(E.classify(res(["/bin/cat", "/jails/x"], "cat: /jails/x: No such file or directory\n")),
                          E.JailNotRunning)


def test_lockf_timeout():
    e = E.classify(res([*LOCK, "/usr/sbin/sysrc", "a=b"], "lockf: /var/run/pulumi-freebsd.lock: already locked\n", 75))
    assert isinstance(e, E.LockTimeout)


def test_program_sees_through_wrappers():
    assert E.program(["sudo", "-n", "--", *LOCK, "/usr/sbin/jexec", "-l", "web", "/usr/sbin/service", "x"]) == "service"
    assert E.program(["doas", "/sbin/zfs", "list"]) == "zfs"


def test_transport_errors_say_whether_the_command_may_have_run():
    assert E.may_have_run(E.ConnectionLost("connection lost while running: x"))
    assert E.may_have_run(E.CommandTimeout("command timed out after 600s: x"))
    assert E.may_have_run(E.Cancelled("cancelled: x"))
    assert E.may_have_run(E.classify(res(["/bin/false"])))
    assert not E.may_have_run(E.HostUnreachable("cannot connect to 192.0.2.1:22: timed out"))
    assert not E.may_have_run(E.HostKeyError("the host key of 192.0.2.1 does not match"))
    assert not E.may_have_run(E.AuthFailed("SSH authentication as root@h:22 failed"))
    assert not E.may_have_run(ValueError("x"))
    assert E.interrupted(E.classify(res(["/bin/sh"], code=137))) == "the remote shell exited 137"
    assert E.interrupted(E.CommandTimeout("command timed out after 600s: /bin/sh -c x")) == "command timed out after 600s"
