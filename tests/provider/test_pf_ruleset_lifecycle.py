"""PfRuleset over real gRPC against the testbed (which enforces PF on new SSH connections)."""
from __future__ import annotations

import pathlib
import re

import grpc
import pytest

from freebsd_provider import wire
from harness import failing_next, kinds, must_init_failed

T = "freebsd:index:PfRuleset"
pytestmark = pytest.mark.testbed
TUTORIAL = (pathlib.Path(__file__).parent.parent / "unit" / "fixtures" / "pfctl" / "tutorial_pf.conf").read_text()
SMALL = "set skip on lo0\nblock in all\npass in proto tcp to any port 22\npass out all keep state\n"


def sh(testbed, *cmd, check=True):
    return testbed.exec(*cmd, check=check)


def rc(testbed, var):
    """The variable as set in /etc/rc.conf itself (not /etc/defaults/rc.conf), or None."""
    for line in sh(testbed, "sysrc", "-f", "/etc/rc.conf", "-a").stdout.splitlines():
        name, _, value = line.partition(": ")
        if name == var:
            return value
    return None


def pf_enabled(testbed):
    r = sh(testbed, "pfctl", "-s", "info", check=False)
    return r.returncode == 0 and "Status: Enabled" in r.stdout


def pf_loaded(testbed):
    return sh(testbed, "kldstat", "-q", "-m", "pf", check=False).returncode == 0


@pytest.fixture()
def clean_pf(testbed):
    """Start and end without pf: no module, no /etc/pf.conf, no rc.conf pf_* words."""
    def reset():
        sh(testbed, "pfctl", "-d", check=False)
        sh(testbed, "pfctl", "-F", "all", check=False)
        sh(testbed, "kldunload", "pf", check=False)
        sh(testbed, "rm", "-f", "/etc/pf.conf", "/etc/pf.conf.pulumi-new")
        sh(testbed, "sysrc", "-x", "pf_enable", "pf_rules", check=False)
        # and no journal records of PfRulesets these tests left without deleting them
        sh(testbed, "rm", "-rf", "/var/db/pulumi-freebsd")
    reset()
    yield
    reset()


def test_check_rejects_hostile_rules_without_touching_the_host(client, testbed):
    before = len(testbed.log())
    for bad in ('include "/etc/master.passwd"\n', "pass all\x00\n", "pass in on `id`\n",
                'load anchor "a" from "/etc/passwd"\n'):
        _, f = client.check(T, "bad", {"rules": bad})
        assert [p for p, _ in f] == ["rules"], bad
    _, f = client.check(T, "bad", {"rules": "pass all\n", "path": "etc/pf.conf", "anchor": "a b"})
    assert {p for p, _ in f} == {"path", "anchor"}
    _, f = client.check(T, "bad", {"rules": "pass all\n", "anchor": "jails"})
    assert [p for p, _ in f] == ["path"]  # an anchor needs its own file
    assert len(testbed.log()) == before


