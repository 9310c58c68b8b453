"""The tutorial's commands, in order, on a fresh testbed, over its real sshd: each prints the
tutorial's output, up to what legitimately differs (MAC addresses, PIDs, times, sizes, JIDs).

One deliberate step is added: FreeBSD 15 refuses `ifconfig bridge0 addm vtnet0` while vtnet0
holds an address (net.link.bridge.member_ifaddrs=0, freebsd-commands.md 2.5), so the transcript
first shows that refusal, then sets the sysctl, as an admin following the tutorial on 15.0 must.
"""
from __future__ import annotations

import pathlib
import re

import pytest

from jail_helpers import TUTORIAL_CONF as JAIL_CONF

pytestmark = pytest.mark.testbed

PF_CONF = (pathlib.Path(__file__).parent / "fixtures" / "pf" / "tutorial.conf").read_text()

MAC = re.compile(r"([0-9a-f]{2}:){5}[0-9a-f]{2}")


@pytest.fixture(scope="module")
def tb():
    from tbhelper import own
    yield from own("transcript")


def sh(tb, line, code=0):
    r = tb.exec(line, check=False)
    assert r.returncode == code, f"{line}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def in_order(expected: list[str], text: str, normalize=lambda s: s):
    """Every expected line appears, in this order (the real output may have more lines)."""
    got = [normalize(ln.strip()) for ln in text.splitlines()]
    i = 0
    for want in expected:
        want = normalize(want.strip())
        while i < len(got) and got[i] != want:
            i += 1
        assert i < len(got), f"missing line {want!r} in:\n{text}"
        i += 1


def no_mac(s: str) -> str:
    return MAC.sub("xx:xx:xx:xx:xx:xx", s)


def columns(text: str) -> list[list[str]]:
    return [ln.split() for ln in text.strip().splitlines()]


