"""KernelModule over real gRPC against the testbed."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import kinds, must_init_failed

T = "freebsd:index:KernelModule"
pytestmark = pytest.mark.testbed


def loaded(testbed, name):
    return testbed.exec("kldstat", "-q", "-m", name, check=False).returncode == 0


def loader_var(testbed, var):
    r = testbed.exec("sysrc", "-f", "/boot/loader.conf", "-n", var, check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def test_check_rejects_bad_names_without_touching_the_host(client, testbed):
    before = len(testbed.log())
    for bad in ("if_epair.ko", "/boot/kernel/pf.ko", "pf;reboot", "", "-f"):
        _, f = client.check(T, "bad", {"name": bad})
        assert [p for p, _ in f] == ["name"], bad
    assert len(testbed.log()) == before


def test_lifecycle(client, testbed):
    testbed.exec("kldunload", "if_vxlan", check=False)
    inputs, f = client.check(T, "m", {"name": "if_vxlan"})
    assert f == [] and inputs["persist"] is True and inputs["load"] is True
    rid, out = client.create(T, "m", inputs, preview=True)
    assert out["loaded"] == wire.UNKNOWN and not loaded(testbed, "if_vxlan")

    rid, out = client.create(T, "m", inputs)
    assert rid == "if_vxlan" and out["loaded"] is True and out["wasLoaded"] is False
    assert out.get("previousLoad") is None
    assert loaded(testbed, "if_vxlan") and loader_var(testbed, "if_vxlan_load") == "YES"
    d = client.diff(T, "m", rid, out, inputs, old_inputs=inputs)
    assert d.changes == d.DIFF_NONE

    # persist off: update in place, the loader.conf line goes
    news, _ = client.check(T, "m", {"name": "if_vxlan", "persist": False})
    d = client.diff(T, "m", rid, out, news, old_inputs=inputs)
    assert kinds(d) == {"persist": "UPDATE"} and list(d.replaces) == []
    out2 = client.update(T, "m", rid, out, news, old_inputs=inputs)
    assert loader_var(testbed, "if_vxlan_load") is None and out2["loaded"] is True
    out3 = client.update(T, "m", rid, out2, inputs, old_inputs=news)
    assert loader_var(testbed, "if_vxlan_load") == "YES"

    # name change replaces
    other, _ = client.check(T, "m", {"name": "if_wg"})
    assert list(client.diff(T, "m", rid, out3, other, old_inputs=inputs).replaces) == ["name"]

    # drift: unloaded by hand -> load reported false; the update loads it again
    testbed.exec("kldunload", "if_vxlan")
    client.new_run()
    rid2, state, read_inputs = client.read(T, "m", rid, out3, inputs)
    assert rid2 == rid and read_inputs["load"] is False and state["loaded"] is False
    d = client.diff(T, "m", rid, state, inputs, old_inputs=read_inputs)
    assert kinds(d) == {"load": "UPDATE"}
    state = client.update(T, "m", rid, state, inputs, old_inputs=read_inputs)
    assert loaded(testbed, "if_vxlan") and state["loaded"] is True

    # delete: unloads (this resource loaded it) and removes the loader.conf line
    client.delete(T, "m", rid, state, old_inputs=inputs)
    assert not loaded(testbed, "if_vxlan") and loader_var(testbed, "if_vxlan_load") is None
    rid3, _, _ = client.read(T, "m", rid, state, inputs)
    assert rid3 == ""
    client.delete(T, "m", rid, state, old_inputs=inputs)  # already gone: fine


def test_already_loaded_module_is_left_loaded_and_previous_value_restored(client, testbed):
    testbed.exec("kldload", "-n", "if_wg")
    testbed.exec("sysrc", "-f", "/boot/loader.conf", "if_wg_load=NO")
    try:
        inputs, _ = client.check(T, "w", {"name": "if_wg"})
        rid, out = client.create(T, "w", inputs)
        assert out["wasLoaded"] is True and out["previousLoad"] == "NO"
        assert loader_var(testbed, "if_wg_load") == "YES"
        client.delete(T, "w", rid, out, old_inputs=inputs)
        assert loaded(testbed, "if_wg") and loader_var(testbed, "if_wg_load") == "NO"
    finally:
        testbed.exec("sysrc", "-f", "/boot/loader.conf", "-x", "if_wg_load", check=False)
        testbed.exec("kldunload", "if_wg", check=False)


def test_import_and_busy_unload(client, testbed):
    # pflog depends on pf: unloading pf while pflog is loaded is refused (Device busy)
    testbed.exec("kldload", "-n", "pflog")
    try:
        rid, state, imp = client.read(T, "pf", "pf")
        assert rid == "pf" and imp == {"name": "pf", "persist": False, "load": True}
        assert state["wasLoaded"] is True
        checked, f = client.check(T, "pf", imp)
        d = client.diff(T, "pf", rid, state, checked, old_inputs=imp)
        assert f == [] and d.changes == d.DIFF_NONE
        # pretend this stack loaded it: delete warns and succeeds, pf stays loaded
        client.delete(T, "pf", rid, {**state, "wasLoaded": False}, old_inputs=imp)
        assert loaded(testbed, "pf")
    finally:
        testbed.exec("kldunload", "pflog", check=False)
        testbed.exec("kldunload", "pf", check=False)


def test_missing_module_fails_clearly(client, testbed):
    inputs, _ = client.check(T, "n", {"name": "no_such_module"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "n", inputs)
    assert "can't load no_such_module" in e.value.details()
    assert loader_var(testbed, "no_such_module_load") is None


def test_load_done_but_loader_conf_edit_failed_is_recorded(client, testbed):
    """kldload and the loader.conf edit share one exec; when the edit fails after the load, the
    create reports a partial failure that records the load (wasLoaded=False), so that delete
    unloads the module this create loaded. (Before: nothing was recorded, and the next create
    took the module for one loaded by someone else: wasLoaded=True, never unloaded.)"""
    testbed.exec("kldunload", "if_vxlan", check=False)
    testbed.exec("sysrc", "-f", "/boot/loader.conf", "-x", "if_vxlan_load", check=False)
    # a loader.conf that cannot be written (here: a directory in its place)
    testbed.exec("sh", "-c", "mv /boot/loader.conf /boot/loader.conf.saved && mkdir /boot/loader.conf")
    inputs, _ = client.check(T, "m", {"name": "if_vxlan"})
    try:
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "m", inputs)
    finally:
        testbed.exec("sh", "-c", "rmdir /boot/loader.conf && mv /boot/loader.conf.saved /boot/loader.conf")
    rid, state = must_init_failed(e.value)
    assert rid == "if_vxlan" and "/boot/loader.conf was not updated" in e.value.details()
    assert state["loaded"] is True and state["wasLoaded"] is False
    assert loaded(testbed, "if_vxlan") and loader_var(testbed, "if_vxlan_load") is None
    # the engine retries with an update (the loader.conf line is written now), then deletes
    client.new_run()
    out = client.update(T, "m", "if_vxlan", state, inputs, old_inputs=inputs)
    assert loader_var(testbed, "if_vxlan_load") == "YES" and out["wasLoaded"] is False
    client.delete(T, "m", "if_vxlan", out, old_inputs=inputs)
    assert not loaded(testbed, "if_vxlan") and loader_var(testbed, "if_vxlan_load") is None
