"""ZfsSnapshot over real gRPC against the testbed."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import must_init_failed

T = "freebsd:index:ZfsSnapshot"
pytestmark = pytest.mark.testbed


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


def execs(client) -> int:
    return client.servicer._conn.round_trips


def test_one_exec_per_create_and_delete(client, testbed):
    testbed.exec("zfs", "create", "zroot/snap1x")
    try:
        inputs, _ = client.check(T, "o", {"dataset": "zroot/snap1x", "snapshotName": "s"})
        client.read(T, "warm", "zroot/snap1x@none")  # connect
        n = execs(client)
        rid, out = client.create(T, "o", inputs)
        assert execs(client) - n == 1 and out["guid"] and out["clones"] == [] and out["creation"] > 0
        client.new_run()
        n = execs(client)
        client.delete(T, "o", rid, out, old_inputs=inputs)
        assert execs(client) - n == 1 and not exists(testbed, rid)
        n = execs(client)
        client.delete(T, "o", rid, out, old_inputs=inputs)  # already gone: fine, still one exec
        assert execs(client) - n == 1
    finally:
        testbed.exec("zfs", "destroy", "-r", "zroot/snap1x", check=False)


def test_recursive_clash_in_a_child_is_zfs_error_not_import_hint(client, testbed):
    testbed.exec("zfs", "create", "zroot/rc")
    testbed.exec("zfs", "create", "zroot/rc/child")
    testbed.exec("zfs", "snapshot", "zroot/rc/child@n")
    try:
        inputs, _ = client.check(T, "rc", {"dataset": "zroot/rc", "snapshotName": "n", "recursive": True})
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "rc", inputs)
        assert "dataset already exists" in e.value.details() and "pulumi import" not in e.value.details()
        assert not exists(testbed, "zroot/rc@n")
        # delete of a recursive snapshot whose top is gone leaves the children's alone
        client.delete(T, "rc", "zroot/rc@n", {}, old_inputs=inputs)
        assert exists(testbed, "zroot/rc/child@n")
    finally:
        testbed.exec("zfs", "destroy", "-r", "zroot/rc", check=False)


def test_snapshot_taken_but_read_back_failed_is_recorded(client, testbed, monkeypatch):
    """`zfs snapshot` ran, then reading it back failed: the snapshot is recorded
    (so the next `up` reads it and `destroy` removes it). (Before: a plain error and a snapshot
    left behind unrecorded; the next create was refused as "already exists".)"""
    from freebsd_provider.host import zfs as hzfs
    testbed.exec("zfs", "create", "zroot/snpf")
    try:
        inputs, _ = client.check(T, "p", {"dataset": "zroot/snpf", "snapshotName": "s1"})
        def refuse(text):
            raise ValueError("unexpected zfs get line: 'x'")
        monkeypatch.setattr(hzfs, "parse_get", refuse)
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "p", inputs)
        monkeypatch.undo()
        assert "snapshot zroot/snpf@s1 was taken" in e.value.details()
        rid, state = must_init_failed(e.value)
        assert rid == "zroot/snpf@s1" and state["name"] == rid and state["dataset"] == "zroot/snpf"
        assert exists(testbed, rid)
        client.new_run()
        out = client.update(T, "p", rid, state, inputs, old_inputs=inputs)
        assert out["guid"] and out["creation"] > 0
        client.delete(T, "p", rid, out, old_inputs=inputs)
        assert not exists(testbed, rid)
    finally:
        testbed.exec("zfs", "destroy", "-r", "zroot/snpf", check=False)
