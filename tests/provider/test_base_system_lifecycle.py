"""BaseSystem over real gRPC against the testbed (its fetch serves a generated base.txz)."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import kinds, must_init_failed

T = "freebsd:index:BaseSystem"
pytestmark = pytest.mark.testbed
P = "/jails/bstest/base"


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


def execs(client) -> int:
    return client.servicer._conn.round_trips


def test_one_exec_per_create_update_delete(client, testbed, dataset):
    inputs, _ = client.check(T, "o", {"path": P, "release": "15.0-RELEASE"})
    client.read(T, "warm", "/jails/bstest/none")  # connect
    n = execs(client)
    rid, out = client.create(T, "o", inputs)
    assert execs(client) - n == 1 and out["installedRelease"] == "15.0-RELEASE"
    marker = testbed.exec("cat", f"{P}/var/db/pulumi-freebsd-base").stdout
    assert marker == ("release=15.0-RELEASE\narch=amd64\nsets=base.txz\n"
                      "mirror=https://download.freebsd.org/releases\n"
                      "urn=urn:pulumi:test::proj::freebsd:index:BaseSystem::o\n")
    assert testbed.exec("cmp", "/etc/localtime", f"{P}/etc/localtime", check=False).returncode == 0
    # update: the copies, the marker when the mirror changed, and the inspect
    news, _ = client.check(T, "o", {"path": P, "release": "15.0-RELEASE", "mirror": "https://download.freebsd.org/releases/"})
    n = execs(client)
    out = client.update(T, "o", rid, out, news, old_inputs=inputs)
    assert execs(client) - n == 1 and out["installedRelease"] == "15.0-RELEASE"
    assert testbed.exec("cat", f"{P}/var/db/pulumi-freebsd-base").stdout.endswith(
        "mirror=https://download.freebsd.org/releases/\nurn=urn:pulumi:test::proj::freebsd:index:BaseSystem::o\n")
    n = execs(client)
    client.delete(T, "o", rid, out, old_inputs=news)
    assert execs(client) - n == 1
    assert testbed.exec("sh", "-c", f"ls -A {P}").stdout.strip() == ""
    n = execs(client)
    client.delete(T, "o", rid, out, old_inputs=news)  # nothing left: one exec, no error
    assert execs(client) - n == 1


def test_failed_fetch_names_it_cleans_up_and_records_the_partial_tree(client, testbed, dataset):
    """base.txz is extracted, then the fetch of games.txz fails (the mirror has none): the temp
    dir goes, and the tree is recorded as it is (a partial failure, its marker listing only
    base.txz), so that a refresh shows the missing set and delete can empty the tree. (Before:
    nothing was recorded and the half tree, without a marker, blocked every later create.)"""
    inputs, _ = client.check(T, "f", {"path": P, "release": "15.0-RELEASE", "distSets": ["base.txz", "games.txz"]})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "f", inputs)
    assert "/usr/bin/fetch" in e.value.details() and "games.txz" in e.value.details()
    tmp = testbed.exec("sh", "-c", "ls -d /tmp/pulumi-freebsd-base.* 2>/dev/null || true").stdout
    assert tmp.strip() == ""
    rid, state = must_init_failed(e.value)
    assert rid == P and state["distSets"] == ["base.txz"] and state["installedRelease"] == "15.0-RELEASE"
    assert state["copyResolvConf"] is False and state["copyLocaltime"] is False
    assert "sets=base.txz\n" in testbed.exec("cat", f"{P}/var/db/pulumi-freebsd-base").stdout
    # refresh: the missing set is drift that replaces the tree
    client.new_run()
    _, state, ri = client.read(T, "f", rid, state, inputs)
    assert ri["distSets"] == ["base.txz"]
    assert "distSets" in client.diff(T, "f", rid, state, inputs, old_inputs=ri).replaces
    client.delete(T, "f", rid, state, old_inputs=ri)
    assert testbed.exec("sh", "-c", f"ls -A {P}").stdout.strip() == ""


def test_a_failed_first_fetch_records_nothing(client, testbed, dataset):
    inputs, _ = client.check(T, "g", {"path": P, "release": "15.0-RELEASE", "distSets": ["games.txz"]})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "g", inputs)
    assert "games.txz" in e.value.details() and "grpc-status-details-bin" not in dict(e.value.trailing_metadata())
    assert testbed.exec("sh", "-c", f"ls -A {P}").stdout.strip() == ""
    assert testbed.exec("sh", "-c", "ls -d /tmp/pulumi-freebsd-base.* 2>/dev/null; true").stdout.strip() == ""


def test_create_refuses_an_existing_tree_or_marker_without_changing_it(client, testbed, dataset):
    inputs, _ = client.check(T, "x", {"path": P, "release": "15.0-RELEASE"})
    testbed.exec("sh", "-c", f"mkdir -p {P}/var/db && echo release=14.3-RELEASE > {P}/var/db/pulumi-freebsd-base")
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "x", inputs)
    assert "already holds a base system" in e.value.details()
    assert testbed.exec("sh", "-c", f"ls -A {P}").stdout.split() == ["var"]
    tmp = testbed.exec("sh", "-c", "ls -d /tmp/pulumi-freebsd-base.* 2>/dev/null || true").stdout
    assert tmp.strip() == ""
    # a marker without any KEY=VALUE line does not count (as parse_inspect reads it)
    testbed.exec("sh", "-c", f": > {P}/var/db/pulumi-freebsd-base")
    rid, out = client.create(T, "x", inputs)
    assert out["installedRelease"] == "15.0-RELEASE"
    client.delete(T, "x", rid, out, old_inputs=inputs)


def test_delete_of_a_marker_only_tree_and_an_empty_dir(client, testbed, dataset):
    # marker but no bin/sh: still ours, emptied
    testbed.exec("sh", "-c", f"mkdir -p {P}/var/db {P}/usr && echo release=15.0-RELEASE > {P}/var/db/pulumi-freebsd-base")
    client.delete(T, "d", P, {}, old_inputs={"path": P, "release": "15.0-RELEASE"})
    assert testbed.exec("sh", "-c", f"ls -A {P}").stdout.strip() == ""
    # an unrelated file and no bin/sh: nothing to delete, left alone
    testbed.exec("sh", "-c", f"echo keep > {P}/keep")
    client.delete(T, "d", P, {}, old_inputs={"path": P, "release": "15.0-RELEASE"})
    assert testbed.exec("cat", f"{P}/keep").stdout == "keep\n"
