"""ifconfig(8) fidelity against FreeBSD's sbin/ifconfig source (fast, in-process).

Each case names the source it follows (see testbed/freebsd_testbed/tools/ifconfig.py for the
stored copies read): ifconfig.c main()/ifconfig()/setifaddr/notealias/setifvnet/setifrvnet/
setifmtu/setifname/usage(), ifclone.c (clone_create, printifname), af_inet.c (in_getaddr,
in_postproc/warn_nomask, in_delete_first_nl), ifgroup.c (printgroup, setifgroup).
"""
from __future__ import annotations


import pytest

from freebsd_testbed import hoststate, net


@pytest.fixture
def run(run_tool):
    return run_tool


NOMASK = ("ifconfig: WARNING: setting interface address without mask is deprecated,\n"
          "default mask may not be correct.\n")


def _inet(run, ifname, jail=None):
    return [ln.split()[1:] for ln in run("ifconfig", ifname, jail=jail)[1].splitlines()
            if ln.startswith("\tinet ")]


def test_create_and_existing(run):
    # ifconfig.c main(): an existing interface with a lone `create' -> errx; with more
    # words the `create' is skipped and the rest applies to the existing interface
    assert run("ifconfig", "bridge0", "create") == (0, "", "")
    assert run("ifconfig", "bridge0", "create") == \
        (1, "", "ifconfig: interface bridge0 already exists\n")
    assert run("ifconfig", "bridge0", "create", "up") == (0, "", "")
    assert "<UP," in run("ifconfig", "bridge0")[1].splitlines()[0]
    # ioctl_ifcreate: EEXIST from the kernel (unit already used) -> "already exists"
    assert run("ifconfig", "epair3", "create") == (0, "epair3a\n", "")
    assert run("ifconfig", "epair3", "create") == \
        (1, "", "ifconfig: interface epair3 already exists\n")
    # no cloner for the name: if_clone_create EINVAL, err(1, "SIOCIFCREATE2 (%s)")
    assert run("ifconfig", "foo0", "create") == \
        (1, "", "ifconfig: SIOCIFCREATE2 (foo0): Invalid argument\n")
    # a missing interface, whatever the command
    for cmd in (["up"], ["destroy"], ["inet", "10.0.0.1/24"], ["addm", "vtnet0"]):
        assert run("ifconfig", "bridge7", *cmd) == \
            (1, "", "ifconfig: interface bridge7 does not exist\n")


def test_printifname_once_at_exit(run):
    # ifclone.c sets printifname when the kernel returns another name; setifname sets it
    # too; printifnamemaybe() runs once at exit with the final name
    assert run("ifconfig", "bridge", "create", "name", "br0") == (0, "br0\n", "")
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 br0\n", "")
    # rename onto a taken name: the auto-named clone was created and is still printed
    rc, out, err = run("ifconfig", "bridge", "create", "name", "br0")
    assert (rc, out, err) == (1, "bridge0\n", "ifconfig: ioctl SIOCSIFNAME (set name): File exists\n")
    assert run("ifconfig", "br0", "name", "averyveryverylong0") == \
        (1, "", "ifconfig: ioctl SIOCSIFNAME (set name): File name too long\n")
    # a rename keeps the interface's place in the list (if_rename does not re-attach)
    assert run("ifconfig", "br0", "name", "br9") == (0, "br9\n", "")
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 br9 bridge0\n", "")


def test_epair_create_up_and_destroy(run):
    assert run("ifconfig", "epair", "create", "up") == (0, "epair0a\n", "")
    assert "<UP," in run("ifconfig", "epair0a")[1].splitlines()[0]
    assert "<UP," not in run("ifconfig", "epair0b")[1].splitlines()[0]
    assert run("ifconfig", "-g", "epair") == (0, "epair0a\nepair0b\n", "")
    assert run("ifconfig", "epair0b", "destroy") == (0, "", "")
    assert run("ifconfig", "-g", "epair") == (0, "", "")
    assert run("ifconfig", "vtnet0", "destroy") == (1, "", "ifconfig: SIOCIFDESTROY: Invalid argument\n")
    assert run("ifconfig", "lo0", "destroy") == (1, "", "ifconfig: SIOCIFDESTROY: Invalid argument\n")


