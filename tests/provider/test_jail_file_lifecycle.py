"""JailFile over real gRPC against the testbed: content form (secret), line form, drift, delete."""
from __future__ import annotations

import grpc
import pytest

from freebsd_provider import wire
from harness import failing_next, init_failed, kinds, must_init_failed
from jailhelp import drop_jail, make_jail

T = "freebsd:index:JailFile"
J = "filejail"
pytestmark = pytest.mark.testbed
CONF = "#listen_addresses = 'localhost'\t# comment\n#port = 5432\n"


@pytest.fixture(scope="module")
def jail(testbed):
    make_jail(testbed, J)
    yield J
    drop_jail(testbed, J)


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


def execs(client) -> int:
    return client.servicer._conn.round_trips


def inode(testbed, path):
    return testbed.exec("stat", "-f", "%i", f"/jails/{J}{path}").stdout.strip()


def test_content_form_one_exec_per_operation(client, testbed, jail):
    """Update and delete of the content form each cost one remote exec (WAN round trip); create
    two: the file and the journal are read first, so that the journal record written with the
    file already holds what it replaces (a create killed after the write then still restores it)."""
    inputs, _ = client.check(T, "one", {"jail": J, "path": "/etc/one.conf", "content": "a\n"})
    client.create(T, "warm", client.check(T, "warm", {"jail": J, "path": "/etc/warm.conf", "content": "w\n"})[0])
    n = execs(client)
    rid, out = client.create(T, "one", inputs)
    assert execs(client) - n == 2 and out["created"] is True and cat(testbed, "/etc/one.conf") == "a\n"
    news, _ = client.check(T, "one", {"jail": J, "path": "/etc/one.conf", "content": "b\n", "mode": "0600"})
    n = execs(client)
    out = client.update(T, "one", rid, out, news, old_inputs=inputs)
    assert execs(client) - n == 1 and cat(testbed, "/etc/one.conf") == "b\n"
    assert testbed.exec("stat", "-f", "%Lp", "/jails/filejail/etc/one.conf").stdout.strip() == "600"
    n = execs(client)
    client.delete(T, "one", rid, out, old_inputs=news)
    assert execs(client) - n == 1 and cat(testbed, "/etc/one.conf") is None


def test_content_already_in_place_is_not_rewritten(client, testbed, jail):
    testbed.exec("sh", "-c", 'printf "same\\n" > "$1"; chmod 644 "$1"', "sh", f"/jails/{J}/etc/same.conf")
    ino = inode(testbed, "/etc/same.conf")
    # owner given as a user only matches the file's root:wheel, as before
    inputs, _ = client.check(T, "s", {"jail": J, "path": "/etc/same.conf", "content": "same\n", "owner": "root"})
    rid, out = client.create(T, "s", inputs)
    assert inode(testbed, "/etc/same.conf") == ino
    assert out["created"] is False and wire.reveal(out["previousContent"]) == "same\n"
    assert out["previousMode"] == "0644" and out["previousOwner"] == "root:wheel"
    # a different mode alone rewrites it
    news, _ = client.check(T, "s", {"jail": J, "path": "/etc/same.conf", "content": "same\n", "mode": "640"})
    out = client.update(T, "s", rid, out, news, old_inputs=inputs)
    assert inode(testbed, "/etc/same.conf") != ino
    assert testbed.exec("stat", "-f", "%Lp", f"/jails/{J}/etc/same.conf").stdout.strip() == "640"
    # delete restores the previous mode (and content)
    client.delete(T, "s", rid, out, old_inputs=news)
    assert cat(testbed, "/etc/same.conf") == "same\n"
    assert testbed.exec("stat", "-f", "%Lp", f"/jails/{J}/etc/same.conf").stdout.strip() == "644"


