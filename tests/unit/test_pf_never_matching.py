"""PfRuleset's warnings about rules that can never match on the host as it is (pure)."""
from __future__ import annotations

from freebsd_provider.host import ifconfig, pfctl

# ifconfig -a of the main stack's host: the address kept on the member vtnet0
# (member_ifaddrs=1), bridge0 without an address, the jails' host-side epairs as members
IFCONFIG_A = """vtnet0: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\toptions=4c07bb<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,JUMBO_MTU,VLAN_HWCSUM,TSO4,TSO6,LRO,VLAN_HWTSO,LINKSTATE,TXCSUM_IPV6>
\tether 58:9c:fc:10:76:37
\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255
\tmedia: Ethernet autoselect (10Gbase-T <full-duplex>)
\tstatus: active
\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>
lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384
\toptions=680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>
\tinet 127.0.0.1 netmask 0xff000000
\tinet6 ::1 prefixlen 128
\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x2
\tgroups: lo
\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>
bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\toptions=0
\tether 58:9c:fc:10:ff:8a
\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15
\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200
\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0
\tmember: epair1a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        port 5 priority 128 path cost 2000
\tmember: vtnet0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        port 1 priority 128 path cost 2000
\tgroups: bridge
\tnd6 options=9<PERFORMNUD,IFDISABLED>
epair1a: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\toptions=8<VLAN_MTU>
\tether 02:4b:76:1f:7e:0a
\tgroups: epair
\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)
\tstatus: active
\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>
"""
# pfctl -s rules of the tutorial's ruleset (the tutorial's own output)
RULES = [
    "block drop in log all",
    "pass in on vtnet0 inet proto tcp from any to 192.168.1.201 port = http flags S/SA keep state",
    "pass in on vtnet0 proto tcp from any to any port = ssh flags S/SA keep state",
    "pass in on bridge0 inet proto tcp from 192.168.1.201 to 192.168.1.202 port = postgresql flags S/SA keep state",
    "pass out all flags S/SA keep state",
    "pass inet proto icmp all keep state",
]
IFACES = ifconfig.parse_all(IFCONFIG_A)


def test_builders():
    assert pfctl.parsed_stdin() == ["/sbin/pfctl", "-nvf", "-"]
    assert pfctl.parsed_stdin("jails") == ["/sbin/pfctl", "-a", "jails", "-nvf", "-"]
    assert pfctl.bridge_pfil_get() == ["/sbin/sysctl", "-ie", "net.link.bridge.pfil_bridge",
                                       "net.link.bridge.pfil_member"]


def test_bridge_rule_warns_while_pfil_bridge_is_0():
    pfil = "net.link.bridge.pfil_bridge=0\nnet.link.bridge.pfil_member=0\n"
    got = pfctl.never_matching(RULES, IFACES, pfil)
    assert got == [
        "rule `pass in on bridge0 inet proto tcp from 192.168.1.201 to 192.168.1.202 port = "
        "postgresql flags S/SA keep state` can never match on the host as it is: bridge0 is a "
        "bridge without an address of the host and net.link.bridge.pfil_bridge=0, so PF sees no "
        "packet on it (bridged traffic is filtered on the bridge only with pfil_bridge=1)"]


def test_no_warning_once_pfil_bridge_is_1():
    pfil = "net.link.bridge.pfil_bridge=1\nnet.link.bridge.pfil_member=0\n"
    assert pfctl.never_matching(RULES, IFACES, pfil) == []


def test_member_without_address_and_15_defaults():
    # an empty sysctl answer (OIDs missing) means FreeBSD 15's defaults: 0 and 0
    rules = ["pass in on epair1a proto tcp from any to any port = 5432 flags S/SA keep state",
             "block drop in on epair1a all"]
    got = pfctl.never_matching(rules, IFACES, "")
    assert len(got) == 1
    assert got[0].startswith("rule `pass in on epair1a proto tcp from any to any port = 5432 "
                             "flags S/SA keep state` and 1 more can never match")
    assert "epair1a is a member of bridge0 without an address of its own and " \
           "net.link.bridge.pfil_member=0" in got[0]
    assert pfctl.never_matching(rules, IFACES, "net.link.bridge.pfil_member=1\n") == []


def test_member_with_an_address_still_sees_its_own_traffic():
    # vtnet0 is a member, but it holds the host's address: SSH to the host matches on it
    assert pfctl.never_matching(RULES[:3], IFACES, "net.link.bridge.pfil_member=0\n") == []


def test_missing_interface_and_groups_and_negation():
    rules = ["pass in on epair9a all flags S/SA keep state",
             "pass in on epair all flags S/SA keep state",      # a group: not checked
             "block drop in on ! bridge0 all",                   # negated: not checked
             "nat on vtnet7 inet from 10.0.0.0/24 to any -> (vtnet0) round-robin"]
    got = pfctl.never_matching(rules, IFACES, "net.link.bridge.pfil_bridge=1\n", preview=True)
    assert got == [
        "rule `pass in on epair9a all flags S/SA keep state` can never match on the host as it "
        "is: there is no interface epair9a on the host (unless this update creates it)",
        "rule `nat on vtnet7 inet from 10.0.0.0/24 to any -> (vtnet0) round-robin` can never "
        "match on the host as it is: there is no interface vtnet7 on the host (unless this "
        "update creates it)"]