def test_inet_replace_alias_and_delete(run):
    run("ifconfig", "epair", "create")
    # no `alias': the first address is replaced (clearaddr -> in_delete_first_nl)
    assert run("ifconfig", "epair0a", "inet", "10.0.0.1/24") == (0, "", "")
    assert run("ifconfig", "epair0a", "inet", "10.0.1.1/24") == (0, "", "")
    assert _inet(run, "epair0a") == [["10.0.1.1", "netmask", "0xffffff00", "broadcast", "10.0.1.255"]]
    assert run("ifconfig", "epair0a", "inet", "10.0.2.1/24", "alias") == (0, "", "")
    assert run("ifconfig", "epair0a", "alias", "10.0.3.1/24") == (0, "", "")
    assert [a[0] for a in _inet(run, "epair0a")] == ["10.0.1.1", "10.0.2.1", "10.0.3.1"]
    # notealias(-1) after an address: that address is deleted
    assert run("ifconfig", "epair0a", "inet", "10.0.2.1", "-alias") == (0, "", "")
    assert run("ifconfig", "epair0a", "inet", "10.0.2.1", "-alias") == \
        (1, "", "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n")
    assert run("ifconfig", "epair0a", "-alias", "10.0.3.1") == (0, "", "")
    # `-alias' alone: the first address; none left is not an error (in_delete_first_nl)
    assert run("ifconfig", "epair0a", "-alias") == (0, "", "")
    assert _inet(run, "epair0a") == []
    assert run("ifconfig", "epair0a", "-alias") == (0, "", "")
    # a second address word is the destination address (setifdstaddr), not a replacement
    assert run("ifconfig", "epair0a", "inet", "10.0.5.1/24", "10.0.5.2") == (0, "", "")
    assert [a[0] for a in _inet(run, "epair0a")] == ["10.0.5.1"]


def test_inet_parse_errors_and_mask_warning(run):
    run("ifconfig", "epair", "create")
    # af_inet.c in_getaddr: "%s: bad value (width %s)" keeps the "/len"; in_getip: "%s: bad value"
    assert run("ifconfig", "epair0a", "inet", "10.0.0.1/33") == \
        (1, "", "ifconfig: 10.0.0.1/33: bad value (width too large)\n")
    assert run("ifconfig", "epair0a", "inet", "10.0.0.1/x") == \
        (1, "", "ifconfig: 10.0.0.1/x: bad value (width invalid)\n")
    assert run("ifconfig", "epair0a", "inet", "bogus") == (1, "", "ifconfig: bogus: bad value\n")
    assert run("ifconfig", "epair0a", "inet", "300.1.1.1/24") == \
        (1, "", "ifconfig: 300.1.1.1: bad value\n")
    # in_postproc/warn_nomask + in_setdefaultmask_nl: classful mask, warning on stderr
    assert run("ifconfig", "epair0a", "inet", "172.16.5.1") == (0, "", NOMASK)
    assert _inet(run, "epair0a")[0][:3] == ["172.16.5.1", "netmask", "0xffff0000"]
    assert run("ifconfig", "epair0a", "10.1.2.3", "up") == (0, "", NOMASK)
    assert _inet(run, "epair0a")[0][:3] == ["10.1.2.3", "netmask", "0xff000000"]
    assert run("ifconfig", "epair0a", "inet", "192.168.7.1", "netmask", "255.255.255.128") == (0, "", "")
    assert _inet(run, "epair0a")[0][:3] == ["192.168.7.1", "netmask", "0xffffff80"]
    # inet_aton forms
    assert run("ifconfig", "epair0a", "inet", "10.1/16") == (0, "", "")
    assert _inet(run, "epair0a")[0][0] == "10.0.0.1"
    # loopback: no warning (IFF_LOOPBACK)
    assert run("ifconfig", "lo0", "inet", "127.0.0.2", "alias") == (0, "", "")


