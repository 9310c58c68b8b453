"""A create whose reply never reached the engine (the CLI was killed): the engine calls Create
again with the same URN. Over real gRPC against the testbed: the provider adopts its own object
(marker or journal record) and converges it, keeps what was there before the first attempt for
delete, and still refuses an object it did not make."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from freebsd_provider.host import journal

pytestmark = pytest.mark.testbed

DS = "freebsd:index:ZfsDataset"
RC = "freebsd:index:Sysrc"
KM = "freebsd:index:KernelModule"


def records(testbed) -> dict:
    r = testbed.exec("sh", "-c", f"cat {journal.DIR}/*.json 2>/dev/null; true")
    return journal.parse(r.stdout)


def urn_of(name: str, token: str) -> str:
    from harness import urn
    return urn(token, name)


def test_dataset_created_by_a_killed_run_is_adopted_and_converged(client, testbed):
    testbed.exec("zfs", "create", "zroot/adopt", check=False)
    try:
        inputs, _ = client.check(DS, "d", {"name": "zroot/adopt/a", "properties": {"com.example:x": "1"}})
        rid, out = client.create(DS, "d", inputs)
        # the dataset carries its URN (local, not inherited, not one of its declared properties)
        got = testbed.exec("zfs", "get", "-H", "-o", "value,source", journal.ZFS_PROPERTY, rid).stdout
        assert got == f"{urn_of('d', DS)}\tlocal\n"
        assert out["properties"] == {"com.example:x": "1"}
        assert urn_of("d", DS) not in records(testbed)  # the marker is enough: no journal record
        # the engine never heard (killed): the next run creates again, maybe with a changed program
        client.new_run()
        inputs2, _ = client.check(DS, "d", {"name": "zroot/adopt/a", "properties": {"com.example:x": "2"}})
        rid2, out2 = client.create(DS, "d", inputs2)
        assert rid2 == rid and out2["guid"] == out["guid"] and out2["properties"] == {"com.example:x": "2"}
        assert testbed.exec("zfs", "get", "-H", "-o", "value", "com.example:x", rid).stdout == "2\n"
        # another resource (URN) does not take it over
        client.new_run()
        with pytest.raises(grpc.RpcError) as e:
            client.create(DS, "other", inputs2)
        assert "already exists on the host; adopt it with `pulumi import" in e.value.details()
        # its children inherit the marker: that never makes them ours
        testbed.exec("zfs", "create", "zroot/adopt/a/hand")
        client.new_run()
        with pytest.raises(grpc.RpcError) as e:
            client.create(DS, "d", {**inputs2, "name": "zroot/adopt/a/hand"})
        assert "already exists" in e.value.details()
        testbed.exec("zfs", "destroy", "zroot/adopt/a/hand")
        # refresh sees the declared properties only; delete takes the record along
        client.new_run()
        _, state, ri = client.read(DS, "d", rid, out2, inputs2)
        assert ri["properties"] == {"com.example:x": "2"}
        client.delete(DS, "d", rid, state, ri)
    finally:
        testbed.exec("zfs", "destroy", "-r", "zroot/adopt", check=False)


def test_a_create_that_changed_nothing_leaves_no_record(client, testbed):
    inputs, _ = client.check(RC, "orphan", {"name": "pulumi_orphan", "value": "x", "jail": "no-such-jail"})
    with pytest.raises(grpc.RpcError):
        client.create(RC, "orphan", inputs)
    assert urn_of("orphan", RC) not in records(testbed)


def test_sysrc_retried_create_keeps_the_value_from_before_the_first_attempt(client, testbed):
    testbed.exec("sysrc", "pulumi_crash_flags=before")
    try:
        inputs, _ = client.check(RC, "flags", {"name": "pulumi_crash_flags", "value": "after"})
        rid, out = client.create(RC, "flags", inputs)
        assert out["previousValue"] == "before"
        client.new_run()  # killed before the engine heard; the retry finds "after" on the host
        rid2, out2 = client.create(RC, "flags", inputs)
        assert rid2 == rid and out2["previousValue"] == "before"
        client.delete(RC, "flags", rid2, out2, inputs)
        assert testbed.exec("sysrc", "-n", "pulumi_crash_flags").stdout == "before\n"
        assert urn_of("flags", RC) not in records(testbed)
    finally:
        testbed.exec("sysrc", "-x", "pulumi_crash_flags", check=False)


def test_kernel_module_retried_create_still_unloads_on_delete(client, testbed):
    testbed.exec("kldunload", "if_vxlan", check=False)
    inputs, _ = client.check(KM, "vx", {"name": "if_vxlan", "persist": False})
    rid, out = client.create(KM, "vx", inputs)
    assert out["wasLoaded"] is False
    client.new_run()
    rid2, out2 = client.create(KM, "vx", inputs)
    assert out2["wasLoaded"] is False  # the record's, not the host's (loaded by the first attempt)
    client.delete(KM, "vx", rid2, out2, inputs)
    assert "if_vxlan.ko" not in testbed.exec("kldstat").stdout


def test_no_record_from_before_markers_still_refuses_and_deletes(client, testbed):
    """An object made before this provider wrote markers (or by hand) is never adopted; delete of
    a resource without a record works as before."""
    testbed.exec("zfs", "create", "zroot/legacy", check=False)
    try:
        inputs, _ = client.check(DS, "legacy", {"name": "zroot/legacy"})
        with pytest.raises(grpc.RpcError) as e:
            client.create(DS, "legacy", inputs)
        assert "pulumi import freebsd:index:ZfsDataset" in e.value.details()
        _, state, ri = client.read(DS, "legacy", "zroot/legacy")  # import
        client.delete(DS, "legacy", "zroot/legacy", state, ri)
        assert testbed.exec("zfs", "list", "zroot/legacy", check=False).returncode != 0
    finally:
        testbed.exec("zfs", "destroy", "zroot/legacy", check=False)


JF = "freebsd:index:JailFile"
JU = "freebsd:index:JailUser"


@pytest.fixture(scope="module")
def cjail(testbed):
    from jailhelp import drop_jail, make_jail
    make_jail(testbed, "crashj")
    yield "crashj"
    drop_jail(testbed, "crashj")


def test_jail_file_retried_create_restores_the_original_on_delete(client, testbed, cjail):
    path = "/jails/crashj/etc/crash.conf"
    testbed.exec("sh", "-c", f"printf 'original\\n' > {path}")
    inputs, _ = client.check(JF, "f", {"jail": cjail, "path": "/etc/crash.conf", "content": "ours\n"})
    rid, out = client.create(JF, "f", inputs)
    assert wire.reveal(out["previousContent"]) == "original\n"
    client.new_run()  # the engine never heard: the retry finds "ours" in the file
    rid2, out2 = client.create(JF, "f", inputs)
    assert rid2 == rid and wire.reveal(out2["previousContent"]) == "original\n" and out2["created"] is False
    client.delete(JF, "f", rid2, out2, inputs)
    assert testbed.exec("cat", path).stdout == "original\n"
    assert urn_of("f", JF) not in records(testbed)


def test_jail_user_retried_create_adopts_the_user(client, testbed, cjail):
    inputs, _ = client.check(JU, "u", {"jail": cjail, "name": "crashuser", "comment": "first"})
    rid, out = client.create(JU, "u", inputs)
    client.new_run()
    inputs2, _ = client.check(JU, "u", {"jail": cjail, "name": "crashuser", "comment": "second"})
    rid2, out2 = client.create(JU, "u", inputs2)  # adopted and converged, not "already exists"
    assert rid2 == rid and out2["uid"] == out["uid"]
    assert ":second:" in testbed.exec("jexec", cjail, "pw", "usershow", "crashuser").stdout
    # a user of another resource is still refused
    client.new_run()
    with pytest.raises(grpc.RpcError) as e:
        client.create(JU, "other", inputs2)
    assert "already exists in jail" in e.value.details()
    client.delete(JU, "u", rid2, out2, inputs2)
    assert testbed.exec("jexec", cjail, "pw", "usershow", "crashuser", check=False).returncode != 0
