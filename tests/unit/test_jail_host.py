"""Fixture tests of jail.conf rendering/parsing, jls parsing and the jail host scripts."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import tempfile

import pytest

from freebsd_provider.host import common, jail

FIX = pathlib.Path(__file__).parent / "fixtures"
RENDER = sorted((FIX / "jail").glob("render_*.json"))
JLS = sorted((FIX / "jls").glob("*.json"))


@pytest.mark.parametrize("path", RENDER, ids=[p.stem for p in RENDER])
def test_render_and_parse_back(path):
    case = json.loads(path.read_text())
    spec = jail.JailSpec(**case["spec"])
    assert jail.render_conf(spec) == case["conf"]
    name, params = jail.parse_conf(case["conf"])
    back = jail.spec_from_params(name, params)
    want = jail.JailSpec(**{**case["spec"], "hostname": case["spec"].get("hostname", case["spec"]["name"])})
    assert back == want
    assert jail.render_conf(back) == case["conf"]


@pytest.mark.parametrize("path", JLS, ids=[p.stem for p in JLS])
def test_jls(path):
    case = json.loads(path.read_text())
    assert jail.parse_jls(case["output"]) == case["expect"]


def test_rendered_conf_is_accepted_by_the_testbed_parser():
    """The testbed's jail.conf parser (a model of jaillex.l/jailparse.y) reads our escapes back."""
    from freebsd_testbed import jailconf
    case = json.loads((FIX / "jail" / "render_database_hooks.json").read_text())
    d = tempfile.mkdtemp()
    p = os.path.join(d, "database.conf")
    pathlib.Path(p).write_text(case["conf"])
    cfg = jailconf.Config()
    cfg.load(p)
    params = cfg.resolve("database")
    assert params["exec.poststart"] == ["/bin/echo '$HOME \"quoted\"' ''"]
    assert params["exec.prestart"][-1] == "/usr/bin/logger 'starting db; really'"


def test_hook_rendering_round_trips_through_sh():
    argv = ["/bin/echo", "a b", "$(reboot)", "it's", "`x`", "", "\\"]
    out = subprocess.run(["/bin/sh", "-c", jail.sh_join(["printf", "%s|"] + argv[1:])],
                         capture_output=True, text=True).stdout
    assert out == "|".join(argv[1:]) + "|"


@pytest.mark.parametrize("k,ok", [("enforce_statfs", True), ("children.max", True), ("Foo", False),
                                  ("exec.start", False), ("allow.mount", False), ("path", False),
                                  ("a..b", False), ("x;y", False), ("mount.devfs", False)])
def test_param_names(k, ok):
    assert (jail.param_name_error(k) is None) is ok


@pytest.mark.parametrize("a,ok", [("raw_sockets", True), ("mount.zfs", True), ("nomount", False),
                                  ("raw sockets", False), ("", False), ("sysvipc", False)])
def test_allow(a, ok):
    assert (jail.allow_error(a) is None) is ok


def test_hooks_validation():
    assert jail.hook_error(["/usr/bin/logger", "x"], "h") is None
    assert "non-empty" in jail.hook_error([], "h")
    assert "absolute" in jail.hook_error(["logger"], "h")
    assert "control" in jail.hook_error(["/bin/echo", "a\nb"], "h")


def test_start_failure_detection():
    assert jail.start_failed("Starting jails: webserver.\n", "webserver") is None
    out = 'Starting jails: cannot start jail  "webserver": \njail: webserver: /sbin/ifconfig epair1 create up: failed\n.\n'
    assert "epair1 create up: failed" in jail.start_failed(out, "webserver")


def test_service_argv():
    assert jail.service("start", "web") == ["/usr/sbin/service", "jail", "onestart", "web"]
    assert jail.jls_fact() == ["/usr/sbin/jls", "--libxo", "json", "-n"]


