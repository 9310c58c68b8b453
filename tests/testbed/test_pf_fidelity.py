"""pfctl fidelity: relative paths, pfctl -nv printing of pf.conf(5) constructs, errors, fuzzing.

Expected outputs follow sbin/pfctl/parse.y and pfctl_parser.c print_rule()/print_pool() of
FreeBSD 15.0 (formats as in sbin/pfctl/tests/files/pf*.ok); the inputs here are our own.
"""
from __future__ import annotations

import os
import random

import pytest

from freebsd_testbed.tools import pfctl
from pf_helpers import load_pf_ko, root, run  # noqa: F401 (fixtures)


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


# ------------------------------------------------------------------ command line (pfctl.c main)

def _loaded(root, run):
    from freebsd_testbed import hoststate
    from freebsd_testbed.tools import kld
    with hoststate.locked() as st:
        kld.reset(st.runtime)
        load_pf_ko(st.runtime)


def test_cli_usage_and_option_errors(root, run):
    _loaded(root, run)
    rc, out, err = run()
    assert rc == 1 and err.startswith("usage: pfctl [-AdeghMmNnOPqRSrvz] [-a anchor]")
    assert run("-h")[0] == 1
    rc, _, err = run("-s", "bogus")
    assert rc == 1 and err.startswith("pfctl: Unknown show modifier 'bogus'\nusage: pfctl")
    assert run("-F", "x")[2].startswith("pfctl: Unknown flush modifier 'x'\n")
    assert run("-t", "t", "-T", "x")[2].startswith("pfctl: Unknown table command 'x'\n")
    assert run("-x", "x")[2].startswith("pfctl: Unknown debug level 'x'\n")
    assert run("-o", "x")[2].startswith("pfctl: Unknown optimization 'x'\n")
    rc, _, err = run("-sr", "extra")
    assert rc == 1 and err.startswith("pfctl: unknown command line argument: extra ...\n")
    assert run("-a", "", "-sr") == (1, "", "pfctl: anchor name must not be empty\n")
    assert run("-a", "x")[2].startswith("pfctl: anchors apply to -f, -F, -s, and -T only\n")
    assert run("-a", "_1", "-F", "rules") == (
        1, "", "pfctl: anchor names beginning with '_' cannot be modified from the command line\n")
    assert run("-S", "-r", "-sr") == (1, "", "pfctl: -N and -r are mutually exclusive\n")
    # -D without '=' is only a warning (pfctl_cmdline_symset)
    assert run("-D", "novalue", "-s", "Running") == (
        1, "Disabled\n", "pfctl: could not parse macro definition novalue\n")


def test_cli_show_formats(root, run):
    _loaded(root, run)
    (root / "etc" / "pf.conf").write_text(
        "set limit states 20000\nset timeout tcp.first 60\ntable <t> persist { 10.0.0.1 }\n"
        "pass in proto tcp to port 22 label \"ssh\"\n")
    assert run("-f", "/etc/pf.conf") == (0, "", "")
    rc, out, _ = run("-s", "timeouts")
    lines = out.splitlines()
    assert lines[0] == "tcp.first                    60s"          # "%-20s %10d" + "s"
    assert "adaptive.start            12000 states" in lines     # 60% of the states limit
    assert lines[7] == "sctp.first                  120s"
    rc, out, _ = run("-s", "memory")
    assert out == ("states        hard limit    20000\nsrc-nodes     hard limit   100000\n"
                   "frags         hard limit     5000\ntable-entries hard limit   400000\n")
    assert run("-s", "Tables") == (0, "t\n", "")
    assert run("-vs", "Tables")[1] == "-pa----\tt\n"
    assert run("-s", "labels")[1] == "ssh 0 0 0 0 0 0 0 0\n"
    rc, out, err = run("-v", "-s", "rules")
    assert err == "No ALTQ support in kernel\nALTQ related functions disabled\n"
    assert out.splitlines()[1:3] == [
        "  [ Evaluations: 0         Packets: 0         Bytes: 0           States: 0     ]",
        "  [ Source Nodes: 0      Limit: 0      NAT/RDR: 0      Route: 0      ]"]
    rc, out, _ = run("-s", "info")
    lines = out.splitlines()
    assert lines[0] == "Status: Disabled" + " " * 28 + "  Debug: Urgent"
    assert lines[2] == "State Table                          Total             Rate"
    assert lines[7] == "Counters" and lines[8].startswith("  match") and lines[8].endswith("/s")
    rc, out, _ = run("-vsi")
    assert out.splitlines()[2].startswith("Hostid:   0x")
    assert "Syncookies" in out and "Reassemble" in out
    rc, out, _ = run("-s", "all")
    assert out.startswith("FILTER RULES:\npass in proto tcp")
    assert "\n\nINFO:\nStatus:" in out and "\n\nTIMEOUTS:\n" in out and "\n\nLIMITS:\n" in out
    assert out.endswith("\n\nTABLES:\nt\n")