def test_lifecycle(client, testbed, clean_pf):
    inputs, f = client.check(T, "pf", {"rules": TUTORIAL})
    assert f == [] and inputs["path"] == "/etc/pf.conf" and inputs["enable"] is True
    rid, out = client.create(T, "pf", inputs, preview=True)
    assert out["loadedRules"] == wire.UNKNOWN and not pf_loaded(testbed)

    rid, out = client.create(T, "pf", inputs)
    assert rid == "/etc/pf.conf"
    assert out["previousExisted"] is False and out["previousEnabled"] is False
    assert out["previousModuleLoaded"] is False and out.get("previousPfEnable") is None
    assert "pass in on bridge0 inet proto tcp from 192.168.1.201 to 192.168.1.202 port = postgresql" in out["loadedRules"]
    assert sh(testbed, "cat", "/etc/pf.conf").stdout == TUTORIAL
    assert pf_enabled(testbed) and rc(testbed, "pf_enable") == "YES" and rc(testbed, "pf_rules") == "/etc/pf.conf"

    # refresh right after: no drift
    client.new_run()
    _, state, read_inputs = client.read(T, "pf", rid, out, inputs)
    assert read_inputs == inputs
    d = client.diff(T, "pf", rid, state, inputs, old_inputs=read_inputs)
    assert d.changes == d.DIFF_NONE

    # invalid rules: the update fails with pfctl's message; file and running rules untouched
    bad, f = client.check(T, "pf", {"rules": TUTORIAL + "pass in on $ext_if proto tcp to port bogus_port\n"})
    assert f == []
    with pytest.raises(grpc.RpcError) as e:
        client.update(T, "pf", rid, state, bad, old_inputs=inputs)
    assert "/etc/pf.conf:" in e.value.details() and "untouched" in e.value.details()
    assert sh(testbed, "cat", "/etc/pf.conf").stdout == TUTORIAL
    assert sh(testbed, "test", "-e", "/etc/pf.conf.pulumi-new", check=False).returncode != 0
    assert "postgresql" in sh(testbed, "pfctl", "-s", "rules").stdout

    # a rules change updates in place
    news, _ = client.check(T, "pf", {"rules": SMALL})
    d = client.diff(T, "pf", rid, state, news, old_inputs=inputs)
    assert kinds(d) == {"rules": "UPDATE"} and list(d.replaces) == []
    out2 = client.update(T, "pf", rid, state, news, old_inputs=inputs)
    assert "postgresql" not in out2["loadedRules"] and "port = ssh" in out2["loadedRules"]

    # drift 1: rules flushed by hand -> `rules` differs (note line), the update reloads
    sh(testbed, "pfctl", "-F", "rules")
    client.new_run()
    _, st, ri = client.read(T, "pf", rid, out2, news)
    assert ri["rules"].startswith("# pulumi-freebsd: the rules loaded in pf differ")
    assert kinds(client.diff(T, "pf", rid, st, news, old_inputs=ri)) == {"rules": "UPDATE"}
    st = client.update(T, "pf", rid, st, news, old_inputs=ri)
    client.new_run()
    _, st, ri = client.read(T, "pf", rid, st, news)
    assert ri == news

    # drift 2: file edited by hand and pf disabled
    sh(testbed, "sh", "-c", "echo 'pass all' >> /etc/pf.conf")
    sh(testbed, "pfctl", "-d")
    client.new_run()
    _, st, ri = client.read(T, "pf", rid, st, news)
    assert ri["enable"] is False and ri["rules"] != news["rules"]
    assert set(kinds(client.diff(T, "pf", rid, st, news, old_inputs=ri))) == {"rules", "enable"}
    st = client.update(T, "pf", rid, st, news, old_inputs=ri)
    assert pf_enabled(testbed) and sh(testbed, "cat", "/etc/pf.conf").stdout == SMALL

    # path change replaces
    moved, _ = client.check(T, "pf", {"rules": SMALL, "path": "/etc/pf2.conf"})
    assert list(client.diff(T, "pf", rid, st, moved, old_inputs=news).replaces) == ["path"]

    # import by id
    client.new_run()
    rid2, ist, imp = client.read(T, "pf", rid)
    # an input with a default comes back with it (the next apply uses it, as a create does)
    assert rid2 == rid and imp == {"rules": SMALL, "path": "/etc/pf.conf", "enable": True,
                                   "rollbackSeconds": 20}
    checked, f = client.check(T, "pf", imp)
    d = client.diff(T, "pf", rid, ist, checked, old_inputs=imp)
    assert f == [] and d.changes == d.DIFF_NONE

    # delete restores what was there: no file, pf off, no rc.conf words, pf.ko unloaded
    client.delete(T, "pf", rid, st, old_inputs=news)
    assert sh(testbed, "test", "-e", "/etc/pf.conf", check=False).returncode != 0
    assert rc(testbed, "pf_enable") is None and rc(testbed, "pf_rules") is None
    assert not pf_loaded(testbed) and not pf_enabled(testbed)
    rid3, _, _ = client.read(T, "pf", rid, st, news)
    assert rid3 == ""


