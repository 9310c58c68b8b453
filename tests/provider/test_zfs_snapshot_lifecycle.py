"""ZfsSnapshot over real gRPC against the testbed."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import ProviderClient

T = "freebsd:index:ZfsSnapshot"
pytestmark = pytest.mark.testbed


@pytest.fixture()
def client(testbed):
    c = ProviderClient()
    c.configure(**{**testbed.provider_config(), "privateKey": wire.Secret(testbed.provider_config()["privateKey"])})
    yield c
    c.close()


def exists(testbed, name):
    return testbed.exec("zfs", "list", "-t", "snapshot", name, check=False).returncode == 0


def test_check_rejects_bad_input_without_touching_the_host(client, testbed):
    before = len(testbed.log())
    _, f = client.check(T, "bad", {"dataset": "zroot/x;reboot", "snapshotName": "a@b"})
    assert {p for p, _ in f} == {"dataset", "snapshotName"}
    _, f = client.check(T, "bad", {"dataset": "zroot/x", "snapshotName": "-r"})
    assert [p for p, _ in f] == ["snapshotName"]
    assert len(testbed.log()) == before


def test_lifecycle(client, testbed):
    testbed.exec("zfs", "create", "zroot/snapt")
    try:
        inputs, f = client.check(T, "s", {"dataset": "zroot/snapt", "snapshotName": "15.0-RELEASE"})
        assert f == [] and inputs["recursive"] is False
        rid, out = client.create(T, "s", inputs, preview=True)
        assert rid == "" and out["guid"] == wire.UNKNOWN
        assert not exists(testbed, "zroot/snapt@15.0-RELEASE")

        rid, out = client.create(T, "s", inputs)
        assert rid == "zroot/snapt@15.0-RELEASE" and out["name"] == rid
        assert out["guid"] and out["creation"] > 0 and out["clones"] == []
        d = client.diff(T, "s", rid, out, inputs, old_inputs=inputs)
        assert d.changes == d.DIFF_NONE

        for change in ({"snapshotName": "other"}, {"recursive": True}, {"dataset": "zroot/x"}):
            news, _ = client.check(T, "s", {**{"dataset": "zroot/snapt", "snapshotName": "15.0-RELEASE"}, **change})
            d = client.diff(T, "s", rid, out, news, old_inputs=inputs)
            assert list(d.replaces) == list(change), change

        # a clone made by hand shows up, and makes delete fail with zfs's message (never -R)
        testbed.exec("zfs", "clone", rid, "zroot/snapt-clone")
        client.new_run()
        _, state, read_inputs = client.read(T, "s", rid, out, inputs)
        assert state["clones"] == ["zroot/snapt-clone"] and read_inputs == inputs
        with pytest.raises(grpc.RpcError) as e:
            client.delete(T, "s", rid, state, old_inputs=inputs)
        assert "dependent clones" in e.value.details()
        assert exists(testbed, rid)
        testbed.exec("zfs", "destroy", "zroot/snapt-clone")

        # import by id
        client.new_run()
        rid2, state2, imp = client.read(T, "s", rid)
        assert rid2 == rid and imp == {"dataset": "zroot/snapt", "snapshotName": "15.0-RELEASE", "recursive": False}
        checked, f = client.check(T, "s", imp)
        d = client.diff(T, "s", rid, state2, checked, old_inputs=imp)
        assert f == [] and d.changes == d.DIFF_NONE

        client.delete(T, "s", rid, state2, old_inputs=imp)
        assert not exists(testbed, rid)
        rid3, _, _ = client.read(T, "s", rid, state2, imp)
        assert rid3 == ""
        client.delete(T, "s", rid, state2, old_inputs=imp)  # already gone: fine
        # creating over an existing snapshot is refused with the import hint
        testbed.exec("zfs", "snapshot", rid)
        client.new_run()
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "s", inputs)
        assert "pulumi import" in e.value.details()
    finally:
        testbed.exec("zfs", "destroy", "-R", "zroot/snapt", check=False)


def test_recursive(client, testbed):
    testbed.exec("zfs", "create", "zroot/rs")
    testbed.exec("zfs", "create", "zroot/rs/child")
    try:
        inputs, _ = client.check(T, "r", {"dataset": "zroot/rs", "snapshotName": "nightly", "recursive": True})
        rid, out = client.create(T, "r", inputs)
        assert exists(testbed, "zroot/rs/child@nightly")
        client.delete(T, "r", rid, out, old_inputs=inputs)
        assert not exists(testbed, "zroot/rs@nightly") and not exists(testbed, "zroot/rs/child@nightly")
    finally:
        testbed.exec("zfs", "destroy", "-r", "zroot/rs", check=False)