def _fake(bindir, name, body):
    """A stand-in for a host tool: a /bin/sh script in ``bindir``."""
    os.makedirs(bindir, exist_ok=True)
    path = os.path.join(bindir, name)
    pathlib.Path(path).write_text("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


def _fake_tools(tmp, iflist="", running=()):
    """Fake ifconfig (-l prints ``iflist``; IFACE / IFACE destroy on files in tmp/if), jls (-j NAME
    succeeds while tmp/run/NAME exists) and service (onestop removes it, unless tmp/stuck exists)."""
    b, ifs, run = os.path.join(tmp, "bin"), os.path.join(tmp, "if"), os.path.join(tmp, "run")
    os.makedirs(ifs, exist_ok=True)
    os.makedirs(run, exist_ok=True)
    for i in iflist.split():
        pathlib.Path(ifs, i).touch()
    for n in running:
        pathlib.Path(run, n).touch()
    return {
        "/sbin/ifconfig": _fake(b, "ifconfig",
                                f'[ "$1" = -l ] && {{ echo \'{iflist}\'; exit 0; }}\n'
                                f'[ -e "{ifs}/$1" ] || {{ echo "ifconfig: interface $1 does not exist" >&2; exit 1; }}\n'
                                f'[ "$2" = destroy ] && rm "{ifs}/$1"\nexit 0\n'),
        "/usr/sbin/jls": _fake(b, "jls", f'[ "$1" = -j ] && [ -e "{run}/$2" ]\n'),
        "/usr/sbin/service": _fake(b, "service", f'echo "Stopping jails: $3."\n'
                                                 f'[ -e "{tmp}/stuck" ] || rm -f "{run}/$3"\n'),
    }


def _localize(script, tools):
    for real, fake in tools.items():
        script = script.replace(real, fake)
    return script


def _run_alloc(tmp, unit, iflist, others, *, text=None, create=False, bridge=None, running=()):
    d = os.path.join(tmp, "jail.conf.d")
    os.makedirs(d, exist_ok=True)
    for n, txt in others.items():
        pathlib.Path(d, n).write_text(txt)
    tools = _fake_tools(tmp, iflist, running)
    argv = jail.allocate_and_write("web", unit, text, create=create, bridge=bridge)
    conf = os.path.join(d, "web.conf")
    assert argv[5] == jail.conf_path("web")
    # the lockf prefix is replaced by `env` (no lockf(1) on this machine): same argv shape
    lock = argv.index(common.locked([])[0])
    argv = argv[:4] + [_localize(argv[4], tools), conf] + argv[6:lock] + ["env"]
    r = subprocess.run(argv, input=None if text else f"x epair{jail.UNIT_PLACEHOLDER}b y\n",
                       capture_output=True, text=True)
    assert not [f for f in os.listdir(d) if ".pulumi-in." in f]  # the staged input is removed
    return r, conf


def test_allocation_picks_lowest_free_unit():
    tmp = tempfile.mkdtemp()
    r, conf = _run_alloc(tmp, None, "vtnet0 lo0 bridge0 epair0a epair2a",
                         {"db.conf": 'vnet.interface = "epair1b";\n'})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3"
    assert pathlib.Path(conf).read_text() == "x epair3b y\n"


def test_allocation_ignores_own_file_and_refuses_taken_unit():
    tmp = tempfile.mkdtemp()
    r, conf = _run_alloc(tmp, None, "vtnet0 lo0", {"web.conf": "epair0b", "db.conf": "epair1b"})
    assert r.stdout.strip() == "0"
    r, _ = _run_alloc(tmp, 1, "vtnet0 lo0", {})
    assert r.returncode == jail.WRITE_IN_USE and "epair1 is already in use" in r.stderr


def test_write_carries_the_file_in_the_command():
    """The batch form: the rendered file is an argument (batch steps get no stdin), written as is,
    quotes, $ and backslashes included."""
    tmp = tempfile.mkdtemp()
    text = f"x epair{jail.UNIT_PLACEHOLDER}b '$(reboot)' \"\\$HOME\" `id`\n"
    r, conf = _run_alloc(tmp, 5, "vtnet0 bridge0", {}, text=text, create=True, bridge="bridge0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "5"
    assert pathlib.Path(conf).read_text() == text.replace(jail.UNIT_PLACEHOLDER, "5")
    with pytest.raises(ValueError):
        jail.allocate_and_write("web", None, "")


def test_create_refuses_an_existing_jail_and_a_missing_bridge():
    tmp = tempfile.mkdtemp()
    text = f"new epair{jail.UNIT_PLACEHOLDER}b\n"
    # the conf file exists (not overwritten)
    r, conf = _run_alloc(tmp, None, "bridge0", {"web.conf": "old\n"}, text=text, create=True, bridge="bridge0")
    assert r.returncode == jail.WRITE_EXISTS and pathlib.Path(conf).read_text() == "old\n"
    # a jail of that name runs (without a conf file here)
    tmp = tempfile.mkdtemp()
    r, conf = _run_alloc(tmp, None, "bridge0", {}, text=text, create=True, bridge="bridge0", running=["web"])
    assert r.returncode == jail.WRITE_EXISTS and not os.path.exists(conf)
    # no such bridge (bridge1 is not bridge10)
    tmp = tempfile.mkdtemp()
    r, conf = _run_alloc(tmp, None, "vtnet0 bridge10", {}, text=text, create=True, bridge="bridge1")
    assert r.returncode == jail.WRITE_NO_BRIDGE and not os.path.exists(conf)
    # an update overwrites its own file, without these checks
    r, conf = _run_alloc(tmp, None, "vtnet0", {"web.conf": "old\n"}, text=text, running=["web"])
    assert r.returncode == 0 and pathlib.Path(conf).read_text() == "new epair0b\n"


def test_fits_inline_counts_the_quoted_form():
    assert jail.fits_inline("x" * 30000)
    assert not jail.fits_inline("x" * 40000)
    assert not jail.fits_inline("'" * 7000)  # each ' quotes to 5 characters


def test_allocation_under_lock():
    argv = jail.allocate_and_write("web", None)
    # the input is staged first, then the allocation runs under lockf
    assert argv[:2] == ["/bin/sh", "-c"] and argv[5:10] == ["/etc/jail.conf.d/web.conf", "", "", "", ""]
    assert argv[10] == "/usr/bin/lockf"
    argv = jail.allocate_and_write("web", 2, "text", create=True, bridge="bridge0")
    assert argv[5:10] == ["/etc/jail.conf.d/web.conf", "2", "text", "web", "bridge0"]
    assert argv[10:] == common.locked([])


def _run_stop(tmp, tools, ep, conf=None):
    argv = jail.stop("web", ep, conf)
    return subprocess.run(argv[:2] + [_localize(argv[2], tools)] + argv[3:], capture_output=True, text=True)


def test_stop_verifies_and_reaps_the_epair():
    tmp = tempfile.mkdtemp()
    tools = _fake_tools(tmp, "epair3a", running=["web"])
    r = _run_stop(tmp, tools, "epair3a")
    assert r.returncode == 0, r.stderr
    assert "Stopping jails: web." in r.stdout
    assert jail.reaped(r.stdout) == ["epair3a"]
    assert not os.path.exists(os.path.join(tmp, "if", "epair3a"))
    # not running: nothing to stop, a leftover epair is destroyed without the marker
    pathlib.Path(tmp, "if", "epair3a").touch()
    r = _run_stop(tmp, tools, "epair3a")
    assert r.returncode == 0 and r.stdout == "" and not os.path.exists(os.path.join(tmp, "if", "epair3a"))
    # unknown epair, none left: fine
    assert _run_stop(tmp, tools, None).returncode == 0


def test_stop_refusals():
    tmp = tempfile.mkdtemp()
    tools = _fake_tools(tmp, "epair3a", running=["web"])
    # running without its conf file (delete): refused before stopping
    r = _run_stop(tmp, tools, "epair3a", conf=os.path.join(tmp, "missing.conf"))
    assert r.returncode == jail.STOP_NO_CONF and r.stdout == ""
    assert os.path.exists(os.path.join(tmp, "run", "web"))
    # rc.d/jail exits 0 but the jail still runs: exit 5 with the service's output, epair kept
    pathlib.Path(tmp, "stuck").touch()
    r = _run_stop(tmp, tools, "epair3a")
    assert r.returncode == jail.STOP_STILL_RUNNING and "Stopping jails: web." in r.stdout
    assert os.path.exists(os.path.join(tmp, "if", "epair3a"))


def test_reaped_marker_only_at_line_start():
    assert jail.reaped("x\n\x01pulumi-reaped epair1a\n") == ["epair1a"]
    assert jail.reaped("a \x01pulumi-reaped epair1a\n") == []


def test_destroy_if_present():
    tmp = tempfile.mkdtemp()
    tools = _fake_tools(tmp, "epair2a")
    argv = jail.destroy_if_present("epair2a")
    run = argv[:2] + [_localize(argv[2], tools)] + argv[3:]
    assert subprocess.run(run).returncode == 0 and not os.path.exists(os.path.join(tmp, "if", "epair2a"))
    assert subprocess.run(run, capture_output=True).returncode == 0  # gone already: still 0


def test_parse_confs_markers():
    text = "\x01pulumi-file /etc/jail.conf.d/a.conf\x01\nA {\n}\n\x01pulumi-file /etc/jail.conf.d/b.conf\x01\nB\n"
    assert jail.parse_confs(text) == {"/etc/jail.conf.d/a.conf": "A {\n}\n", "/etc/jail.conf.d/b.conf": "B\n"}


def test_parse_confs_splits_on_newline_only():
    """A conf file's text may hold other line breaks (\\x85, \\u2028, \\r): kept as they are."""
    body = 'a {\n  x.note = "one\x85two\u2028three\rfour";\n}\n'
    text = f"\x01pulumi-file /etc/jail.conf.d/a.conf\x01\n{body}"
    assert jail.parse_confs(text) == {"/etc/jail.conf.d/a.conf": body}


def test_written_unit_and_jid_of():
    assert jail.written_unit("7\n") == 7
    jails = {"web": {"jid": "3", "name": "web"}, "odd": {"name": "odd"}}
    assert jail.jid_of(jails, "web") == 3
    assert jail.jid_of(jails, "odd") is None and jail.jid_of(jails, "db") is None


@pytest.mark.parametrize("path,ok", [("/jails/web", True), ("/", False), ("//", False), ("jails", False),
                                     ("/jails/a b", False), ("/jails/$x", False), ("/jails/a\tb", False)])
def test_path_rule(path, ok):
    assert (jail.path_error(path) is None) is ok


def test_field_rules():
    assert jail.epair_error("epair3") is None and jail.epair_error("3") is None
    assert jail.epair_error("epairx") == "invalid epair 'epairx': expected epairN (e.g. epair1) or N"
    assert jail.sysvipc_error("new") is None and "got 'maybe'" in jail.sysvipc_error("maybe")
    assert jail.devfs_ruleset_error(5) is None
    assert jail.devfs_ruleset_error(65536) and jail.devfs_ruleset_error(True)
    assert jail.router_error("192.168.1.1") is None and jail.router_error("1.2.3")
    assert jail.param_value_error("1") is None
    assert jail.param_value_error('a"b') == "the value must not contain quotes or backslashes"