def test_delete_restores_the_previous_ruleset(client, testbed, clean_pf):
    sh(testbed, "sh", "-c", "printf 'pass all\\n' > /etc/pf.conf")
    sh(testbed, "kldload", "pf")
    sh(testbed, "pfctl", "-f", "/etc/pf.conf")
    sh(testbed, "pfctl", "-e")
    sh(testbed, "sysrc", "pf_enable=YES")
    inputs, _ = client.check(T, "pf", {"rules": SMALL})
    rid, out = client.create(T, "pf", inputs)
    assert out["previousExisted"] is True and out["previousContent"] == "pass all\n"
    assert out["previousEnabled"] is True and out["previousPfEnable"] == "YES"
    assert rc(testbed, "pf_rules") == "/etc/pf.conf"
    client.delete(T, "pf", rid, out, old_inputs=inputs)
    assert sh(testbed, "cat", "/etc/pf.conf").stdout == "pass all\n"
    assert sh(testbed, "pfctl", "-s", "rules").stdout.strip() == "pass all flags S/SA keep state"
    assert pf_enabled(testbed) and pf_loaded(testbed)
    assert rc(testbed, "pf_enable") == "YES" and rc(testbed, "pf_rules") is None


def test_anchor(client, testbed, clean_pf):
    sh(testbed, "mkdir", "-p", "/etc/pf.anchors")
    try:
        inputs, f = client.check(T, "a", {"rules": "pass in quick proto tcp to any port 80\n",
                                          "anchor": "jails", "path": "/etc/pf.anchors/jails"})
        assert f == []
        rid, out = client.create(T, "a", inputs)
        assert rid == "jails:/etc/pf.anchors/jails"
        assert "port = http" in sh(testbed, "pfctl", "-a", "jails", "-s", "rules").stdout
        assert rc(testbed, "pf_rules") is None  # rc.conf untouched for an anchor
        client.new_run()
        _, st, ri = client.read(T, "a", rid, out, inputs)
        assert ri == inputs
        client.delete(T, "a", rid, st, old_inputs=inputs)
        assert sh(testbed, "pfctl", "-a", "jails", "-s", "rules").stdout.strip() == ""
        assert sh(testbed, "test", "-e", "/etc/pf.anchors/jails", check=False).returncode != 0
    finally:
        sh(testbed, "rm", "-rf", "/etc/pf.anchors")


# -- lockout protection -------------------------------------------------------------------------

LOCKOUT = "set skip on lo0\nblock in all\npass out all keep state\n"


def test_ruleset_that_locks_out_ssh_is_rolled_back(testbed):
    from harness import ProviderClient
    from freebsd_provider import wire as _wire
    import grpc as _grpc
    c = ProviderClient()
    try:
        cfg = testbed.provider_config()
        c.configure(**{**cfg, "privateKey": _wire.Secret(cfg["privateKey"])})
        good = "set skip on lo0\nblock in all\npass out all keep state\npass in on vtnet0 proto tcp to any port 22\n"
        inputs, f = c.check(T, "lock", {"rules": good, "path": "/etc/pf-lock.conf", "rollbackSeconds": 3})
        assert f == []
        rid, out = c.create(T, "lock", inputs)  # confirmed over a fresh connection
        assert testbed.exec("cat", "/etc/pf-lock.conf").stdout == good
        assert testbed.exec("sh", "-c", "ls /etc/pf-lock.conf.pulumi-rollback /var/run/pulumi-freebsd.pf-confirm.* 2>/dev/null; true").stdout == ""
        c.new_run()
        bad, _ = c.check(T, "lock", {"rules": LOCKOUT, "path": "/etc/pf-lock.conf", "rollbackSeconds": 3})
        with pytest.raises(_grpc.RpcError) as e:
            c.update(T, "lock", rid, out, bad, old_inputs=inputs)
        assert "would lock the provider out" in e.value.details()
        # the host is reachable again (new connections), with the previous file and rules
        assert testbed.exec("cat", "/etc/pf-lock.conf").stdout == good
        assert "port = ssh" in testbed.exec("pfctl", "-s", "rules").stdout
        c.new_run()
        c.delete(T, "lock", rid, out, old_inputs=inputs)
    finally:
        testbed.exec("sh", "-c", "pfctl -d; pfctl -F all; rm -f /etc/pf-lock.conf*; sysrc -x pf_enable pf_rules; true",
                     check=False)
        c.close()


