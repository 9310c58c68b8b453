"""Bridge over real gRPC against the testbed: the uplink's address moves to the bridge and back."""
from __future__ import annotations

import pytest

from freebsd_provider import wire
from harness import failing_next, kinds, must_init_failed

T = "freebsd:index:Bridge"
pytestmark = pytest.mark.testbed


def ifc(testbed, *a):
    return testbed.exec("ifconfig", *a, check=False).stdout


def test_check_rejects_bad_input(client):
    _, f = client.check(T, "b", {"name": "br0", "members": ["vtnet0;reboot"], "addresses": ["10.0.0.0/24"]})
    assert {p for p, _ in f} == {"name", "members[0]", "addresses[0]"}


def test_lifecycle_moves_uplink_address(client, testbed):
    inputs, f = client.check(T, "b", {"name": "bridge0", "members": ["vtnet0"]})
    assert f == [] and inputs["up"] is True and inputs["memberIfaddrs"] is False
    rid, out = client.create(T, "b", inputs, preview=True)
    assert rid == "" and out["mac"] == wire.UNKNOWN
    client.new_run()
    rid, out = client.create(T, "b", inputs)
    assert rid == "bridge0"
    # two execs: the facts, then the bridge and every change with the read-back
    assert client.servicer._conn.round_trips == 2
    assert out["movedFrom"] == "vtnet0" and out["movedAddresses"] == ["192.168.1.10/24"]
    assert out["movedDefaultRouter"] == "192.168.1.1"
    assert "inet 192.168.1.10" in ifc(testbed, "bridge0") and "member: vtnet0" in ifc(testbed, "bridge0")
    assert "inet " not in ifc(testbed, "vtnet0")
    assert testbed.exec("sysrc", "-n", "ifconfig_bridge0").stdout.strip() == "inet 192.168.1.10/24 addm vtnet0 up"
    assert testbed.exec("sysrc", "-n", "ifconfig_vtnet0").stdout.strip() == "up"
    assert "bridge0" in testbed.exec("sysrc", "-n", "cloned_interfaces").stdout.split()
    # the provider's session survived: a new command still works
    client.new_run()
    rid2, state, rinputs = client.read(T, "b", rid, out, inputs)
    assert rinputs == inputs
    d = client.diff(T, "b", rid, state, inputs, old_inputs=rinputs)
    assert d.changes == d.DIFF_NONE

    # drift: member removed by hand, bridge down, rc.conf word removed
    testbed.exec("ifconfig", "bridge0", "down")
    testbed.exec("sysrc", "cloned_interfaces-=bridge0")
    client.new_run()
    _, state, rinputs = client.read(T, "b", rid, state, inputs)
    assert rinputs["up"] is False and rinputs["persist"] is False
    d = client.diff(T, "b", rid, state, inputs, old_inputs=rinputs)
    assert set(kinds(d)) == {"up", "persist"} and list(d.replaces) == []
    out = client.update(T, "b", rid, state, inputs, old_inputs=rinputs)
    assert "UP" in ifc(testbed, "bridge0").splitlines()[0]
    assert "bridge0" in testbed.exec("sysrc", "-n", "cloned_interfaces").stdout.split()

    # addresses in place (two execs: the facts, then every change with the read-back); name
    # change replaces
    news, _ = client.check(T, "b", {"name": "bridge0", "members": ["vtnet0"], "addresses": ["10.9.0.1/24"]})
    d = client.diff(T, "b", rid, out, news, old_inputs=inputs)
    assert kinds(d) == {"addresses": "UPDATE"}
    client.new_run()
    before = client.servicer._conn.round_trips
    out = client.update(T, "b", rid, out, news, old_inputs=inputs)
    assert client.servicer._conn.round_trips - before == 2
    assert "inet 10.9.0.1" in ifc(testbed, "bridge0")
    renamed, _ = client.check(T, "b", {"name": "bridge1", "members": ["vtnet0"]})
    assert list(client.diff(T, "b", rid, out, renamed, old_inputs=news).replaces) == ["name"]

    # import by id
    client.new_run()
    rid3, st3, imp = client.read(T, "b", rid)
    assert rid3 == "bridge0" and imp["members"] == ["vtnet0"] and imp["addresses"] == ["10.9.0.1/24"]

    # delete restores the uplink, the route and rc.conf: the interfaces, then one exec (and one
    # more to unload if_bridge.ko when this bridge loaded it)
    client.new_run()
    before = client.servicer._conn.round_trips
    client.delete(T, "b", rid, out, old_inputs=news)
    assert client.servicer._conn.round_trips - before == (3 if out["loadedIfBridge"] else 2)
    assert "does not exist" in testbed.exec("ifconfig", "bridge0", check=False).stderr
    assert "inet 192.168.1.10" in ifc(testbed, "vtnet0")
    assert "192.168.1.1" in testbed.exec("netstat", "-rn").stdout
    assert testbed.exec("sysrc", "-n", "ifconfig_bridge0", check=False).returncode == 1
    assert "bridge0" not in testbed.exec("sysrc", "-n", "cloned_interfaces", check=False).stdout
    # read of a deleted bridge: gone; delete again is fine
    client.new_run()
    assert client.read(T, "b", rid, out, news)[0] == ""
    client.delete(T, "b", rid, out, old_inputs=news)


def test_failure_after_the_bridge_exists_is_recorded(client, testbed):
    """With memberIfaddrs the bridge is made in one exec, the sysctl, addm and rc.conf in the next:
    when that one is lost, the bridge is recorded with the sysctl's previous value (it may have
    been set), and delete removes the bridge and puts the sysctl back."""
    import grpc
    before = testbed.exec("sysctl", "-n", "net.link.bridge.member_ifaddrs", check=False).stdout.strip() or "0"
    inputs, f = client.check(T, "b", {"name": "bridge4", "members": ["vtnet0"], "memberIfaddrs": True})
    assert f == []
    with failing_next(testbed, r"sysctl\.conf"), pytest.raises(grpc.RpcError) as e:
        client.create(T, "b", inputs)
    rid, state = must_init_failed(e.value)
    assert rid == "bridge4" and "bridge bridge4 was created but not fully configured" in e.value.details()
    assert state["previousMemberIfaddrs"] == before and state.get("movedFrom") is None
    assert state["memberIfaddrs"] is True and state["members"] == ["vtnet0"]
    assert "bridge4: flags=" in ifc(testbed, "bridge4") and "member:" not in ifc(testbed, "bridge4")
    client.new_run()
    client.delete(T, "b", rid, state, old_inputs=inputs)
    assert "does not exist" in testbed.exec("ifconfig", "bridge4", check=False).stderr
    assert "inet 192.168.1.10" in ifc(testbed, "vtnet0")
    assert "bridge4" not in testbed.exec("sysrc", "-n", "cloned_interfaces", check=False).stdout