def test_cli_order_show_runs_before_load(root, run):
    """pfctl.c main(): -d, -s, -F, -k, -T, -f, -e: -s shows the rules from before -f."""
    _loaded(root, run)
    (root / "etc" / "pf.conf").write_text("pass all\n")
    assert run("-f", "/etc/pf.conf", "-s", "rules") == (0, "", "")
    assert run("-s", "rules")[1] == "pass all flags S/SA keep state\n"
    assert run("-e", "-s", "Running") == (1, "Disabled\n", "pf enabled\n")
    assert run("-q", "-d") == (0, "", "")


def test_cli_flush_messages(root, run):
    _loaded(root, run)
    rc, out, err = run("-F", "all")
    assert (rc, out) == (0, "")
    assert err.splitlines() == ["Ethernet rules cleared", "rules cleared", "nat cleared",
                                "0 tables deleted.", "rules cleared", "0 states cleared",
                                "source tracking entries cleared", "pf: statistics cleared",
                                "pf: interface flags reset"]
    assert run("-F", "osfp") == (0, "", "")
    assert run("-F", "Tables") == (0, "", "0 tables deleted.\n")
    assert run("-Fs") == (0, "", "0 states cleared\n")
    assert run("-F", "info") == (0, "", "pf: statistics cleared\n")


def test_cli_tables(root, run):
    _loaded(root, run)
    assert run("-t", "t", "-T", "add", "10.0.0.1", "10.1.0.0/16") == (
        0, "", "1 table created.\n2/2 addresses added.\n")
    assert run("-v", "-t", "t", "-T", "add", "10.0.0.1", "10.0.0.2")[1] == "A  10.0.0.2\n"
    assert run("-t", "t", "-T", "test", "10.1.2.3", "192.0.2.1") == (
        2, "", "1/2 addresses match.\n")
    assert run("-t", "t", "-T", "replace", "10.0.0.1") == (
        0, "", "2 addresses deleted.\n")
    assert run("-t", "t", "-T", "replace", "10.0.0.1") == (0, "", "no changes.\n")
    assert run("-n", "-t", "t", "-T", "flush") == (0, "", "1 addresses deleted (dummy).\n")
    assert run("-t", "t", "-T", "kill") == (0, "", "1 table deleted.\n")
    assert run("-t", "t", "-T", "kill") == (0, "", "0 table deleted.\n")
    assert run("-t", "t", "-T", "flush") == (255, "", "pfctl: Table does not exist.\n")
    assert run("-t", "t", "-T", "add", "nohost.invalid") == (
        255, "", "no IP address found for nohost.invalid\n")
    assert run("-t", "t", "-T", "show", "1.2.3.4")[2].startswith("usage: pfctl")