# -- round trips ----------------------------------------------------------------------------------


def _execs(testbed, since):
    return [e["command"] for e in testbed.log()[since:]]


def test_few_execs_per_operation(client, testbed, clean_pf):
    """Over a WAN every exec is a round trip: update takes 3 execs plus the confirmation over a
    new connection, create one more (first, the journal and any rollback timer a killed apply left
    pending), a delete of a fresh install 2 (kldstat and one batch)."""
    inputs, _ = client.check(T, "pf", {"rules": TUTORIAL})
    client.new_run()
    before = len(testbed.log())
    rid, out = client.create(T, "pf", inputs)
    cmds = _execs(testbed, before)
    assert len(cmds) == 5, cmds
    assert sum("pfctl -nf" in c for c in cmds) == 1 and sum("touch /var/run/pulumi-freebsd.pf-confirm." in c for c in cmds) == 1
    # the order of the safety steps: validate, (arm the timer, load), confirm over a new connection
    i_check = next(i for i, c in enumerate(cmds) if "pfctl -nf" in c)
    i_arm = next(i for i, c in enumerate(cmds) if "nohup" in c)
    i_probe = next(i for i, c in enumerate(cmds) if c.startswith("/usr/bin/touch"))
    assert i_check < i_arm < i_probe
    assert cmds[i_arm].index("nohup") < cmds[i_arm].index("/sbin/pfctl -f /etc/pf.conf")
    assert pf_enabled(testbed) and rc(testbed, "pf_enable") == "YES" and rc(testbed, "pf_rules") == "/etc/pf.conf"

    news, _ = client.check(T, "pf", {"rules": SMALL})
    client.new_run()
    before = len(testbed.log())
    out2 = client.update(T, "pf", rid, out, news, old_inputs=inputs)
    assert len(_execs(testbed, before)) == 4, _execs(testbed, before)
    assert "port = ssh" in out2["loadedRules"]

    client.new_run()
    before = len(testbed.log())
    client.delete(T, "pf", rid, out2, old_inputs=news)
    assert len(_execs(testbed, before)) == 2, _execs(testbed, before)
    assert sh(testbed, "test", "-e", "/etc/pf.conf", check=False).returncode != 0
    assert rc(testbed, "pf_enable") is None and rc(testbed, "pf_rules") is None
    assert not pf_loaded(testbed) and not pf_enabled(testbed)


def test_update_enable_off_restores_rc_conf_and_pf_state(client, testbed, clean_pf):
    sh(testbed, "sysrc", "pf_rules=/etc/pf.other")
    try:
        inputs, _ = client.check(T, "pf", {"rules": SMALL})
        rid, out = client.create(T, "pf", inputs)
        assert out["previousPfRules"] == "/etc/pf.other" and out.get("previousPfEnable") is None
        assert rc(testbed, "pf_rules") == "/etc/pf.conf" and pf_enabled(testbed)
        off, _ = client.check(T, "pf", {"rules": SMALL, "enable": False})
        out2 = client.update(T, "pf", rid, out, off, old_inputs=inputs)
        assert rc(testbed, "pf_enable") is None and rc(testbed, "pf_rules") == "/etc/pf.other"
        assert not pf_enabled(testbed) and pf_loaded(testbed)
        assert "port = ssh" in out2["loadedRules"]  # the rules stay loaded
        assert sh(testbed, "cat", "/etc/pf.conf").stdout == SMALL
        client.delete(T, "pf", rid, out2, old_inputs=off)
        assert sh(testbed, "test", "-e", "/etc/pf.conf", check=False).returncode != 0
        assert rc(testbed, "pf_rules") == "/etc/pf.other" and not pf_loaded(testbed)
    finally:
        sh(testbed, "sysrc", "-x", "pf_rules", check=False)


