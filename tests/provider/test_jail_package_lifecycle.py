"""JailPackage over real gRPC against the testbed: bootstrap, install, drift, import, delete."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import init_failed, kinds
from jailhelp import drop_jail, make_jail

T = "freebsd:index:JailPackage"
J = "pkgjail"
pytestmark = pytest.mark.testbed


@pytest.fixture(scope="module")
def jail(testbed):
    make_jail(testbed, J)
    yield J
    drop_jail(testbed, J)


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


def test_round_trips(client, testbed, execs):
    """Create/update/delete are one read plus one batch; the batch's closing read is shared."""
    j = "pkgrt"
    make_jail(testbed, j)
    try:
        def count(fn):
            client.new_run()
            execs.clear()
            r = fn()
            return r, len(execs)

        a, _ = client.check(T, "rt", {"jail": j, "packages": ["nginx"]})
        (rid, out), n = count(lambda: client.create(T, "rt", a))
        assert n == 2 and out["bootstrappedPkg"] is True and "pcre2" in out["addedDependencies"]
        # the create's closing state read is the jail's shared fact: a second create reuses it
        b, _ = client.check(T, "rt2", {"jail": j, "packages": ["vim"]})
        execs.clear()
        rid2, out2 = client.create(T, "rt2", b)
        assert len(execs) == 1 and out2["bootstrappedPkg"] is False and installed_in(testbed, j, "vim")
        # update: add and remove at once
        c, _ = client.check(T, "rt", {"jail": j, "packages": ["curl"]})
        out, n = count(lambda: client.update(T, "rt", rid, out, c, old_inputs=a))
        assert n == 3 and set(out["installed"]) == {"curl"}
        assert not installed_in(testbed, j, "nginx") and not installed_in(testbed, j, "pcre2")
        _, n = count(lambda: client.delete(T, "rt", rid, out, old_inputs=c))
        assert n == 2 and not installed_in(testbed, j, "curl") and installed_in(testbed, j, "vim")
        # nothing to do: one read
        (_, out2b), n = count(lambda: client.create(T, "rt2", b))
        assert n == 1 and out2b["installed"] == out2["installed"] and out2b["addedDependencies"] == []

        # pkg's binary gone but its database kept: bootstrap again, install only what is missing
        testbed.exec("rm", "-f", f"/jails/{j}/usr/local/sbin/pkg")
        d, _ = client.check(T, "rt3", {"jail": j, "packages": ["vim", "nginx"]})
        (rid3, out3), n = count(lambda: client.create(T, "rt3", d))
        assert n == 3 and out3["bootstrappedPkg"] is True
        assert out3["installed"]["vim"] == out2["installed"]["vim"] and "pcre2" in out3["addedDependencies"]
        assert "pkg" not in out3["addedDependencies"]
    finally:
        drop_jail(testbed, j)


def installed_in(testbed, jail, name):
    return testbed.exec("jexec", jail, "pkg", "info", "-e", name, check=False).returncode == 0


def test_jail_down(client, testbed, jail):
    """A stopped jail: refresh keeps what was known (the packages are on its dataset, nothing
    can be read), update fails saying the jail is not running, and records nothing."""
    a, _ = client.check(T, "dn", {"jail": J, "packages": ["vim"]})
    client.new_run()
    rid, out = client.create(T, "dn", a)
    assert installed(testbed, "vim")
    testbed.exec("jail", "-r", J)
    try:
        client.new_run()
        rid2, state, read_inputs = client.read(T, "dn", rid, out, a)
        assert rid2 == rid and read_inputs == a and state == out
        b, _ = client.check(T, "dn", {"jail": J, "packages": ["vim", "curl"]})
        client.new_run()
        with pytest.raises(grpc.RpcError) as e:
            client.update(T, "dn", rid, out, b, old_inputs=a)
        assert f"jail {J} is not running" in e.value.details()
        assert "grpc-status-details-bin" not in dict(e.value.trailing_metadata())
    finally:
        testbed.exec("jail", "-c", f"name={J}", f"path=/jails/{J}", f"host.hostname={J}", "persist")
    client.new_run()
    client.delete(T, "dn", rid, out, old_inputs=a)
    assert not installed(testbed, "vim")


def test_failed_create_after_bootstrap_is_recorded(client, testbed):
    """pkg bootstrapped, then the install fails: the resource is recorded with what it did."""
    j = "pkgpf"
    make_jail(testbed, j)
    try:
        a, _ = client.check(T, "pf", {"jail": j, "packages": ["vim", "nosuchpkg"]})
        client.new_run()
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "pf", a)
        assert f"pkg was bootstrapped in jail {j}" in e.value.details()
        assert "No packages available to install matching 'nosuchpkg'" in e.value.details()
        got = init_failed(e.value)
        assert got is not None and got[0] == f"{j}:vim,nosuchpkg"
        state = got[1]
        assert state["bootstrappedPkg"] is True and state["installed"] == {} and state["addedDependencies"] == []
        assert not installed_in(testbed, j, "vim") and installed_in(testbed, j, "pkg")
        # the next `up` finishes it
        b, _ = client.check(T, "pf", {"jail": j, "packages": ["vim"]})
        client.new_run()
        out = client.update(T, "pf", got[0], state, b, old_inputs=a)
        assert out["bootstrappedPkg"] is True and set(out["installed"]) == {"vim"}
        client.delete(T, "pf", got[0], out, old_inputs=b)
        assert not installed_in(testbed, j, "vim")
    finally:
        drop_jail(testbed, j)


def test_failed_update_is_recorded(client, testbed, jail):
    """The install ran, the delete's exec failed: the packages installed are recorded, and the
    one that was to leave is still declared so that the next `up` deletes it."""
    a, _ = client.check(T, "fu", {"jail": J, "packages": ["curl"]})
    client.new_run()
    rid, out = client.create(T, "fu", a)
    b, _ = client.check(T, "fu", {"jail": J, "packages": ["vim"]})
    client.new_run()
    testbed.fault("--fail-next", r"pkg delete -y curl")
    try:
        with pytest.raises(grpc.RpcError) as e:
            client.update(T, "fu", rid, out, b, old_inputs=a)
    finally:
        testbed.fault("--clear")
    assert installed(testbed, "vim") and installed(testbed, "curl")
    got = init_failed(e.value)
    assert got is not None and got[0] == rid
    state = got[1]
    assert state["packages"] == ["vim", "curl"] and set(state["installed"]) == {"vim", "curl"}
    client.new_run()
    out = client.update(T, "fu", rid, state, b, old_inputs={"jail": J, "packages": state["packages"]})
    assert not installed(testbed, "curl") and set(out["installed"]) == {"vim"}
    client.delete(T, "fu", rid, out, old_inputs=b)
    assert not installed(testbed, "vim")
