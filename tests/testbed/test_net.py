"""Network model + ifconfig/route/netstat/ping (fast, in-process)."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from freebsd_testbed import hoststate, net


@pytest.fixture
def run(run_tool):
    return run_tool


def _subseq(lines, text):
    got = [l.strip() for l in text.splitlines()]
    pos = 0
    for want in lines:
        while pos < len(got) and not re.fullmatch(want, got[pos]):
            pos += 1
        assert pos < len(got), (want, text)
        pos += 1


def _tutorial(run):
    with hoststate.locked() as st:
        net.get(st)
        st.runtime.setdefault("sysctl", {})["net.link.bridge.member_ifaddrs"] = 0
    assert run("ifconfig", "bridge0", "create") == (0, "", "")
    rc, out, err = run("ifconfig", "bridge0", "addm", "vtnet0", "up")
    assert (rc, err) == (1, "ifconfig: BRDGADD vtnet0: Invalid argument\n")
    # move the host address to the bridge (15.0 layout)
    assert run("ifconfig", "vtnet0", "inet", "192.168.1.10", "-alias")[0] == 0
    assert run("ifconfig", "bridge0", "inet", "192.168.1.10/24", "addm", "vtnet0", "up")[0:2] == (0, "")
    with hoststate.locked() as st:
        net.vnet_create(st, "webserver")
        net.vnet_create(st, "database")
    for n, ip in ((1, "201"), (2, "202")):
        jail = "webserver" if n == 1 else "database"
        assert run("ifconfig", f"epair{n}", "create", "up") == (0, f"epair{n}a\n", "")
        assert run("ifconfig", "bridge0", "addm", f"epair{n}a", "up") == (0, "", "")
        assert run("ifconfig", f"epair{n}b", "vnet", jail) == (0, "", "")
        assert run("ifconfig", f"epair{n}b", f"192.168.1.{ip}/24", "up", jail=jail) == (0, "", "")
        assert run("route", "add", "default", "192.168.1.1", jail=jail) == (0, "add net default: gateway 192.168.1.1\n", "")


def test_initial_host(run):
    rc, out, _ = run("ifconfig", "-l")
    assert out == "vtnet0 lo0\n"
    rc, out, _ = run("ifconfig", "lo0")
    assert out.splitlines()[0] == "lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384"
    assert "\tinet 127.0.0.1 netmask 0xff000000\n" in out
    assert "\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x2\n" in out
    rc, out, _ = run("ifconfig", "vtnet0")
    assert "\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255\n" in out
    rc, out, _ = run("netstat", "-rn", "-f", "inet")
    assert out == ("Routing tables\n\nInternet:\n"
                   "Destination        Gateway            Flags     Netif Expire\n"
                   "default            192.168.1.1        UGS      vtnet0\n"
                   "127.0.0.1          link#2             UH          lo0\n"
                   "192.168.1.0/24     link#1             U        vtnet0\n"
                   "192.168.1.10       link#2             UHS         lo0\n")
    assert run("ifconfig", "foo0") == (1, "", "ifconfig: interface foo0 does not exist\n")


def test_tutorial_shapes(run):
    _tutorial(run)
    rc, out, _ = run("ifconfig", "bridge0")
    _subseq([r"bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500",
             r"ether 58:9c:fc:[0-9a-f:]{8}",
             r"id 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15",
             r"maxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200",
             r"member: vtnet0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>",
             r"port 1 priority 128 path cost 2000", r"groups: bridge"], out)
    rc, out, _ = run("ifconfig", "epair1b", jail="webserver")
    _subseq([r"epair1b: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500",
             r"ether 58:9c:fc:[0-9a-f:]{8}",
             r"inet 192.168.1.201 netmask 0xffffff00 broadcast 192.168.1.255",
             r"groups: epair", r"media: Ethernet 10Gbase-T \(10Gbase-T <full-duplex>\)", r"status: active"], out)
    assert run("ifconfig", "epair1b")[0] == 1  # not visible on the host
    rc, out, _ = run("ifconfig", "-l", jail="webserver")
    assert out == "lo0 epair1b\n"
    rc, out, _ = run("netstat", "-rn", jail="webserver")
    lines = out.splitlines()
    assert lines[:4] == ["Routing tables", "", "Internet:",
                         "Destination        Gateway            Flags     Netif Expire"]
    assert lines[4] == "default            192.168.1.1        UGS     epair1b"
    assert re.fullmatch(r"192\.168\.1\.0/24     link#\d+ +U       epair1b", lines[5])
    assert re.fullmatch(r"192\.168\.1\.201      link#\d+ +UHS         lo0", lines[6])
    assert len(lines[6].split("UHS")[0]) == 38 and len(lines) == 7
    rc, out, err = run("ping", "-c", "2", "192.168.1.202", jail="webserver")
    assert rc == 0 and "2 packets transmitted, 2 packets received, 0.0% packet loss" in out
    assert re.search(r"64 bytes from 192.168.1.202: icmp_seq=0 ttl=64 time=0\.\d{3} ms", out)
    rc, out, err = run("ping", "-c", "2", "8.8.8.8", jail="webserver")
    assert rc == 0 and "ttl=114" in out
    rc, out, err = run("ping", "-c", "1", "192.168.1.77", jail="webserver")
    assert rc == 2 and "100.0% packet loss" in out
    assert net.reachable(hoststate.State({}, __import__("json").load(open(hoststate.hostpath(hoststate.RUNTIME)))),
                         "webserver", "192.168.1.202", "tcp", 5432)[0]
    # jail removal returns epair1b to the host; destroying epair1a removes both
    with hoststate.locked() as st:
        net.vnet_destroy(st, "webserver")
    rc, out, _ = run("ifconfig", "-l")
    assert "epair1b" in out.split()
    assert run("ifconfig", "epair1a", "destroy") == (0, "", "")
    rc, out, _ = run("ifconfig", "-l")
    assert "epair1a" not in out and "epair1b" not in out


def test_member_ip_rule_and_sysctl(run):
    run("ifconfig", "bridge0", "create")
    run("ifconfig", "epair0", "create")
    assert run("ifconfig", "bridge0", "addm", "epair0a")[0] == 0
    rc, _, err = run("ifconfig", "epair0a", "inet", "10.0.0.1/24")
    assert (rc, err) == (1, "ifconfig: ioctl (SIOCAIFADDR): Invalid argument\n")
    with hoststate.locked() as st:
        st.runtime.setdefault("sysctl", {})["net.link.bridge.member_ifaddrs"] = 1
    assert run("ifconfig", "epair0a", "inet", "10.0.0.1/24")[0] == 0
    assert run("ifconfig", "bridge0", "addm", "vtnet0")[0] == 0


def test_clone_numbering(run):
    assert run("ifconfig", "epair", "create") == (0, "epair0a\n", "")
    assert run("ifconfig", "epair", "create") == (0, "epair1a\n", "")
    assert run("ifconfig", "bridge", "create") == (0, "bridge0\n", "")
    assert run("ifconfig", "bridge0", "create") == (1, "", "ifconfig: interface bridge0 already exists\n")
    assert run("ifconfig", "epair1", "create")[0] == 1
    assert run("ifconfig", "epair0b", "destroy") == (0, "", "")
    assert run("ifconfig", "epair", "create") == (0, "epair0a\n", "")
    rc, out, _ = run("ifconfig", "-g", "epair")
    assert out == "epair0a\nepair0b\nepair1a\nepair1b\n"


def test_routes(run):
    assert run("route", "add", "default", "192.168.1.1") == (1, "add net default: gateway 192.168.1.1: route already in table\n", "")
    assert run("route", "add", "-net", "10.1.0.0/16", "10.9.9.9") == (1, "add net 10.1.0.0/16: gateway 10.9.9.9: Network is unreachable\n", "")
    assert run("route", "add", "-net", "10.1.0.0/16", "192.168.1.254") == (0, "add net 10.1.0.0/16: gateway 192.168.1.254\n", "")
    assert run("route", "delete", "-net", "10.1.0.0/16") == (0, "delete net 10.1.0.0/16\n", "")
    rc, out, err = run("route", "delete", "-net", "10.1.0.0/16")
    assert rc == 1 and out == "delete net 10.1.0.0/16: not in table\n"
    rc, out, _ = run("route", "-n", "get", "8.8.8.8")
    assert "    gateway: 192.168.1.1\n" in out and "  interface: vtnet0\n" in out


def test_ping_errors(run):
    assert run("ping", "-c", "1", "nonexistent.invalid") == (68, "", "ping: cannot resolve nonexistent.invalid: Unknown host\n")
    with hoststate.locked() as st:
        net.vnet_create(st, "j")
    rc, out, err = run("ping", "-c", "2", "8.8.8.8", jail="j")
    assert rc == 2 and err == "ping: sendto: No route to host\n" * 2
    assert "2 packets transmitted, 0 packets received, 100.0% packet loss" in out
    rc, out, _ = run("ping", "-c", "3", "-q", "8.8.8.8")
    assert rc == 0 and "icmp_seq" not in out and "round-trip min/avg/max/stddev = " in out


def test_parallel_epair_create(host_root):
    code = ("import sys; sys.path.insert(0, %r); from freebsd_testbed.tools import ifconfig;"
            "sys.exit(ifconfig.main(['ifconfig', 'epair', 'create']))") % (
        str(__import__('pathlib').Path(net.__file__).parent.parent))
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) for _ in range(6)]
    names = [p.communicate()[0].decode().strip() for p in procs]
    assert sorted(names) == [f"epair{i}a" for i in range(6)]


def test_bridge_parameters_and_member_lines(run):
    """ifbridge.c bridge_status / setbridge_*: settable bridge parameters, the member's
    "[ifmaxaddr N ]port P priority Q path cost C" line, STP members' proto/role/state line,
    and the errors: "invalid value: V" (ifconfig's range check), "BRDG... V: Invalid argument"
    (the kernel's, sys/net/bridgestp.c), "unknown stp protocol"."""
    run("ifconfig", "bridge0", "create")
    run("ifconfig", "epair0", "create")
    assert run("ifconfig", "bridge0", "addm", "epair0a", "up") == (0, "", "")
    assert run("ifconfig", "bridge0", "priority", "4097", "maxaddr", "100", "timeout", "60",
               "ifmaxaddr", "epair0a", "10", "ifpriority", "epair0a", "100") == (0, "", "")
    rc, out, _ = run("ifconfig", "bridge0")
    _subseq([r"id 00:00:00:00:00:00 priority 4096 hellotime 2 fwddelay 15",
             r"maxage 20 holdcnt 6 proto rstp maxaddr 100 timeout 60",
             r"root id 00:00:00:00:00:00 priority 4096 ifcost 0 port 0",
             r"member: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>",
             r"ifmaxaddr 10 port \d+ priority 96 path cost 2000"], out)
    assert run("ifconfig", "bridge0", "stp", "epair0a")[0] == 0
    rc, out, _ = run("ifconfig", "bridge0")
    _subseq([r"member: epair0a flags=147<LEARNING,DISCOVER,STP,AUTOEDGE,AUTOPTP>",
             r"ifmaxaddr 10 port \d+ priority 96 path cost 2000 proto rstp",
             r"role designated state forwarding"], out)
    assert run("ifconfig", "bridge0", "hellotime", "9") == \
        (1, "", "ifconfig: BRDGSHT 9: Invalid argument\n")
    assert run("ifconfig", "bridge0", "maxage", "x") == (1, "", "ifconfig: invalid value: x\n")
    assert run("ifconfig", "bridge0", "ifpriority", "epair0a", "300") == \
        (1, "", "ifconfig: invalid value: 300\n")
    assert run("ifconfig", "bridge0", "proto", "x") == (1, "", "ifconfig: unknown stp protocol\n")
    assert run("ifconfig", "bridge0", "deletem", "epair9a") == \
        (1, "", "ifconfig: BRDGDEL epair9a: No such file or directory\n")
    assert run("ifconfig", "bridge0", "addm", "nosuch0") == \
        (1, "", "ifconfig: BRDGADD nosuch0: No such file or directory\n")
    assert run("ifconfig", "bridge0", "addm", "epair0a") == \
        (1, "", "ifconfig: BRDGADD epair0a: File exists\n")
    assert run("ifconfig", "-g", "bridge") == (0, "bridge0\n", "")


def test_bridge_member_takes_the_bridge_mtu(run):
    """if_bridge.c bridge_ioctl_add: later members are set to the bridge's MTU."""
    run("ifconfig", "bridge0", "create")
    run("ifconfig", "epair0", "create")
    run("ifconfig", "epair1", "create")
    run("ifconfig", "epair1a", "mtu", "9000")
    assert run("ifconfig", "bridge0", "addm", "epair0a", "addm", "epair1a") == (0, "", "")
    assert "mtu 1500" in run("ifconfig", "epair1a")[1].splitlines()[0]
