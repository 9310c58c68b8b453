"""ZfsDataset over real gRPC against the testbed: check → create → diff → update → read → delete.

Also: preview with unknowns, drift seen by read, import by id, delete safety, secrets and
host-key refusal.
"""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import ProviderClient, kinds, must_init_failed

T = "freebsd:index:ZfsDataset"
pytestmark = pytest.mark.testbed


def zget(testbed, prop, ds):
    return testbed.exec("zfs", "get", "-H", "-o", "value", prop, ds).stdout.strip()


def test_lifecycle(client, testbed):
    inputs, failures = client.check(T, "lc", {"name": "zroot/lc", "properties": {"mountpoint": "/lc", "compression": "lz4"}})
    assert failures == []
    assert inputs["recursive"] is False

    # preview: nothing happens on the host, computed outputs are unknown
    rid, out = client.create(T, "lc", inputs, preview=True)
    assert rid == "" and out["guid"] == wire.UNKNOWN
    assert testbed.exec("zfs", "list", "zroot/lc", check=False).returncode == 1

    rid, out = client.create(T, "lc", inputs)
    assert rid == "zroot/lc"
    assert out["mountpoint"] == "/lc" and out["guid"] and out["creation"] > 0
    assert zget(testbed, "compression", "zroot/lc") == "lz4"

    # no-op diff
    d = client.diff(T, "lc", rid, out, inputs, old_inputs=inputs)
    assert d.changes == d.DIFF_NONE

    # property change: update in place; removal: zfs inherit
    news, _ = client.check(T, "lc", {"name": "zroot/lc", "properties": {"mountpoint": "/lc", "atime": "off"}})
    d = client.diff(T, "lc", rid, out, news, old_inputs=inputs)
    assert kinds(d) == {"properties.compression": "DELETE", "properties.atime": "ADD"}
    assert list(d.replaces) == []
    out2 = client.update(T, "lc", rid, out, news, old_inputs=inputs)
    assert zget(testbed, "atime", "zroot/lc") == "off"
    src = testbed.exec("zfs", "get", "-H", "-o", "source", "compression", "zroot/lc").stdout.strip()
    assert src != "local"
    # an update that changes nothing on the host (only `recursive`): one exec, the read-back
    news_r = {**news, "recursive": True}
    n0 = client.servicer._conn.round_trips
    out_r = client.update(T, "lc", rid, out2, news_r, old_inputs=news)
    assert out_r["guid"] == out["guid"] and out_r["recursive"] is True
    assert client.servicer._conn.round_trips - n0 == 1

    # drift made by hand is seen by read
    testbed.exec("zfs", "set", "atime=on", "zroot/lc")
    client.new_run()
    rid2, state, read_inputs = client.read(T, "lc", rid, out2, news)
    assert rid2 == rid and read_inputs["properties"]["atime"] == "on"
    d = client.diff(T, "lc", rid, state, news, old_inputs=read_inputs)
    assert kinds(d) == {"properties.atime": "UPDATE"}

    # name change: replace (delete before replace)
    renamed, _ = client.check(T, "lc", {"name": "zroot/lc2", "properties": {"mountpoint": "/lc"}})
    d = client.diff(T, "lc", rid, state, renamed, old_inputs=read_inputs)
    assert list(d.replaces) == ["name"] and d.deleteBeforeReplace
    assert kinds(d)["name"] == "UPDATE_REPLACE"

    # delete refuses to take a child along unless recursive
    testbed.exec("zfs", "create", "zroot/lc/child")
    client.new_run()
    with pytest.raises(grpc.RpcError) as e:
        client.delete(T, "lc", rid, state, old_inputs=read_inputs)
    assert "filesystem has children" in e.value.details()
    assert testbed.exec("zfs", "list", "zroot/lc/child", check=False).returncode == 0
    testbed.exec("zfs", "destroy", "zroot/lc/child")
    client.delete(T, "lc", rid, state, old_inputs=read_inputs)
    assert testbed.exec("zfs", "list", "zroot/lc", check=False).returncode == 1

    # read of a deleted dataset: gone
    rid3, _, _ = client.read(T, "lc", rid, state, read_inputs)
    assert rid3 == ""


def test_import_reads_inputs_from_the_host(client, testbed):
    testbed.exec("zfs", "create", "-o", "mountpoint=/imp", "-o", "com.example:role=web", "zroot/imp")
    try:
        rid, state, inputs = client.read(T, "imp", "zroot/imp")
        assert rid == "zroot/imp"
        assert inputs["name"] == "zroot/imp"
        assert inputs["properties"] == {"mountpoint": "/imp", "com.example:role": "web"}
        assert state["mountpoint"] == "/imp"
        # the imported inputs pass check unchanged
        checked, failures = client.check(T, "imp", inputs)
        assert failures == []
        d = client.diff(T, "imp", rid, state, checked, old_inputs=inputs)
        assert d.changes == d.DIFF_NONE
    finally:
        testbed.exec("zfs", "destroy", "zroot/imp", check=False)