def test_load_failure_after_arming_rolls_back_at_once(client, testbed, clean_pf, monkeypatch):
    """pfctl -f failing after the timer is armed (and the file moved): previous file and rules
    back at once, the timer stopped, the update fails with pfctl's message."""
    from freebsd_provider.host import pfctl as hpfctl
    inputs, _ = client.check(T, "pf", {"rules": TUTORIAL})
    rid, out = client.create(T, "pf", inputs)
    news, _ = client.check(T, "pf", {"rules": SMALL})
    real_load = hpfctl.load
    monkeypatch.setattr(hpfctl, "load", lambda path, anchor=None: [
        "/bin/sh", "-c", 'echo "pfctl: injected load failure for $1" >&2; exit 1', "sh", path])
    client.new_run()
    before = len(testbed.log())
    with pytest.raises(grpc.RpcError) as e:
        client.update(T, "pf", rid, out, news, old_inputs=inputs)
    assert "injected load failure for /etc/pf.conf" in e.value.details()
    monkeypatch.setattr(hpfctl, "load", real_load)
    assert sh(testbed, "cat", "/etc/pf.conf").stdout == TUTORIAL
    assert "postgresql" in sh(testbed, "pfctl", "-s", "rules").stdout and pf_enabled(testbed)
    left = sh(testbed, "sh", "-c", "ls /etc/pf.conf.pulumi-rollback /var/run/pulumi-freebsd.pf-confirm.* 2>/dev/null; true").stdout
    assert left == ""
    # the rollback ran at once (one exec: stop the timer, restore), and the timer is gone
    rollback = [c for c in _execs(testbed, before) if "/nonexistent/confirm" in c]
    assert len(rollback) == 1
    pid = re.search(r"/bin/kill (\d+)", rollback[0]).group(1)
    gone = 'for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$1" 2>/dev/null || exit 0; sleep 0.2; done; exit 1'
    assert sh(testbed, "sh", "-c", gone, "sh", pid, check=False).returncode == 0
    client.new_run()
    client.delete(T, "pf", rid, out, old_inputs=inputs)


def test_failed_arm_exec_changes_nothing(client, testbed, clean_pf):
    """The exec arming the timer fails as a whole: nothing moved, nothing loaded."""
    inputs, _ = client.check(T, "pf", {"rules": TUTORIAL})
    rid, out = client.create(T, "pf", inputs)
    news, _ = client.check(T, "pf", {"rules": SMALL})
    testbed.fault("--fail-next", "nohup")
    try:
        client.new_run()
        with pytest.raises(grpc.RpcError):
            client.update(T, "pf", rid, out, news, old_inputs=inputs)
    finally:
        testbed.fault("--clear")
    assert sh(testbed, "cat", "/etc/pf.conf").stdout == TUTORIAL
    assert "postgresql" in sh(testbed, "pfctl", "-s", "rules").stdout and pf_enabled(testbed)
    client.new_run()
    client.delete(T, "pf", rid, out, old_inputs=inputs)