def test_cli_anchors_and_kill(root, run):
    _loaded(root, run)
    (root / "etc" / "pf.conf").write_text('anchor "a"\nanchor "b" {\n pass out\n}\n')
    assert run("-f", "/etc/pf.conf")[0] == 0
    assert run("-s", "Anchors")[1] == "  a\n  b\n"
    assert run("-a", "zz", "-s", "Anchors") == (0, "", "Anchor 'zz' not found.\n")
    assert run("-a", "zz", "-s", "rules") == (0, "", "pfctl: Anchor does not exist\n")
    assert run("-a", "b", "-s", "rules")[1] == "pass out all flags S/SA keep state\n"
    assert run("-a", "*", "-s", "rules")[1] == (
        'anchor "a" all {\n}\nanchor "b" all {\n  pass out all flags S/SA keep state\n}\n')
    assert run("-k", "192.0.2.1") == (0, "", "killed 0 states from 1 sources and 0 destinations\n")
    assert run("-k", "label") == (1, "", "pfctl: no label specified\n" + pfctl.USAGE)
    assert run("-x", "loud") == (0, "", "debug level set to 'loud'\n")


@pytest.mark.parametrize("src,want", [
    ("set block-policy return\nset state-policy if-bound\nset optimization aggressive\n"
     "set ruleset-optimization none\nset loginterface em0\nset hostid 1\nset debug misc\n"
     "set limit { states 1000, frags 10 }\nset timeout interval 5\nset reassemble yes no-df\n"
     "set syncookies adaptive (start 30%, end 10%)\nset skip on { lo0 em1 }\n",
     "set block-policy return\nset state-policy if-bound\nset optimization aggressive\n"
     "set ruleset-optimization none\nset loginterface em0\nset hostid 0x00000001\n"
     "set debug misc\nset limit states 1000\nset limit frags 10\nset timeout interval 5\n"
     "set reassemble yes no-df\nset syncookies adaptive (start 30%, end 10%)\n"
     "set skip on { lo0 em1 }\n"),
    ("pass in proto tcp user { root, 1000 } tos 0x10 prio 3 set prio (1, 2)\n",
     "pass in proto tcp all user = 0 flags S/SA tos 0x10 prio 3 set ( prio(1, 2) ) keep state\n"
     "pass in proto tcp all user = 1000 flags S/SA tos 0x10 prio 3 set ( prio(1, 2) ) keep state\n"),
    ("pass in proto tcp to port 80 divert-to 8080\n",
     "pass in proto tcp from any to any port = http flags S/SA keep state divert-to 8080\n"),
    ("antispoof for lo0\n",
     "block drop in on ! lo0 inet from 127.0.0.0/8 to any\n"
     "block drop in on ! lo0 inet6 from ::1 to any\n"),
    ("antispoof quick for (em0) inet\n",
     "block drop in quick on ! em0 inet from (em0:network) to any\n"
     "block drop in quick inet from (em0) to any\n"),
])
def test_nv_options_and_grammar(root, run, src, want):
    rc, out, err = nv(root, run, src)
    assert (rc, err) == (0, "") and out == want


@pytest.mark.parametrize("src,msgs", [
    ("set limit bogus 5\n", ["pfctl: Bad pool name.", "t.conf:1: unable to set limit bogus 5"]),
    ("set timeout bogus 5\n", ["pfctl: Bad timeout name.", "t.conf:1: unknown timeout bogus"]),
    ("set optimization bogus\n", ["pfctl: invalid state timeouts optimization",
                                  "t.conf:1: unknown optimization bogus"]),
    ("set debug bogus\n", ['pfctl: unknown debug level "bogus"',
                           "t.conf:1: error setting debuglevel bogus"]),
    ("pass all\nnat on em0 from any to any -> 192.0.2.1\n",
     ["t.conf:2: Rules must be in order: options, ethernet, normalization, queueing, "
      "translation, filtering"]),
    ("pass prio 9\n", ["t.conf:1: prio must be 0 - 7"]),
    ("pass proto tcp user nosuchuser\n", ["t.conf:1: unknown user nosuchuser"]),
])
def test_nv_option_errors(root, run, src, msgs):
    rc, out, err = nv(root, run, src)
    assert rc == 1
    assert [x.split("/etc/")[-1] if "/etc/" in x else x for x in err.splitlines()] == msgs


