"""Every character str.splitlines() takes for a line end, inside a value, stays inside the value.

FreeBSD's tools end lines with "\\n" only; a dataset property, an rc.conf value, a jail path, a
module path, a pf label, an interface description or a package version may hold any of the
others. Each case builds the tool's real output format around such a value and runs it through
the provider's fact (or parser), as a refresh does.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from freebsd_provider.host import facts, kld, sysctl, sysrc, zfs
from freebsd_provider.ssh import Result

# the characters str.splitlines() breaks at, besides "\n"
BREAKS = ["\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
IDS = [f"U+{ord(c):04X}" for c in BREAKS]


def ok(argv, stdout: str) -> Result:
    return Result(list(argv), " ".join(argv), 0, stdout, "")


def value(c: str) -> str:
    return f"a{c}b"


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_zfs_get(c):
    out = (f"zroot/x\tcom.example:note\t{value(c)}\tlocal\n"
           f"zroot/x\tmountpoint\t/x{c}y\tlocal\n"
           f"zroot/y\tcom.example:note\t-\t-\n")
    got = facts.datasets().parse(ok(zfs.get_all(), out))
    assert got["zroot/x"].local_properties() == {"com.example:note": value(c), "mountpoint": f"/x{c}y"}
    assert set(got) == {"zroot/x", "zroot/y"}
    snaps = zfs.snapshots().parse(ok(zfs.get_snapshots(), f"zroot/x@s\tclones\tzroot/c{c}d\t-\n"))
    assert snaps["zroot/x@s"].value("clones") == f"zroot/c{c}d"


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_sysrc_dump(c):
    out = f"nginx_enable: YES\nnote: {value(c)}\nempty: \nsshd_flags: -o x\n"
    got = facts.rc_vars().parse(ok(sysrc.dump_file(sysrc.RC_CONF), out))
    assert got == {"nginx_enable": "YES", "note": value(c), "empty": "", "sshd_flags": "-o x"}


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_jls_libxo_json(c):
    # libxo escapes the C0 controls in JSON strings and writes the rest as UTF-8
    doc = {"__version": "2", "jail-information": {"jail": [
        {"jid": 1, "name": "web", "path": f"/jails/{value(c)}", "host.hostname": "web.example"},
        {"jid": 2, "name": "db", "path": "/jails/db"}]}}
    got = facts.jls().parse(ok(["jls"], json.dumps(doc, ensure_ascii=False) + "\n"))
    assert got["web"]["path"] == f"/jails/{value(c)}" and set(got) == {"web", "db"}


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_kldstat(c):
    out = ("Id Refs Address                Size Name\n"
           " 1   23 0xffffffff80200000  1f41500 kernel (/boot/kernel/kernel)\n"
           "\tContains modules:\n\t\t Id Name\n\t\t  1 elink\n"
           f" 8    1 0xffffffff8302b000     539c if_epair.ko (/boot/modules/{value(c)}/if_epair.ko)\n"
           "\tContains modules:\n\t\t Id Name\n\t\t490 if_epair\n")
    got = facts.kldstat().parse(ok(kld.stat_verbose(), out))
    f = got.file("if_epair")
    assert f is not None and f.path == f"/boot/modules/{value(c)}/if_epair.ko" and f.modules == ["if_epair"]


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_pfctl_rules(c):
    out = (f'pass in quick on vtnet0 inet proto tcp from any to any port = ssh flags S/SA keep state label "{value(c)}"\n'
           "block drop in all\n")
    got = facts.pf_loaded("rules").parse(ok(["pfctl", "-s", "rules"], out))
    assert got == [f'pass in quick on vtnet0 inet proto tcp from any to any port = ssh flags S/SA keep state label "{value(c)}"',
                   "block drop in all"]


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_ifconfig(c):
    out = ("vtnet0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n"
           f"\tdescription: uplink {value(c)}\n"
           "\tether 52:54:00:12:34:56\n"
           "\tinet 192.168.1.10 netmask 0xffffff00 broadcast 192.168.1.255\n"
           "lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384\n"
           "\tinet 127.0.0.1 netmask 0xff000000\n")
    got = facts.interfaces().parse(ok(["ifconfig", "-a"], out))
    assert set(got) == {"vtnet0", "lo0"}
    assert got["vtnet0"].description == f"uplink {value(c)}"
    assert got["vtnet0"].inet == ["192.168.1.10/24"] and got["vtnet0"].mac == "52:54:00:12:34:56"


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_pkg_query(c):
    out = f"bootstrapped\npkg\t2.1.0\t0\nnginx\t1.26{c}x\t0\nopenssl\t3.0\t1\n"
    got = facts.pkg_state("web").parse(ok(["pkg"], out))
    assert got.bootstrapped and got.packages["nginx"].version == f"1.26{c}x"
    assert set(got.packages) == {"pkg", "nginx", "openssl"} and got.packages["openssl"].automatic


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_sysctl(c):
    assert sysctl.live("kern.hostname").parse(ok(sysctl.get("kern.hostname"), f"kern.hostname={value(c)}\n")) == value(c)
    assert sysctl.parse_conf(f"# local\nkern.hostname={value(c)}\nkern.maxfiles=200000\n") == {
        "kern.hostname": value(c), "kern.maxfiles": "200000"}


@given(st.text(alphabet=st.sampled_from(BREAKS + list("ab -_:/=")), min_size=1, max_size=12))
def test_any_mix_of_breaks_in_zfs_and_sysrc_values(v):
    ds = facts.datasets().parse(ok(zfs.get_all(), f"zroot/x\tcom.example:v\t{v}\tlocal\nzroot/x\tatime\toff\tlocal\n"))
    assert ds["zroot/x"].local_properties() == {"com.example:v": v, "atime": "off"}
    rc = facts.rc_vars().parse(ok(sysrc.dump_file(sysrc.RC_CONF), f"v: {v}\nw: 1\n"))
    assert rc == {"v": v, "w": "1"}
