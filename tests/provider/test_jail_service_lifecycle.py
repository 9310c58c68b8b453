"""JailService over real gRPC against the testbed: enable/start, rc vars, init once, drift,
restartOn, import, delete."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import kinds
from jailhelp import client_for, drop_jail, make_jail

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


@pytest.fixture()
def client(testbed):
    c = client_for(testbed)
    yield c
    c.close()


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