def test_large_file_refused_unless_overwrite(client, testbed, jail):
    big = "x" * (64 * 1024) + "\n"
    testbed.exec("sh", "-c", 'printf "%s" "$2" > "$1"', "sh", f"/jails/{J}/etc/big.conf", big)
    inputs, _ = client.check(T, "big", {"jail": J, "path": "/etc/big.conf", "content": "small\n"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "big", inputs)
    assert "larger than 64 KiB" in e.value.details() and "overwrite" in e.value.details()
    assert cat(testbed, "/etc/big.conf") == big
    assert testbed.exec("sh", "-c", f"ls /jails/{J}/etc | grep -c pulumi-tmp || true").stdout.strip() == "0"
    inputs, _ = client.check(T, "big", {"jail": J, "path": "/etc/big.conf", "content": "small\n", "overwrite": True})
    rid, out = client.create(T, "big", inputs)
    assert out["created"] is True and out.get("previousContent") is None and cat(testbed, "/etc/big.conf") == "small\n"
    client.delete(T, "big", rid, out, old_inputs=inputs)
    assert cat(testbed, "/etc/big.conf") is None
    # exactly 64 KiB is still backed up
    edge = "y" * (64 * 1024 - 1) + "\n"
    testbed.exec("sh", "-c", 'printf "%s" "$2" > "$1"', "sh", f"/jails/{J}/etc/edge.conf", edge)
    inputs, _ = client.check(T, "edge", {"jail": J, "path": "/etc/edge.conf", "content": "e\n"})
    rid, out = client.create(T, "edge", inputs)
    assert out["created"] is False and wire.reveal(out["previousContent"]) == edge
    client.delete(T, "edge", rid, out, old_inputs=inputs)
    assert cat(testbed, "/etc/edge.conf") == edge


def test_delete_does_not_recreate_a_file_removed_by_hand(client, testbed, jail):
    testbed.exec("sh", "-c", 'printf "orig\\n" > "$1"', "sh", f"/jails/{J}/etc/gone.conf")
    inputs, _ = client.check(T, "g", {"jail": J, "path": "/etc/gone.conf", "content": "mine\n"})
    rid, out = client.create(T, "g", inputs)
    assert wire.reveal(out["previousContent"]) == "orig\n"
    testbed.exec("rm", f"/jails/{J}/etc/gone.conf")
    client.delete(T, "g", rid, out, old_inputs=inputs)
    assert cat(testbed, "/etc/gone.conf") is None


def test_failed_write_reports_the_error_without_the_content(client, testbed, jail):
    testbed.exec("sh", "-c", 'printf "old-hunter2\\n" > "$1"', "sh", f"/jails/{J}/etc/bad.conf")
    inputs, _ = client.check(T, "b", {"jail": J, "path": "/etc/bad.conf", "content": wire.Secret("new-hunter3\n"),
                                      "owner": "nosuchuser"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "b", inputs)
    assert "nosuchuser" in e.value.details()
    assert "hunter2" not in e.value.details() and "hunter3" not in e.value.details()
    assert cat(testbed, "/etc/bad.conf") == "old-hunter2\n"
    # a directory in the way is an error, not a rename into it
    testbed.exec("mkdir", "-p", f"/jails/{J}/etc/adir")
    inputs, _ = client.check(T, "d", {"jail": J, "path": "/etc/adir", "content": "x\n"})
    with pytest.raises(grpc.RpcError) as e:
        client.create(T, "d", inputs)
    assert "directory" in e.value.details()
    assert testbed.exec("sh", "-c", f"ls -A /jails/{J}/etc/adir").stdout.strip() == ""


def test_lost_write_is_recorded_and_converges(client, testbed, jail):
    """The exec writing the edited file fails as a whole (as a lost connection would): whether
    the lines went in is unknown, so the resource is recorded with every line it may have
    added or replaced; the next update writes them and delete puts the file back."""
    testbed.exec("sh", "-c", 'printf "%s" "$2" > "$1"', "sh", f"/jails/{J}/etc/lost.conf", CONF)
    listen = "listen_addresses = '*'"
    inputs, _ = client.check(T, "lost", {"jail": J, "path": "/etc/lost.conf", "lines": [
        {"line": listen, "match": "^#?listen_addresses"}, {"line": "port = 5433"}]})
    with failing_next(testbed, r"pulumi-tmp.*/etc/lost\.conf"), pytest.raises(grpc.RpcError) as e:
        client.create(T, "lost", inputs)
    rid, state = must_init_failed(e.value)
    assert rid == f"{J}:/etc/lost.conf" and cat(testbed, "/etc/lost.conf") == CONF
    assert state["addedLines"] == ["port = 5433"]
    assert state["replacedLines"] == {listen: "#listen_addresses = 'localhost'\t# comment"}
    assert state["previousMode"] == "0644" and state["previousOwner"] == "root:wheel"
    assert [x["line"] for x in state["lines"]] == [listen, "port = 5433"]
    # the engine updates a resource recorded with an error on the next `up`
    client.new_run()
    out = client.update(T, "lost", rid, state, inputs, old_inputs=inputs)
    assert cat(testbed, "/etc/lost.conf") == "listen_addresses = '*'\n#port = 5432\nport = 5433\n"
    # an update dropping a line, whose write is lost: both the dropped and the kept lines stay
    # recorded, so delete removes whichever is there
    news, _ = client.check(T, "lost", {"jail": J, "path": "/etc/lost.conf", "lines": [{"line": "port = 5434"}]})
    testbed.fault("--fail-next", r"pulumi-tmp.*/etc/lost\.conf")
    try:
        client.new_run()
        with pytest.raises(grpc.RpcError) as e:
            client.update(T, "lost", rid, out, news, old_inputs=inputs)
    finally:
        testbed.fault("--clear")
    got = init_failed(e.value)
    assert got is not None and got[0] == rid
    state = got[1]
    assert sorted(state["addedLines"]) == ["port = 5433", "port = 5434"]
    assert list(state["replacedLines"]) == [listen]
    client.new_run()
    client.delete(T, "lost", rid, state, old_inputs=news)
    assert cat(testbed, "/etc/lost.conf") == CONF


def test_refresh_keeps_the_file_when_the_jail_is_stopped(client, testbed):
    """A jail that is not running: refresh keeps what it knew (the resource is not gone), and
    delete leaves the file alone."""
    make_jail(testbed, "filedown")
    try:
        inputs, _ = client.check(T, "down", {"jail": "filedown", "path": "/etc/down.conf", "content": "d\n"})
        rid, out = client.create(T, "down", inputs)
        testbed.exec("jail", "-r", "filedown")
        client.new_run()
        rid2, state, ri = client.read(T, "down", rid, out, inputs)
        assert rid2 == rid and wire.reveal(ri["content"]) == "d\n" and state["created"] is True
        client.delete(T, "down", rid, out, old_inputs=inputs)
        assert testbed.exec("cat", "/jails/filedown/etc/down.conf").stdout == "d\n"
    finally:
        drop_jail(testbed, "filedown")


def test_lost_put_is_not_recorded(client, testbed, jail):
    """The content form's one exec lost: what the file held before is unknown, so nothing is
    recorded (an update would overwrite the file without a backup); the next create backs up
    whatever is there."""
    testbed.exec("sh", "-c", 'printf "orig\\n" > "$1"', "sh", f"/jails/{J}/etc/lostput.conf")
    inputs, _ = client.check(T, "lp", {"jail": J, "path": "/etc/lostput.conf", "content": "mine\n"})
    testbed.fault("--fail-next", r"echo missing.*/etc/lostput\.conf")
    try:
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "lp", inputs)
    finally:
        testbed.fault("--clear")
    assert init_failed(e.value) is None and cat(testbed, "/etc/lostput.conf") == "orig\n"
    rid, out = client.create(T, "lp", inputs)
    assert wire.reveal(out["previousContent"]) == "orig\n" and cat(testbed, "/etc/lostput.conf") == "mine\n"
    client.delete(T, "lp", rid, out, old_inputs=inputs)
    assert cat(testbed, "/etc/lostput.conf") == "orig\n"
