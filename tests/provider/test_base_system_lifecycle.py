"""BaseSystem over real gRPC against the testbed (its fetch serves a generated base.txz)."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import ProviderClient, kinds

T = "freebsd:index:BaseSystem"
pytestmark = pytest.mark.testbed
P = "/jails/bstest/base"


@pytest.fixture()
def client(testbed):
    c = ProviderClient()
    c.configure(**{**testbed.provider_config(), "privateKey": wire.Secret(testbed.provider_config()["privateKey"])})
    yield c
    c.close()


@pytest.fixture()
def dataset(testbed):
    testbed.exec("zfs", "create", "-p", "-o", "mountpoint=/jails/bstest", "zroot/bstest")
    testbed.exec("zfs", "create", "zroot/bstest/base")
    yield
    testbed.exec("zfs", "destroy", "-r", "zroot/bstest", check=False)


def test_check_rejects_bad_input_without_touching_the_host(client, testbed):
    before = len(testbed.log())
    _, f = client.check(T, "b", {"path": "/", "release": "15.0-RELEASE;reboot",
                                 "mirror": "ftp://x/$(id)", "arch": "sparc64", "distSets": ["../x.txz"]})
    assert {p for p, _ in f} == {"path", "release", "mirror", "arch", "distSets[0]"}
    assert len(testbed.log()) == before


def test_lifecycle(client, testbed, dataset):
    inputs, f = client.check(T, "b", {"path": P, "release": "15.0-RELEASE"})
    assert f == [] and inputs["distSets"] == ["base.txz"] and inputs["arch"] == "amd64"
    assert inputs["mirror"] == "https://download.freebsd.org/releases"
    rid, out = client.create(T, "b", inputs, preview=True)
    assert out["installedRelease"] == wire.UNKNOWN

    rid, out = client.create(T, "b", inputs)
    assert rid == P and out["installedRelease"] == "15.0-RELEASE"
    assert testbed.exec("test", "-x", f"{P}/bin/sh", check=False).returncode == 0
    assert testbed.exec("cmp", "/etc/resolv.conf", f"{P}/etc/resolv.conf", check=False).returncode == 0
    tmp = testbed.exec("sh", "-c", "ls -d /tmp/pulumi-freebsd-base.* 2>/dev/null || true").stdout
    assert tmp.strip() == ""  # temp files removed

    client.new_run()
    _, state, ri = client.read(T, "b", rid, out, inputs)
    assert ri == inputs
    d = client.diff(T, "b", rid, state, inputs, old_inputs=ri)
    assert d.changes == d.DIFF_NONE

    news, _ = client.check(T, "b", {"path": P, "release": "14.3-RELEASE"})
    d = client.diff(T, "b", rid, state, news, old_inputs=inputs)
    assert list(d.replaces) == ["release"]

    # drift: resolv.conf in the tree changed by hand
    testbed.exec("sh", "-c", f"echo 'nameserver 9.9.9.9' > {P}/etc/resolv.conf")
    client.new_run()
    _, state, ri = client.read(T, "b", rid, state, inputs)
    assert ri["copyResolvConf"] is False
    assert kinds(client.diff(T, "b", rid, state, inputs, old_inputs=ri)) == {"copyResolvConf": "UPDATE"}
    state = client.update(T, "b", rid, state, inputs, old_inputs=ri)
    assert testbed.exec("cmp", "/etc/resolv.conf", f"{P}/etc/resolv.conf", check=False).returncode == 0

    # import by id
    client.new_run()
    rid2, ist, imp = client.read(T, "b", rid)
    assert rid2 == rid and imp["release"] == "15.0-RELEASE" and imp["distSets"] == ["base.txz"]
    checked, f = client.check(T, "b", imp)
    d = client.diff(T, "b", rid, ist, checked, old_inputs=imp)
    assert f == [] and d.changes == d.DIFF_NONE

    # creating over an existing tree is refused
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "b2", inputs)
    assert "pulumi import" in e.value.details()

    # delete empties the tree but keeps the mountpoint directory
    client.delete(T, "b", rid, state, old_inputs=inputs)
    assert testbed.exec("sh", "-c", f"ls -A {P}").stdout.strip() == ""
    assert testbed.exec("test", "-d", P, check=False).returncode == 0
    rid3, _, _ = client.read(T, "b", rid, state, inputs)
    assert rid3 == ""
    client.delete(T, "b", rid, state, old_inputs=inputs)  # already gone: fine


def test_delete_refuses_a_tree_it_did_not_install(client, testbed, dataset):
    testbed.exec("sh", "-c", f"mkdir -p {P}/bin && echo x > {P}/bin/sh")
    with pytest.raises(grpc.RpcError) as e:
        client.delete(T, "b", P, {}, old_inputs={"path": P, "release": "15.0-RELEASE"})
    assert "refusing to empty" in e.value.details()
    assert testbed.exec("test", "-e", f"{P}/bin/sh", check=False).returncode == 0


def test_missing_directory_and_bad_release(client, testbed):
    inputs, _ = client.check(T, "m", {"path": "/jails/nowhere/base", "release": "15.0-RELEASE"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "m", inputs)
    assert "does not exist" in e.value.details()
