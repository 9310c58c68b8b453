"""Fixture tests of the pfctl argv builders, output parsers and the pf.conf text checks."""
from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import given, strategies as st

from freebsd_provider.host import pfctl

FIX = pathlib.Path(__file__).parent / "fixtures" / "pfctl"
CASES = sorted(FIX.glob("*.json"))

TUTORIAL = (pathlib.Path(__file__).parent / "fixtures" / "pfctl" / "tutorial_pf.conf").read_text()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "builder" in case:
        assert getattr(pfctl, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
        return
    got = getattr(pfctl, case["parser"])(case["output"])
    if isinstance(got, tuple):
        got = [list(x) for x in got]
    assert got == case["result"]


def test_loaded_equals_parsed_for_the_tutorial():
    """`pfctl -s rules` + `-s nat` of the tutorial equal the filter/nat lines of `pfctl -nvf`."""
    nvf = json.loads((FIX / "parsed_tutorial.json").read_text())["output"]
    filt, nat = pfctl.split_parsed(nvf)
    shown_rules = "\n".join(filt) + "\n"
    assert pfctl.rule_lines(shown_rules) == filt
    assert pfctl.rule_lines("  " + "\n  ".join(nat)) == nat  # whitespace normalized


def test_parse_status_needs_a_status_line():
    with pytest.raises(ValueError):
        pfctl.parse_status("garbage\n")


def test_parse_read_conf_rejects_garbage():
    with pytest.raises(ValueError):
        pfctl.parse_read_conf("stat: illegal option\n")


def test_tutorial_rules_are_accepted():
    assert pfctl.rules_error(TUTORIAL) is None


@pytest.mark.parametrize("text,needle", [
    ('include "/etc/master.passwd"\n', "'include' is not allowed"),
    ('pass all\n  include "/etc/x"\n', "line 2: 'include'"),
    ('anchor "a" {\n include "/etc/x"\n}\n', "'include' is not allowed"),
    ('pass all # fine\ninclude \\\n "/etc/x"\n', "'include' is not allowed"),
    ('inc = "include"\n$inc "/etc/x"\n', "macro value must not contain"),
    ('load anchor "x" from "/etc/master.passwd"\n', "may only read files under /etc/pf.anchors/"),
    ('load anchor "x" from "/etc/pf.anchors/../master.passwd"\n', "may only read files under"),
    ('pass all\n\x00\n', "control character"),
    ('pass all\x1b[2J\n', "control character"),
    ('pass in on `ifconfig -l`\n', "shell syntax"),
    ('ext_if = "$(reboot)"\n', None),  # in quotes: pfctl's business (it is not a shell)
    ('pass in on $(x)\n', "shell syntax"),
    ("pass all\n" * 40000, "too long"),
])
def test_rules_errors(text, needle):
    err = pfctl.rules_error(text)
    if needle is None:
        assert err is None
    else:
        assert err is not None and needle in err, err


@pytest.mark.parametrize("text", [
    'load anchor "jails" from "/etc/pf.anchors/jails"\n',
    'pass in on $ext_if proto tcp to any port 22 label "include me"\n',
    'pass all # include "/etc/x" in a comment\n',
    'table <t> persist { 10.0.0.1 }\nblock in from <t>\n',
    '',
])
def test_rules_accepted(text):
    assert pfctl.rules_error(text) is None


@pytest.mark.parametrize("anchor,ok", [
    ("jails", True), ("jails/webserver", True), ("a.b-c_d", True), ("", False), ("/jails", False),
    ("jails/", False), ("_reserved", False), ("a b", False), ("a;b", False), ("a/../b", False),
    ("x" * 64, False),
])
def test_anchor_error(anchor, ok):
    assert (pfctl.anchor_error(anchor) is None) is ok


@pytest.mark.parametrize("path,ok", [
    ("/etc/pf.conf", True), ("/etc/pf.anchors/jails.conf", True), ("etc/pf.conf", False),
    ("/etc/pf conf", False), ("/etc/$(x)", False), ("/etc/../pf.conf", False), ("/etc/", False),
    ("/etc/pf.conf\n", False), ("/etc/a:b", False),
])
def test_path_error(path, ok):
    assert (pfctl.path_error(path) is None) is ok


@given(st.text(max_size=200))
def test_rules_error_never_crashes(text):
    err = pfctl.rules_error(text)
    assert err is None or isinstance(err, str)
    if err is None:
        assert "\x00" not in text and "`" not in text.split("#")[0] or '"' in text or "#" in text


# -- lockout guard ---------------------------------------------------------------------------------


def test_guard_scripts_are_constants_values_are_parameters():
    hostile = "/etc/pf.conf'; reboot #"
    a = pfctl.guard_arm(hostile, "/var/run/c", 20, "jails/web", True)
    b = pfctl.guard_arm("/etc/pf.conf", "/var/run/d", 3, None, False)
    assert a[:5] == b[:5] and a[:2] == ["/bin/sh", "-c"] and a[3] == "sh"  # script, timer: same text
    armed_a, armed_b = pfctl.armed_file(hostile, "jails/web"), pfctl.armed_file("/etc/pf.conf", None)
    assert armed_a.startswith(pfctl.ARMED_PREFIX) and armed_a != armed_b
    assert armed_b != pfctl.armed_file("/etc/pf.conf", "jails/web")  # per path and anchor
    assert a[5:] == [hostile, hostile + ".pulumi-rollback", "/var/run/c", "20", "jails/web", "1", armed_a]
    assert b[5:] == ["/etc/pf.conf", "/etc/pf.conf.pulumi-rollback", "/var/run/d", "3", "", "0", armed_b]
    r = pfctl.guard_rollback(hostile, None, False, True)
    assert r[2] == a[4]  # the rollback runs the timer's own script, at once
    assert r[3:] == ["sh", hostile, hostile + ".pulumi-rollback", "/nonexistent/confirm", "0", "", "0", "1",
                     pfctl.armed_file(hostile, None)]
    w = pfctl.rollback_settled(hostile, None, 30)
    assert w.argv[:2] == ("/bin/sh", "-c") and hostile not in w.argv[2]
    assert w.argv[3:] == ("sh", pfctl.armed_file(hostile, None), "30")


def test_guard_kill_and_cleanup():
    assert pfctl.guard_kill("4242") == ["/bin/kill", "4242"]
    for bad in ("-1", "0", "", "12 13"):
        with pytest.raises(ValueError):
            pfctl.guard_kill(bad)
    with pytest.raises(ValueError):
        pfctl.guard_kill("1; reboot")
    assert pfctl.guard_cleanup("/etc/pf.conf", "/var/run/pulumi-freebsd.pf-confirm.ab") == [
        "/bin/rm", "-f", "/var/run/pulumi-freebsd.pf-confirm.ab", "/etc/pf.conf.pulumi-rollback",
        pfctl.armed_file("/etc/pf.conf", None)]


@pytest.mark.parametrize("text,result", [
    ("1 5473\n", (True, "5473")),
    ("0 12\n", (False, "12")),
    # a batch that died after arming: its whole output starts with the arm line
    ("1 5473\n\n__pulumi_freebsd_batch_0123456789abcdef 0\n", (True, "5473")),
    # ... and after the steps before it in that exec (journal record, kldload -n), silent ones
    ("\n__pulumi_freebsd_batch_0123456789abcdef 0\n\n__pulumi_freebsd_batch_0123456789abcdef 0\n"
     "0 77\n", (False, "77")),
])
def test_parse_guard_arm(text, result):
    assert pfctl.parse_guard_arm(text) == result


@pytest.mark.parametrize("text", ["", "\n", "2 12\n", "1 0\n", "1 -3\n", "1 12 13\n", "x\n1 0\n2 3\n"])
def test_parse_guard_arm_rejects_garbage(text):
    with pytest.raises(ValueError):
        pfctl.parse_guard_arm(text)


def test_split_parsed_skips_the_macro_definitions_pfctl_v_echoes():
    # sbin/pfctl/parse.y varset: with -v, every macro definition is printed as NAME = "VALUE"
    out = ('ext_if = "vtnet0"\njails = "{ 192.168.1.201 192.168.1.202 }"\n'
           "set skip on { lo0 }\n"
           "pass in on vtnet0 inet proto tcp from any to any port = 22 flags S/SA keep state\n")
    filt, nat = pfctl.split_parsed(out)
    assert filt == ["pass in on vtnet0 inet proto tcp from any to any port = 22 flags S/SA keep state"]
    assert nat == []


def test_parsed_file_and_bridge_pfil_facts():
    from freebsd_provider.ssh import Result
    nvf = json.loads((FIX / "parsed_tutorial.json").read_text())["output"]
    argv = pfctl.parsed_rules("/etc/pf.conf", "jails")
    f = pfctl.parsed_file("/etc/pf.conf", "jails")
    assert list(f.argv) == argv == ["/sbin/pfctl", "-a", "jails", "-nvf", "/etc/pf.conf"]
    assert f.parse(Result(argv, "", 0, nvf, "")) == pfctl.split_parsed(nvf)
    # pfctl rejecting the file: no parse (the resource reports the loaded rules as drift)
    assert f.parse(Result(argv, "", 1, "", "/etc/pf.conf:3: syntax error\n")) is None
    pfil = pfctl.bridge_pfil()
    text = "net.link.bridge.pfil_bridge=0\nnet.link.bridge.pfil_member=0\n"
    assert list(pfil.argv) == pfctl.bridge_pfil_get()
    assert pfil.parse(Result(list(pfil.argv), "", 0, text, "")) == text


def test_armed_timer_is_waited_for_with_a_real_shell(tmp_path):
    """The arm script records its timer's pid; the settle fact waits while that timer runs and
    answers "settled" once it has removed the file (or when it is dead), "pending" at the limit."""
    import subprocess
    import time
    armed = str(tmp_path / "armed")
    w = pfctl.rollback_settled("/etc/pf.conf", None, 5)
    argv = [*w.argv[:4], armed, w.argv[5]]
    run = lambda args: subprocess.run(args, capture_output=True, text=True, check=True).stdout  # noqa: E731
    assert run(argv) == "settled\n"  # no timer
    # a detached timer, as nohup starts it (not our child: reaped by init, never a zombie)
    pid = run(["sh", "-c", "sleep 2 >/dev/null 2>&1 & echo $!"]).strip()
    (tmp_path / "armed").write_text(f"{pid}\n")
    t0 = time.monotonic()
    assert run([*argv[:5], "0"]) == "pending\n"   # still running at the limit
    assert run(argv) == "settled\n" and time.monotonic() - t0 >= 1.5
    (tmp_path / "armed").write_text("999999\n")   # a timer that died with the host: not waited for
    assert run(argv) == "settled\n"