def test_rules_that_can_never_match_are_warned_about(client, testbed, clean_pf):
    """A rule `on` a bridge while net.link.bridge.pfil_bridge=0 (FreeBSD 15's default): a
    warning on the resource at preview (read-only commands) and after the load; none once the
    bridge filters. A rule on a missing interface is named too."""
    sh(testbed, "kldload", "-n", "if_bridge")
    sh(testbed, "ifconfig", "bridge7", "create", "up")
    before = sh(testbed, "sysctl", "-n", "net.link.bridge.pfil_bridge").stdout.strip()
    sh(testbed, "sysctl", "net.link.bridge.pfil_bridge=0")
    logs: list[tuple[str, str, str]] = []

    async def log(severity, message, urn=""):
        logs.append((severity, message, urn))
    client.servicer._log = log
    rules = ("set skip on lo0\nblock in all\npass in proto tcp to any port 22\npass out all keep state\n"
             "pass in on bridge7 proto tcp to any port 5432\npass in on epair77a all\n")
    try:
        inputs, f = client.check(T, "pf", {"rules": rules})
        assert f == []
        client.create(T, "pf", inputs, preview=True)
        warned = [m for s, m, u in logs if s == "warning" and u.endswith("::pf")]
        assert len(warned) == 2, logs
        assert warned[0].startswith("rule `pass in on bridge7 proto tcp from any to any port = postgresql "
                                    "flags S/SA keep state` can never match on the host as it is: "
                                    "bridge7 is a bridge without an address of the host and "
                                    "net.link.bridge.pfil_bridge=0")
        assert "there is no interface epair77a on the host (unless this update creates it)" in warned[1]
        assert not pf_loaded(testbed)  # preview loaded nothing

        logs.clear()
        rid, out = client.create(T, "pf", inputs)
        warned = [m for s, m, u in logs if s == "warning" and u.endswith("::pf")]
        assert len(warned) == 2 and "pfil_bridge=0" in warned[0]
        assert warned[1].endswith("there is no interface epair77a on the host")

        sh(testbed, "sysctl", "net.link.bridge.pfil_bridge=1")
        client.new_run()  # changed by hand: a later run sees it (the apply's reads are cached facts)
        logs.clear()
        news = {**inputs, "rules": rules.replace("pass in on epair77a all\n", "")}
        client.update(T, "pf", rid, out, news, old_inputs=inputs, preview=True)
        assert [m for s, m, _ in logs if s == "warning"] == []
        client.delete(T, "pf", rid, out, old_inputs=inputs)
    finally:
        sh(testbed, "sysctl", f"net.link.bridge.pfil_bridge={before or 0}", check=False)
        sh(testbed, "ifconfig", "bridge7", "destroy", check=False)


# -- partial failure ------------------------------------------------------------------------------


def test_failure_after_the_confirmation_is_recorded(client, testbed, clean_pf):
    """The last exec of a create (stop the timer, persist in rc.conf, read back) fails: the new
    rules are confirmed and stay loaded, so the ruleset is recorded with what was there before;
    the next update finishes it and delete restores the host."""
    inputs, _ = client.check(T, "pf", {"rules": SMALL, "rollbackSeconds": 3})
    with failing_next(testbed, "pf_enable=YES"), pytest.raises(grpc.RpcError) as e:
        client.create(T, "pf", inputs)
    rid, state = must_init_failed(e.value)
    assert rid == "/etc/pf.conf" and "were loaded but the apply did not finish" in e.value.details()
    assert state["previousExisted"] is False and state["previousEnabled"] is False
    assert state["previousModuleLoaded"] is False and state.get("previousPfEnable") is None
    assert state["rules"] == SMALL
    assert sh(testbed, "cat", "/etc/pf.conf").stdout == SMALL and pf_enabled(testbed)
    assert rc(testbed, "pf_enable") is None

    client.new_run()
    out = client.update(T, "pf", rid, state, inputs, old_inputs=inputs)
    assert rc(testbed, "pf_enable") == "YES" and rc(testbed, "pf_rules") == "/etc/pf.conf"
    assert "port = ssh" in out["loadedRules"]
    client.new_run()
    client.delete(T, "pf", rid, out, old_inputs=inputs)
    assert sh(testbed, "test", "-e", "/etc/pf.conf", check=False).returncode != 0
    assert rc(testbed, "pf_enable") is None and not pf_loaded(testbed) and not pf_enabled(testbed)
