"""VnetJail over real gRPC against the testbed: conf file, epair allocation, start verified, drift,
import, restart on conf changes, delete leaves nothing."""
from __future__ import annotations

import pytest

from freebsd_provider import wire
from harness import ProviderClient, kinds

T = "freebsd:index:VnetJail"
pytestmark = pytest.mark.testbed


@pytest.fixture()
def client(testbed):
    c = ProviderClient()
    c.configure(**{**testbed.provider_config(), "privateKey": wire.Secret(testbed.provider_config()["privateKey"])})
    yield c
    c.close()


@pytest.fixture()
def world(testbed):
    testbed.exec("ifconfig", "bridge7", "create", "up")
    for d in ("dev", "etc", "var/log", "tmp", "root"):
        testbed.exec("mkdir", "-p", f"/jails/vj/{d}")
    testbed.exec("sh", "-c", "printf '#!/bin/sh\\nexit 0\\n' > /jails/vj/etc/rc; cp /jails/vj/etc/rc /jails/vj/etc/rc.shutdown")
    yield
    testbed.exec("service", "jail", "onestop", "vj", check=False)
    testbed.exec("rm", "-f", "/etc/jail.conf.d/vj.conf", check=False)
    testbed.exec("ifconfig", "bridge7", "destroy", check=False)
    testbed.exec("rm", "-rf", "/jails/vj", check=False)


def test_check_rejects_bad_input(client, testbed):
    before = len(testbed.log())
    _, f = client.check(T, "j", {"name": "a b", "path": "jails", "bridge": "vtnet0", "epair": "x",
                                 "addresses": ["1.2.3.4"], "sysvipc": "maybe", "allow": ["no thing"],
                                 "parameters": {"exec.start": "x", "ok_name": 'a"b'},
                                 "execHooks": {"prestart": [["logger", "x"]]}, "cpuset": "0-x",
                                 "rctl": ["memoryuse:deny"], "defaultRouter": "1.2.3"})
    assert {p for p, _ in f} == {"name", "path", "bridge", "epair", "addresses[0]", "sysvipc", "allow[0]",
                                 "parameters.exec.start", "parameters.ok_name", "execHooks.prestart[0]",
                                 "cpuset", "rctl[0]", "defaultRouter"}
    assert len(testbed.log()) == before


def test_lifecycle(client, testbed, world):
    spec = {"name": "vj", "path": "/jails/vj", "bridge": "bridge7", "addresses": ["192.168.1.231/24"],
            "defaultRouter": "192.168.1.1", "allow": ["raw_sockets"], "sysvipc": "new"}
    inputs, f = client.check(T, "vj", spec)
    assert f == []
    rid, out = client.create(T, "vj", inputs, preview=True)
    assert rid == "" and out["jid"] == wire.UNKNOWN
    rid, out = client.create(T, "vj", inputs)
    assert rid == "vj" and out["jid"] and out["hostEpair"].startswith("epair") and out["confFile"] == "/etc/jail.conf.d/vj.conf"
    he = out["hostEpair"]
    jls = testbed.exec("jls", "-N").stdout
    assert "vj" in jls
    assert f"member: {he}" in testbed.exec("ifconfig", "bridge7").stdout
    conf = testbed.exec("cat", "/etc/jail.conf.d/vj.conf").stdout
    assert f'vnet.interface = "{out["jailEpair"]}";' in conf and "sysvshm = new;" in conf
    assert "vj" in testbed.exec("sysrc", "-n", "jail_list").stdout.split()

    client.new_run()
    rid2, state, rin = client.read(T, "vj", rid, out, inputs)
    assert rin == inputs, (rin, inputs)
    d = client.diff(T, "vj", rid, state, inputs, old_inputs=rin)
    assert d.changes == d.DIFF_NONE

    # drift: stopped by hand and jail_list word removed
    testbed.exec("service", "jail", "onestop", "vj")
    testbed.exec("sysrc", "jail_list-=vj")
    client.new_run()
    _, state, rin = client.read(T, "vj", rid, state, inputs)
    assert rin["running"] is False and rin["startAtBoot"] is False
    d = client.diff(T, "vj", rid, state, inputs, old_inputs=rin)
    assert set(kinds(d)) == {"running", "startAtBoot"}
    out = client.update(T, "vj", rid, state, inputs, old_inputs=rin)
    assert out["jid"] and "vj" in testbed.exec("jls", "-N").stdout

    # address change: update with restart
    news, _ = client.check(T, "vj", {**spec, "addresses": ["192.168.1.232/24"]})
    d = client.diff(T, "vj", rid, out, news, old_inputs=inputs)
    assert kinds(d) == {"addresses": "UPDATE"} and list(d.replaces) == []
    out = client.update(T, "vj", rid, out, news, old_inputs=inputs)
    assert "192.168.1.232/24" in testbed.exec("cat", "/etc/jail.conf.d/vj.conf").stdout
    assert out["hostEpair"] == he

    # import by id rebuilds the inputs from the conf file
    client.new_run()
    rid3, st3, imp = client.read(T, "vj", rid)
    assert rid3 == "vj" and imp["addresses"] == ["192.168.1.232/24"] and imp["epair"] == he[:-1]
    assert imp["allow"] == ["raw_sockets"] and imp["sysvipc"] == "new"

    client.delete(T, "vj", rid, out, old_inputs=news)
    assert "vj" not in testbed.exec("jls", "-N").stdout
    assert testbed.exec("test", "-e", "/etc/jail.conf.d/vj.conf", check=False).returncode != 0
    assert he not in testbed.exec("ifconfig", "-l").stdout
    assert "vj" not in testbed.exec("sysrc", "-n", "jail_list", check=False).stdout.split()
    client.new_run()
    assert client.read(T, "vj", rid, out, news)[0] == ""
    client.delete(T, "vj", rid, out, old_inputs=news)
