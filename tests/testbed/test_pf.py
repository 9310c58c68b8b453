"""pf.conf parser/printer, pfctl and the evaluator (fast tests, no real host)."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as hs

from freebsd_testbed import hoststate, pf
from freebsd_testbed.tools import kld
from pf_helpers import load_pf_ko, root, run  # noqa: F401 (fixtures)

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "pf")

TUTORIAL_RULES = """\
block drop in log all
pass in on vtnet0 inet proto tcp from any to 192.168.1.201 port = http flags S/SA keep state
pass in on vtnet0 inet proto tcp from any to 192.168.1.201 port = https flags S/SA keep state
pass in on vtnet0 proto tcp from any to any port = ssh flags S/SA keep state
pass in on bridge0 inet proto tcp from 192.168.1.201 to 192.168.1.202 port = postgresql flags S/SA keep state
pass out all flags S/SA keep state
pass inet proto icmp all keep state
"""


def load_pf_module():
    with hoststate.locked() as st:
        kld.reset(st.runtime)
        load_pf_ko(st.runtime)


def write(root, path, text):
    p = root / path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def tutorial(root):
    with open(os.path.join(FIX, "tutorial.conf")) as f:
        write(root, "/etc/pf.conf", f.read())


def test_tutorial_show_rules_exact(root, run):
    load_pf_module()
    tutorial(root)
    assert run("-f", "/etc/pf.conf") == (0, "", "")
    rc, out, err = run("-s", "rules")
    assert rc == 0 and out == TUTORIAL_RULES
    rc, out, _ = run("-sn")
    assert out == ("nat on vtnet0 inet from 192.168.1.201 to any -> (vtnet0) round-robin\n"
                   "nat on vtnet0 inet from 192.168.1.202 to any -> (vtnet0) round-robin\n")


def test_nvf_prints_options_nat_then_filter(root, run):
    load_pf_module()
    tutorial(root)
    rc, out, err = run("-nvf", "/etc/pf.conf")
    assert rc == 0
    # parse.y varset prints each macro definition first under -v (NAME = "value")
    lines = [x for x in out.splitlines() if not x.split(" ", 1)[-1].startswith('= "')]
    assert lines[0] == "set skip on { lo0 }"
    assert lines[1].startswith("nat on vtnet0")
    assert "\n".join(lines[3:]) + "\n" == TUTORIAL_RULES
    # -n does not load
    assert run("-sr")[1] == ""


@pytest.mark.parametrize("name", ["pf0098", "pf1079", "pf1080"])
def test_regression_pairs(root, name):
    with open(os.path.join(FIX, name + ".in")) as f:
        cfg = pf.parse_text(f.read(), name + ".in", verbose=True, optimize=False)
    with open(os.path.join(FIX, name + ".ok")) as f:
        assert "\n".join(cfg.out + cfg.verbose_lines()) + "\n" == f.read()


def test_table_file_and_block_policy(root):
    cfg = pf.parse_text("set block-policy return\ntable <t> persist { 10.0.0.0/8, 1.2.3.4 }\n"
                        "block from <t>\nblock drop in quick on ! em0 inet6 all\n"
                        "pass proto udp to port { 53, 1000:2000, >= 3000 }\n", "x", verbose=True,
                        optimize=False)
    # parse.y BLOCKPOLICY: printf("set block-policy return\n") under -v
    assert cfg.out == ["set block-policy return", "table <t> persist { 10.0.0.0/8 1.2.3.4 }"]
    assert cfg.verbose_lines() == [
        "block return from <t> to any",
        "block drop in quick on ! em0 inet6 all",
        "pass proto udp from any to any port = domain keep state",
        "pass proto udp from any to any port 1000:2000 keep state",
        "pass proto udp from any to any port >= 3000 keep state",
    ]


def test_syntax_errors(root, run):
    load_pf_module()
    write(root, "/etc/pf.conf", "pass in all\nfoo bar baz\npass out on $nope all\n"
          "pass in proto tcp to port nosuchsvc\npass to nohost.invalid\n")
    rc, out, err = run("-f", "/etc/pf.conf")
    assert rc == 1 and out == ""
    assert err.splitlines() == [
        "/etc/pf.conf:2: syntax error",
        "/etc/pf.conf:3: macro 'nope' not defined",
        "/etc/pf.conf:3: syntax error",
        "/etc/pf.conf:4: unknown port nosuchsvc",
        "no IP address found for nohost.invalid",
        "/etc/pf.conf:5: could not parse host specification",
        "pfctl: Syntax error in config file: pf rules not loaded",
    ]
    rc, out, err = run("-nf", "/etc/pf.conf")
    assert rc == 1 and "not loaded" not in err
    write(root, "/etc/bad.conf", "pass proto icmp to port 22\n")
    rc, _, err = run("-nf", "/etc/bad.conf")
    assert rc == 1 and err == "/etc/bad.conf:1: port only applies to tcp/udp/sctp\n"


def test_enable_disable_running(root, run):
    load_pf_module()
    assert run("-s", "Running") == (1, "Disabled\n", "")
    assert run("-e") == (0, "", "pf enabled\n")
    assert run("-e") == (1, "", "pfctl: pf already enabled\n")
    assert run("-sR") == (0, "Enabled\n", "")
    rc, out, _ = run("-si")
    assert rc == 0 and out.startswith("Status: Enabled for 0 days 00:00:0")
    assert out.splitlines()[0].endswith("Debug: Urgent") and len(out.splitlines()[0]) == 59
    assert run("-d") == (0, "", "pf disabled\n")
    assert run("-d") == (1, "", "pfctl: pf not enabled\n")


def test_no_module(root, run):
    with hoststate.locked() as st:
        kld.reset(st.runtime)
    assert run("-e") == (1, "", "pfctl: /dev/pf: No such file or directory\n")


def test_flush_and_tables(root, run):
    load_pf_module()
    tutorial(root)
    run("-f", "/etc/pf.conf")
    assert run("-F", "rules") == (0, "", "rules cleared\n")
    assert run("-sr")[1] == ""
    assert run("-sn")[1] != ""
    assert run("-q", "-F", "nat") == (0, "", "")
    assert run("-t", "bad", "-T", "add", "1.2.3.4", "10.0.0.0/8") == (
        0, "", "1 table created.\n2/2 addresses added.\n")
    assert run("-t", "bad", "-T", "show") == (0, "   1.2.3.4\n   10.0.0.0/8\n", "")
    assert run("-t", "bad", "-T", "delete", "1.2.3.4")[2] == "1/1 addresses deleted.\n"
    # pfctl_table.c RVTEST -> radix_perror(); pfctl_table() returns -1 -> exit(255)
    assert run("-t", "nope", "-T", "show") == (255, "", "pfctl: Table does not exist.\n")


def test_anchors(root, run):
    load_pf_module()
    write(root, "/etc/pf.conf", 'anchor "jails" {\n  pass in proto tcp to port 80\n}\n'
          'anchor "ext"\nblock in all\n')
    write(root, "/etc/ext.conf", "pass in quick proto tcp to port 22\n")
    assert run("-f", "/etc/pf.conf")[0] == 0
    assert run("-sr")[1] == 'anchor "jails" all\nanchor "ext" all\nblock drop in all\n'
    assert run("-a", "jails", "-sr")[1] == \
        "pass in proto tcp from any to any port = http flags S/SA keep state\n"
    assert run("-a", "ext", "-f", "/etc/ext.conf")[0] == 0
    assert run("-sA")[1] == "  ext\n  jails\n"
    run("-e")
    with hoststate.locked() as st:
        assert pf.ssh_allowed(st)  # quick pass inside anchor "ext"
        assert not pf.allows(st, "host", "vtnet0", "in", "tcp", "1.1.1.1", "192.168.1.10", 1, 80)


def test_evaluator_tutorial(root, run):
    load_pf_module()
    tutorial(root)
    run("-f", "/etc/pf.conf")
    with hoststate.locked() as st:
        assert pf.allows(st, "host", "vtnet0", "in", "tcp", "1.2.3.4", "192.168.1.201", 1, 80)
        assert pf.ssh_allowed(st)  # pf not enabled yet
    run("-e")
    with hoststate.locked() as st:
        assert pf.ssh_allowed(st, "192.168.1.100")
        # webserver -> database 5432 where the tutorial's rule filters (bridge0 in)
        assert pf.allows(st, "host", "bridge0", "in", "tcp", "192.168.1.201", "192.168.1.202", 40000, 5432)
        # host/external -> database 5432 blocked
        assert not pf.allows(st, "host", "bridge0", "in", "tcp", "192.168.1.10", "192.168.1.202", 40000, 5432)
        assert not pf.allows(st, "host", "vtnet0", "in", "tcp", "192.168.1.100", "192.168.1.202", 40000, 5432)
        assert pf.allows(st, "host", "lo0", "in", "tcp", "127.0.0.1", "127.0.0.1", 1, 5432)  # skip
        assert pf.allows(st, "host", "vtnet0", "out", "udp", "192.168.1.10", "8.8.8.8", 1, 53)
        assert pf.allows(st, "host", "epair1a", "in", "icmp", "192.168.1.201", "8.8.8.8")
    write(root, "/etc/lock.conf", "block in all\n")
    run("-f", "/etc/lock.conf")
    with hoststate.locked() as st:
        assert not pf.ssh_allowed(st)


def test_optimizer_removes_duplicates_and_respects_quick(root):
    cfg = pf.parse_text("pass all\npass proto tcp all\nblock quick proto udp all\n", "x", verbose=True)
    assert cfg.verbose_lines() == ["pass all flags S/SA keep state",
                                   "block drop quick proto udp all"]
    cfg = pf.parse_text("set ruleset-optimization none\npass all\npass proto tcp all\n", "x", verbose=True)
    assert len(cfg.verbose_lines()) == 2


def test_boot_hook(root, run, monkeypatch):
    tutorial(root)
    write(root, "/etc/rc.conf", 'pf_enable="YES"\n')
    monkeypatch.setattr("freebsd_testbed.boot.rc_conf", lambda: {"pf_enable": "YES", "pf_rules": "/etc/pf.conf"})
    with hoststate.locked() as st:
        kld.reset(st.runtime)
        os.makedirs(root / "boot" / "kernel", exist_ok=True)
        (root / "boot" / "kernel" / "pf.ko").write_text("")
        pf.boot_step(st.runtime)
    assert run("-sr")[1] == TUTORIAL_RULES
    assert run("-sR")[1] == "Enabled\n"


ALPHABET = hs.sampled_from(["pass", "block", "in", "out", "on", "em0", "{", "}", ",", "<", ">", "(",
                            ")", "!", "=", "/", "port", "22", "http", "from", "to", "any", "all",
                            "proto", "tcp", "udp", "icmp", "inet", "inet6", "nat", "rdr", "->",
                            "10.0.0.1", "::1", "$x", "x", "table", "anchor", '"a"', "set", "skip",
                            "keep", "state", "flags", "S/SA", "quick", "log", "\n", "#", "\\\n",
                            ":", "1000:2000", "label", "nat-to", "rdr-to", "match", "scrub",
                            "binat", "include", "load", "no", "return", "drop", "self"])


@settings(max_examples=300, deadline=None)
@given(hs.lists(ALPHABET, max_size=25), hs.text(max_size=30))
def test_parser_never_crashes(tokens, junk):
    os.environ.setdefault("TESTBED_ROOT", "/nonexistent-testbed-root")
    text = " ".join(tokens) + "\n" + junk
    cfg = pf.parse_text(text, "/etc/pf.conf", verbose=True)
    for e in cfg.errors:
        assert e.startswith("/etc/pf.conf:") or e.startswith("/")
    cfg.verbose_lines()
