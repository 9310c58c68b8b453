"""Where the host's PF sees bridged traffic, as FreeBSD 15.0's if_bridge runs it (fast, in-process).

Topology: the main stack's (bridge0 over vtnet0, the host's address kept on vtnet0 with
net.link.bridge.member_ifaddrs=1), the tutorial's two VNET jails on epair1/epair2 and a third
jail ("intruder", epair3, 192.168.1.203) on the same bridge; the LAN client is 192.168.1.100.
The ruleset is the tutorial's own (tests/testbed/fixtures/tutorial.conf) or the main stack's.
"""
from __future__ import annotations

import os

import pytest

from freebsd_testbed import hoststate, net, probe

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "pf")
WEB, DB, INTRUDER, HOST_IP, LAN = "192.168.1.201", "192.168.1.202", "192.168.1.203", "192.168.1.10", "192.168.1.100"

# The main stack's ruleset (examples/tutorial/__main__.py render_pf) for these addresses.
STACK_RULES = """ext_if = "vtnet0"
bridge_if = "bridge0"
jail_webserver = "192.168.1.201"
jail_database = "192.168.1.202"
table <jails> const { $jail_webserver, $jail_database }
set skip on lo0
nat on $ext_if from <jails> to any -> ($ext_if)
block in log all
pass out all keep state
pass in on $ext_if proto tcp to any port 22
pass in on $bridge_if proto tcp to $jail_webserver port { 80, 443 }
pass in on $bridge_if proto tcp from $jail_webserver to $jail_database port 5432
pass in on $bridge_if from <jails> to ! <jails>
pass inet proto icmp all
"""


@pytest.fixture
def run(run_tool):
    return run_tool


def _sysctl(**values: int) -> None:
    with hoststate.locked() as st:
        for k, v in values.items():
            st.runtime.setdefault("sysctl", {})[f"net.link.bridge.{k}"] = v


def _topology(run, host_on_bridge: bool = False) -> None:
    assert run("kldload", "if_bridge")[0] == 0
    assert run("kldload", "if_epair")[0] == 0
    assert run("ifconfig", "bridge0", "create") == (0, "", "")
    if host_on_bridge:  # FreeBSD 15's layout: the address on the bridge, no member addresses
        assert run("ifconfig", "vtnet0", "inet", HOST_IP, "-alias")[0] == 0
        assert run("ifconfig", "bridge0", "inet", f"{HOST_IP}/24", "addm", "vtnet0", "up")[0:2] == (0, "")
    else:  # the main stack's layout
        assert run("sysctl", "net.link.bridge.member_ifaddrs=1")[0] == 0
        assert run("ifconfig", "bridge0", "addm", "vtnet0", "up") == (0, "", "")
    for n, jail, ip in ((1, "webserver", WEB), (2, "database", DB), (3, "intruder", INTRUDER)):
        with hoststate.locked() as st:
            net.vnet_create(st, jail)
        assert run("ifconfig", f"epair{n}", "create", "up") == (0, f"epair{n}a\n", "")
        assert run("ifconfig", "bridge0", "addm", f"epair{n}a", "up") == (0, "", "")
        assert run("ifconfig", f"epair{n}b", "vnet", jail) == (0, "", "")
        assert run("ifconfig", f"epair{n}b", f"{ip}/24", "up", jail=jail) == (0, "", "")
        assert run("route", "add", "default", "192.168.1.1", jail=jail)[0] == 0


def _load_pf(run, host_root, text: str) -> None:
    assert run("kldload", "pf")[0] == 0
    with open(os.path.join(host_root, "etc", "pf.conf"), "w") as f:
        f.write(text)
    assert run("pfctl", "-f", "/etc/pf.conf") == (0, "", "")
    assert run("pfctl", "-e")[0] == 0


def _tutorial_rules() -> str:
    with open(os.path.join(FIX, "tutorial.conf")) as f:
        return f.read()


def jail_tcp(src: str, dst: str, port: int) -> tuple[bool, str]:
    with hoststate.locked() as st:
        return net.reachable(st, src, dst, "tcp", port)


def lan_tcp(dst: str, port: int) -> tuple[bool, str]:
    with hoststate.locked() as st:
        return net.from_lan(st, dst, "tcp", port)


def test_15_defaults(run):
    """sys/net/if_bridge.c in 15.0 (22893e584032): no L3 filtering of bridged frames."""
    assert run("kldload", "if_bridge")[0] == 0
    for name, want in (("pfil_onlyip", "1"), ("pfil_member", "0"), ("pfil_bridge", "0"),
                       ("pfil_local_phys", "0")):
        assert run("sysctl", "-n", f"net.link.bridge.{name}") == (0, want + "\n", "")
    with hoststate.locked() as st:
        assert [net.bridge_pfil(st, n) for n in ("pfil_onlyip", "pfil_member", "pfil_bridge",
                                                 "pfil_local_phys")] == [1, 0, 0, 0]