def test_fuzz_cli_never_traceback(root, run):
    _loaded(root, run)
    words = ["-s", "-F", "-t", "-T", "-a", "-k", "-K", "-f", "-n", "-v", "-q", "-e", "-d", "-x",
             "rules", "all", "Tables", "add", "show", "test", "x", "*", "_x", "1.2.3.4", "/33",
             "label", "id", "0", "-", "/etc/none", "info", "memory", "Interfaces", "-vv", "-z"]
    rnd = random.Random(99)
    for _ in range(300):
        args = [rnd.choice(words) for _ in range(rnd.randint(1, 6))]
        rc, out, err = run(*args)
        assert "Traceback" not in err and 0 <= rc <= 255, (args, rc, err)


# ------------------------------------------------------------- FreeBSD's pfctl regression suite

def _suite_cases():
    fix = os.path.join(os.path.dirname(__file__), "fixtures", "pf")
    out = []
    for fn in sorted(os.listdir(fix)):
        if fn.startswith("pf") and fn.endswith(".in"):
            name = fn[:-3]
            if os.path.exists(os.path.join(fix, name + ".ok")) or \
                    os.path.exists(os.path.join(fix, name + ".fail")):
                out.append(name)
    return fix, out


_FIX, _CASES = _suite_cases()


@pytest.mark.parametrize("name", _CASES)
def test_freebsd_regression_suite(root, run, monkeypatch, name):
    """sbin/pfctl/tests/pfctl_test.c: ``pfctl -o none -nvf pfNNNN.in`` (cwd = the files
    directory) must print pfNNNN.ok exactly, or fail with pfNNNN.fail in its stderr."""
    if name == "pf1005":
        pytest.xfail("pf1005.ok as stored predates the rdr line of pf1005.in")
    import shutil
    for fn in os.listdir(_FIX):
        if fn.startswith(name):
            shutil.copy(os.path.join(_FIX, fn), root / "etc" / fn)
    monkeypatch.chdir(root / "etc")
    rc, out, err = run("-o", "none", "-nvf", name + ".in")
    okf = os.path.join(_FIX, name + ".ok")
    if os.path.exists(okf):
        with open(okf) as f:
            assert (rc, err, out) == (0, "", f.read())
    else:
        with open(os.path.join(_FIX, name + ".fail")) as f:
            want = f.read().strip()
        assert rc == 1 and want in err, err


# --------------------------------------------- ethernet rules, ALTQ and other pf.conf(5) grammar

