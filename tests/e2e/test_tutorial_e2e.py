"""The main stack (the whole tutorial) with the real CLI on its own testbed.

up → no-op up/preview running no mutating command → a property-level diff (update vs replace) →
hand-made drift (jail stopped, package removed, rc.conf value changed, PF flushed, bridge member
removed) seen by refresh and repaired by up → reboot → no drift → import of a hand-made jail and
dataset → destroy leaves the host as it was.
"""
from __future__ import annotations

import json
import re

import pytest

from project import Project, snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.testbed]

STACK = "e2e-tutorial"
MUTATING = re.compile(
    r"zfs (create|destroy|set|inherit|snapshot|clone|rename|promote|rollback)\b|"
    r"ifconfig \S+ (create|destroy|addm|deletem|up|down|inet|alias|-alias|vnet|-vnet)\b|"
    r"sysrc( -[fj] \S+)* (-x |\S+[+-]?=)|pkg (install|delete|remove|bootstrap)\b|"
    r"service (-j \S+ )?\S+ (start|stop|restart|onestart|onestop|initdb)\b|jail -[cr]|"
    r"pfctl (-a \S+ )?-(f|e|d|F)\b|kld(load|unload)\b|route (add|delete)\b|cpuset -l|rctl -[ar]|"
    r"\bmv -f\b|\bcat > |\brm -f\b|tar -x|fetch -o|sysctl \S+=")


def mutating(entries):
    return [e["command"] for e in entries if MUTATING.search(e["command"])]


@pytest.fixture(scope="module")
def host():
    """A testbed of its own: the tutorial owns bridge0, zroot/jails, the jails and PF."""
    from tbhelper import own
    yield from own("tutorial")