def test_missing_arguments(run):
    run("ifconfig", "bridge0", "create")
    # ifconfig(): NEXTARG -> "'%s' requires argument", NEXTARG2 -> "... requires 2 arguments"
    assert run("ifconfig", "bridge0", "addm") == (1, "", "ifconfig: 'addm' requires argument\n")
    assert run("ifconfig", "bridge0", "mtu") == (1, "", "ifconfig: 'mtu' requires argument\n")
    assert run("ifconfig", "bridge0", "ifpriority", "epair0a") == \
        (1, "", "ifconfig: 'ifpriority' requires 2 arguments\n")


def test_mtu(run):
    run("ifconfig", "bridge0", "create")
    run("ifconfig", "epair0", "create")
    # setifmtu: atoi(); if.c ifhwioctl: IF_MINMTU 72 .. IF_MAXMTU 65535
    for bad in ("abc", "71", "65536", "-5"):
        assert run("ifconfig", "epair0a", "mtu", bad) == \
            (1, "", "ifconfig: ioctl SIOCSIFMTU (set mtu): Invalid argument\n")
    assert run("ifconfig", "epair0a", "mtu", "9000") == (0, "", "")
    assert " mtu 9000\n" in run("ifconfig", "epair0a")[1].splitlines(True)[0]
    # a bridge's MTU goes to every member (if_bridge.c bridge_ioctl SIOCSIFMTU)
    assert run("ifconfig", "bridge0", "addm", "epair0a") == (0, "", "")
    assert run("ifconfig", "bridge0", "mtu", "1400") == (0, "", "")
    assert " mtu 1400\n" in run("ifconfig", "epair0a")[1].splitlines(True)[0]


def test_description_and_groups(run):
    run("ifconfig", "epair", "create")
    assert run("ifconfig", "epair0a", "description", "jail:web") == (0, "", "")
    assert "\tdescription: jail:web\n" in run("ifconfig", "epair0a")[1]
    assert run("ifconfig", "epair0a", "description", "") == (0, "", "")
    assert "description" not in run("ifconfig", "epair0a")[1]
    # ifgroup.c setifgroup/unsetifgroup
    assert run("ifconfig", "epair0a", "group", "web1") == \
        (1, "", "ifconfig: setifgroup: group names may not end in a digit\n")
    assert run("ifconfig", "epair0a", "-group", "web1") == \
        (1, "", "ifconfig: unsetifgroup: group names may not end in a digit\n")
    assert run("ifconfig", "epair0a", "group", "web") == (0, "", "")
    assert run("ifconfig", "epair0a", "group", "web") == (0, "", "")   # EEXIST ignored
    assert run("ifconfig", "-g", "web") == (0, "epair0a\n", "")
    assert run("ifconfig", "epair0a", "-group", "web") == (0, "", "")
    assert run("ifconfig", "epair0a", "-group", "web") == (0, "", "")  # ENOENT ignored
    # printgroup: unknown group -> nothing, exit 0; "all" holds every interface
    assert run("ifconfig", "-g", "nosuch") == (0, "", "")
    assert run("ifconfig", "-g", "all") == (0, "vtnet0\nlo0\nepair0a\nepair0b\n", "")
    assert run("ifconfig", "-g", "lo") == (0, "lo0\n", "")


def test_listing_options(run):
    run("ifconfig", "bridge0", "create")
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 bridge0\n", "")
    assert run("ifconfig", "-l", "-u") == (0, "vtnet0 lo0\n", "")
    assert run("ifconfig", "-l", "-d") == (0, "bridge0\n", "")
    assert run("ifconfig", "-l", "inet") == (0, "vtnet0 lo0\n", "")
    assert run("ifconfig", "-l", "ether") == (0, "vtnet0 bridge0\n", "")
    rc, out, err = run("ifconfig", "-l", "foo")
    assert rc == 1 and out == "" and err.startswith("ifconfig: Address family 'foo' unknown.\nusage: ifconfig")
    # usage(): -l with -a, -u with -d, -G before -a, two operands
    for argv in (["-l", "-a"], ["-a", "-u", "-d"], ["-G", "x", "-a"], ["-l", "inet", "inet6"]):
        rc, out, err = run("ifconfig", *argv)
        assert rc == 1 and out == "" and err.startswith("usage: ifconfig"), argv
    rc, out, err = run("ifconfig", "-x")
    assert rc == 1 and err.startswith("ifconfig: illegal option -- x\nusage: ifconfig [-j jail]")
    rc, out, _ = run("ifconfig", "-a")
    assert [ln.split(":")[0] for ln in out.splitlines() if not ln.startswith("\t")] == \
        ["vtnet0", "lo0", "bridge0"]
    rc, out, _ = run("ifconfig", "-a", "-G", "bridge")
    assert "bridge0:" not in out and out.startswith("vtnet0:")
    rc, out, _ = run("ifconfig", "-a", "-g", "bridge")
    assert out.startswith("bridge0: flags=")


