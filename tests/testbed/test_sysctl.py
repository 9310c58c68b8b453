"""sysctl against a temp host root."""


def test_vimage(tool):
    assert tool("sysctl", "kern.features.vimage") == (0, "kern.features.vimage: 1\n", "")
    assert tool("sysctl", "-n", "kern.features.vimage") == (0, "1\n", "")


def test_unknown_oid(tool):
    assert tool("sysctl", "kern.features.foo") == (1, "", "sysctl: unknown oid 'kern.features.foo'\n")
    assert tool("sysctl", "-q", "kern.features.foo") == (1, "", "")
    assert tool("sysctl", "-i", "kern.features.foo") == (0, "", "")
    assert tool("sysctl", "a.b", "c.d")[0] == 2


def test_bridge_member_ifaddrs_needs_if_bridge(tool):
    assert tool("sysctl", "net.link.bridge.member_ifaddrs")[0] == 1
    assert tool("kldload", "if_bridge")[0] == 0
    assert tool("sysctl", "net.link.bridge.member_ifaddrs") == (0, "net.link.bridge.member_ifaddrs: 0\n", "")
    assert tool("sysctl", "net.link.bridge.member_ifaddrs=1") == (0, "net.link.bridge.member_ifaddrs: 0 -> 1\n", "")
    assert tool("sysctl", "-n", "net.link.bridge.member_ifaddrs") == (0, "1\n", "")


def test_read_only_and_tunable(tool):
    assert tool("sysctl", "kern.ostype=Linux") == (1, "", "sysctl: oid 'kern.ostype' is read only\n")
    rc, out, err = tool("sysctl", "kern.racct.enable=1")
    assert rc == 1 and err == ("sysctl: oid 'kern.racct.enable' is a read only tunable\n"
                               "sysctl: Tunable values are set in /boot/loader.conf\n")
    assert tool("sysctl", "net.inet.ip.forwarding=abc") == (1, "", "sysctl: invalid integer 'abc'\n")


def test_racct_from_loader_conf(tool, host_root):
    from freebsd_testbed import boot
    assert tool("sysctl", "-n", "kern.racct.enable") == (0, "0\n", "")
    with open(f"{host_root}/boot/loader.conf", "a") as f:
        f.write('kern.racct.enable="1"\n')
    boot.boot()
    assert tool("sysctl", "-n", "kern.racct.enable") == (0, "1\n", "")


def test_misc_oids(tool):
    assert tool("sysctl", "-n", "kern.ostype", "kern.osrelease", "hw.ncpu") == (0, "FreeBSD\n15.0-RELEASE\n4\n", "")
    assert tool("sysctl", "kern.hostname") == (0, "kern.hostname: testbed\n", "")
    rc, out, _ = tool("sysctl", "kern.features")
    assert rc == 0 and "kern.features.vimage: 1\n" in out
    rc, out, _ = tool("sysctl", "-a")
    assert rc == 0 and "hw.machine: amd64\n" in out


def test_uname_and_version(tool):
    assert tool("uname", "-r") == (0, "15.0-RELEASE\n", "")
    assert tool("uname", "-m") == (0, "amd64\n", "")
    assert tool("uname") == (0, "FreeBSD\n", "")
    assert tool("freebsd-version") == (0, "15.0-RELEASE\n", "")
