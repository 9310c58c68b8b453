"""VnetJail over real gRPC against the testbed: conf file, epair allocation, start verified, drift,
import, restart on conf changes, delete leaves nothing."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from freebsd_provider.resources.base import PartialFailure
from harness import init_failed, kinds

T = "freebsd:index:VnetJail"
pytestmark = pytest.mark.testbed


@pytest.fixture()
def world(testbed):
    testbed.exec("ifconfig", "bridge7", "create", "up")
    for d in ("dev", "etc", "var/log", "tmp", "root"):
        testbed.exec("mkdir", "-p", f"/jails/vj/{d}")
    testbed.exec("sh", "-c", "printf '#!/bin/sh\\nexit 0\\n' > /jails/vj/etc/rc; cp /jails/vj/etc/rc /jails/vj/etc/rc.shutdown")
    yield
    testbed.exec("service", "jail", "onestop", "vj", check=False)
    testbed.exec("rm", "-f", "/etc/jail.conf.d/vj.conf", check=False)
    testbed.exec("sysrc", "jail_list-=vj", check=False)
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
                                 'parameters["exec.start"]', "parameters.ok_name", "execHooks",
                                 "cpuset", "rctl[0]", "defaultRouter"}
    why = dict(f)
    assert why["execHooks"].startswith("execHooks.prestart[0][0] must be an absolute program path")
    assert why["parameters.ok_name"] == "the value must not contain quotes or backslashes"
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


# -- round trips and the refusals/failures of the batched create --------------------------------

SPEC = {"name": "vj", "path": "/jails/vj", "bridge": "bridge7", "addresses": ["192.168.1.231/24"],
        "defaultRouter": "192.168.1.1", "allow": ["raw_sockets"], "sysvipc": "new"}


def execs_since(testbed, n: int) -> list[str]:
    return [e["command"] for e in testbed.log()[n:]]


def test_create_update_delete_round_trips(client, testbed, world):
    """Over a WAN each exec is a round trip: create and delete are one exec, an update that
    restarts the jail two (the conf/jls read, then one batch)."""
    inputs, _ = client.check(T, "vj", SPEC)
    n = len(testbed.log())
    rid, out = client.create(T, "vj", inputs)
    assert len(execs_since(testbed, n)) == 1
    assert out["jid"] and out["hostEpair"] == "epair0a" and out["jailEpair"] == "epair0b"
    assert "vj" in testbed.exec("jls", "-N").stdout
    assert "member: epair0a" in testbed.exec("ifconfig", "bridge7").stdout
    assert "vj" in testbed.exec("sysrc", "-n", "jail_list").stdout.split()

    client.new_run()
    news, _ = client.check(T, "vj", {**SPEC, "addresses": ["192.168.1.232/24"]})
    n = len(testbed.log())
    out2 = client.update(T, "vj", rid, out, news, old_inputs=inputs)
    assert len(execs_since(testbed, n)) == 2
    assert out2["jid"] and out2["jid"] != out["jid"] and out2["hostEpair"] == "epair0a"
    assert "192.168.1.232/24" in testbed.exec("cat", "/etc/jail.conf.d/vj.conf").stdout

    client.new_run()
    n = len(testbed.log())
    client.delete(T, "vj", rid, out2, old_inputs=news)
    assert len(execs_since(testbed, n)) == 1
    assert "vj" not in testbed.exec("jls", "-N").stdout
    assert "epair0a" not in testbed.exec("ifconfig", "-l").stdout
    assert testbed.exec("test", "-e", "/etc/jail.conf.d/vj.conf", check=False).returncode != 0
    assert "vj" not in testbed.exec("sysrc", "-n", "jail_list", check=False).stdout.split()


def _refused(client, testbed, spec, needle):
    inputs, f = client.check(T, "vj", spec)
    assert f == []
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "vj", inputs)
    assert needle in e.value.details(), e.value.details()
    assert init_failed(e.value) is None  # nothing was created: no partial state
    assert "vj" not in testbed.exec("sysrc", "-n", "jail_list", check=False).stdout.split()
    return e.value.details()


def test_create_refusals_change_nothing(client, testbed, world):
    # no such bridge
    _refused(client, testbed, {**SPEC, "bridge": "bridge9"}, "bridge bridge9 does not exist on the host")
    assert testbed.exec("test", "-e", "/etc/jail.conf.d/vj.conf", check=False).returncode != 0
    # the conf file exists: left as it is
    testbed.exec("sh", "-c", "mkdir -p /etc/jail.conf.d; echo '# by hand' > /etc/jail.conf.d/vj.conf")
    msg = _refused(client, testbed, SPEC, "jail vj already exists on the host")
    assert "pulumi import freebsd:index:VnetJail <resource-name> vj" in msg
    assert testbed.exec("cat", "/etc/jail.conf.d/vj.conf").stdout == "# by hand\n"
    testbed.exec("rm", "/etc/jail.conf.d/vj.conf")
    # a jail of that name runs (made by hand, no conf file)
    testbed.exec("jail", "-c", "name=vj", "path=/jails/vj", "persist")
    try:
        _refused(client, testbed, SPEC, "jail vj already exists on the host")
        assert testbed.exec("test", "-e", "/etc/jail.conf.d/vj.conf", check=False).returncode != 0
    finally:
        testbed.exec("jail", "-r", "vj")
    # the requested epair is taken
    testbed.exec("ifconfig", "epair5", "create")
    try:
        _refused(client, testbed, {**SPEC, "epair": "epair5"}, "epair5 is already in use")
        assert testbed.exec("test", "-e", "/etc/jail.conf.d/vj.conf", check=False).returncode != 0
    finally:
        testbed.exec("ifconfig", "epair5a", "destroy")


def test_failed_start_is_a_partial_failure(client, testbed, world):
    testbed.exec("rm", "/jails/vj/etc/rc")
    inputs, _ = client.check(T, "vj", SPEC)
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "vj", inputs)
    assert "jail vj did not start" in e.value.details()
    assert "last lines of /var/log/jail_vj_console.log" in e.value.details()
    rid, state = init_failed(e.value)
    assert rid == "vj" and state["hostEpair"] == "epair0a" and state.get("jid") is None
    assert "epair0a" not in testbed.exec("ifconfig", "-l").stdout  # the failed start's epair is gone
    assert testbed.exec("test", "-e", "/etc/jail.conf.d/vj.conf", check=False).returncode == 0

    # fixed by hand: the next update starts it
    testbed.exec("cp", "/jails/vj/etc/rc.shutdown", "/jails/vj/etc/rc")
    client.new_run()
    out = client.update(T, "vj", rid, state, inputs, old_inputs=inputs)
    assert out["jid"] and "vj" in testbed.exec("jls", "-N").stdout
    client.delete(T, "vj", rid, out, old_inputs=inputs)


def test_lost_batch_is_recorded_and_converges(client, testbed, world):
    """The create's one exec fails before it runs anything (as a dropped connection would): its
    outcome is unknown, so the jail is recorded, and the next update converges."""
    inputs, _ = client.check(T, "vj", SPEC)
    testbed.fault("--fail-next", r"jail\.conf\.d/vj\.conf")
    try:
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "vj", inputs)
    finally:
        testbed.fault("--clear")
    assert "is not known" in e.value.details() and len(e.value.details()) < 600
    rid, state = init_failed(e.value)
    assert rid == "vj" and state["hostEpair"] == ""
    client.new_run()
    out = client.update(T, "vj", rid, state, inputs, old_inputs=inputs)
    assert out["jid"] and out["hostEpair"] == "epair0a" and "vj" in testbed.exec("jls", "-N").stdout
    client.delete(T, "vj", rid, out, old_inputs=inputs)
    assert "vj" not in testbed.exec("jls", "-N").stdout


@pytest.mark.parametrize("size", [25, 40])
def test_big_conf_files(client, testbed, world, size):
    """A conf file travels in the batch's command line up to INLINE_MAX; a bigger one on the
    exec's stdin (read by the batch's first command): one exec either way."""
    params = {f"x.param{i}": "v" * 1000 for i in range(size)}
    spec = {**SPEC, "parameters": params, "running": False}
    inputs, f = client.check(T, "vj", spec)
    assert f == []
    n = len(testbed.log())
    rid, out = client.create(T, "vj", inputs)
    assert len(execs_since(testbed, n)) == 1
    conf = testbed.exec("cat", "/etc/jail.conf.d/vj.conf").stdout
    assert len(conf) > size * 1000 and f'x.param{size - 1} = "{"v" * 1000}";' in conf
    assert out["hostEpair"] == "epair0a" and out.get("jid") is None
    assert "vj" in testbed.exec("sysrc", "-n", "jail_list").stdout.split()
    client.delete(T, "vj", rid, out, old_inputs=inputs)
    assert testbed.exec("test", "-e", "/etc/jail.conf.d/vj.conf", check=False).returncode != 0


def test_delete_refuses_a_running_jail_without_its_conf_file(client, testbed, world):
    inputs, _ = client.check(T, "vj", SPEC)
    rid, out = client.create(T, "vj", inputs)
    testbed.exec("mv", "/etc/jail.conf.d/vj.conf", "/tmp/vj.conf")
    client.new_run()
    with pytest.raises(grpc.RpcError) as e:
        client.delete(T, "vj", rid, out, old_inputs=inputs)
    assert "jail vj runs but /etc/jail.conf.d/vj.conf is gone: stop it by hand" in e.value.details()
    assert "vj" in testbed.exec("jls", "-N").stdout
    testbed.exec("mv", "/tmp/vj.conf", "/etc/jail.conf.d/vj.conf")
    client.new_run()
    client.delete(T, "vj", rid, out, old_inputs=inputs)
    assert "vj" not in testbed.exec("jls", "-N").stdout


def test_unknown_outcome_only_when_the_batch_may_have_run():
    """A batch cut short while it ran leaves the jail's state unknown (a PartialFailure that the
    next run converges); a host that could not be reached ran nothing (a plain error)."""
    from freebsd_provider import errors
    from freebsd_provider.ssh import CommandError, Result
    assert errors.may_have_run(errors.ConnectionLost("connection lost while running: /bin/sh -c 'x'"))
    assert errors.may_have_run(errors.CommandTimeout("command timed out after 600s: /bin/sh -c 'x'"))
    assert errors.may_have_run(errors.Cancelled("cancelled: /bin/sh -c 'x'"))
    assert errors.may_have_run(CommandError(Result(["/bin/sh"], "/bin/sh", 137, "", ""), shell_died=True))
    assert not errors.may_have_run(errors.HostUnreachable("cannot connect to 192.0.2.1:22: timed out"))
    assert not errors.may_have_run(errors.HostUnreachable("cannot open a channel to 192.0.2.1: EOF"))
    assert not errors.may_have_run(errors.HostKeyError("the host key of 192.0.2.1 does not match"))
    assert not errors.may_have_run(errors.AuthFailed("authentication failed for root@192.0.2.1"))
    assert errors.interrupted(errors.ConnectionLost("connection lost while running: /bin/sh -c 'x'")) == \
        "connection lost while running"
    assert errors.interrupted(CommandError(Result(["/bin/sh"], "/bin/sh", 137, "", ""), shell_died=True)) == \
        "the remote shell exited 137"


def test_cut_short_message_and_recorded_outputs():
    """The exec lost while it ran: the message says so in a few words (not the batch's command
    line, which carries the whole conf file), and the jail is recorded without an epair."""
    import asyncio
    from freebsd_provider import errors
    from freebsd_provider.host.steps import attach
    from freebsd_provider.resources.vnet_jail import VnetJail

    class Host:
        async def run_steps(self, steps, done=None):
            done.pending = list(steps)
            raise attach(errors.ConnectionLost("connection lost while running: " + "x" * 50000), done)

        async def log(self, *a):
            pass

    class Ctx:
        host = Host()
        urn = "urn:pulumi:test::proj::freebsd:index:VnetJail::webserver"

    r = VnetJail()
    a = r.args({**VnetJail.example, "cpuset": None, "rctl": []})
    with pytest.raises(PartialFailure) as e:
        asyncio.run(r.create(Ctx(), a))
    assert str(e.value) == ("jail webserver: the commands were cut short (connection lost while "
                            "running); what they did on the host is not known (the next run reads "
                            "it and converges)")
    assert e.value.resource_id == "webserver"
    assert e.value.outputs["hostEpair"] == "" and "jid" not in e.value.outputs
    assert e.value.outputs["confFile"] == "/etc/jail.conf.d/webserver.conf"

    class Unreachable(Host):
        async def run_steps(self, steps, done=None):
            # as Host.run_steps does: no pending steps when the exec never reached the host
            raise attach(errors.HostUnreachable("cannot connect to 192.0.2.1:22: timed out"), done)

    Ctx.host = Unreachable()
    with pytest.raises(errors.HostUnreachable):  # nothing ran: nothing to record
        asyncio.run(r.create(Ctx(), a))


def test_failed_rctl_after_the_start_is_recorded(client, testbed, world):
    """The rctl rules go in a second exec after the verified start; with RACCT off (the testbed's
    default) that exec fails: the started jail is recorded with its JID and epair, and the
    message says how to enable RACCT."""
    inputs, _ = client.check(T, "vj", {**SPEC, "rctl": ["memoryuse:deny=512M"]})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "vj", inputs)
    assert "kern.racct.enable=1" in e.value.details()
    rid, state = init_failed(e.value)
    assert rid == "vj" and state["jid"] and state["hostEpair"] == "epair0a"
    assert "vj" in testbed.exec("jls", "-N").stdout
    client.new_run()
    client.delete(T, "vj", rid, state, old_inputs=inputs)
    assert "vj" not in testbed.exec("jls", "-N").stdout
    assert testbed.exec("test", "-e", "/etc/jail.conf.d/vj.conf", check=False).returncode != 0


def test_cpuset_exec_lost_after_the_start_is_recorded(client, testbed, world):
    """The cpuset exec fails as a whole (as a dropped connection would): the started jail is
    recorded with its JID and epair."""
    inputs, _ = client.check(T, "vj", {**SPEC, "cpuset": "0"})
    testbed.fault("--fail-next", r"/usr/bin/cpuset")
    try:
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "vj", inputs)
    finally:
        testbed.fault("--clear")
    assert "is not known" in e.value.details()
    rid, state = init_failed(e.value)
    assert rid == "vj" and state["jid"] and state["hostEpair"] == "epair0a" and state["cpuset"] == "0"
    client.new_run()
    client.delete(T, "vj", rid, state, old_inputs=inputs)
    assert "vj" not in testbed.exec("jls", "-N").stdout


def test_host_lost_between_the_execs_of_a_create_is_recorded():
    """The start went through; the host could not be reached again for cpuset: nothing of that
    exec ran, but the started jail must still be recorded."""
    import asyncio
    import json
    from freebsd_provider import errors
    from freebsd_provider.host.steps import attach
    from freebsd_provider.resources.vnet_jail import VnetJail
    from freebsd_provider.ssh import Result

    jls = json.dumps({"jail-information": {"jail": [{"jid": 9, "name": "webserver"}]}})
    outs = {"write": "1\n", "start": "Starting jails: webserver.\n", "jls": jls}

    class Host:
        calls = 0

        async def run_steps(self, steps, done=None):
            Host.calls += 1
            if Host.calls > 1:
                done.pending = list(steps)
                raise attach(errors.HostUnreachable("cannot connect to 192.0.2.1:22: timed out"), done)
            for st in steps:
                done.add(st, Result(st.argv, "x", 0, outs.get(st.name, ""), ""))
            return done

        async def log(self, *a):
            pass

    class Ctx:
        host = Host()
        urn = "urn:pulumi:test::proj::freebsd:index:VnetJail::webserver"

    r = VnetJail()
    a = r.args({**VnetJail.example, "rctl": []})
    with pytest.raises(PartialFailure) as e:
        asyncio.run(r.create(Ctx(), a))
    assert "cannot connect" in str(e.value) and e.value.resource_id == "webserver"
    assert e.value.outputs["jid"] == 9 and e.value.outputs["hostEpair"] == "epair1a"