def test_tutorial_stack(tmp_path, host, backend):
    before = snapshot(host)
    p = Project.main_stack(tmp_path, STACK, backend, host)

    # -- up: the whole tutorial converges -----------------------------------------------------
    r = p.up()
    assert "error" not in r.stdout.lower(), r.stdout
    jls = host.exec("jls", "-h", "jid", "name", "host.hostname", "path", "vnet").stdout
    assert re.search(r"^\d+ webserver webserver /jails/containers/webserver new$", jls, re.M), jls
    assert re.search(r"^\d+ database database /jails/containers/database new$", jls, re.M), jls
    psql = host.exec("sh", "-c", "PGPASSWORD=e2e-pass-31337 jexec webserver /usr/local/bin/psql -h 192.168.1.202 "
                     "-U testuser -d testdb -c 'SELECT version();'").stdout
    assert "PostgreSQL 17.9 on amd64-portbld-freebsd15.0" in psql
    assert "Welcome to nginx!" in host.exec("sh", "-c", "jexec webserver fetch -qo - http://localhost/").stdout
    rules = host.exec("pfctl", "-s", "rules").stdout
    assert "pass in on bridge0 inet proto tcp from 192.168.1.201 to 192.168.1.202 port = postgresql" in rules
    # the tutorial's promise on a FreeBSD 15 host, which filters bridged traffic only where the
    # stack's Sysctl resources say (pfil_bridge=1, pfil_member=0)
    assert host.exec("sysctl", "-n", "net.link.bridge.pfil_bridge", "net.link.bridge.pfil_member"
                     ).stdout == "1\n0\n"
    host_ip = host.exec("sh", "-c", "ifconfig vtnet0 | awk '$1 == \"inet\" {print $2}'").stdout.strip()
    assert host.probe("192.168.1.202", 5432, src="webserver") == "open"
    assert host.probe("192.168.1.202", 5432) == "filtered"      # the LAN does not reach PostgreSQL
    assert host.probe("192.168.1.201", 80) == "open"            # nginx, from the LAN
    assert host.probe("192.168.1.201", 443) != "filtered"       # PF lets HTTPS through (no TLS vhost)
    assert host.probe(host_ip, 22) == "open"                    # and the host's SSH
    assert host.probe("192.168.1.201", 22, src="database") == "filtered"

    # -- second up and preview: no change, no mutating command ---------------------------------
    n = len(host.log())
    p.pulumi("preview", "--expect-no-changes")
    p.up("--expect-no-changes")
    p.pulumi("preview", "--refresh", "--expect-no-changes")
    assert mutating(host.log()[n:]) == []

    # -- a program change: property-level diff, update vs replace -------------------------------
    p.config("freebsd-jails:database", json.dumps({"address": "192.168.1.203/24", "epair": "epair2"}))
    p.pulumi("config", "set", "--path", "freebsd-jails:database.address", "192.168.1.203/24")
    r = p.pulumi("preview", "--diff")
    assert "freebsd:index:VnetJail: (update)" in r.stdout and "192.168.1.203/24" in r.stdout, r.stdout
    assert "freebsd:index:PfRuleset: (update)" in r.stdout
    p.pulumi("config", "set", "--path", "freebsd-jails:database.address", "192.168.1.202/24")
    p.config("freebsd-jails:release", "15.1-RELEASE")
    r = p.pulumi("preview", "--diff")
    assert "replace" in r.stdout and "freebsd:index:BaseSystem" in r.stdout, r.stdout
    p.config("freebsd-jails:release", "15.0-RELEASE")
    p.pulumi("preview", "--expect-no-changes")

    # -- hand-made drift: seen by refresh, repaired by up --------------------------------------
    host.exec("service", "jail", "stop", "webserver")
    host.exec("jexec", "database", "pkg", "delete", "-y", "postgresql17-server", check=False)
    host.exec("sysrc", "jail_list-=database")
    host.exec("pfctl", "-F", "rules")
    host.exec("ifconfig", "bridge0", "deletem", "vtnet0")
    r = p.pulumi("preview", "--refresh", "--diff", check=False)
    for what in ("VnetJail", "JailPackage", "PfRuleset", "Bridge"):
        assert f"freebsd:index:{what}: (update)" in r.stdout or f"{what}" in r.stdout, (what, r.stdout)
    p.up("--refresh")
    p.up("--refresh")  # services restarted with the jail come back in the second pass, if at all
    p.pulumi("preview", "--refresh", "--expect-no-changes")
    assert "webserver" in host.exec("jls", "-N").stdout
    assert "vtnet0" in host.exec("ifconfig", "bridge0").stdout
    assert "database" in host.exec("sysrc", "-n", "jail_list").stdout
    assert "port = postgresql" in host.exec("pfctl", "-s", "rules").stdout

    # -- reboot: everything comes back from rc.conf/loader.conf, refresh shows no drift ---------
    host_reboot(host)
    p.pulumi("preview", "--refresh", "--expect-no-changes")

    # -- import: a jail and a dataset made by hand ----------------------------------------------
    host.exec("zfs", "create", "-o", "com.example:role=scratch", "zroot/handmade")
    p.pulumi("import", "freebsd:index:ZfsDataset", "handmade", "zroot/handmade", "--yes", "--generate-code=false")
    host.exec("sh", "-c", "zfs clone zroot/jails/templates/base@15.0-RELEASE zroot/jails/containers/handjail && "
                          "cat > /etc/jail.conf.d/handjail.conf <<'EOF'\n"
                          "handjail {\n  host.hostname = \"handjail\";\n  path = \"/jails/containers/handjail\";\n"
                          "  vnet;\n  vnet.interface = \"epair7b\";\n"
                          "  exec.prestart = \"/sbin/ifconfig epair7 create up\";\n"
                          "  exec.prestart += \"/sbin/ifconfig bridge0 addm epair7a up\";\n"
                          "  exec.start = \"/sbin/ifconfig epair7b 192.168.1.207/24 up\";\n"
                          "  exec.poststop = \"/sbin/ifconfig bridge0 deletem epair7a\";\n"
                          "  exec.poststop += \"/sbin/ifconfig epair7a destroy\";\n}\nEOF\n"
                          "service jail onestart handjail")
    # a third jail on the same bridge, made by hand: PostgreSQL stays closed to it
    assert host.probe("192.168.1.202", 5432, src="handjail") == "filtered"
    assert host.probe("192.168.1.202", 5432, src="webserver") == "open"
    p.pulumi("import", "freebsd:index:VnetJail", "handjail", "handjail", "--yes", "--generate-code=false")
    p.pulumi("import", "freebsd:index:ZfsDataset", "handjail-root", "zroot/jails/containers/handjail", "--yes",
             "--generate-code=false")
    res = {r.get("id"): r for r in p.export()["deployment"]["resources"]}
    assert res["zroot/handmade"]["inputs"]["properties"] == {"com.example:role": "scratch"}
    jail = res["handjail"]
    assert jail["inputs"]["addresses"] == ["192.168.1.207/24"] and jail["inputs"]["bridge"] == "bridge0"
    assert jail["inputs"]["path"] == "/jails/containers/handjail"
    assert res["zroot/jails/containers/handjail"]["inputs"]["origin"] == "zroot/jails/templates/base@15.0-RELEASE"
    # the imported ones are not in the program: take them out of the state (their objects stay)
    for urn_name, typ in (("handmade", "ZfsDataset"), ("handjail", "VnetJail"), ("handjail-root", "ZfsDataset")):
        p.pulumi("state", "delete", "--yes", "--force",
                 f"urn:pulumi:{STACK}::freebsd-jails::freebsd:index:{typ}::{urn_name}")
    host.exec("sh", "-c", "service jail onestop handjail; rm -f /etc/jail.conf.d/handjail.conf; "
                          "zfs destroy zroot/jails/containers/handjail; zfs destroy zroot/handmade")

    # -- destroy: the host is as it was --------------------------------------------------------
    p.pulumi("destroy", "--yes", "--skip-preview")
    after = snapshot(host)
    assert after == before


def host_reboot(tb):
    tb.reboot()
