"""Fixture tests of the service(8) argv builders and parsers; JailService check/diff."""
from __future__ import annotations

import json
import pathlib

import pytest

from freebsd_provider.host import service
from freebsd_provider.resources.jail_service import JailService, parse_id

FIX = pathlib.Path(__file__).parent / "fixtures" / "service"
CASES = sorted(FIX.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "builder" in case:
        assert getattr(service, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
    else:
        assert getattr(service, case["parser"])(case["output"]) == case["expected"]


def test_parse_local_status_rejects_truncated():
    with pytest.raises(ValueError):
        service.parse_local_status("nginx 1\n")
    with pytest.raises(ValueError):
        service.parse_local_status("nginx running\n__end__\n")


def test_one_prefix():
    assert service.one("start") == "onestart"
    assert service.one("onestart") == "onestart"
    assert service.one("forcestop") == "forcestop"
    assert service.one("initdb") == "oneinitdb"


def test_default_rcvar():
    assert service.default_rcvar("nginx") == "nginx_enable"
    assert service.default_rcvar("php-fpm") == "php_fpm_enable"


@pytest.mark.parametrize("v,on", [("YES", True), ("yes", True), ("TRUE", True), ("1", True), ("on", True),
                                  ("NO", False), ("", False), (None, False), ("yess", False)])
def test_checkyesno(v, on):
    assert service.is_enabled_value(v) is on


def test_messages():
    assert service.is_not_running("nginx not running? (check /var/run/nginx.pid).")
    assert service.is_already_running("nginx already running?  (pid=1234).")
    assert service.is_missing_script("nginx does not exist in /etc/rc.d or the local startup\n"
                                     "directories (/usr/local/etc/rc.d), or is not executable")


def test_validate():
    r = JailService()
    ok, f = r.normalize_inputs({"jail": "database", "service": "postgresql", "initCommand": ["initdb"],
                                "initGuard": "/var/db/postgres/data17/PG_VERSION",
                                "rcVars": {"postgresql_flags": "-w -s -m fast"}})
    assert f == [] and r.validate(ok) == []
    assert ok["enabled"] is True and ok["running"] is True
    bad = {"jail": "database", "service": "post;gres", "rcVars": {"postgresql_enable": "YES", "x y": "1",
                                                                   "a_flags": "$(reboot)"},
           "initCommand": ["-rf"], "initGuard": "relative"}
    props = {x.property for x in r.validate(bad)}
    assert {"service", "rcVars.x y", "rcVars.a_flags", "initCommand[0]", "initGuard"} <= props
    bad2 = {"jail": "db", "service": "postgresql", "rcVars": {"postgresql_enable": "YES"}}
    assert [x.property for x in r.validate(bad2)] == ["rcVars.postgresql_enable"]
    assert [x.property for x in r.validate({"jail": "db", "service": "x", "initGuard": "/a"})] == ["initGuard"]


def test_diff():
    r = JailService()
    base = {"jail": "db", "service": "postgresql", "enabled": True, "running": True, "rcVars": {},
            "restartOn": ["a"]}
    d = r.diff(base, {**base, "restartOn": ["b"]})
    assert list(d.changes) == ["restartOn"] and "restarts" in d.changes["restartOn"].why
    d = r.diff(base, {**base, "rcVars": {"postgresql_flags": "-w"}})
    assert list(d.changes) == ["rcVars.postgresql_flags"] and not d.replaces
    assert r.diff(base, {**base, "service": "nginx"}).replaces == ["service"]
    assert not r.diff(base, dict(base)).changes


def test_ids():
    assert parse_id("database:postgresql") == ("database", "postgresql")
    with pytest.raises(ValueError):
        parse_id("postgresql")
