"""JailPackage over real gRPC against the testbed: bootstrap, install, drift, import, delete."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import kinds
from jailhelp import client_for, drop_jail, make_jail

T = "freebsd:index:JailPackage"
J = "pkgjail"
pytestmark = pytest.mark.testbed


@pytest.fixture(scope="module")
def jail(testbed):
    make_jail(testbed, J)
    yield J
    drop_jail(testbed, J)


@pytest.fixture()
def client(testbed):
    c = client_for(testbed)
    yield c
    c.close()


def installed(testbed, name):
    return testbed.exec("jexec", J, "pkg", "info", "-e", name, check=False).returncode == 0


def test_check_failures(client):
    _, failures = client.check(T, "p", {"jail": J, "packages": ["nginx", "-f", "nginx; reboot", "pkg"]})
    assert {p for p, _ in failures} == {"packages[1]", "packages[2]", "packages[3]"}
    _, failures = client.check(T, "p", {"jail": "bad jail", "packages": ["nginx"]})
    assert [p for p, _ in failures] == ["jail"]


def test_lifecycle(client, testbed, jail):
    inputs, failures = client.check(T, "p", {"jail": J, "packages": ["nginx"]})
    assert failures == []

    # preview: nothing happens, outputs unknown
    rid, out = client.create(T, "p", inputs, preview=True)
    assert rid == "" and out["installed"] == wire.UNKNOWN
    assert testbed.exec("test", "-e", f"/jails/{J}/usr/local/sbin/pkg", check=False).returncode == 1

    rid, out = client.create(T, "p", inputs)
    assert rid == f"{J}:nginx"
    assert out["bootstrappedPkg"] is True and out["installed"]["nginx"]
    assert "pcre2" in out["addedDependencies"]
    assert installed(testbed, "nginx")

    # no-op diff
    d = client.diff(T, "p", rid, out, inputs, old_inputs=inputs)
    assert d.changes == d.DIFF_NONE

    # add vim in place
    news, _ = client.check(T, "p", {"jail": J, "packages": ["nginx", "vim"]})
    d = client.diff(T, "p", rid, out, news, old_inputs=inputs)
    assert kinds(d) == {"packages": "UPDATE"} and list(d.replaces) == []
    out = client.update(T, "p", rid, out, news, old_inputs=inputs)
    assert set(out["installed"]) == {"nginx", "vim"} and installed(testbed, "vim")

    # drift: vim deleted by hand
    testbed.exec("jexec", J, "pkg", "delete", "-y", "vim")
    client.new_run()
    rid2, state, read_inputs = client.read(T, "p", rid, out, news)
    assert rid2 == rid and read_inputs["packages"] == ["nginx"]
    d = client.diff(T, "p", rid, state, news, old_inputs=read_inputs)
    assert kinds(d) == {"packages": "UPDATE"}
    out = client.update(T, "p", rid, state, news, old_inputs=read_inputs)
    assert installed(testbed, "vim")

    # remove vim again: deleted in place, nginx stays
    news2, _ = client.check(T, "p", {"jail": J, "packages": ["nginx"]})
    out = client.update(T, "p", rid, out, news2, old_inputs=news)
    assert not installed(testbed, "vim") and installed(testbed, "nginx")

    # import by id
    client.new_run()
    rid3, st3, imp = client.read(T, "p", f"{J}:nginx")
    assert rid3 == f"{J}:nginx" and imp == {"jail": J, "packages": ["nginx"]}

    # delete: nginx and its dependency pcre2 go, pkg stays
    client.delete(T, "p", rid, out, old_inputs=news2)
    assert not installed(testbed, "nginx") and not installed(testbed, "pcre2")
    assert installed(testbed, "pkg")
    client.new_run()
    assert client.read(T, "p", rid, out, news2)[0] == ""
    # delete of something already gone
    client.delete(T, "p", rid, out, old_inputs=news2)


def test_delete_keeps_what_others_need(client, testbed, jail):
    a, _ = client.check(T, "srv", {"jail": J, "packages": ["postgresql17-server"]})
    rid_a, out_a = client.create(T, "srv", a)
    b, _ = client.check(T, "cli", {"jail": J, "packages": ["postgresql17-client"]})
    rid_b, out_b = client.create(T, "cli", b)
    # the client is needed by the server: deleting "cli" must not take the server along
    client.delete(T, "cli", rid_b, out_b, old_inputs=b)
    assert installed(testbed, "postgresql17-server") and installed(testbed, "postgresql17-client")
    client.delete(T, "srv", rid_a, out_a, old_inputs=a)
    assert not installed(testbed, "postgresql17-server")


def test_unknown_package_fails_cleanly(client, jail):
    a, _ = client.check(T, "bad", {"jail": J, "packages": ["nosuchpkg"]})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "bad", a)
    assert "No packages available to install matching 'nosuchpkg'" in e.value.details()


def test_jail_not_running(client):
    a, _ = client.check(T, "nj", {"jail": "nosuchjail", "packages": ["nginx"]})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "nj", a)
    assert "not running" in e.value.details()
