"""JailCommand over real gRPC against the testbed: guards, su, secret stdin/env, delete."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from jailhelp import client_for, drop_jail, make_jail

T = "freebsd:index:JailCommand"
J = "cmdjail"
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


def exists(testbed, path):
    return testbed.exec("test", "-e", f"/jails/{J}{path}", check=False).returncode == 0


def test_check_failures(client):
    _, f = client.check(T, "c", {"create": [], "user": "a b", "environment": {"1X": "v"}})
    assert {p for p, _ in f} >= {"create", "user", "environment"}


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
