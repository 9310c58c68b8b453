"""JailService over real gRPC against the testbed: enable/start, rc vars, init once, drift,
restartOn, import, delete."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import init_failed, kinds, must_init_failed
from jailhelp import drop_jail, make_jail

T = "freebsd:index:JailService"
J = "svcjail"
pytestmark = pytest.mark.testbed


@pytest.fixture(scope="module")
def jail(testbed):
    make_jail(testbed, J)
    testbed.exec("jail", "-m", f"name={J}", "sysvshm=new", "sysvmsg=new", "sysvsem=new", check=False)
    testbed.exec("sh", "-c", 'jexec "$1" env ASSUME_ALWAYS_YES=yes pkg bootstrap >/dev/null && '
                             'jexec "$1" pkg install -y nginx postgresql17-server >/dev/null', "sh", J)
    yield J
    drop_jail(testbed, J)


def rcconf(testbed):
    return testbed.exec("sysrc", "-j", J, "-a").stdout


def running(testbed, svc):
    return testbed.exec("service", "-j", J, svc, "onestatus", check=False).returncode == 0


def test_check_failures(client):
    _, f = client.check(T, "s", {"jail": J, "service": "ng;inx", "rcVars": {"nginx_flags": "`x`"},
                                 "initGuard": "rel"})
    assert {p for p, _ in f} == {"service", "rcVars.nginx_flags", "initGuard"}


def test_nginx_lifecycle(client, testbed, jail):
    inputs, f = client.check(T, "ng", {"jail": J, "service": "nginx"})
    assert f == [] and inputs["enabled"] is True and inputs["running"] is True
    rid, out = client.create(T, "ng", inputs, preview=True)
    assert rid == "" and out["initialized"] == wire.UNKNOWN
    assert "nginx_enable" not in rcconf(testbed)

    rid, out = client.create(T, "ng", inputs)
    assert rid == f"{J}:nginx"
    assert "nginx_enable: YES" in rcconf(testbed) and running(testbed, "nginx")

    d = client.diff(T, "ng", rid, out, inputs, old_inputs=inputs)
    assert d.changes == d.DIFF_NONE

    # drift: stopped by hand, rc var changed by hand
    testbed.exec("service", "-j", J, "nginx", "stop")
    testbed.exec("sysrc", "-j", J, "nginx_enable=NO")
    client.new_run()
    _, state, read_inputs = client.read(T, "ng", rid, out, inputs)
    assert read_inputs["running"] is False and read_inputs["enabled"] is False
    d = client.diff(T, "ng", rid, state, inputs, old_inputs=read_inputs)
    assert kinds(d) == {"running": "UPDATE", "enabled": "UPDATE"} and not d.replaces
    out = client.update(T, "ng", rid, state, inputs, old_inputs=read_inputs)
    assert running(testbed, "nginx") and "nginx_enable: YES" in rcconf(testbed)

    # rcVars + restartOn: update in place, restarts
    pid_before = testbed.exec("service", "-j", J, "nginx", "onestatus").stdout
    news, _ = client.check(T, "ng", {"jail": J, "service": "nginx", "rcVars": {"nginx_profiles": "a"},
                                     "restartOn": ["h2"]})
    d = client.diff(T, "ng", rid, out, news, old_inputs=inputs)
    assert kinds(d) == {"rcVars.nginx_profiles": "ADD", "restartOn": "UPDATE"} and not d.replaces
    out = client.update(T, "ng", rid, out, news, old_inputs=inputs)
    assert "nginx_profiles: a" in rcconf(testbed) and running(testbed, "nginx")
    assert testbed.exec("service", "-j", J, "nginx", "onestatus").stdout != pid_before

    # import by id
    client.new_run()
    _, _, imp = client.read(T, "ng", rid)
    assert imp["service"] == "nginx" and imp["enabled"] is True and imp["running"] is True
    assert imp["rcVars"] == {"nginx_profiles": "a"}

    # delete: stopped, variables gone
    client.delete(T, "ng", rid, out, old_inputs=news)
    assert not running(testbed, "nginx")
    assert "nginx_" not in rcconf(testbed)
    client.new_run()
    # delete again: nothing to do
    client.delete(T, "ng", rid, out, old_inputs=news)


def test_postgresql_init_once(client, testbed, jail):
    guard = "/var/db/postgres/data17/PG_VERSION"
    inputs, f = client.check(T, "pg", {"jail": J, "service": "postgresql", "initCommand": ["initdb"],
                                       "initGuard": guard})
    assert f == []
    rid, out = client.create(T, "pg", inputs)
    assert out["initialized"] is True and running(testbed, "postgresql")
    assert testbed.exec("jexec", J, "test", "-e", guard, check=False).returncode == 0
    # an update never re-initializes an existing cluster
    testbed.exec("sh", "-c", 'echo marker > "$1"', "sh", f"/jails/{J}/var/db/postgres/data17/marker")
    news, _ = client.check(T, "pg", {**inputs, "restartOn": ["x"]})
    out = client.update(T, "pg", rid, out, news, old_inputs=inputs)
    assert testbed.exec("test", "-e", f"/jails/{J}/var/db/postgres/data17/marker", check=False).returncode == 0
    client.delete(T, "pg", rid, out, old_inputs=news)
    assert not running(testbed, "postgresql") and "postgresql_enable" not in rcconf(testbed)


def test_missing_service_fails(client, testbed, jail):
    inputs, _ = client.check(T, "x", {"jail": J, "service": "nosuchd"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "x", inputs)
    assert "service nosuchd does not exist in jail" in e.value.details()
    assert "nosuchd" not in testbed.exec("sysrc", "-j", J, "-a").stdout


def test_round_trips(client, testbed, jail, execs):
    """Create/update/delete: one exec reads, one exec writes (and checks the start)."""
    def count(fn):
        client.new_run()
        execs.clear()
        r = fn()
        return r, len(execs)

    # postgresql as in the tutorial: enable, initdb once, start, checked with onestatus
    testbed.exec("rm", "-rf", f"/jails/{J}/var/db/postgres/data17")
    guard = "/var/db/postgres/data17/PG_VERSION"
    pg, _ = client.check(T, "pgrt", {"jail": J, "service": "postgresql", "initCommand": ["initdb"],
                                     "initGuard": guard})
    (rid, out), n = count(lambda: client.create(T, "pgrt", pg))
    assert n == 2 and out["initialized"] is True and running(testbed, "postgresql")
    assert testbed.exec("jexec", J, "test", "-e", guard, check=False).returncode == 0
    pg2, _ = client.check(T, "pgrt", {**pg, "rcVars": {"postgresql_flags": "-w -s -m fast"},
                                      "restartOn": ["h1"]})
    out, n = count(lambda: client.update(T, "pgrt", rid, out, pg2, old_inputs=pg))
    assert n == 2 and "postgresql_flags: -w -s -m fast" in rcconf(testbed) and running(testbed, "postgresql")
    pg3, _ = client.check(T, "pgrt", {**pg2, "running": False, "rcVars": {}})
    out, n = count(lambda: client.update(T, "pgrt", rid, out, pg3, old_inputs=pg2))
    assert n == 2 and not running(testbed, "postgresql") and "postgresql_flags" not in rcconf(testbed)
    _, n = count(lambda: client.delete(T, "pgrt", rid, out, old_inputs=pg3))
    assert n == 2 and "postgresql_enable" not in rcconf(testbed)

    # a service already running: onestart's "already running" is fine, then one more onestatus
    testbed.exec("service", "-j", J, "nginx", "onestart")
    ng, _ = client.check(T, "ngrt", {"jail": J, "service": "nginx"})
    (nrid, nout), n = count(lambda: client.create(T, "ngrt", ng))
    assert n == 3 and running(testbed, "nginx") and "nginx_enable: YES" in rcconf(testbed)
    _, n = count(lambda: client.delete(T, "ngrt", nrid, nout, old_inputs=ng))
    assert n == 2 and not running(testbed, "nginx") and "nginx_" not in rcconf(testbed)


def test_failed_init_is_recorded(client, testbed, jail):
    """A failure after the variables are set is a partial failure: the state keeps them."""
    inputs, _ = client.check(T, "bad", {"jail": J, "service": "nginx", "initCommand": ["configtest"],
                                        "initGuard": "/nonexistent"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "bad", inputs)
    assert "succeeded but /nonexistent (initGuard) does not exist" in e.value.details()
    assert "nginx_enable: YES" in rcconf(testbed) and not running(testbed, "nginx")
    rid, state = must_init_failed(e.value)
    assert rid == f"{J}:nginx"
    assert state["initialized"] is False and state["previousValues"] == {}
    client.delete(T, "bad", rid, state, old_inputs=inputs)
    assert "nginx_enable" not in rcconf(testbed)


def test_jail_down(client, testbed, jail):
    """A stopped jail: refresh keeps what was known and reports the service as not running
    (drift the next `up` repairs once the jail runs); create and update fail saying the jail is
    not running, and record nothing."""
    inputs, _ = client.check(T, "dn", {"jail": J, "service": "nginx", "rcVars": {"nginx_profiles": "p"}})
    client.new_run()
    rid, out = client.create(T, "dn", inputs)
    assert running(testbed, "nginx")
    testbed.exec("jail", "-r", J)
    try:
        client.new_run()
        rid2, state, read_inputs = client.read(T, "dn", rid, out, inputs)
        assert rid2 == rid and read_inputs["running"] is False and state["running"] is False
        assert read_inputs["enabled"] is True and read_inputs["rcVars"] == {"nginx_profiles": "p"}
        assert state["previousValues"] == out["previousValues"] and state["initialized"] == out["initialized"]
        d = client.diff(T, "dn", rid, state, inputs, old_inputs=read_inputs)
        assert kinds(d) == {"running": "UPDATE"} and not d.replaces

        client.new_run()
        with pytest.raises(grpc.RpcError) as e:
            client.update(T, "dn", rid, state, inputs, old_inputs=read_inputs)
        assert f"jail {J} is not running" in e.value.details() and init_failed(e.value) is None

        other, _ = client.check(T, "dn2", {"jail": J, "service": "postgresql"})
        client.new_run()
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "dn2", other)
        assert f"jail {J} is not running" in e.value.details() and init_failed(e.value) is None
    finally:
        testbed.exec("jail", "-c", f"name={J}", f"path=/jails/{J}", f"host.hostname={J}", "persist",
                     "sysvshm=new", "sysvmsg=new", "sysvsem=new")
    client.new_run()
    out = client.update(T, "dn", rid, state, inputs, old_inputs=read_inputs)
    assert running(testbed, "nginx") and "nginx_profiles: p" in rcconf(testbed)
    client.delete(T, "dn", rid, out, old_inputs=inputs)
    assert not running(testbed, "nginx") and "nginx_" not in rcconf(testbed)


def test_failed_update_is_recorded(client, testbed, jail):
    """An update that fails after setting a variable it newly manages records the new inputs and
    the value that variable had before, so delete restores it."""
    inputs, _ = client.check(T, "up", {"jail": J, "service": "nginx"})
    client.new_run()
    rid, out = client.create(T, "up", inputs)
    testbed.exec("sysrc", "-j", J, "nginx_profiles=old")
    news, _ = client.check(T, "up", {"jail": J, "service": "nginx", "rcVars": {"nginx_profiles": "new"},
                                     "initCommand": ["configtest"], "initGuard": "/nonexistent"})
    client.new_run()
    with pytest.raises(grpc.RpcError) as e:
        client.update(T, "up", rid, out, news, old_inputs=inputs)
    assert "succeeded but /nonexistent (initGuard) does not exist" in e.value.details()
    assert "nginx_profiles: new" in rcconf(testbed)
    got = init_failed(e.value)
    assert got is not None and got[0] == rid
    state = got[1]
    assert state["rcVars"] == {"nginx_profiles": "new"} and state["initialized"] is False
    assert state["previousValues"] == {"nginx_profiles": "old"}
    client.new_run()
    client.delete(T, "up", rid, state, old_inputs=news)
    assert "nginx_profiles: old" in rcconf(testbed) and "nginx_enable" not in rcconf(testbed)
    testbed.exec("sysrc", "-j", J, "-x", "nginx_profiles")