def test_create_refuses_to_adopt_existing(client, testbed):
    testbed.exec("zfs", "create", "zroot/exists")
    try:
        inputs, _ = client.check(T, "e", {"name": "zroot/exists"})
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "e", inputs)
        assert "already exists" in e.value.details() and "pulumi import" in e.value.details()
    finally:
        testbed.exec("zfs", "destroy", "zroot/exists", check=False)


def test_clone_of_a_snapshot(client, testbed):
    testbed.exec("zfs", "create", "zroot/tmpl")
    testbed.exec("zfs", "snapshot", "zroot/tmpl@s1")
    try:
        inputs, f = client.check(T, "c", {"name": "zroot/cl", "origin": "zroot/tmpl@s1"})
        assert f == []
        rid, out = client.create(T, "c", inputs)
        assert out["origin"] == "zroot/tmpl@s1"
        _, state, read_inputs = client.read(T, "c", rid)
        assert read_inputs["origin"] == "zroot/tmpl@s1"
        news, _ = client.check(T, "c", {"name": "zroot/cl", "origin": "zroot/tmpl@s2"})
        d = client.diff(T, "c", rid, state, news, old_inputs=read_inputs)
        assert list(d.replaces) == ["origin"]
        client.delete(T, "c", rid, state, old_inputs=read_inputs)
    finally:
        testbed.exec("zfs", "destroy", "-R", "zroot/tmpl", check=False)


