"""Fixture tests of jail.conf rendering/parsing, jls parsing and the jail host scripts."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import tempfile

import pytest

from freebsd_provider.host import jail

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


def _run_alloc(tmp, unit, iflist, others):
    d = os.path.join(tmp, "jail.conf.d")
    os.makedirs(d, exist_ok=True)
    for n, txt in others.items():
        pathlib.Path(d, n).write_text(txt)
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir, exist_ok=True)
    ifc = os.path.join(bindir, "ifconfig")
    pathlib.Path(ifc).write_text(f"#!/bin/sh\necho '{iflist}'\n")
    os.chmod(ifc, 0o755)
    argv = jail.allocate_and_write("web", unit)
    stage, alloc = argv[2], argv[4].replace("/sbin/ifconfig", ifc)
    conf = os.path.join(d, "web.conf")
    # the lockf prefix is replaced by `env` (no lockf(1) on this machine): same argv shape
    r = subprocess.run(["/bin/sh", "-c", stage, "sh", alloc, conf, "" if unit is None else str(unit), "env"],
                       input=f"x epair{jail.UNIT_PLACEHOLDER}b y\n", capture_output=True, text=True)
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
    assert r.returncode == 3 and "epair1 is already in use" in r.stderr


def test_allocation_under_lock():
    argv = jail.allocate_and_write("web", None)
    # stdin is staged first, then the allocation runs under lockf
    assert argv[:2] == ["/bin/sh", "-c"] and argv[5:7] == ["/etc/jail.conf.d/web.conf", ""]
    assert argv[7] == "/usr/bin/lockf"


def test_parse_confs_markers():
    text = "\x01pulumi-file /etc/jail.conf.d/a.conf\x01\nA {\n}\n\x01pulumi-file /etc/jail.conf.d/b.conf\x01\nB\n"
    assert jail.parse_confs(text) == {"/etc/jail.conf.d/a.conf": "A {\n}\n", "/etc/jail.conf.d/b.conf": "B\n"}