@pytest.mark.parametrize("src,want", [
    # pfctl_parser.c print_eth_rule(): " l3" + print_fromto() always; MAC masks as /len or &mask
    ("ether pass in quick on { em0 em1 } proto 0x86dd from 00:01:02:03:04:05 l3 from 10.0.0.1\n",
     "ether pass in quick on em0 proto 0x86dd from 00:01:02:03:04:05 l3 from 10.0.0.1 to any\n"
     "ether pass in quick on em1 proto 0x86dd from 00:01:02:03:04:05 l3 from 10.0.0.1 to any\n"),
    ("ether block on ! em0 bridge-to em1 to ! 01:00:5e:00:00:00/25 tag t queue q\n",
     "ether block on ! em0 bridge-to em1 to ! 01:00:5e:00:00:00/25 l3 all queue q tag t\n"),
    ("ether pass from 00:00:00:00:00:01&f0:00:00:00:00:00 dnpipe 3\n",
     "ether pass from 00:00:00:00:00:01&f0:00:00:00:00:00 l3 all dnpipe 3\n"),
    # ALTQ under -n (pfctl_altq.c print_altq()/print_queue(); tbrsize = 4 * MTU for <= 10Mb)
    ("altq on fxp0 cbq bandwidth 2Mb queue { std, ssh, ftp }\n"
     "queue std bandwidth 50% cbq(default)\n"
     "queue ssh bandwidth 25% { ssh_login, ssh_bulk }\n"
     "queue ssh_login bandwidth 25% priority 4 cbq(ecn)\n"
     "queue ssh_bulk bandwidth 75% cbq(ecn)\n"
     "queue ftp bandwidth 500Kb priority 3 cbq(borrow red)\n"
     "pass out on fxp0 proto tcp to port 22 queue (ssh_bulk, ssh_login)\n",
     "altq on fxp0 cbq bandwidth 2Mb tbrsize 6000 queue { std ssh ftp }\n"
     "queue std bandwidth 50% cbq( default ) \n"
     "queue ssh bandwidth 25% { ssh_login ssh_bulk }\n"
     "queue ssh_login bandwidth 25% priority 4 cbq( red ecn ) \n"
     "queue ssh_bulk bandwidth 75% cbq( red ecn ) \n"
     "queue ftp bandwidth 500Kb priority 3 cbq( red borrow ) \n"
     "pass out on fxp0 proto tcp from any to any port = ssh flags S/SA keep state "
     "queue(ssh_bulk, ssh_login)\n"),
    ("altq on em0 hfsc bandwidth 100Mb qlimit 100 queue { x y }\n"
     "queue x bandwidth 40% hfsc(default realtime 10Mb)\n"
     "queue y bandwidth 60Mb hfsc(linkshare (30Mb 1000 20Mb) upperlimit 90%)\n",
     "altq on em0 hfsc bandwidth 100Mb qlimit 100 tbrsize 12000 queue { x y }\n"
     "queue x bandwidth 40% hfsc( default realtime 10Mb ) \n"
     "queue y bandwidth 60Mb hfsc( linkshare(30Mb 1000 20Mb) upperlimit 90% ) \n"),
    ("altq on em0 priq bandwidth 1.5Mb queue { a b }\nqueue a priority 2 priq(default)\n"
     "queue b priority 7\n",
     "altq on em0 priq bandwidth 1.50Mb tbrsize 6000 queue { a b }\n"
     "queue a priority 2 priq( default ) \nqueue b priority 7 \n"),
    # scrub actions on match rules, label macros, os, ridentifier, dnpipe, nat-anchor
    ("match in all scrub (no-df random-id max-mss 1440)\n",
     "match in all scrub (no-df, random-id, max-mss 1440)\n"),
    ('pass in on em0 proto tcp to port { 80 443 } label "$if:$proto:$dstport"\n',
     'pass in on em0 proto tcp from any to any port = http flags S/SA keep state label "em0:tcp:80"\n'
     'pass in on em0 proto tcp from any to any port = https flags S/SA keep state label "em0:tcp:443"\n'),
    ('pass in proto tcp from any os "OpenBSD"\n',
     'pass in proto tcp from any os "OpenBSD" to any flags S/SA keep state\n'),
    ("pass in ridentifier 7 dnpipe (1, 2)\nblock dnqueue 5\n",
     "pass in all flags S/SA keep state ridentifier 7 dnpipe(1, 2)\nblock drop all dnqueue 5\n"),
    ('nat-anchor "ftp-proxy/*"\nrdr-anchor "ftp-proxy/*"\n',
     'nat-anchor "ftp-proxy/*" all\nrdr-anchor "ftp-proxy/*" all\n'),
    ('set require-order no\nset fingerprints "/etc/pf.os"\nscrub in all set-tos lowdelay\n',
     'set require-order no\nset fingerprints "/etc/pf.os"\n'
     "scrub in all set-tos 0x10 fragment reassemble\n"),
])
def test_nv_ether_altq_and_more(root, run, src, want):
    rc, out, err = nv(root, run, src)
    assert (rc, err) == (0, "") and out == want