def test_vnet_moves_and_errors(run):
    with hoststate.locked() as st:
        net.get(st)
        net.vnet_create(st, "web")
        st.runtime["jails"] = {"web": {"jid": 3, "name": "web", "vnet": True},
                               "plain": {"jid": 4, "name": "plain", "vnet": False}}
    run("ifconfig", "epair1", "create")
    # setifvnet: jail_getid -> errx(1, "%s", jail_errmsg)
    assert run("ifconfig", "epair1b", "vnet", "nosuch") == \
        (1, "", 'ifconfig: jail "nosuch" not found\n')
    assert run("ifconfig", "epair1b", "vnet", "99") == (1, "", "ifconfig: jail 99 not found\n")
    # if_vmove_loan: a jail sharing the host's vnet -> EEXIST
    assert run("ifconfig", "epair1b", "vnet", "plain") == (1, "", "ifconfig: SIOCSIFVNET: File exists\n")
    assert run("ifconfig", "epair1b", "vnet", "3") == (0, "", "")
    assert run("ifconfig", "epair1b") == (1, "", "ifconfig: interface epair1b does not exist\n")
    assert run("ifconfig", "-l", jail="web") == (0, "lo0 epair1b\n", "")
    # -j: configure inside the jail
    assert run("ifconfig", "-j", "web", "epair1b", "inet", "10.9.0.2/24", "up") == (0, "", "")
    assert _inet(run, "epair1b", jail="web")[0][0] == "10.9.0.2"
    # if_vmove_reclaim: not in the jail -> ENXIO, err(1, "SIOCSIFRVNET(%d, %s)", jid, name)
    assert run("ifconfig", "epair9b", "-vnet", "web") == \
        (1, "", "ifconfig: SIOCSIFRVNET(3, epair9b): Device not configured\n")
    assert run("ifconfig", "epair1b", "-vnet", "web") == (0, "", "")
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 epair1a epair1b\n", "")
    assert _inet(run, "epair1b") == []       # if_vmove purges the addresses


def test_unknown_jail_for_j(run):
    rc, out, err = run("ifconfig", "-j", "nosuch", "-l")
    assert (rc, out) == (1, "") and err == "ifconfig: jail not found: No such file or directory\n"


def test_tutorial_bridge_status_lines(run):
    """The tutorial's `ifconfig bridge0` lines (seed tutorial, captured on 15.0)."""
    with hoststate.locked() as st:
        net.get(st)
        st.runtime.setdefault("sysctl", {})["net.link.bridge.member_ifaddrs"] = 1
    assert run("ifconfig", "bridge0", "create") == (0, "", "")
    assert run("ifconfig", "bridge0", "addm", "vtnet0", "up") == (0, "", "")
    lines = [ln.strip() for ln in run("ifconfig", "bridge0")[1].splitlines()]
    want = ["bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500",
            "id 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15",
            "maxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200",
            "member: vtnet0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>",
            "port 1 priority 128 path cost 2000"]
    pos = [lines.index(w) for w in want]
    assert pos == sorted(pos)
    assert any(ln.startswith("ether 58:9c:fc:") for ln in lines)