def test_host_key_mismatch_is_refused_with_fingerprint(testbed):
    c = ProviderClient()
    try:
        cfg = testbed.provider_config()
        # a valid but different ed25519 key
        cfg["hostKey"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
        cfg["privateKey"] = wire.Secret(cfg["privateKey"])
        c.configure(**cfg)
        inputs, _ = c.check(T, "x", {"name": "zroot/never"})
        with pytest.raises(grpc.RpcError) as e:
            c.create(T, "x", inputs)
        msg = e.value.details()
        assert "host key mismatch" in msg and "SHA256:" in msg
        assert "PRIVATE KEY" not in msg
    finally:
        c.close()
    assert testbed.exec("zfs", "list", "zroot/never", check=False).returncode == 1


def test_missing_pin_is_refused(testbed):
    c = ProviderClient()
    try:
        cfg = testbed.provider_config()
        del cfg["hostKey"]
        c.configure(**cfg)
        inputs, _ = c.check(T, "x", {"name": "zroot/never"})
        with pytest.raises(grpc.RpcError) as e:
            c.create(T, "x", inputs)
        assert "no host key to verify" in e.value.details() and "SHA256:" in e.value.details()
    finally:
        c.close()


def test_check_rejects_bad_input_without_touching_the_host(testbed):
    c = ProviderClient()
    try:
        before = len(testbed.log())
        _, failures = c.check(T, "bad", {"name": "zroot/x;reboot", "properties": {"used": "1"}})
        assert {p for p, _ in failures} == {"name", "properties.used"}
        assert len(testbed.log()) == before
    finally:
        c.close()


def test_config_validation():
    c = ProviderClient()
    try:
        _, failures = c.check_config(host="bad host!", port=70000, become="su", hostKey="nope")
        props = {p for p, _ in failures}
        assert {"host", "port", "become", "hostKey"} <= props
        inputs, failures = c.check_config(host="10.0.0.1", port="2222", privateKey=wire.Secret("x" * 10))
        assert inputs["port"] == 2222 and isinstance(inputs["privateKey"], wire.Secret)
        assert all("xxxxxxxxxx" not in r for _, r in failures)
    finally:
        c.close()


OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def _known_hosts_client(testbed, tmp_path, line):
    kh = tmp_path / "known_hosts"
    kh.write_text(line + "\n")
    c = ProviderClient()
    cfg = testbed.provider_config()
    del cfg["hostKey"]
    cfg["knownHostsFile"] = str(kh)
    cfg["privateKey"] = wire.Secret(cfg["privateKey"])
    c.configure(**cfg)
    return c


def test_known_hosts_file_accepts_the_listed_key(testbed, tmp_path):
    port = testbed.info["port"]
    c = _known_hosts_client(testbed, tmp_path, f"[127.0.0.1]:{port} {testbed.info['host_key']}")
    try:
        _, state, inputs = c.read(T, "root", "zroot")
        assert inputs["name"] == "zroot"
    finally:
        c.close()


def test_known_hosts_file_without_the_host_is_refused(testbed, tmp_path):
    before = len(testbed.log())
    c = _known_hosts_client(testbed, tmp_path, f"[127.0.0.1]:1 {testbed.info['host_key']}")
    try:
        with pytest.raises(grpc.RpcError) as e:
            c.read(T, "root", "zroot")
        assert "is not in" in e.value.details() and "SHA256:" in e.value.details()
    finally:
        c.close()
    assert len(testbed.log()) == before  # nothing ran


def test_rotated_key_in_known_hosts_is_refused(testbed, tmp_path):
    """The host now shows another key than the one recorded: refused, with both fingerprints."""
    before = len(testbed.log())
    port = testbed.info["port"]
    c = _known_hosts_client(testbed, tmp_path, f"[127.0.0.1]:{port} {OTHER_KEY}")
    try:
        with pytest.raises(grpc.RpcError) as e:
            c.read(T, "root", "zroot")
        msg = e.value.details()
        assert "host key mismatch" in msg and msg.count("SHA256:") >= 2 and "rotated" in msg
    finally:
        c.close()
    assert len(testbed.log()) == before


BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def test_user_property_values_with_line_breaks_round_trip(client, testbed):
    """Each character str.splitlines() breaks at (but zfs does not) inside a user property value:
    created, read back and imported unchanged. (Before: "unexpected zfs get line" on every read
    of the datasets, this one's and every other's.)"""
    props = {f"com.example:b{ord(c):x}": f"a{c}b" for c in BREAKS}
    inputs, f = client.check(T, "lb", {"name": "zroot/lb", "properties": props})
    assert f == []
    try:
        rid, out = client.create(T, "lb", inputs)
        assert out["properties"] == props and out["guid"]
        client.new_run()
        _, state, read_inputs = client.read(T, "lb", rid, out, inputs)
        assert read_inputs["properties"] == props
        assert client.diff(T, "lb", rid, state, inputs, old_inputs=read_inputs).changes == 1  # DIFF_NONE
        # an unrelated dataset still reads
        client.new_run()
        assert client.read(T, "root", "zroot/lb")[2]["properties"] == props
        client.delete(T, "lb", rid, state, old_inputs=read_inputs)
    finally:
        testbed.exec("zfs", "destroy", "zroot/lb", check=False)


def test_create_that_fails_after_zfs_create_is_recorded(client, testbed, monkeypatch):
    """zfs create ran, then reading the new dataset back failed (here: the parser refuses the
    output, as it did for a value holding \\x0b): the dataset is recorded, so that the next `up`
    updates it and `destroy` removes it. (Before: a plain error, and the dataset was left
    behind, unrecorded; the next create then failed with "dataset already exists".)"""
    from freebsd_provider.host import zfs as hzfs

    def refuse(text):
        raise ValueError("unexpected zfs get line: 'b\\tlocal'")
    inputs, _ = client.check(T, "pf", {"name": "zroot/pfail", "properties": {"atime": "off"}})
    try:
        monkeypatch.setattr(hzfs, "parse_get", refuse)
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "pf", inputs)
        monkeypatch.undo()
        assert "was created" in e.value.details() and "unexpected zfs get line" in e.value.details()
        rid, state = must_init_failed(e.value)
        assert rid == "zroot/pfail" and state["name"] == "zroot/pfail" and state["properties"] == {"atime": "off"}
        assert zget(testbed, "atime", "zroot/pfail") == "off"
        # the engine's next up updates it (nothing to change: the read-back fills the outputs)
        client.new_run()
        out = client.update(T, "pf", rid, state, inputs, old_inputs=inputs)
        assert out["guid"] and out["mountpoint"] == "/zroot/pfail"
        client.delete(T, "pf", rid, out, old_inputs=inputs)
        assert testbed.exec("zfs", "list", "zroot/pfail", check=False).returncode == 1
    finally:
        testbed.exec("zfs", "destroy", "zroot/pfail", check=False)


def test_create_that_loses_the_read_back_is_recorded(client, testbed, monkeypatch):
    """zfs create ran, the read-back step itself failed: recorded too."""
    from freebsd_provider.host import zfs as hzfs
    inputs, _ = client.check(T, "rb", {"name": "zroot/rbfail"})
    try:
        monkeypatch.setattr(hzfs, "GET_FIELDS", "name,property,value,nosuchfield")
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "rb", inputs)
        monkeypatch.undo()
        rid, state = must_init_failed(e.value)
        assert rid == "zroot/rbfail" and state["name"] == "zroot/rbfail"
        assert testbed.exec("zfs", "list", "zroot/rbfail", check=False).returncode == 0
    finally:
        testbed.exec("zfs", "destroy", "zroot/rbfail", check=False)
