"""Sysctl over real gRPC against the testbed."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider.host import sysctl as host_sysctl
from harness import kinds, must_init_failed

T = "freebsd:index:Sysctl"
OID = "net.inet.ip.forwarding"
pytestmark = pytest.mark.testbed


def live(testbed, name=OID):
    return testbed.exec("sysctl", "-n", name).stdout.strip()


def conf(testbed) -> str:
    r = testbed.exec("cat", "/etc/sysctl.conf", check=False)
    return r.stdout if r.returncode == 0 else ""


def test_check_rejects_bad_input_without_touching_the_host(client, testbed):
    before = len(testbed.log())
    for bad in ({"name": "forwarding", "value": "1"}, {"name": "net.inet;reboot", "value": "1"},
                {"name": "-a", "value": "1"}, {"name": OID, "value": "1\nkern.securelevel=3"},
                {"name": OID, "value": "1 # x"}, {"name": OID, "value": " 1"}, {"name": OID, "value": ""}):
        _, f = client.check(T, "bad", bad)
        assert f, bad
    assert len(testbed.log()) == before


def test_lifecycle_drift_and_restore(client, testbed):
    testbed.exec("sh", "-c", "printf '# local settings\\nkern.maxfiles=200000\\n' > /etc/sysctl.conf")
    testbed.exec("sysctl", f"{OID}=0")
    inputs, f = client.check(T, "fwd", {"name": OID, "value": "1"})
    assert f == [] and inputs["persist"] is True
    rid, out = client.create(T, "fwd", inputs)
    assert rid == OID and out["value"] == "1" and out["previousValue"] == "0"
    assert out.get("previousPersisted") is None
    assert live(testbed) == "1"
    assert conf(testbed) == "# local settings\nkern.maxfiles=200000\nnet.inet.ip.forwarding=1\n"
    assert client.diff(T, "fwd", rid, out, inputs, old_inputs=inputs).changes == 2 - 1  # DIFF_NONE

    # drift by hand, live and in the conf: refresh sees both, the update repairs both
    testbed.exec("sysctl", f"{OID}=0")
    testbed.exec("sh", "-c", "sed -i '' '/forwarding/d' /etc/sysctl.conf 2>/dev/null || "
                             "sed -i '/forwarding/d' /etc/sysctl.conf")
    client.new_run()
    rid2, state, read_inputs = client.read(T, "fwd", rid, out, inputs)
    assert rid2 == rid and read_inputs["value"] == "0" and read_inputs["persist"] is False
    assert kinds(client.diff(T, "fwd", rid, state, inputs, old_inputs=read_inputs)) == {
        "value": "UPDATE", "persist": "UPDATE"}
    state = client.update(T, "fwd", rid, state, inputs, old_inputs=read_inputs)
    assert live(testbed) == "1" and "net.inet.ip.forwarding=1\n" in conf(testbed)

    # persist off: the conf line goes, the live value stays
    news, _ = client.check(T, "fwd", {"name": OID, "value": "1", "persist": False})
    state = client.update(T, "fwd", rid, state, news, old_inputs=inputs)
    assert "forwarding" not in conf(testbed) and live(testbed) == "1"

    # the name replaces
    other, _ = client.check(T, "fwd", {"name": "net.inet6.ip6.forwarding", "value": "1"})
    assert list(client.diff(T, "fwd", rid, state, other, old_inputs=news).replaces) == ["name"]

    # delete: the previous value is back, the conf as it was
    client.delete(T, "fwd", rid, state, old_inputs=news)
    assert live(testbed) == "0"
    assert conf(testbed) == "# local settings\nkern.maxfiles=200000\n"


def test_previous_conf_line_is_restored_and_import_keeps_the_host(client, testbed):
    testbed.exec("sh", "-c", "printf 'net.inet.tcp.nolocaltimewait = 0\\n' > /etc/sysctl.conf")
    testbed.exec("sysctl", "net.inet.tcp.nolocaltimewait=0")
    name = "net.inet.tcp.nolocaltimewait"
    inputs, _ = client.check(T, "t", {"name": name, "value": "1"})
    rid, out = client.create(T, "t", inputs)
    assert out["previousPersisted"] == "0" and conf(testbed) == f"{name}=1\n"
    client.delete(T, "t", rid, out, old_inputs=inputs)
    assert conf(testbed) == f"{name}=0\n" and live(testbed, name) == "0"

    # import adopts what is there; deleting the imported resource changes nothing
    rid, state, imp = client.read(T, "t", name)
    assert imp == {"name": name, "value": "0", "persist": True} and state["previousValue"] == "0"
    checked, f = client.check(T, "t", imp)
    assert f == [] and client.diff(T, "t", rid, state, checked, old_inputs=imp).changes == 1
    client.delete(T, "t", rid, state, old_inputs=imp)
    assert conf(testbed) == f"{name}=0\n" and live(testbed, name) == "0"
    testbed.exec("rm", "-f", "/etc/sysctl.conf")


def test_unknown_or_read_only_oid_fails_clearly(client, testbed):
    inputs, _ = client.check(T, "x", {"name": "net.link.bridge.pfil_onlyip", "value": "1"})
    testbed.exec("kldunload", "if_bridge", check=False)
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "x", inputs)
    assert "no such OID" in e.value.details()
    inputs, _ = client.check(T, "r", {"name": "kern.ostype", "value": "Linux"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "r", inputs)
    assert "read only" in e.value.details()
    assert live(testbed, "kern.ostype") == "FreeBSD"


def test_conf_edit_is_literal():
    # the name is a regex only through its escaped form; the value never reaches the script
    argv = host_sysctl.conf_set("net.inet.ip.forwarding", "1")
    assert argv[-5:] == ["/etc/sysctl.conf", "net.inet.ip.forwarding", "net\\.inet\\.ip\\.forwarding", "set", "1"]
    assert host_sysctl.parse_conf("# c\n a.b = 1 # x\n\na.b=2\nbad\n") == {"a.b": "2"}
    assert host_sysctl.parse_get("a.b", "a.b=x=y\n") == "x=y"
    assert host_sysctl.parse_get("a.b", "") is None


def test_value_set_but_conf_edit_failed_is_recorded(client, testbed, monkeypatch):
    """The live value is set, then the sysctl.conf edit in the same exec fails: the resource is
    recorded as it now is (value set, not persisted, the previous value kept for delete); the
    next `up` writes the conf line and delete restores both."""
    testbed.exec("rm", "-f", "/etc/sysctl.conf")
    testbed.exec("sysctl", f"{OID}=0")
    monkeypatch.setattr(host_sysctl, "conf_set", lambda name, value, file="": [
        "/bin/sh", "-c", "echo 'sh: /etc/sysctl.conf: Read-only file system' >&2; exit 1"])
    inputs, _ = client.check(T, "pf", {"name": OID, "value": "1"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "pf", inputs)
    monkeypatch.undo()
    assert f"sysctl {OID} was set" in e.value.details() and "Read-only file system" in e.value.details()
    rid, state = must_init_failed(e.value)
    assert rid == OID and state["value"] == "1" and state["persist"] is False
    assert state["previousValue"] == "0" and state.get("previousPersisted") is None
    assert live(testbed) == "1" and conf(testbed) == ""
    client.new_run()
    out = client.update(T, "pf", rid, state, inputs, old_inputs=inputs)
    assert out["value"] == "1" and out["persist"] is True and conf(testbed) == f"{OID}=1\n"
    client.delete(T, "pf", rid, out, old_inputs=inputs)
    assert live(testbed) == "0" and conf(testbed) == ""