def test_filter_points_follow_the_sysctls(run):
    _topology(run)
    with hoststate.locked() as st:
        web = (net.HOST, net.find(st, "epair1b", "webserver"))
        web = ("webserver", net.find(st, "epair1b", "webserver"))
        db = ("database", net.find(st, "epair2b", "database"))
        vt = (net.HOST, net.find(st, "vtnet0"))
        fwd = net._l2_path(st, web, db)
        assert [x["name"] for _, x in fwd] == ["epair1b", "epair1a", "bridge0", "epair2a", "epair2b"]
        assert net.bridge_filter_points(st, fwd, True) == []
        st.runtime.setdefault("sysctl", {})["net.link.bridge.pfil_member"] = 1
        assert net.bridge_filter_points(st, fwd, True) == [("host", "epair1a", "in"), ("host", "epair2a", "out")]
        st.runtime["sysctl"]["net.link.bridge.pfil_bridge"] = 1
        # bridge_pfil's order: in_if -> bridge_if -> out_if
        assert net.bridge_filter_points(st, fwd, True) == [
            ("host", "epair1a", "in"), ("host", "bridge0", "in"), ("host", "bridge0", "out"),
            ("host", "epair2a", "out")]
        # to the host's address on the member vtnet0: local delivery, member hook only with
        # pfil_local_phys
        local = net._l2_path(st, web, vt)
        assert net.bridge_filter_points(st, local, True) == []
        st.runtime["sysctl"]["net.link.bridge.pfil_local_phys"] = 1
        assert net.bridge_filter_points(st, local, True) == [("host", "epair1a", "in")]
        # sent by the host on the member vtnet0 (bridge_output): no bridge hook at all
        out = net._l2_path(st, vt, db)
        assert net.bridge_filter_points(st, out, True) == []
        # the same frame arriving from the wire on vtnet0 is forwarded
        assert net.bridge_filter_points(st, out, True, sent=False)[0] == ("host", "vtnet0", "in")


def test_tutorial_rules_on_15_defaults_filter_nothing_bridged(run, host_root):
    """The seed's ruleset on a stock 15.0 host: PostgreSQL is open to every jail and the LAN."""
    _topology(run)
    _load_pf(run, host_root, _tutorial_rules())
    assert jail_tcp("webserver", DB, 5432)[0]
    assert jail_tcp("intruder", DB, 5432)[0]
    assert lan_tcp(DB, 5432)[0]
    assert lan_tcp(WEB, 80)[0]
    assert lan_tcp(HOST_IP, 22)[0]
    assert lan_tcp(HOST_IP, 80) == (False, "blocked by pf (in on vtnet0 in host)")


def test_tutorial_rules_with_pfil_member_block_the_web_jail(run, host_root):
    """With pfil_member=1 (the pre-15 default) `block in log all` drops the web jail's SYN on
    its member epair1a: the tutorial's `pass in on $bridge_if` rule never sees it."""
    _topology(run)
    _sysctl(pfil_member=1)
    _load_pf(run, host_root, _tutorial_rules())
    assert jail_tcp("webserver", DB, 5432) == (False, "blocked by pf (in on epair1a in host)")
    assert lan_tcp(WEB, 80)[0]  # in on vtnet0 matches `pass in on $ext_if ... port { 80, 443 }`
    assert lan_tcp(DB, 5432) == (False, "blocked by pf (in on vtnet0 in host)")


def test_stack_rules_with_pfil_bridge_keep_the_tutorials_promise(run, host_root):
    _topology(run)
    _sysctl(pfil_bridge=1, pfil_member=0)
    _load_pf(run, host_root, STACK_RULES)
    assert jail_tcp("webserver", DB, 5432) == (True, "local")
    assert jail_tcp("intruder", DB, 5432) == (False, "blocked by pf (in on bridge0 in host)")
    assert jail_tcp("database", WEB, 22) == (False, "blocked by pf (in on bridge0 in host)")
    assert jail_tcp("database", WEB, 80)[0]  # the web jail is public
    assert lan_tcp(DB, 5432) == (False, "blocked by pf (in on bridge0 in host)")
    assert lan_tcp(WEB, 80) == (True, "bridged to webserver")
    assert lan_tcp(WEB, 443) == (True, "bridged to webserver")
    assert lan_tcp(WEB, 22) == (False, "blocked by pf (in on bridge0 in host)")
    assert lan_tcp(HOST_IP, 22) == (True, "local")
    assert lan_tcp(HOST_IP, 5432) == (False, "blocked by pf (in on vtnet0 in host)")
    # the jails still reach the gateway and the internet (pkg, DNS)
    assert jail_tcp("webserver", "192.168.1.1", 53)[0]
    with hoststate.locked() as st:
        assert net.reachable(st, "database", "96.47.72.84", "tcp", 443)[0]
        assert not net.reachable(st, "intruder", "96.47.72.84", "tcp", 443)[0]


def test_host_address_on_the_bridge(run, host_root):
    """FreeBSD 15's own layout: SSH arrives at IP input on bridge0, not on vtnet0, so the
    seed's `pass in on $ext_if ... port 22` does not match it."""
    _topology(run, host_on_bridge=True)
    _load_pf(run, host_root, _tutorial_rules())
    assert lan_tcp(HOST_IP, 22) == (False, "blocked by pf (in on bridge0 in host)")


def test_probe_verdicts(run, host_root):
    _topology(run)
    _sysctl(pfil_bridge=1)
    _load_pf(run, host_root, STACK_RULES)
    with hoststate.locked() as st:
        assert probe.probe(st, "lan", HOST_IP, "tcp", 22) == ("open", "sshd")
        assert probe.probe(st, "lan", WEB, "tcp", 80) == ("closed", f"nothing listens on {WEB} port 80/tcp")
        assert probe.probe(st, "lan", DB, "tcp", 5432)[0] == "filtered"
        assert probe.probe(st, "lan", "192.168.1.77", "tcp", 80) == (
            "unreachable", "no host 192.168.1.77 on the LAN")
        assert probe.probe(st, "intruder", DB, "icmp")[0] == "open"
        with pytest.raises(KeyError):
            probe.probe(st, "nosuchjail", DB, "tcp", 5432)