@pytest.mark.parametrize("src,rc,errlines", [
    ("altq on em0 cbq bandwidth 10Mb queue\n", 1, ["t.conf:1: no child queues specified"]),
    ("altq on em0 bandwidth 10Mb queue { a }\n", 1, ["t.conf:1: no scheduler specified!"]),
    ("queue a bandwidth 10%\n", 1, ["t.conf:1: queue a has no parent"]),
    ("altq on em0 priq bandwidth 10Mb queue { a }\nqueue a bandwidth 5Mb\n", 1,
     ["t.conf:2: priq doesn't take bandwidth"]),
    # eval_bwspec(): an absolute bandwidth is capped at the parent's (no error)
    ("altq on em0 cbq bandwidth 10Mb queue { a }\nqueue a bandwidth 150% cbq(default)\n", 1,
     ["t.conf:2: bandwidth spec out of range"]),
    ("altq on em0 cbq bandwidth 10Mb queue { a b }\nqueue a bandwidth 50% cbq(default)\n"
     "queue b bandwidth 50% cbq(default)\n",
     1, ["pfctl: should have one default queue on em0", "pfctl: errors in altq config"]),
    ("altq on em0 cbq bandwidth 10Mb queue { a b }\nqueue a cbq(default)\nqueue b\n", 0,
     ['pfctl: the sum of the child bandwidth (20000000) higher than parent "root_em0" '
      "(10000000)"]),
    ("altq on em0 cbq bandwidth 10Xb queue { a }\n", 1, ["t.conf:1: unknown unit X"]),
    ("altq on nosuch0 cbq queue { a }\n", 1, ["pfctl: SIOCGIFDATA: Device not configured"]),
    ("ether pass from 00:01:02:03:04\n", 1, ["t.conf:1: syntax error"]),
    ("pass proto udp os \"Linux\"\n", 1, ["t.conf:1: OS fingerprinting only apply to tcp"]),
    ("scrub in quick all\n", 1, ["t.conf:1: scrub rules do not support 'quick'"]),
    ("table <a> bogus\ntable <b> { (em0) }\ntable <c> { <a> }\n", 1,
     ["t.conf:1: invalid table option 'bogus'",
      "t.conf:2: dynamic addresses are not permitted inside tables",
      "t.conf:3: tables cannot contain tables"]),
    ("scrub in reassemble tcp\n", 1, ["t.conf:1: reassemble tcp rules can not specify direction"]),
    ("scrub reassemble udp\n", 1, ["t.conf:1: scrub reassemble supports only tcp, not 'udp'"]),
])
def test_nv_altq_errors(root, run, src, rc, errlines):
    got_rc, out, err = nv(root, run, src)
    assert got_rc == rc
    assert [x.split("/etc/")[-1] for x in err.splitlines()] == errlines


def test_altq_skipped_when_loading_and_show_ether(root, run):
    """Without -n, pfctl_test_altqsupport() finds no ALTQ in GENERIC: queueing is skipped;
    ethernet rules are kept for pfctl -s ether and cleared by -F ethernet."""
    _loaded(root, run)
    (root / "etc" / "pf.conf").write_text(
        "ether pass in on em0 from 00:01:02:03:04:05\n"
        "altq on em0 cbq bandwidth 10Mb queue { a }\nqueue a cbq(default)\npass all\n")
    assert run("-f", "/etc/pf.conf") == (0, "", "")
    assert run("-s", "ether")[1] == "ether pass in on em0 from 00:01:02:03:04:05 l3 all\n"
    # pfctl.c pfctl_print_eth_rule_counters(): "%-8llu  Packets: %-8llu  Bytes: %-10llu]"
    assert run("-v", "-s", "ether")[1].splitlines()[1] == (
        "  [ Evaluations: 0         Packets: 0         Bytes: 0         ]")
    assert run("-s", "all")[1].startswith("ETH RULES:\nether pass in on em0")
    assert run("-F", "ethernet") == (0, "", "Ethernet rules cleared\n")
    assert run("-s", "ether")[1] == ""


