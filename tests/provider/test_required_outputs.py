"""Every resource's `required` outputs in the schema are exactly the properties it always returns.

The SDKs type a `required` property as always defined; one the provider leaves unset makes `up`
warn ("Undefined value ... will not show as a stack output") and `preview` show it as
`[unknown]`. For each resource, over real gRPC against the testbed: create it (from its
`example`, and from minimal inputs so that each optional property is unset at least once), read
it back with its id and state (refresh) and with only its id (import), then delete it. Every
`required` property must be present and non-null in each of these results, and every property
present in all of them must be `required`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import grpc
import pytest

from freebsd_provider import schema
from freebsd_provider.resources import RESOURCES
from jailhelp import client_for, drop_jail, make_jail

pytestmark = pytest.mark.testbed

SCHEMA = json.loads(schema.render())["resources"]
J = "reqjail"
VJ_PATH = "/jails/reqvj"
BRIDGE = "bridge6"
PF_RULES = "set skip on lo0\nblock in all\npass in proto tcp to any port 22\npass out all keep state\n"


@dataclass
class Case:
    name: str
    inputs: dict
    before: tuple[tuple[str, ...], ...] = ()  # testbed commands that set the scene
    after: tuple[tuple[str, ...], ...] = ()  # and clean up what delete leaves (failures ignored)


# Per resource: the fixtures it needs and its cases. Inputs follow each resource's `example`
# (names changed to this test's jail, datasets and bridge) plus a minimal case.
CASES: dict[str, tuple[tuple[str, ...], list[Case]]] = {
    "ZfsDataset": (("zfs",), [
        Case("clone", {"name": "zroot/reqtest/clone", "properties": {"com.example:role": "web"},
                       "origin": "zroot/reqtest@base"}),
        Case("plain", {"name": "zroot/reqtest/plain"}),
    ]),
    "Sysrc": (("jail",), [
        Case("in-jail", {"name": "nginx_enable", "value": "YES", "file": "/etc/rc.conf", "jail": J},
             before=(("sysrc", "-j", J, "nginx_enable=NO"),),
             after=(("sysrc", "-j", J, "-x", "nginx_enable"),)),
        Case("new-var", {"name": "reqtest_var", "value": "x"}),
    ]),
    "Bridge": ((), [
        Case("uplink", {"name": "bridge0", "members": ["vtnet0"]}),
        Case("plain", {"name": "bridge5", "addresses": ["10.9.9.1/24"]}),
    ]),
    "VnetJail": (("vnet_world",), [
        Case("example", {"name": "reqvj", "hostname": "reqvj-host", "path": VJ_PATH, "bridge": BRIDGE,
                         "epair": "epair29", "addresses": ["192.168.1.241/24"],
                         "defaultRouter": "192.168.1.1", "sysvipc": "new", "allow": ["raw_sockets"],
                         "parameters": {"enforce_statfs": "2"},
                         "execHooks": {"prestart": [["/usr/bin/logger", "starting"]]}, "cpuset": "0-1"}),
        Case("stopped", {"name": "reqvj2", "path": VJ_PATH, "bridge": BRIDGE, "running": False}),
    ]),
    "ZfsSnapshot": (("zfs",), [
        Case("example", {"dataset": "zroot/reqtest", "snapshotName": "req1", "recursive": True}),
    ]),
    "BaseSystem": (("zfs",), [
        Case("example", {"path": "/jails/reqtest/base", "release": "15.0-RELEASE", "arch": "amd64",
                         "mirror": "https://download.freebsd.org/releases", "distSets": ["base.txz"]}),
    ]),
    "KernelModule": ((), [
        Case("example", {"name": "if_epair"}),
        Case("previous", {"name": "if_vxlan"},
             before=(("kldunload", "if_vxlan"), ("sysrc", "-f", "/boot/loader.conf", "if_vxlan_load=NO")),
             after=(("kldunload", "if_vxlan"), ("sysrc", "-f", "/boot/loader.conf", "-x", "if_vxlan_load"))),
    ]),
    "PfRuleset": (("clean_pf",), [
        Case("example", {"rules": PF_RULES, "path": "/etc/pf.conf"}),
    ]),
    "JailPackage": (("jail",), [
        Case("example", {"jail": J, "packages": ["curl"]}),
    ]),
    "JailService": (("jail",), [
        Case("minimal", {"jail": J, "service": "nginx"}),
    ]),
    "JailFile": (("jail",), [
        Case("lines", {"jail": J, "path": "/etc/reqlines.conf",
                       "lines": [{"line": "host all all 192.168.1.0/24 md5", "match": "^#?host all all 192"}],
                       "mode": "0600", "owner": "root:wheel"},
             before=(("sh", "-c", 'printf "#host all all 192.168.1.0/24 trust\\n" > "$1"', "sh",
                      f"/jails/{J}/etc/reqlines.conf"),),
             after=(("rm", "-f", f"/jails/{J}/etc/reqlines.conf"),)),
        Case("replace", {"path": "/etc/reqtest-old.conf", "content": "new\n", "mode": "0600"},
             before=(("sh", "-c", 'echo old > "$1"', "sh", "/etc/reqtest-old.conf"),),
             after=(("rm", "-f", "/etc/reqtest-old.conf"),)),
        Case("new-file", {"path": "/etc/reqtest-new.conf", "content": "a=1\n"}),
    ]),
    "JailCommand": (("jail",), [
        Case("example", {"jail": J, "user": "nobody", "create": ["sh", "-c", 'cat > /tmp/reqtest.out; echo "$A"'],
                         "stdin": "hello\n", "environment": {"A": "b"},
                         "unless": ["test", "-e", "/tmp/reqtest.skip"], "creates": "/tmp/reqtest.done",
                         "update": ["true"], "delete": ["rm", "-f", "/tmp/reqtest.out"]}),
        Case("minimal", {"create": ["echo", "hi"]}),
    ]),
    "Sysctl": ((), [
        Case("new-line", {"name": "net.inet.ip.forwarding", "value": "1"},
             before=(("sysctl", "net.inet.ip.forwarding=0"),),
             after=(("sysctl", "net.inet.ip.forwarding=0"),)),
        Case("previous-line", {"name": "net.inet.tcp.nolocaltimewait", "value": "1", "persist": True},
             before=(("sh", "-c", "echo net.inet.tcp.nolocaltimewait=0 > /etc/sysctl.conf"),),
             after=(("rm", "-f", "/etc/sysctl.conf"),)),
    ]),
    "JailUser": (("jail",), [
        Case("example", {"jail": J, "name": "requser", "groups": ["wheel"], "comment": "App user",
                         "shell": "/usr/sbin/nologin"}),
        Case("group", {"jail": J, "name": "requser2", "group": "wheel", "uid": 2500}),
    ]),
}
# A command leaves nothing on the host to adopt: its read with only an id fails by design.
NOT_IMPORTABLE = {"JailCommand"}


def test_every_resource_has_cases():
    assert set(CASES) == {r.__name__ for r in RESOURCES}


@pytest.fixture(scope="module")
def client(testbed):
    c = client_for(testbed)
    yield c
    c.close()


@pytest.fixture(scope="module")
def jail(testbed):
    make_jail(testbed, J)
    testbed.exec("sh", "-c", 'jexec "$1" env ASSUME_ALWAYS_YES=yes pkg bootstrap >/dev/null && '
                             'jexec "$1" pkg install -y nginx >/dev/null', "sh", J)
    yield J
    drop_jail(testbed, J)


@pytest.fixture(scope="module")
def zfs(testbed):
    testbed.exec("zfs", "create", "-p", "-o", "mountpoint=/jails/reqtest", "zroot/reqtest")
    testbed.exec("zfs", "snapshot", "zroot/reqtest@base")
    testbed.exec("zfs", "create", "zroot/reqtest/base")
    yield
    testbed.exec("zfs", "destroy", "-R", "zroot/reqtest", check=False)


@pytest.fixture()
def vnet_world(testbed):
    testbed.exec("ifconfig", BRIDGE, "create", "up")
    for d in ("dev", "etc", "var/log", "tmp", "root"):
        testbed.exec("mkdir", "-p", f"{VJ_PATH}/{d}")
    testbed.exec("sh", "-c", "printf '#!/bin/sh\\nexit 0\\n' > \"$1/etc/rc\"; cp \"$1/etc/rc\" \"$1/etc/rc.shutdown\"",
                 "sh", VJ_PATH)
    yield
    for name in ("reqvj", "reqvj2"):
        testbed.exec("service", "jail", "onestop", name, check=False)
        testbed.exec("rm", "-f", f"/etc/jail.conf.d/{name}.conf", check=False)
        testbed.exec("sysrc", f"jail_list-={name}", check=False)
    testbed.exec("ifconfig", BRIDGE, "destroy", check=False)
    testbed.exec("rm", "-rf", VJ_PATH, check=False)


@pytest.fixture()
def clean_pf(testbed):
    """No pf before and after: module unloaded, no /etc/pf.conf, no pf_* in rc.conf."""
    def reset():
        testbed.exec("pfctl", "-d", check=False)
        testbed.exec("pfctl", "-F", "all", check=False)
        testbed.exec("kldunload", "pf", check=False)
        testbed.exec("rm", "-f", "/etc/pf.conf", "/etc/pf.conf.pulumi-new", check=False)
        testbed.exec("sysrc", "-x", "pf_enable", "pf_rules", check=False)
    reset()
    yield
    reset()


def present(props: dict) -> set[str]:
    return {k for k, v in props.items() if v is not None}


def observe(client, testbed, token: str, kind: str, case: Case) -> list[tuple[str, dict]]:
    """(what, properties) of the create, the read with state and the import of one case."""
    for argv in case.before:
        testbed.exec(*argv, check=False)
    try:
        inputs, failures = client.check(token, case.name, case.inputs)
        assert failures == [], failures
        rid, created = client.create(token, case.name, inputs)
        try:
            client.new_run()
            rid2, read, _ = client.read(token, case.name, rid, created, inputs)
            assert rid2 == rid, f"{kind} {case.name}: read found nothing"
            seen = [("create", created), ("read", read)]
            client.new_run()
            if kind in NOT_IMPORTABLE:
                with pytest.raises(grpc.RpcError) as e:
                    client.read(token, case.name, rid)
                assert "cannot be imported" in e.value.details()
            else:
                rid3, imported, _ = client.read(token, case.name, rid)
                assert rid3 == rid, f"{kind} {case.name}: import found nothing"
                seen.append(("import", imported))
        finally:
            client.new_run()
            client.delete(token, case.name, rid, created, old_inputs=inputs)
    finally:
        for argv in case.after:
            testbed.exec(*argv, check=False)
    return [(f"{case.name} {what}", props) for what, props in seen]


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.__name__)
def test_required_outputs_are_exactly_the_always_present_ones(resource, client, testbed, request):
    kind, token = resource.__name__, resource.token
    needs, cases = CASES[kind]
    for fixture in needs:
        request.getfixturevalue(fixture)
    spec = SCHEMA[token]
    required, declared = set(spec["required"]), set(spec["properties"])
    seen = [obs for case in cases for obs in observe(client, testbed, token, kind, case)]
    for what, props in seen:
        assert not required - present(props), \
            f"{kind} {what}: required in the schema but not returned: {sorted(required - present(props))}"
        assert not present(props) - declared, \
            f"{kind} {what}: returned but not in the schema: {sorted(present(props) - declared)}"
    always = set.intersection(*(present(props) for _, props in seen))
    assert always == required, (
        f"{kind}: returned by every create and read but not required: {sorted(always - required)}; "
        f"required but not always returned: {sorted(required - always)}")