def test_formats_and_family_filter(run, monkeypatch):
    run("ifconfig", "epair", "create")
    run("ifconfig", "epair0a", "inet", "10.0.0.1/24", "description", "d1")
    # in_status_nl: f_inet cidr / dotted / default "0x%lx"
    assert "\tinet 10.0.0.1/24 broadcast 10.0.0.255\n" in run("ifconfig", "-f", "inet:cidr", "epair0a")[1]
    assert "\tinet 10.0.0.1 netmask 255.255.255.0 broadcast 10.0.0.255\n" in \
        run("ifconfig", "-f", "inet:dotted", "epair0a")[1]
    monkeypatch.setenv("IFCONFIG_FORMAT", "inet:cidr")
    assert "\tinet 10.0.0.1/24 broadcast" in run("ifconfig", "epair0a")[1]
    monkeypatch.delenv("IFCONFIG_FORMAT")
    # setformat(): warnx("Skipping invalid format specification: %s\n")
    rc, out, err = run("ifconfig", "-f", "bogus", "epair0a")
    assert rc == 0 and err == "ifconfig: Skipping invalid format specification: bogus\n\n"
    # status_nl with an address family: no link line, no other-status lines
    rc, out, _ = run("ifconfig", "epair0a", "inet")
    assert out.splitlines()[1:] == ["\tdescription: d1", "\toptions=8<VLAN_MTU>",
                                    "\tinet 10.0.0.1 netmask 0xffffff00 broadcast 10.0.0.255"]
    rc, out, _ = run("ifconfig", "-a", "inet")
    assert [ln.split(":")[0] for ln in out.splitlines() if not ln.startswith("\t")] == \
        ["vtnet0", "lo0", "epair0a"]
    assert "groups:" not in out and "media:" not in out


def test_malformed_input_never_crashes(run):
    """Every malformed command ends in an ifconfig error (stderr, exit 1), never a traceback."""
    run("ifconfig", "bridge0", "create")
    run("ifconfig", "epair0", "create")
    cases = [
        ["bridge0", "inet6", "fe80::1/abc"], ["bridge0", "inet6", "zz::1"], ["bridge0", "prefixlen", "x"],
        ["bridge0", "netmask", "0xzz"], ["bridge0", "netmask", "1.2.3"], ["bridge0", "vnet", ""],
        ["bridge0", "-vnet", ""], ["bridge0", "name", ""], ["", "up"], ["-f"], ["-j"], ["-G"],
        ["bridge0", "ifpathcost", "epair0a", "-1"], ["bridge0", "ifmaxaddr"], ["bridge0", "maxaddr", "0x"],
        ["bridge0", "priority", ""], ["bridge0", "stp"], ["bridge0", "-stp", "nosuch"],
        ["bridge0", "inet", "1.2.3.4/"], ["bridge0", "inet", "/24"], ["bridge0", "mtu", ""],
        ["bridge0", "mtu", "99999999999999999999"], ["bridge0", "group", ""], ["bridge0", "-group", ""],
        ["bridge0", "inet", "10.0.0.1/24", "10.0.0.2", "10.0.0.3"], ["epair0a", "inet", "-alias"],
        ["epair0a", "inet6", "-alias"], ["epair0a", "delete"], ["bridge0", "destroy", "up"],
        ["epair", "create", "inet", "300.0.0.1"], ["bridge", "create", "name", "x" * 40],
        ["epair0a", "ether", "zz"], ["epair0a", "lladdr"], ["lo0", "vnet", "1"], ["-l", "-g"],
        ["-a", "-g"], ["-g"], ["epair0b", "vnet", "nosuch", "up"],
    ]
    for argv in cases:
        rc, out, err = run("ifconfig", *argv)
        assert "Traceback" not in err and "internal error" not in err, (argv, err)
        assert rc in (0, 1), (argv, rc, err)


def test_jail_lists_its_lo0_first(run):
    # tutorial order: epair1 is created by exec.prestart before the jail (and its lo0) exists;
    # inside the jail lo0 is still listed first (V_ifnet attach order)
    run("ifconfig", "epair1", "create", "up")
    with hoststate.locked() as st:
        net.vnet_create(st, "webserver")
        net.move_interface(st, "epair1b", "webserver")
    assert run("ifconfig", "-l", jail="webserver") == (0, "lo0 epair1b\n", "")