def test_optimizer_combines_rules_into_a_table(root, run):
    """pfctl_optimize.c combine_rules(): TABLE_THRESHOLD (6) rules differing in one address
    become one rule on a const table; under -n it keeps the temporary name __automatic_<n>
    and print_tabledef() shows it before the filter rules."""
    src = ("pass in proto tcp from { 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 } "
           "to any port 22\npass out proto udp to { 1.1.1.1 2.2.2.2 } port 53\n"
           "table <x> { 1.1.1.1 } { 2.2.2.2 }\n")
    (root / "etc" / "t.conf").write_text(src.replace("table <x> { 1.1.1.1 } { 2.2.2.2 }\n", ""))
    rc, out, err = run("-nvf", "/etc/t.conf")
    assert (rc, err) == (0, "")
    assert out.splitlines()[0] == ("table <__automatic_0> const { 10.0.0.1 10.0.0.2 10.0.0.3 "
                                   "10.0.0.4 10.0.0.5 10.0.0.6 }")
    assert "pass in inet proto tcp from <__automatic_0> to any port = ssh flags S/SA keep state" \
        in out.splitlines()
    assert len(out.splitlines()) == 4
    # five rules stay five rules
    (root / "etc" / "t.conf").write_text(
        "pass in from { 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 }\n")
    assert len(run("-nvf", "/etc/t.conf")[1].splitlines()) == 5
    # print_tabledef() merges consecutive address lists
    (root / "etc" / "t.conf").write_text("table <x> { 1.1.1.1 } { 2.2.2.2 }\n")
    assert run("-nvf", "/etc/t.conf")[1] == "table <x> { 1.1.1.1 2.2.2.2 }\n"
    # a real load names the table __automatic_<random hex>_<n>
    _loaded(root, run)
    (root / "etc" / "t.conf").write_text(
        "pass in from { 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 }\n")
    assert run("-f", "/etc/t.conf") == (0, "", "")
    rules = run("-sr")[1]
    assert rules.startswith("pass in inet from <__automatic_") and rules.count("\n") == 1