def test_tutorial_transcript(tb):
    # -- Load the Epair Kernel Module ----------------------------------------------------------
    assert sh(tb, "sysctl kern.features.vimage") == "kern.features.vimage: 1\n"
    assert sh(tb, "kldload if_epair") == ""
    sh(tb, "echo 'if_epair_load=\"YES\"' >> /boot/loader.conf")
    line = sh(tb, "kldstat | grep epair").strip()
    assert re.fullmatch(r"\d+\s+1 0xffffffff[0-9a-f]+\s+[0-9a-f]+ if_epair\.ko", line), line

    # -- Create the Bridge Interface -----------------------------------------------------------
    assert sh(tb, "ifconfig bridge0 create") == ""
    r = tb.exec("ifconfig bridge0 addm vtnet0 up", check=False)
    assert r.returncode == 1 and r.stderr == "ifconfig: BRDGADD vtnet0: Invalid argument\n"  # FreeBSD 15
    assert sh(tb, "sysctl net.link.bridge.member_ifaddrs=1") == "net.link.bridge.member_ifaddrs: 0 -> 1\n"
    assert sh(tb, "ifconfig bridge0 addm vtnet0 up") == ""
    assert sh(tb, "sysrc cloned_interfaces+='bridge0'") == "cloned_interfaces:  -> bridge0\n"
    assert sh(tb, "sysrc ifconfig_bridge0='addm vtnet0 up'") == "ifconfig_bridge0:  -> addm vtnet0 up\n"
    out = sh(tb, "ifconfig bridge0")
    in_order(["bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500",
              "ether 58:9c:fc:10:76:37",
              "id 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15",
              "maxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200",
              "member: vtnet0 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>",
              "port 1 priority 128 path cost 2000"], out, no_mac)

    # -- Build the Jail Filesystem with ZFS Clones ----------------------------------------------
    for c in ("zfs create -p zroot/jails/templates", "zfs create zroot/jails/containers",
              "zfs set mountpoint=/jails zroot/jails", "zfs create zroot/jails/templates/base"):
        assert sh(tb, c) == ""
    sh(tb, "fetch -o /tmp/base.txz https://download.freebsd.org/releases/amd64/15.0-RELEASE/base.txz")
    assert sh(tb, "tar -xf /tmp/base.txz -C /jails/templates/base") == ""
    assert sh(tb, "cp /etc/resolv.conf /jails/templates/base/etc/") == ""
    assert sh(tb, "cp /etc/localtime /jails/templates/base/etc/") == ""
    for c in ("zfs snapshot zroot/jails/templates/base@15.0-RELEASE",
              "zfs clone zroot/jails/templates/base@15.0-RELEASE zroot/jails/containers/webserver",
              "zfs clone zroot/jails/templates/base@15.0-RELEASE zroot/jails/containers/database"):
        assert sh(tb, c) == ""
    rows = columns(sh(tb, "zfs list -r zroot/jails"))
    assert rows[0] == ["NAME", "USED", "AVAIL", "REFER", "MOUNTPOINT"]
    assert [(r[0], r[4]) for r in rows[1:]] == [
        ("zroot/jails", "/jails"), ("zroot/jails/containers", "/jails/containers"),
        ("zroot/jails/containers/database", "/jails/containers/database"),
        ("zroot/jails/containers/webserver", "/jails/containers/webserver"),
        ("zroot/jails/templates", "/jails/templates"), ("zroot/jails/templates/base", "/jails/templates/base")]
    assert rows[3][1] == "0B" and rows[4][1] == "0B"  # the clones use nothing yet
    assert rows[3][3] == rows[6][3]  # and refer what the template refers
    assert rows[2][1] == "96K" and rows[2][3] == "96K"

    # -- Configure jail.conf, start the jails ---------------------------------------------------
    sh(tb, "cat > /etc/jail.conf <<'EOF'\n" + JAIL_CONF + "EOF")
    assert sh(tb, "sysrc jail_enable=YES") == "jail_enable: NO -> YES\n"
    assert sh(tb, "sysrc jail_parallel_start=YES") == "jail_parallel_start: NO -> YES\n"
    out = sh(tb, "service jail start")
    assert out.startswith("Starting jails:") and "webserver" in out and "database" in out
    rows = columns(sh(tb, "jls"))
    assert rows[0] == ["JID", "IP", "Address", "Hostname", "Path"]
    assert sorted((r[1], r[2]) for r in rows[1:]) == [("database", "/jails/containers/database"),
                                                      ("webserver", "/jails/containers/webserver")]
    out = sh(tb, "jls -h jid name host.hostname path vnet")
    lines = out.splitlines()
    assert lines[0] == "jid name host.hostname path vnet"
    assert sorted(ln.split(" ", 1)[1] for ln in lines[1:]) == [
        "database database /jails/containers/database new", "webserver webserver /jails/containers/webserver new"]

    # -- Verify VNET Networking -------------------------------------------------------------------
    out = sh(tb, "jexec webserver ifconfig epair1b")
    in_order(["epair1b: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500",
              "ether 58:9c:fc:10:ef:29", "inet 192.168.1.201 netmask 0xffffff00 broadcast 192.168.1.255",
              "groups: epair", "media: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)", "status: active"],
             out, no_mac)
    assert "vtnet0" not in sh(tb, "jexec webserver ifconfig -l")
    out = sh(tb, "jexec webserver ping -c 2 8.8.8.8")
    assert out.splitlines()[0] == "PING 8.8.8.8 (8.8.8.8): 56 data bytes"
    assert re.search(r"^64 bytes from 8\.8\.8\.8: icmp_seq=1 ttl=114 time=\d+\.\d{3} ms$", out, re.M)
    assert "2 packets transmitted, 2 packets received, 0.0% packet loss" in out
    assert sh(tb, "jexec webserver host google.com").splitlines() == [
        "google.com has address 142.251.47.174", "google.com has IPv6 address 2a00:1450:401a:800::200e",
        "google.com mail is handled by 10 smtp.google.com."]
    out = sh(tb, "jexec webserver ping -c 2 192.168.1.202")
    assert re.search(r"^64 bytes from 192\.168\.1\.202: icmp_seq=0 ttl=64 time=0\.\d{3} ms$", out, re.M)

    # -- Install Nginx in the Webserver Jail ----------------------------------------------------
    sh(tb, "jexec webserver env ASSUME_ALWAYS_YES=yes pkg bootstrap")
    sh(tb, "jexec webserver pkg install -y nginx")
    assert sh(tb, "jexec webserver sysrc nginx_enable=YES") == "nginx_enable:  -> YES\n"
    out = tb.exec("jexec webserver service nginx start")
    assert (out.stdout + out.stderr).splitlines() == [
        "Performing sanity check on nginx configuration:",
        "nginx: the configuration file /usr/local/etc/nginx/nginx.conf syntax is ok",
        "nginx: configuration file /usr/local/etc/nginx/nginx.conf test is successful",
        "Starting nginx."] or "Starting nginx." in out.stdout
    assert sh(tb, "jexec webserver fetch -qo - http://localhost/ | head -5").splitlines() == [
        "<!DOCTYPE html>", "<html>", "<head>", "<title>Welcome to nginx!</title>", "<style>"]

    # -- Install PostgreSQL in the Database Jail --------------------------------------------------
    sh(tb, "jexec database env ASSUME_ALWAYS_YES=yes pkg bootstrap")
    sh(tb, "jexec database pkg install -y postgresql17-server")
    sh(tb, "jexec database sysrc postgresql_enable=YES")
    sh(tb, "jexec database service postgresql initdb")
    sh(tb, "jexec database service postgresql start")
    sh(tb, "jexec database sh -c \"echo \\\"listen_addresses = '*'\\\" >> /var/db/postgres/data17/postgresql.conf\"")
    sh(tb, "jexec database sh -c \"echo \\\"host all all 192.168.1.0/24 md5\\\" >> /var/db/postgres/data17/pg_hba.conf\"")
    sh(tb, "jexec database service postgresql restart")
    sh(tb, "jexec database su -m postgres -c \"createuser -s testuser\"")
    assert sh(tb, "jexec database su -m postgres -c \"psql -c \\\"ALTER USER testuser PASSWORD 'testpass';\\\"\"") \
        == "ALTER ROLE\n"
    sh(tb, "jexec database su -m postgres -c \"createdb -O testuser testdb\"")
    out = sh(tb, "jexec database su -m postgres -c \"psql -l\"")
    assert "List of databases" in out and "(4 rows)" in out
    assert re.search(r"^ testdb\s+\| testuser \| UTF8\s+\| libc\s+\| C\s+\| C\.UTF-8 \|", out, re.M), out

    # -- Test Cross-Jail Database Connectivity ----------------------------------------------------
    sh(tb, "jexec webserver pkg install -y postgresql17-client")
    out = sh(tb, "PGPASSWORD=testpass jexec webserver /usr/local/bin/psql -h 192.168.1.202 -U testuser -d testdb "
                 "-c 'SELECT version();'")
    assert [ln.strip() for ln in out.splitlines()] == [
        "version", "-" * 88,
        "PostgreSQL 17.9 on amd64-portbld-freebsd15.0, compiled by clang version 19.1.7, 64-bit", "(1 row)", ""]

    # -- Secure Jails with PF Firewall Rules ------------------------------------------------------
    sh(tb, "cat > /etc/pf.conf <<'EOF'\n" + PF_CONF + "EOF")
    assert sh(tb, "sysrc pf_enable=YES") == "pf_enable: NO -> YES\n"
    sh(tb, "kldload pf")
    assert sh(tb, "pfctl -f /etc/pf.conf") == ""
    r = tb.exec("pfctl -e")
    assert r.returncode == 0 and "pf enabled" in r.stderr
    assert sh(tb, "pfctl -s rules").splitlines() == [
        "block drop in log all",
        "pass in on vtnet0 inet proto tcp from any to 192.168.1.201 port = http flags S/SA keep state",
        "pass in on vtnet0 inet proto tcp from any to 192.168.1.201 port = https flags S/SA keep state",
        "pass in on vtnet0 proto tcp from any to any port = ssh flags S/SA keep state",
        "pass in on bridge0 inet proto tcp from 192.168.1.201 to 192.168.1.202 port = postgresql flags S/SA keep state",
        "pass out all flags S/SA keep state",
        "pass inet proto icmp all keep state"]
    # the host stays reachable: a new SSH connection is accepted (PF passes port 22 on vtnet0)
    assert sh(tb, "true") == ""

    # -- Jail Management Operations ----------------------------------------------------------------
    assert "Stopping jails: webserver." in sh(tb, "service jail stop webserver")
    assert "webserver" not in sh(tb, "jls")
    assert "epair1a" not in sh(tb, "ifconfig -l")  # poststop destroyed the pair
    assert "Starting jails: webserver." in sh(tb, "service jail start webserver")
    out = sh(tb, "jexec webserver ps aux")
    head, *procs = out.splitlines()
    assert head.split() == ["USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "TT", "STAT", "STARTED", "TIME", "COMMAND"]
    stats = {ln.split(None, 10)[10]: ln.split()[7] for ln in procs}
    assert all("J" in s for s in stats.values()), stats
    assert any(c.startswith("nginx: master process") for c in stats), stats
    out = sh(tb, "jexec webserver netstat -rn")
    assert out.splitlines()[:3] == ["Routing tables", "", "Internet:"]
    assert re.search(r"^default\s+192\.168\.1\.1\s+UGS\s+epair1b", out, re.M)
    assert re.search(r"^192\.168\.1\.0/24\s+link#\d+\s+U\s+epair1b", out, re.M)
    assert re.search(r"^192\.168\.1\.201\s+link#\d+\s+UHS\s+lo0", out, re.M)
    jid = sh(tb, "jls -j webserver jid").strip()
    assert sh(tb, f"cpuset -l 0-1 -j {jid}") == ""
    assert sh(tb, f"cpuset -g -j {jid}").splitlines()[0] == f"jail {jid} mask: 0, 1"
    assert sh(tb, "zfs snapshot zroot/jails/containers/webserver@before-update") == ""
    rows = columns(sh(tb, "zfs list -t snapshot -r zroot/jails/containers"))
    assert rows[0] == ["NAME", "USED", "AVAIL", "REFER", "MOUNTPOINT"]
    assert rows[1][0] == "zroot/jails/containers/webserver@before-update" and rows[1][2] == "-" and rows[1][4] == "-"