def test_inet6_parse_errors(run):
    run("ifconfig", "epair", "create")
    # af_inet6.c in6_getprefix / in6_getaddr
    assert run("ifconfig", "epair0a", "inet6", "2001:db8::1/200") == (1, "", "ifconfig: 200: bad value\n")
    assert run("ifconfig", "epair0a", "inet6", "zz::1/64") == (1, "", "ifconfig: zz::1: bad value\n")
    assert run("ifconfig", "epair0a", "inet6", "2001:db8::1/64") == (0, "", "")
    assert "\tinet6 2001:db8::1 prefixlen 64\n" in run("ifconfig", "epair0a")[1]
    assert run("ifconfig", "epair0a", "inet6", "2001:db8::1", "-alias") == (0, "", "")
    assert run("ifconfig", "epair0a", "inet6", "2001:db8::1", "-alias") == \
        (1, "", "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n")


# --------------------------------------------------------------------- V_ifnet attach order
# sys/net/if.c: if_attach_internal -> if_link_ifnet appends at the tail of V_ifnet
# (CK_STAILQ_INSERT_TAIL); if_vmove unlinks (if_unlink_ifnet) and re-attaches at the tail of
# the target vnet; sbin/ifconfig/ifconfig_netlink.c list_interfaces_nl sorts by the dump
# position ("Sort according to the kernel-provided order").

def test_moved_back_interface_is_listed_last_on_the_host(run):
    run("ifconfig", "epair0", "create")
    run("ifconfig", "bridge0", "create")
    with hoststate.locked() as st:
        net.vnet_create(st, "web")
        st.runtime["jails"] = {"web": {"jid": 3, "name": "web", "vnet": True}}
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 epair0a epair0b bridge0\n", "")
    assert run("ifconfig", "epair0b", "vnet", "web") == (0, "", "")
    assert run("ifconfig", "epair0b", "-vnet", "web") == (0, "", "")
    # back on the host: attached again at the tail, after bridge0 (index order would not)
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 epair0a bridge0 epair0b\n", "")
    out = run("ifconfig")[1]
    heads = [ln.split(":")[0] for ln in out.splitlines() if not ln.startswith("\t")]
    assert heads == ["vtnet0", "lo0", "epair0a", "bridge0", "epair0b"]
    # the routing table and other users of net.ifaces() keep if_index order
    with hoststate.locked() as st:
        assert [i["name"] for i in net.ifaces(st)] == \
            ["vtnet0", "lo0", "epair0a", "epair0b", "bridge0"]


def test_jail_lists_interfaces_in_move_order(run):
    run("ifconfig", "epair0", "create")
    run("ifconfig", "epair1", "create")
    with hoststate.locked() as st:
        net.vnet_create(st, "web")
        # moved in the reverse of their index order: the jail lists them as they arrived
        net.move_interface(st, "epair1b", "web")
        net.move_interface(st, "epair0b", "web")
    assert run("ifconfig", "-l", jail="web") == (0, "lo0 epair1b epair0b\n", "")


def test_created_after_a_move_goes_after_it(run):
    run("ifconfig", "epair0", "create")
    with hoststate.locked() as st:
        net.vnet_create(st, "web")
        net.move_interface(st, "epair0b", "web")
        net.move_interface(st, "epair0b", net.HOST, from_vnet="web")
    run("ifconfig", "bridge0", "create")
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 epair0a epair0b bridge0\n", "")


def test_jail_removal_returns_interfaces_in_jail_list_order(run):
    # vnet_if_return (sys/net/if.c) walks the dying vnet's V_ifnet and if_vmove()s each
    # foreign interface home in that order, each to the host's tail
    run("ifconfig", "epair0", "create")
    run("ifconfig", "epair1", "create")
    run("ifconfig", "bridge0", "create")
    with hoststate.locked() as st:
        net.vnet_create(st, "web")
        net.move_interface(st, "epair1b", "web")
        net.move_interface(st, "epair0b", "web")
        net.vnet_destroy(st, "web")
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 epair0a epair1a bridge0 epair1b epair0b\n", "")


def test_attach_seq_backfilled_for_an_old_runtime(run):
    run("ifconfig", "epair0", "create")
    with hoststate.locked() as st:
        n = net.get(st)
        n.pop("attach_seq")
        for v in n["vnets"].values():
            for i in v["ifaces"].values():
                i.pop("attach_seq", None)
    # stamped in the order ifconfig used to print them; new interfaces then go last
    run("ifconfig", "bridge0", "create")
    assert run("ifconfig", "-l") == (0, "vtnet0 lo0 epair0a epair0b bridge0\n", "")
