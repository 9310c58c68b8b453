"""pfctl fidelity: relative paths, pfctl -nv printing of pf.conf(5) constructs, errors, fuzzing.

Expected outputs follow sbin/pfctl/parse.y and pfctl_parser.c print_rule()/print_pool() of
FreeBSD 15.0 (formats as in sbin/pfctl/tests/files/pf*.ok); the inputs here are our own.
"""
from __future__ import annotations

import os
import random

import pytest

from freebsd_testbed.tools import pfctl


@pytest.fixture
def root(tmp_path, monkeypatch):
    r = tmp_path / "host"
    (r / "etc").mkdir(parents=True)
    monkeypatch.setenv("TESTBED_ROOT", str(r))
    monkeypatch.delenv("TESTBED_VNET", raising=False)
    return r


@pytest.fixture
def run(root, capsys):
    def _run(*args: str):
        capsys.readouterr()
        rc = pfctl.main(["/sbin/pfctl", *args])
        out, err = capsys.readouterr()
        return rc, out, err
    return _run


def nv(root, run, text: str, *extra: str):
    (root / "etc" / "t.conf").write_text(text)
    return run("-o", "none", *extra, "-nvf", "/etc/t.conf")


def test_relative_path_resolves_against_cwd(root, run, monkeypatch):
    (root / "etc" / "pf.conf").write_text("pass in proto tcp to port 22\n")
    monkeypatch.chdir(root / "etc")
    rc, out, err = run("-nvf", "pf.conf")
    assert (rc, err) == (0, "")
    assert out == "pass in proto tcp from any to any port = ssh flags S/SA keep state\n"


def test_missing_file_errors(root, run, monkeypatch):
    monkeypatch.chdir(root / "etc")
    rc, out, err = run("-nf", "nope.conf")
    assert rc == 1 and out == ""
    assert err == ("pfctl: nope.conf: No such file or directory\n"
                   "pfctl: cannot open the main config file!: No such file or directory\n")
    rc, _, err = run("-nf", "/etc")
    assert rc == 1 and "Is a directory" in err


def test_relative_include_and_syntax_error_prefix(root, run, monkeypatch):
    (root / "etc" / "inc.conf").write_text("pass out\nbogus words here\n")
    (root / "etc" / "main.conf").write_text("include \"inc.conf\"\n")
    monkeypatch.chdir(root / "etc")
    rc, out, err = run("-nf", "main.conf")
    assert rc == 1 and err == "inc.conf:2: syntax error\n"


@pytest.mark.parametrize("src,want", [
    # macros are echoed (parse.y varset) and lists expand one rule per element
    ('ports = "{ 22 80 }"\npass in proto tcp to port $ports\n',
     'ports = "{ 22 80 }"\n'
     "pass in proto tcp from any to any port = ssh flags S/SA keep state\n"
     "pass in proto tcp from any to any port = http flags S/SA keep state\n"),
    ("pass from { 192.0.2.1 2001:db8::1 } to (em0)\n",
     "pass inet from 192.0.2.1 to (em0) flags S/SA keep state\n"
     "pass inet6 from 2001:db8::1 to (em0) flags S/SA keep state\n"),
    ("pass in proto tcp from any port 1000:2000 to any port >= 80\n",
     "pass in proto tcp from any port 1000:2000 to any port >= 80 flags S/SA keep state\n"),
    ("pass inet proto icmp icmp-type { echoreq unreach }\n",
     "pass inet proto icmp all icmp-type echoreq keep state\n"
     "pass inet proto icmp all icmp-type unreach keep state\n"),
    ("pass in proto tcp to port 80 keep state (max-src-conn-rate 3/99, source-track rule, max 10)\n",
     "pass in proto tcp from any to any port = http flags S/SA keep state "
     "(max 10, source-track rule, max-src-conn-rate 3/99)\n"),
    ("pass in on em0 route-to (em1 192.0.2.2) inet\n",
     "pass in on em0 route-to (em1 192.0.2.2) inet all flags S/SA keep state\n"),
    ("scrub\nscrub fragment no reassemble\n",
     "scrub all fragment reassemble\nscrub all fragment no reassemble\n"),
    ("nat on em0 from 10.0.0.0/8 -> 192.0.2.1 port 1024\n",
     "nat on em0 inet from 10.0.0.0/8 to any -> 192.0.2.1 port 1024\n"),
    ("rdr on em0 proto tcp to 192.0.2.1 port 1000:1010 -> 10.0.0.1 port 2000:*\n",
     "rdr on em0 inet proto tcp from any to 192.0.2.1 port 1000:1010 -> 10.0.0.1 port 2000:2010\n"),
    ("nat on em0 from 10.0.0.1 -> { 192.0.2.1 192.0.2.2 }\n",
     "nat on em0 inet from 10.0.0.1 to any -> { 192.0.2.1, 192.0.2.2 } round-robin\n"),
    ("match out on lo0 inet nat-to lo0\n", "match out on lo0 inet all nat-to 127.0.0.1\n"),
    ("pass in inet af-to inet6 from 2001:db8::1\n",
     "pass in inet all flags S/SA keep state af-to inet6 from 2001:db8::1\n"),
    ("pass out on em0 from 192.0.2.1 to 198.51.100.1 received-on em1\n",
     "pass out on em0 inet from 192.0.2.1 to 198.51.100.1 received-on em1 flags S/SA keep state\n"),
    ("pass in proto icmp max-pkt-rate 100/10\n", "pass in proto icmp all max-pkt-rate 100/10 keep state\n"),
])
def test_nv_printing(root, run, src, want):
    rc, out, err = nv(root, run, src)
    assert (rc, err) == (0, "") and out == want


