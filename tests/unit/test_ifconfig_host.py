"""Fixture tests of the ifconfig/route/sysctl argv builders and parsers, and the address-move scripts."""
from __future__ import annotations

import json
import pathlib
import subprocess

import pytest

from freebsd_provider.errors import RctlDisabled, classify
from freebsd_provider.host import cpuset, ifconfig, rcconf, rctl
from freebsd_provider.ssh import Result

FIX = pathlib.Path(__file__).parent / "fixtures"
CASES = sorted((FIX / "ifconfig").glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "builder" in case:
        assert getattr(ifconfig, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
        return
    got = getattr(ifconfig, case["parser"])(case["output"])
    if case["parser"] == "parse_all":
        got = {n: {"up": i.up, "mac": i.mac, "inet": i.inet, "inet6": i.inet6, "groups": i.groups,
                   "members": [[m.name, m.flags] for m in i.members]} for n, i in got.items()}
        assert got == case["expect"]
    else:
        assert list(got) == case["expect"]


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        ifconfig.parse_all("\tinet 1.2.3.4\n")


@pytest.mark.parametrize("cidr,ok", [
    ("192.168.1.10/24", True), ("10.0.0.1/8", True), ("2001:db8::1/64", True),
    ("192.168.1.10", False), ("192.168.1.0/24", False), ("192.168.1.300/24", False),
    ("192.168.1.10/33", False), ("192.168.1.10/24; reboot", False), ("224.0.0.1/24", False),
    ("192.168.001.010/24", False), ("", False),
])
def test_cidr(cidr, ok):
    assert (ifconfig.cidr_error(cidr) is None) is ok


@pytest.mark.parametrize("name,ok", [("bridge0", True), ("bridge12", True), ("bridge", False),
                                     ("vtnet0", False), ("bridge0;x", False)])
def test_bridge_names(name, ok):
    assert (ifconfig.bridge_name_error(name) is None) is ok


@pytest.mark.parametrize("name,ok", [("vtnet0", True), ("epair3a", True), ("lo0", False), ("lo12", False),
                                     ("vtnet0;x", False), ("", False)])
def test_member_names(name, ok):
    assert (ifconfig.member_name_error(name) is None) is ok


def test_default_route_fact():
    from freebsd_provider.ssh import Result
    case = json.loads((FIX / "ifconfig" / "route_get_default.json").read_text())
    argv = ifconfig.route_get_default()
    f = ifconfig.default_route()
    assert list(f.argv) == argv
    assert f.parse(Result(argv, " ".join(argv), 0, case["output"], "")) == tuple(case["expect"])


def test_routable_addresses_skip_link_local():
    i = ifconfig.Interface("vtnet0", inet=["192.168.1.10/24"], inet6=["fe80::1%vtnet0/64", "2001:db8::5/64"])
    assert i.routable_addresses() == ["192.168.1.10/24", "2001:db8::5/64"]


def test_move_script_is_constant_and_values_positional():
    a = ifconfig.move_addresses("bridge0", "vtnet0", "192.168.1.1", ["192.168.1.10/24"])
    b = ifconfig.move_addresses("bridge1", "em0", None, ["10.0.0.2/8", "10.0.0.3/8"])
    assert a[:3] == b[:3] == ["/bin/sh", "-c", a[2]]
    assert a[3:] == ["sh", "bridge0", "vtnet0", "192.168.1.1", "192.168.1.10/24"]
    assert b[3:] == ["sh", "bridge1", "em0", "", "10.0.0.2/8", "10.0.0.3/8"]


def _sh_trace(script_argv, fail=()):
    """Run a move/restore script with stub ifconfig/route that log their argv."""
    import os
    import tempfile
    d = tempfile.mkdtemp()
    log = os.path.join(d, "log")
    for prog in ("ifconfig", "route"):
        p = os.path.join(d, prog)
        with open(p, "w") as f:
            pats = "|".join('"%s"' % x for x in fail) or "__never__"
            f.write(f'#!/bin/sh\necho "{prog} $*" >> {log}\ncase "{prog} $*" in {pats}) exit 1;; esac\nexit 0\n')
        os.chmod(p, 0o755)
    script = script_argv[2].replace("/sbin/", d + "/")
    r = subprocess.run(["/bin/sh", "-c", script, *script_argv[3:]], capture_output=True, text=True)
    lines = open(log).read().splitlines() if os.path.exists(log) else []
    return r.returncode, lines


def test_move_script_moves_then_readds_route():
    rc, lines = _sh_trace(ifconfig.move_addresses("bridge0", "vtnet0", "192.168.1.1", ["192.168.1.10/24"]))
    assert rc == 0
    assert lines == ["ifconfig vtnet0 inet 192.168.1.10 -alias", "ifconfig bridge0 addm vtnet0 up",
                     "ifconfig bridge0 inet 192.168.1.10/24 alias", "route -q add default 192.168.1.1"]


def test_move_script_puts_addresses_back_when_addm_fails():
    rc, lines = _sh_trace(ifconfig.move_addresses("bridge0", "vtnet0", "192.168.1.1", ["192.168.1.10/24"]),
                          fail=("ifconfig bridge0 addm vtnet0 up",))
    assert rc == 1
    assert lines[-2:] == ["ifconfig vtnet0 inet 192.168.1.10/24 alias", "route -q add default 192.168.1.1"]


def test_restore_script():
    rc, lines = _sh_trace(ifconfig.restore_addresses("bridge0", "vtnet0", "192.168.1.1", ["192.168.1.10/24"]))
    assert rc == 0
    assert lines == ["ifconfig bridge0 inet 192.168.1.10 -alias", "ifconfig bridge0 deletem vtnet0",
                     "ifconfig vtnet0 inet 192.168.1.10/24 alias", "ifconfig vtnet0 up",
                     "route -q add default 192.168.1.1"]


def test_rcconf_edit_is_locked_and_rejects_bad_ops():
    argv = rcconf.edit(["add:cloned_interfaces=bridge0", "set:ifconfig_bridge0=addm vtnet0 up"])
    assert argv[:5] == ["/usr/bin/lockf", "-k", "-t", "120", "/var/run/pulumi-freebsd.lock"]
    assert argv[-2:] == ["add:cloned_interfaces=bridge0", "set:ifconfig_bridge0=addm vtnet0 up"]
    with pytest.raises(ValueError):
        rcconf.edit(["rm -rf /"])


def test_bridge_rc_value():
    from freebsd_provider.resources.bridge import rc_value
    assert rc_value(["vtnet0"], ["192.168.1.10/24"], True) == ("inet 192.168.1.10/24 addm vtnet0 up", "")
    assert rc_value(["vtnet0"], [], True) == ("addm vtnet0 up", "")
    assert rc_value([], ["10.0.0.1/24", "10.0.1.1/24", "2001:db8::1/64"], False) == \
        ("inet 10.0.0.1/24", "inet 10.0.1.1/24 inet6 2001:db8::1/64")


# -- cpuset / rctl ---------------------------------------------------------------------------

def test_cpuset_fixture():
    case = json.loads((FIX / "cpuset" / "get_jail.json").read_text())
    got = cpuset.parse_get(case["output"])
    assert {str(k): sorted(v) for k, v in got.items()} == case["expect"]


@pytest.mark.parametrize("s,ok", [("0-1", True), ("0,2-3", True), ("all", True), ("3-1", False),
                                  ("0-1;reboot", False), ("", False), ("a", False)])
def test_cpuset_lists(s, ok):
    assert (cpuset.list_error(s) is None) is ok


def test_cpuset_expand_compress():
    assert cpuset.expand("0,2-3") == frozenset({0, 2, 3})
    assert cpuset.compress(frozenset({0, 1, 2, 5})) == "0-2,5"
    assert cpuset.set_jail(4, "0-1") == ["/usr/bin/cpuset", "-l", "0-1", "-j", "4"]


def test_rctl_fixture():
    case = json.loads((FIX / "rctl" / "list.json").read_text())
    assert rctl.parse_list(case["output"]) == case["expect"]


@pytest.mark.parametrize("rule,ok", [("memoryuse:deny=512M", True), ("pcpu:deny=50", True),
                                     ("maxproc:sigterm=100/jail", True), ("bogus:deny=1", False),
                                     ("memoryuse:explode=1", False), ("memoryuse:deny", False),
                                     ("jail:x:memoryuse:deny=1", False), ("memoryuse:deny=1/planet", False)])
def test_rctl_rules(rule, ok):
    assert (rctl.rule_error(rule) is None) is ok


def test_rctl_normalize_and_argv():
    assert rctl.normalize("memoryuse:deny=512M") == "memoryuse:deny=536870912"
    assert rctl.normalize("memoryuse:deny=2g") == "memoryuse:deny=2147483648"
    assert rctl.add("web", "memoryuse:deny=1") == ["/usr/bin/rctl", "-a", "jail:web:memoryuse:deny=1"]
    assert rctl.remove("web") == ["/usr/bin/rctl", "-r", "jail:web"]
    err = classify(Result(["/usr/bin/rctl", "-a", "jail:web:memoryuse:deny=1"], "rctl", 1, "",
                          "rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n"))
    assert isinstance(err, RctlDisabled)