@pytest.mark.parametrize("src,want", [
    # binat-to: outbound nat-to ... static-port plus the reverse inbound rdr-to rule
    ("match on lo0 from 192.168.1.1 to any tag regress binat-to 10.0.0.1\n",
     "match out on lo0 inet from 192.168.1.1 to any tag regress nat-to 10.0.0.1 static-port\n"
     "match in on lo0 inet from any to 10.0.0.1 tag regress rdr-to 192.168.1.1\n"),
    # parse.y number: atoul() also takes 0x..; flags without a mask mean /FSRPAUEW, printed in
    # FSRPAUEW order; "flags only apply to tcp" only when no protocol of the list is tcp
    ("set hostid 0xdeadbeef\n", "set hostid 0xdeadbeef\n"),
    # parse.y logquick accepts "quick log"; a nat rule takes the af of a single-af pool
    # before expansion, so lo0's inet6 address is skipped (no "matching address family" error)
    ("block in quick log on lo0 all\n", "block drop in log quick on lo0 all\n"),
    # SET REQUIREORDER does not call check_rulestate(); altq prints while parsing, rules load
    ("pass in on lo0 all\nset require-order no\nnat on lo0 from any to any -> 127.0.0.1\n"
     "altq on lo0 cbq bandwidth 10Mb queue { toad, frog }\nqueue toad bandwidth 1Mb\n"
     "queue frog bandwidth 90% cbq(default)\n",
     "set require-order no\naltq on lo0 cbq bandwidth 10Mb tbrsize 65536 queue { toad frog }\n"
     "queue toad bandwidth 1Mb \nqueue frog bandwidth 90% cbq( default ) \n"
     "nat on lo0 inet all -> 127.0.0.1\npass in on lo0 all flags S/SA keep state\n"),
    # print_hfsc_opts(): flags, realtime, linkshare, upperlimit; percentages as written
    ("altq on lo0 tbrsize 1824 bandwidth 10Mb hfsc queue { eins zwei drei }\n"
     "queue eins bandwidth 10% hfsc(default linkshare(20% 20 5%) realtime 500Kb)\n"
     "queue zwei bandwidth 40% hfsc(linkshare(35% 10 25%) upperlimit 5Mb)\n"
     "queue drei bandwidth 50% hfsc(linkshare(45% 20 4Mb) upperlimit(65% 10 45%))\n",
     "altq on lo0 hfsc bandwidth 10Mb tbrsize 1824 queue { eins zwei drei }\n"
     "queue eins bandwidth 10% hfsc( default realtime 500Kb linkshare(20% 20 5%) ) \n"
     "queue zwei bandwidth 40% hfsc( linkshare(35% 10 25%) upperlimit 5Mb ) \n"
     "queue drei bandwidth 50% hfsc( linkshare(45% 20 4Mb) upperlimit(65% 10 45%) ) \n"),
    ("pass in on lo0 from 0/0 to any\n", "pass in on lo0 inet all flags S/SA keep state\n"),
    # pf1035/pf1036 inputs (their .ok are not in the store): print_pool(PF_NAT) omits the
    # default proxy range 50001:65535
    ("nat on vtnet0 proto tcp from 192.0.2.1 to 192.0.2.2 -> 192.0.2.3 port 50001:65535\n",
     "nat on vtnet0 inet proto tcp from 192.0.2.1 to 192.0.2.2 -> 192.0.2.3\n"),
    # parse.y: the CoDel keyword is "codelq"; print_codel_opts() prints "ecn" without a space;
    # fragcache "crop"/"drop-ovl" are accepted and print as the default
    ("scrub in all fragment crop\n"
     "altq on em0 codelq(target 5 interval 100 ecn) bandwidth 10Mb queue\n",
     "altq on em0 codel( target 5 interval 100ecn ) bandwidth 10Mb tbrsize 6000 \n"
     "scrub in all fragment reassemble\n"),
    # print_pool(PF_PASS): an interface-only route host prints bare once the rule has an af
    ("pass out on em0 route-to em1 inet all\npass out route-to em1 all\n",
     "pass out on em0 route-to em1 inet all flags S/SA keep state\n"
     "pass out route-to (em1 ?) all flags S/SA keep state\n"),
    # parse.y hashkey: a non-hex key is MD5-hashed; hex keys print in lower case
    ("nat on em0 from 10.0.0.0/8 -> 192.0.2.0/24 source-hash foobarlicious\n"
     "nat on em1 from 10.0.0.0/8 -> 192.0.2.0/24 source-hash 0x0123456789ABCDEF0123456789abcdef\n",
     "nat on em0 inet from 10.0.0.0/8 to any -> 192.0.2.0/24 source-hash "
     "0x4da8e393fd22f577426cfdf7fe52d3b0\n"
     "nat on em1 inet from 10.0.0.0/8 to any -> 192.0.2.0/24 source-hash "
     "0x0123456789abcdef0123456789abcdef\n"),
    ("pass in proto tcp queue (bulk)\n", "pass in proto tcp all flags S/SA keep state queue bulk\n"),
    # inet_net_pton(3)/inet_aton(3) short forms; repeated user options are prepended;
    # system users from the stock /etc/passwd
    ("pass in from 10/8\npass in from 10.1\n",
     "pass in inet from 10.0.0.0/8 to any flags S/SA keep state\n"
     "pass in inet from 10.0.0.1 to any flags S/SA keep state\n"),
    ("pass in proto tcp group wheel user root user bin\n",
     "pass in proto tcp all user = 3 group = 0 flags S/SA keep state\n"
     "pass in proto tcp all user = 0 group = 0 flags S/SA keep state\n"),
    ("nat on lo0 from any to lo0 -> 127.0.0.1\n",
     "nat on lo0 inet from any to 127.0.0.1 -> 127.0.0.1\n"),
    ("block in proto tcp flags FUPEW\npass in proto { udp, tcp } flags S\n",
     "block drop in proto tcp all flags FPUEW/FSRPAUEW\n"
     "pass in proto udp all flags S/FSRPAUEW keep state\n"
     "pass in proto tcp all flags S/FSRPAUEW keep state\n"),
    # getservice(): strtoul base 0 for ports; $nr is the rule number in the anchor
    ('pass in proto udp to port 0x10\npass in proto tcp from { 1.2.3.4, 1.2.3.5 } label "$nr:$srcaddr"\n',
     "pass in proto udp from any to any port = 16 keep state\n"
     'pass in inet proto tcp from 1.2.3.4 to any flags S/SA keep state label "1:1.2.3.4"\n'
     'pass in inet proto tcp from 1.2.3.5 to any flags S/SA keep state label "2:1.2.3.5"\n'),
])
def test_nv_binat_to_numbers_flags(root, run, src, want):
    rc, out, err = nv(root, run, src)
    assert (rc, err) == (0, "") and out == want