@pytest.mark.parametrize("src,msg", [
    ("block in route-to (em1 10.0.0.1)\n", "route-to, reply-to and dup-to are not supported on block rules"),
    ("pass in on em0 route-to (em1 2001:db8::1) inet\n", "no routing address with matching address family found."),
    ("pass in proto tcp from any port 500:100\n", "invalid port range"),
    ("rdr on em0 proto tcp to 192.0.2.2 -> 192.0.2.3 static-port\n",
     "the 'static-port' option is only valid with nat rules"),
    ("nat on em0 from 10.0.0.1 -> 192.0.2.3 port 1006 static-port\n",
     "the 'static-port' option can't be used when specifying a port range"),
    ("nat on em0 from 10.0.0.1 -> <t> bitmask\n", "tables are not supported by pool type"),
    ("pass in on $nope\n", "macro 'nope' not defined"),
])
def test_nv_errors(root, run, src, msg):
    rc, out, err = nv(root, run, src)
    assert rc == 1 and out == ""
    assert err.splitlines()[0].endswith(f"t.conf:1: {msg}")


GARBAGE = ["pass", "block", "in", "out", "on", "em0", "{", "}", "(", ")", "<", ">", "!", "=",
           "/", ",", "port", "proto", "tcp", "from", "to", "any", "keep", "state", "flags",
           "S/SA", "nat", "rdr", "->", "anchor", '"x"', "table", "set", "skip", "limit", "$m",
           "m", "1.2.3.4", "::1", "/33", "65536", "-1", "route-to", "af-to", "label", '"',
           "'", "\\", "#", "include", "\x00", "\xff", "é", "queue", "altq", "antispoof",
           "scrub", "icmp-type", "code", "user", "tag", "tagged", "max-src-conn-rate", "3/",
           "source-hash", "0x", "map-e-portset", "::", ":", "*", "load", "static-port"]


def test_fuzz_files_never_traceback(root, run):
    rnd = random.Random(1234)
    for i in range(300):
        n = rnd.randint(1, 25)
        text = " ".join(rnd.choice(GARBAGE) for _ in range(n))
        if i % 10 == 0:
            text += "\n" + "x" * 5000
        if i % 7 == 0:
            text = text.replace(" ", "\n", 3)
        (root / "etc" / "f.conf").write_bytes(text.encode("utf-8", "surrogatepass"))
        rc, out, err = run("-nvf", "/etc/f.conf")
        assert "Traceback" not in err and rc in (0, 1), (text, rc, err)
    (root / "etc" / "b.conf").write_bytes(bytes(range(256)) * 4)
    rc, _, err = run("-nvf", "/etc/b.conf")
    assert rc == 1 and "Traceback" not in err


@pytest.mark.parametrize("args", [
    ["-f"], ["-s"], ["-sX"], ["-F", "bogus"], ["-t"], ["-T", "add"], ["-t", "x", "-T", "zzz"],
    ["-o", "bogus", "-nf", "/dev/null"], ["-a", "", "-sr"], ["-D", "novalue"], ["-x", "loud"],
    ["-nf", ""], ["-k"], ["-Z"], ["extra"], ["-nf", "/nonexistent/\xe9"],
])
def test_fuzz_args_never_traceback(root, run, args):
    rc, out, err = run(*args)
    assert "Traceback" not in err and rc in (0, 1)
