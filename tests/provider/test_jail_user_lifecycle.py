"""JailUser over real gRPC against the testbed: create, read, drift made by hand, update in
place, replace on name, import, a stopped jail, delete (with and without removeHome), partial
failure."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import failing_next, init_failed, kinds, must_init_failed
from jailhelp import drop_jail, make_jail
from pulumi.runtime.proto import provider_pb2

T = "freebsd:index:JailUser"
J = "userjail"
pytestmark = pytest.mark.testbed


@pytest.fixture(scope="module")
def jail(testbed):
    make_jail(testbed, J)
    testbed.exec("jexec", J, "pw", "groupadd", "devs")
    testbed.exec("jexec", J, "pw", "groupadd", "ops")
    yield J
    drop_jail(testbed, J)


def passwd(testbed, name):
    r = testbed.exec("jexec", J, "pw", "usershow", "-n", name, "-7", check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def group_line(testbed, name):
    r = testbed.exec("jexec", J, "pw", "groupshow", "-n", name, check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def exists(testbed, path):
    return testbed.exec("test", "-e", f"/jails/{J}{path}", check=False).returncode == 0


def test_check_failures(client):
    _, f = client.check(T, "u", {"jail": J, "name": "bad name", "groups": ["devs", "a:b", "devs"],
                                 "comment": "x:y", "shell": "sh", "home": "rel", "uid": -1})
    got = dict(f)
    assert set(got) == {"name", "groups[1]", "groups[2]", "comment", "shell", "home", "uid"}, f
    assert "' ' at position 3" in got["name"] and "as pw(8) requires" in got["name"]
    assert "listed twice" in got["groups[2]"]
    _, f = client.check(T, "u", {"jail": J, "name": "x" * 33})
    assert "33 bytes long" in dict(f)["name"]
    _, f = client.check(T, "u", {"jail": J, "name": "-x"})
    assert "starts with '-'" in dict(f)["name"]


def test_lifecycle(client, testbed, jail):
    inputs, f = client.check(T, "app", {"jail": J, "name": "app", "comment": "App, Bj\u00f6rn & co",
                                        "groups": ["devs"]})
    assert f == [] and inputs["shell"] == "/bin/sh" and inputs["createHome"] is True
    assert inputs["removeHome"] is False
    rid, out = client.create(T, "app", inputs, preview=True)
    assert rid == "" and out["uid"] == wire.UNKNOWN and passwd(testbed, "app") is None

    rid, out = client.create(T, "app", inputs)
    assert rid == f"{J}/app"
    uid, gid = int(out["uid"]), int(out["gid"])
    assert passwd(testbed, "app") == f"app:*:{uid}:{gid}:App, Bj\u00f6rn & co:/home/app:/bin/sh"
    assert group_line(testbed, "app") == f"app:*:{gid}:" and out["defaultGid"] == gid
    assert group_line(testbed, "devs").endswith(":app")
    assert exists(testbed, "/home/app")

    client.new_run()
    _, state, ri = client.read(T, "app", rid, out, inputs)
    assert ri == inputs and state["uid"] == uid
    assert client.diff(T, "app", rid, state, inputs, old_inputs=ri).changes == \
        provider_pb2.DiffResponse.DIFF_NONE

    # drift by hand: comment, shell, home, groups, primary group
    testbed.exec("jexec", J, "pw", "usermod", "-n", "app", "-c", "Hand", "-s", "/bin/csh",
                 "-d", "/srv/app", "-G", "ops", "-g", "devs")
    client.new_run()
    _, state, ri = client.read(T, "app", rid, out, inputs)
    assert (ri["comment"], ri["shell"], ri["home"], ri["groups"], ri["group"]) == \
        ("Hand", "/bin/csh", "/srv/app", ["ops"], "devs")
    d = client.diff(T, "app", rid, state, inputs, old_inputs=ri)
    assert set(kinds(d)) == {"comment", "shell", "home", "groups", "group"} and not d.replaces
    out = client.update(T, "app", rid, state, inputs, old_inputs=ri)
    assert passwd(testbed, "app") == f"app:*:{uid}:{gid}:App, Bj\u00f6rn & co:/home/app:/bin/sh"
    assert group_line(testbed, "ops") == group_line(testbed, "ops").split(":app")[0]
    assert group_line(testbed, "devs").endswith(":app")

    # update in place: uid, explicit group, groups, shell
    news, f = client.check(T, "app", {**inputs, "uid": 2345, "group": "ops", "groups": ["ops", "devs"],
                                      "shell": "/usr/sbin/nologin"})
    assert f == []
    d = client.diff(T, "app", rid, out, news, old_inputs=inputs)
    assert set(kinds(d)) == {"uid", "group", "groups", "shell"} and not d.replaces
    out = client.update(T, "app", rid, out, news, old_inputs=inputs)
    ops_gid = int(group_line(testbed, "ops").split(":")[2])
    assert out["uid"] == 2345 and out["gid"] == ops_gid and out["defaultGid"] == gid
    assert passwd(testbed, "app") == f"app:*:2345:{ops_gid}:App, Bj\u00f6rn & co:/home/app:/usr/sbin/nologin"
    client.new_run()
    _, state, ri = client.read(T, "app", rid, out, news)
    assert ri == news  # groups in the program's order
    assert client.diff(T, "app", rid, state, news, old_inputs=ri).changes == \
        provider_pb2.DiffResponse.DIFF_NONE

    # group unset again: back to the user's own group
    news2, _ = client.check(T, "app", {**news, "group": None})
    news2.pop("group", None)
    out = client.update(T, "app", rid, out, news2, old_inputs=news)
    assert out["gid"] == gid and passwd(testbed, "app").startswith(f"app:*:2345:{gid}:")

    # a new name replaces
    renamed, _ = client.check(T, "app", {**news2, "name": "app2"})
    d = client.diff(T, "app", rid, out, renamed, old_inputs=news2)
    assert list(d.replaces) == ["name"]

    # import by id
    client.new_run()
    _, istate, imp = client.read(T, "app", rid)
    assert imp["name"] == "app" and imp["jail"] == J and "group" not in imp and "home" not in imp
    assert imp["groups"] == ["devs", "ops"] and imp["shell"] == "/usr/sbin/nologin"
    assert istate["uid"] == 2345 and istate["defaultGid"] == gid

    # the jail stops: refresh keeps what was known
    testbed.exec("jail", "-r", J)
    try:
        client.new_run()
        _, kept, _ = client.read(T, "app", rid, out, news2)
        assert kept["uid"] == 2345 and kept["gid"] == gid
    finally:
        testbed.exec("jail", "-c", f"name={J}", f"path=/jails/{J}", f"host.hostname={J}", "persist")

    # delete: the account and its group go, the home stays (removeHome is off)
    client.delete(T, "app", rid, out, old_inputs=news2)
    assert passwd(testbed, "app") is None and group_line(testbed, "app") is None
    assert "app" not in group_line(testbed, "devs") and exists(testbed, "/home/app")
    client.new_run()
    assert client.read(T, "app", rid, out, news2)[1] == {}
    client.delete(T, "app", rid, out, old_inputs=news2)  # already gone: fine


def test_explicit_group_remove_home_and_exists(client, testbed, jail):
    inputs, _ = client.check(T, "svc", {"jail": J, "name": "svc", "group": "devs", "uid": 3000,
                                        "home": "/var/svc", "removeHome": True})
    rid, out = client.create(T, "svc", inputs)
    devs = int(group_line(testbed, "devs").split(":")[2])
    assert (out["uid"], out["gid"]) == (3000, devs) and out.get("defaultGid") is None
    assert group_line(testbed, "svc") is None and exists(testbed, "/var/svc")
    # created again: a clear error naming the import ID
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "svc2", inputs)
    assert f"user svc already exists in jail {J}: import it (ID `{J}/svc`)" in e.value.details()
    client.delete(T, "svc", rid, out, old_inputs=inputs)
    assert passwd(testbed, "svc") is None and not exists(testbed, "/var/svc")


def test_unknown_group_fails_before_any_change(client, testbed, jail):
    inputs, _ = client.check(T, "g", {"jail": J, "name": "gu", "groups": ["nosuch"]})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "g", inputs)
    assert init_failed(e.value) is None and "group `nosuch' does not exist" in e.value.details()
    assert passwd(testbed, "gu") is None


def test_partial_failure_recorded_and_repaired(client, testbed, jail):
    """The create's exec is lost (its outcome unknown): the user is recorded with its id and
    inputs, the next update adds it, delete removes it."""
    inputs, _ = client.check(T, "pf", {"jail": J, "name": "pfuser", "groups": ["devs"]})
    with failing_next(testbed, r"pw useradd -n pfuser"), pytest.raises(grpc.RpcError) as e:
        client.create(T, "pf", inputs)
    rid, state = must_init_failed(e.value)
    assert rid == f"{J}/pfuser" and state["name"] == "pfuser" and state["groups"] == ["devs"]
    assert "uid" not in state and "may have been added to jail" in e.value.details()
    client.new_run()
    out = client.update(T, "pf", rid, state, inputs, old_inputs=inputs)
    assert out["uid"] and passwd(testbed, "pfuser").startswith(f"pfuser:*:{int(out['uid'])}:")
    assert group_line(testbed, "devs").split(":")[3].split(",").count("pfuser") == 1
    client.delete(T, "pf", rid, out, old_inputs=inputs)
    assert passwd(testbed, "pfuser") is None


def test_refresh_of_many_users_reads_once(client, testbed, jail, execs):
    made = []
    for i in range(3):
        inputs, _ = client.check(T, f"m{i}", {"jail": J, "name": f"many{i}", "createHome": False})
        rid, out = client.create(T, f"m{i}", inputs)
        made.append((rid, out, inputs))
    client.new_run()
    execs.clear()
    import concurrent.futures as cf
    with cf.ThreadPoolExecutor(3) as ex:
        list(ex.map(lambda m: client.read(T, "m", m[0], m[1], m[2]), made))
    assert len(execs) == 1
    # an update that changes something: one exec reads, one changes and reads back
    rid, out, inputs = made[0]
    news, _ = client.check(T, "m0", {**inputs, "comment": "changed"})
    client.new_run()
    execs.clear()
    client.update(T, "m0", rid, out, news, old_inputs=inputs)
    assert len(execs) == 2
    for rid, out, inputs in made:
        client.delete(T, "m", rid, out, old_inputs=inputs)
