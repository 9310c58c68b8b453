"""Sysrc over real gRPC against the testbed."""
from __future__ import annotations

import grpc
import pytest

from harness import kinds, must_init_failed

T = "freebsd:index:Sysrc"
pytestmark = pytest.mark.testbed
BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def var(testbed, name, file="/etc/rc.conf"):
    """The variable as set in ``file`` itself, or None."""
    r = testbed.exec("sysrc", "-f", file, "-n", name, check=False)
    return r.stdout[:-1] if r.returncode == 0 else None


def unset(testbed, *names, file="/etc/rc.conf"):
    for n in names:
        testbed.exec("sysrc", "-f", file, "-x", n, check=False)


def test_check_rejects_bad_input_without_touching_the_host(client, testbed):
    before = len(testbed.log())
    for bad, prop in (({"name": "1x", "value": "y"}, "name"), ({"name": "x;reboot", "value": "y"}, "name"),
                      ({"name": "x", "value": 'a"b'}, "value"), ({"name": "x", "value": "$(id)"}, "value"),
                      ({"name": "x", "value": "a\nb"}, "value"), ({"name": "x", "value": "y", "file": "etc/rc.conf"}, "file"),
                      ({"name": "x", "value": "y", "file": "/etc/a:b"}, "file"),
                      ({"name": "x", "value": "y", "jail": "bad jail"}, "jail")):
        _, f = client.check(T, "bad", bad)
        assert [p for p, _ in f] == [prop], bad
    _, f = client.check(T, "bad", {"name": "x", "value": "y", "file": "/etc/a:b"})
    assert f == [("file", "file must not contain ':'")]
    assert len(testbed.log()) == before


def test_lifecycle(client, testbed):
    unset(testbed, "pulumi_lc_enable")
    testbed.exec("sysrc", "pulumi_lc_flags=-v")
    try:
        inputs, f = client.check(T, "v", {"name": "pulumi_lc_enable", "value": "YES"})
        assert f == [] and inputs["file"] == "/etc/rc.conf"
        rid, out = client.create(T, "v", inputs)
        assert rid == "/etc/rc.conf:pulumi_lc_enable" and out.get("previousValue") is None
        assert var(testbed, "pulumi_lc_enable") == "YES"
        # a variable that was set: its value is restored on delete
        flags, _ = client.check(T, "f", {"name": "pulumi_lc_flags", "value": "-q"})
        frid, fout = client.create(T, "f", flags)
        assert fout["previousValue"] == "-v" and var(testbed, "pulumi_lc_flags") == "-q"

        # drift by hand: read sees it, the update sets it back
        testbed.exec("sysrc", "pulumi_lc_enable=NO")
        client.new_run()
        rid2, state, ri = client.read(T, "v", rid, out, inputs)
        assert rid2 == rid and ri == {"name": "pulumi_lc_enable", "value": "NO", "file": "/etc/rc.conf"}
        assert kinds(client.diff(T, "v", rid, state, inputs, old_inputs=ri)) == {"value": "UPDATE"}
        state = client.update(T, "v", rid, state, inputs, old_inputs=ri)
        assert var(testbed, "pulumi_lc_enable") == "YES" and state.get("previousValue") is None

        # the file or the name replaces
        other, _ = client.check(T, "v", {"name": "pulumi_lc_enable", "value": "YES", "file": "/boot/loader.conf"})
        assert list(client.diff(T, "v", rid, state, other, old_inputs=inputs).replaces) == ["file"]

        # import by id
        client.new_run()
        rid3, ist, imp = client.read(T, "v", rid)
        assert rid3 == rid and imp == {"name": "pulumi_lc_enable", "value": "YES", "file": "/etc/rc.conf"}

        client.delete(T, "v", rid, state, old_inputs=inputs)
        client.delete(T, "f", frid, fout, old_inputs=flags)
        assert var(testbed, "pulumi_lc_enable") is None and var(testbed, "pulumi_lc_flags") == "-v"
        client.new_run()
        assert client.read(T, "v", rid, state, inputs)[0] == ""
        client.delete(T, "v", rid, state, old_inputs=inputs)  # already gone: fine
    finally:
        unset(testbed, "pulumi_lc_enable", "pulumi_lc_flags")


@pytest.mark.parametrize("c", BREAKS, ids=[f"U+{ord(c):04X}" for c in BREAKS])
def test_line_break_characters_in_a_value_round_trip(client, testbed, c):
    """A value holding a character str.splitlines() breaks at (sysrc does not) is set, read back
    unchanged, and an unrelated Sysrc on the same file keeps working. (Before: every read of the
    file failed with "unexpected sysrc -a line".)"""
    unset(testbed, "pulumi_lb_desc", "pulumi_lb_other")
    try:
        inputs, f = client.check(T, "d", {"name": "pulumi_lb_desc", "value": f"a{c}b"})
        assert f == []
        rid, out = client.create(T, "d", inputs)
        assert var(testbed, "pulumi_lb_desc") == f"a{c}b"
        other, _ = client.check(T, "o", {"name": "pulumi_lb_other", "value": "YES"})
        orid, oout = client.create(T, "o", other)
        client.new_run()
        _, state, ri = client.read(T, "d", rid, out, inputs)
        assert ri["value"] == f"a{c}b"
        assert client.diff(T, "d", rid, state, inputs, old_inputs=ri).changes == 1  # DIFF_NONE
        _, ostate, ori = client.read(T, "o", orid, oout, other)
        assert ori["value"] == "YES"
        client.delete(T, "o", orid, ostate, old_inputs=other)
        client.delete(T, "d", rid, state, old_inputs=inputs)
        assert var(testbed, "pulumi_lb_desc") is None and var(testbed, "pulumi_lb_other") is None
    finally:
        unset(testbed, "pulumi_lb_desc", "pulumi_lb_other")


def test_connection_lost_while_setting_is_recorded(client, testbed, monkeypatch):
    """The connection drops while `sysrc` runs (here: right after it ran): the variable is
    recorded with the value it had before, so that the retry does not take this resource's own
    value for the previous one and delete restores the right value. (Before: nothing was
    recorded; the next create read `-v2` as the previous value and delete left it set.)"""
    from freebsd_provider import ssh
    from freebsd_provider.errors import ConnectionLost
    unset(testbed, "pulumi_cl_flags")
    testbed.exec("sysrc", "pulumi_cl_flags=-v1")
    orig = ssh.Connection.run

    def run(self, argv, **kw):
        res = orig(self, argv, **kw)
        if any("pulumi_cl_flags=-v2" in a for a in argv):
            raise ConnectionLost("connection lost while the command ran")
        return res
    try:
        inputs, _ = client.check(T, "c", {"name": "pulumi_cl_flags", "value": "-v2"})
        monkeypatch.setattr(ssh.Connection, "run", run)
        with pytest.raises(grpc.RpcError) as e:
            client.create(T, "c", inputs)
        monkeypatch.undo()
        rid, state = must_init_failed(e.value)
        assert rid == "/etc/rc.conf:pulumi_cl_flags"
        assert state["value"] == "-v2" and state["previousValue"] == "-v1"
        assert var(testbed, "pulumi_cl_flags") == "-v2"
        client.new_run()
        out = client.update(T, "c", rid, state, inputs, old_inputs=inputs)
        client.delete(T, "c", rid, out, old_inputs=inputs)
        assert var(testbed, "pulumi_cl_flags") == "-v1"
    finally:
        unset(testbed, "pulumi_cl_flags")
