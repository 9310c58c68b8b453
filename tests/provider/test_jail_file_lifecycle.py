"""JailFile over real gRPC against the testbed: content form (secret), line form, drift, delete."""
from __future__ import annotations

import pytest

from freebsd_provider import wire
from harness import kinds
from jailhelp import client_for, drop_jail, make_jail

T = "freebsd:index:JailFile"
J = "filejail"
pytestmark = pytest.mark.testbed
CONF = "#listen_addresses = 'localhost'\t# comment\n#port = 5432\n"


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


def cat(testbed, path):
    r = testbed.exec("cat", f"/jails/{J}{path}", check=False)
    return r.stdout if r.returncode == 0 else None


def test_check_failures(client):
    _, f = client.check(T, "f", {"jail": J, "path": "../etc/passwd", "content": "x", "mode": "99"})
    assert {p for p, _ in f} == {"path", "mode"}
    _, f = client.check(T, "f", {"path": "/etc/x"})
    assert [p for p, _ in f] == ["content"]


def test_content_secret_lifecycle(client, testbed, jail):
    inputs, f = client.check(T, "c", {"jail": J, "path": "/etc/secret.conf", "content": wire.Secret("pw=hunter22\n"),
                                      "mode": "0600"})
    assert f == []
    rid, out = client.create(T, "c", inputs, preview=True)
    assert rid == "" and cat(testbed, "/etc/secret.conf") is None
    rid, out = client.create(T, "c", inputs)
    assert rid == f"{J}:/etc/secret.conf" and isinstance(out["content"], wire.Secret)
    assert out["created"] is True and cat(testbed, "/etc/secret.conf") == "pw=hunter22\n"
    assert not any("hunter22" in str(e) for e in testbed.log())
    d = client.diff(T, "c", rid, out, inputs, old_inputs=inputs)
    assert d.changes == d.DIFF_NONE
    # drift: edited by hand
    testbed.exec("sh", "-c", 'echo extra >> "$1"', "sh", f"/jails/{J}/etc/secret.conf")
    client.new_run()
    _, state, ri = client.read(T, "c", rid, out, inputs)
    assert isinstance(ri["content"], wire.Secret) and wire.reveal(ri["content"]).endswith("extra\n")
    d = client.diff(T, "c", rid, state, inputs, old_inputs=ri)
    assert kinds(d) == {"content": "UPDATE"} and not d.replaces
    out = client.update(T, "c", rid, state, inputs, old_inputs=ri)
    assert cat(testbed, "/etc/secret.conf") == "pw=hunter22\n"
    # import by id
    client.new_run()
    _, _, imp = client.read(T, "c", rid)
    assert imp["content"] == "pw=hunter22\n" and imp["mode"] == "0600"
    client.delete(T, "c", rid, out, old_inputs=inputs)
    assert cat(testbed, "/etc/secret.conf") is None
    client.delete(T, "c", rid, out, old_inputs=inputs)


def test_content_restores_previous(client, testbed, jail):
    testbed.exec("sh", "-c", 'printf "old\\n" > "$1"', "sh", f"/jails/{J}/etc/motd.local")
    inputs, _ = client.check(T, "m", {"jail": J, "path": "/etc/motd.local", "content": "new\n"})
    rid, out = client.create(T, "m", inputs)
    assert out["created"] is False and cat(testbed, "/etc/motd.local") == "new\n"
    client.delete(T, "m", rid, out, old_inputs=inputs)
    assert cat(testbed, "/etc/motd.local") == "old\n"


def test_lines_lifecycle(client, testbed, jail):
    testbed.exec("sh", "-c", 'printf "%s" "$2" > "$1"', "sh", f"/jails/{J}/etc/pg.conf", CONF)
    inputs, f = client.check(T, "l", {"jail": J, "path": "/etc/pg.conf", "lines": [
        {"line": "listen_addresses = '*'", "match": "^#?listen_addresses"},
        {"line": "host all all 192.168.1.0/24 md5"}]})
    assert f == []
    rid, out = client.create(T, "l", inputs)
    assert cat(testbed, "/etc/pg.conf") == "listen_addresses = '*'\n#port = 5432\nhost all all 192.168.1.0/24 md5\n"
    assert out["addedLines"] == ["host all all 192.168.1.0/24 md5"]
    d = client.diff(T, "l", rid, out, inputs, old_inputs=inputs)
    assert d.changes == d.DIFF_NONE
    # drift: a line removed by hand
    testbed.exec("sh", "-c", 'printf "%s" "$2" > "$1"', "sh", f"/jails/{J}/etc/pg.conf",
                 "listen_addresses = '*'\n#port = 5432\n")
    client.new_run()
    _, state, ri = client.read(T, "l", rid, out, inputs)
    assert [x["line"] for x in ri["lines"]] == ["listen_addresses = '*'"]
    out = client.update(T, "l", rid, state, inputs, old_inputs=ri)
    assert cat(testbed, "/etc/pg.conf").endswith("host all all 192.168.1.0/24 md5\n")
    sha = out["sha256"]
    # delete puts the file back as it was
    client.delete(T, "l", rid, out, old_inputs=inputs)
    assert cat(testbed, "/etc/pg.conf") == CONF
    assert sha
