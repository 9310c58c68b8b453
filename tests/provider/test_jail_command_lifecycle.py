"""JailCommand over real gRPC against the testbed: guards, su, secret stdin/env, delete."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from jailhelp import drop_jail, make_jail
from harness import failing_next, init_failed, must_init_failed

T = "freebsd:index:JailCommand"
J = "cmdjail"
pytestmark = pytest.mark.testbed


@pytest.fixture(scope="module")
def jail(testbed):
    make_jail(testbed, J)
    yield J
    drop_jail(testbed, J)


def exists(testbed, path):
    return testbed.exec("test", "-e", f"/jails/{J}{path}", check=False).returncode == 0


def test_check_failures(client):
    _, f = client.check(T, "c", {"create": ["x"], "user": "a b", "environment": {"1X": "v"}})
    assert {p for p, _ in f} == {"user", 'environment["1X"]'}
    # the command as a whole is checked once every field passes
    _, f = client.check(T, "c", {"create": []})
    assert [p for p, _ in f] == ["create"]


def test_lifecycle_with_secrets(client, testbed, jail):
    inputs, f = client.check(T, "c", {
        "jail": J, "create": ["sh", "-c", 'cat > /tmp/made; echo "got $TOKEN"'],
        "delete": ["rm", "-f", "/tmp/made"], "creates": "/tmp/made",
        "stdin": "password=hunter22\n", "environment": {"TOKEN": "s3cr3tv"}})
    assert f == [] and isinstance(inputs["stdin"], wire.Secret)
    rid, out = client.create(T, "c", inputs, preview=True)
    assert rid == "" and not exists(testbed, "/tmp/made")
    rid, out = client.create(T, "c", inputs)
    assert isinstance(out["stdout"], wire.Secret) and wire.reveal(out["stdout"]) == "got s3cr3tv\n"
    assert out["skipped"] is False and out["exitCode"] == 0
    assert testbed.exec("cat", f"/jails/{J}/tmp/made").stdout == "password=hunter22\n"
    # secrets never on a command line
    for e in testbed.log():
        assert "hunter22" not in str(e) and "s3cr3tv" not in str(e)
    d = client.diff(T, "c", rid, out, inputs, old_inputs=inputs)
    assert d.changes == d.DIFF_NONE
    # refresh keeps the state
    client.new_run()
    rid2, st, ri = client.read(T, "c", rid, out, inputs)
    assert rid2 == rid and isinstance(st["stdout"], wire.Secret)
    # a trigger change replaces
    news, _ = client.check(T, "c", {**{k: v for k, v in inputs.items()}, "triggers": ["2"]})
    d = client.diff(T, "c", rid, out, news, old_inputs=inputs)
    assert list(d.replaces) == ["triggers"]
    # import is refused
    with pytest.raises(grpc.RpcError) as e:
        client.read(T, "c", rid)
    assert "cannot be imported" in e.value.details()
    client.delete(T, "c", rid, out, old_inputs=inputs)
    assert not exists(testbed, "/tmp/made")


def test_unless_guard_and_user(client, testbed, jail):
    # through `su -m nobody -c CMDLINE`, every argv item arrives as one argument, unexpanded
    # (the testbed's su does not change the uid of plain programs, so `id` cannot be checked)
    inputs, _ = client.check(T, "u", {"jail": J, "user": "nobody",
                                      "create": ["sh", "-c", 'printf "%s|" "$@"', "x", "a b", "$(reboot)", "'q'"],
                                      "unless": ["test", "-e", "/etc/skipme"]})
    rid, out = client.create(T, "u", inputs)
    assert out["stdout"] == "a b|$(reboot)|'q'|" and out["skipped"] is False
    testbed.exec("touch", f"/jails/{J}/etc/skipme")
    rid, out = client.create(T, "u2", inputs)
    assert out["skipped"] is True and out["stdout"] == ""


def test_failure_message_has_no_secret(client, jail):
    inputs, _ = client.check(T, "bad", {"jail": J, "create": ["sh", "-c", "cat >/dev/null; echo boom >&2; exit 3"],
                                        "stdin": "hunter22-secret"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "bad", inputs)
    assert "exit 3" in e.value.details() and "boom" in e.value.details()
    assert "hunter22" not in e.value.details()


def execs(client) -> int:
    return client.servicer._conn.round_trips


def test_guards_and_command_in_one_exec(client, testbed, jail):
    """`creates`/`unless` and the command share one remote exec; the guard's own output never
    shows up, the command still gets its stdin and environment, and the unless guard gets the
    environment (and no stdin)."""
    testbed.exec("rm", "-f", f"/jails/{J}/tmp/g1", f"/jails/{J}/tmp/unless-ran")
    inputs, _ = client.check(T, "g", {
        "jail": J, "create": ["sh", "-c", 'cat > /tmp/g1; echo "ran $V"'], "creates": "/tmp/g1",
        "unless": ["sh", "-c", 'echo noise; echo noise >&2; cat; echo "$V" > /tmp/unless-ran; exit 1'],
        "stdin": "payload\n", "environment": {"V": "v1"}})
    client.create(T, "warm", client.check(T, "warm", {"jail": J, "create": ["true"]})[0])
    n = execs(client)
    rid, out = client.create(T, "g", inputs)
    assert execs(client) - n == 1
    assert wire.reveal(out["stdout"]) == "ran v1\n" and wire.reveal(out["stderr"]) == ""
    assert out["skipped"] is False and out["exitCode"] == 0
    assert testbed.exec("cat", f"/jails/{J}/tmp/g1").stdout == "payload\n"
    assert testbed.exec("cat", f"/jails/{J}/tmp/unless-ran").stdout == "v1\n"
    # now `creates` holds: skipped, nothing runs (not even unless)
    testbed.exec("rm", "-f", f"/jails/{J}/tmp/unless-ran")
    n = execs(client)
    rid, out = client.create(T, "g2", inputs)
    assert execs(client) - n == 1
    assert out["skipped"] is True and wire.reveal(out["stdout"]) == "" and out["exitCode"] == 0
    assert not exists(testbed, "/tmp/unless-ran")


def test_unless_as_user_skips_and_failure_after_guard(client, testbed, jail):
    testbed.exec("rm", "-f", f"/jails/{J}/tmp/u-made")
    inputs, _ = client.check(T, "uu", {"jail": J, "user": "nobody",
                                       "create": ["sh", "-c", "touch /tmp/u-made; echo out; echo bad >&2; exit 4"],
                                       "unless": ["test", "-e", "/tmp/u-made"]})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "uu", inputs)
    assert "sh failed in jail cmdjail (exit 4): bad" in e.value.details()
    rid, out = client.create(T, "uu2", inputs)
    assert out["skipped"] is True and out["stdout"] == ""


def test_guarded_run_when_the_jail_is_not_running(client):
    inputs, _ = client.check(T, "nj", {"jail": "nosuchjail", "create": ["true"], "creates": "/x"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "nj", inputs)
    assert "true failed in jail nosuchjail" in e.value.details()


def test_lost_run_is_recorded_and_runs_again(client, testbed, jail):
    """The exec running the command fails as a whole (as a lost connection would): whether it
    ran is unknown, so the resource is recorded (exit code -1, so that destroy runs `delete`),
    and the next update runs it again, guarded."""
    testbed.exec("rm", "-f", f"/jails/{J}/tmp/lost-ran")
    inputs, _ = client.check(T, "lost", {
        "jail": J, "create": ["sh", "-c", "cat > /tmp/lost-ran; echo ran"], "creates": "/tmp/lost-ran",
        "delete": ["rm", "-f", "/tmp/lost-ran"], "stdin": "hunter22\n"})
    with failing_next(testbed, r"lost-ran; echo ran"), pytest.raises(grpc.RpcError) as e:
        client.create(T, "lost", inputs)
    rid, state = must_init_failed(e.value)
    assert rid == f"{J}:sh" and state["exitCode"] == -1 and state["skipped"] is False
    assert isinstance(state["stdout"], wire.Secret) and wire.reveal(state["stdout"]) == ""
    assert "hunter22" not in e.value.details() and not exists(testbed, "/tmp/lost-ran")
    # the engine updates a resource recorded with an error on the next `up`
    out = client.update(T, "lost", rid, state, inputs, old_inputs=inputs)
    assert out["exitCode"] == 0 and wire.reveal(out["stdout"]) == "ran\n" and out["skipped"] is False
    assert testbed.exec("cat", f"/jails/{J}/tmp/lost-ran").stdout == "hunter22\n"
    # once it ran, an update with the same inputs runs nothing
    n = len(testbed.log())
    again = client.update(T, "lost", rid, out, inputs, old_inputs=inputs)
    assert again["exitCode"] == 0 and len(testbed.log()) == n
    client.delete(T, "lost", rid, out, old_inputs=inputs)
    assert not exists(testbed, "/tmp/lost-ran")


def test_delete_when_the_jail_is_not_running(client):
    inputs, _ = client.check(T, "nd", {"jail": "nosuchjail", "create": ["true"], "delete": ["true"]})
    client.delete(T, "nd", "nosuchjail:true", {**inputs, "stdout": "", "stderr": "", "exitCode": 0,
                                                "skipped": False}, old_inputs=inputs)


def test_timeout_is_the_resources_own(client, testbed, jail):
    """`timeout` bounds the command (not the provider's commandTimeout); a command abandoned
    half-way is recorded like a lost run."""
    import time
    inputs, _ = client.check(T, "slow", {"jail": J, "create": ["sleep", "30"], "timeout": 2})
    t0 = time.monotonic()
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "slow", inputs)
    assert time.monotonic() - t0 < 20
    got = init_failed(e.value)
    assert got is not None and got[1]["exitCode"] == -1, e.value.details()
