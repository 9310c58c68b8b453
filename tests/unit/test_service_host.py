"""Fixture tests of the service(8) argv builders, parsers and facts; JailService check, diff,
steps and its jail-down path."""
from __future__ import annotations

import json
import pathlib

import pytest

from freebsd_provider import wire
from freebsd_provider.host import service
from freebsd_provider.resources import jail_service as js
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


def test_validate():
    r = JailService()
    ok, f = r.normalize_inputs({"jail": "database", "service": "postgresql", "initCommand": ["initdb"],
                                "initGuard": "/var/db/postgres/data17/PG_VERSION",
                                "rcVars": {"postgresql_flags": "-w -s -m fast"}})
    assert f == [] and r.op_validate(ok) == []
    assert ok["enabled"] is True and ok["running"] is True
    bad = {"jail": "database", "service": "post;gres", "rcVars": {"x y": "1", "a_flags": "$(reboot)"},
           "initCommand": ["-rf"], "initGuard": "relative"}
    props = {x.property for x in r.op_validate(bad)}
    assert props == {"service", 'rcVars["x y"]', "rcVars.a_flags", "initCommand[0]", "initGuard"}
    # the rules across fields
    bad2 = {"jail": "db", "service": "postgresql", "rcVars": {"postgresql_enable": "YES"}}
    assert [(x.property, x.reason) for x in r.op_validate(bad2)] == [
        ("rcVars.postgresql_enable", "postgresql_enable is the service's enable variable: use `enabled`")]
    assert [x.property for x in r.op_validate({"jail": "db", "service": "php-fpm", "rcvar": "fpm_on",
                                               "rcVars": {"fpm_on": "YES"}})] == ["rcVars.fpm_on"]
    assert [x.property for x in r.op_validate({"jail": "db", "service": "x", "initGuard": "/a"})] == ["initGuard"]
    assert [x.property for x in r.op_validate({"jail": "db", "service": "x", "initCommand": []})] == ["initCommand"]
    # unknown values (preview) are skipped
    assert r.op_validate({"jail": wire.UNKNOWN, "service": wire.UNKNOWN, "rcVars": {"postgresql_enable": "x"},
                          "initGuard": wire.UNKNOWN}) == []


def test_diff():
    r = JailService()
    base = {"jail": "db", "service": "postgresql", "enabled": True, "running": True, "rcVars": {},
            "restartOn": ["a"]}
    d = r.op_diff(base, {**base, "restartOn": ["b"]})
    assert list(d.changes) == ["restartOn"] and "restarts" in d.changes["restartOn"].why
    d = r.op_diff(base, {**base, "rcVars": {"postgresql_flags": "-w"}})
    assert list(d.changes) == ["rcVars.postgresql_flags"] and not d.replaces
    assert "restarts the running service" in d.changes["rcVars.postgresql_flags"].why
    d = r.op_diff(base, {**base, "running": False, "restartOn": ["b"]})
    assert d.changes["restartOn"].why == "no restart (not running)"
    assert r.op_diff(base, {**base, "service": "nginx"}).replaces == ["service"]
    assert not r.op_diff(base, dict(base)).changes


def test_ids():
    assert parse_id("database:postgresql") == ("database", "postgresql")
    with pytest.raises(ValueError):
        parse_id("postgresql")


# --- results, facts and steps (a fake host: no I/O) -----------------------------------------

import asyncio  # noqa: E402

from freebsd_provider.errors import (JailNotRunning, ServiceAlreadyRunning, ServiceNotRunning,  # noqa: E402
                                     UnknownVariable)
from freebsd_provider.host import facts, sysrc  # noqa: E402
from freebsd_provider.ssh import Result  # noqa: E402

DOWN = 'jexec: jail "db" not found\n'


def r(code=0, out="", err="", argv=("x",)):
    return Result(list(argv), " ".join(argv), code, out, err)


def test_answer():
    assert service.answer(r(0, "nginx is running as pid 12.\n"))
    assert not service.answer(r(1, "nginx is not running.\n", argv=service.status("db", "nginx")))
    assert not service.answer(r(1, "nosuchd does not exist in /etc/rc.d or the local startup\n"
                                   "directories (/usr/local/etc/rc.d), or is not executable\n",
                                argv=service.status("db", "nosuchd")))
    assert not service.answer(r(1, argv=service.exists("db", "/x")))
    with pytest.raises(JailNotRunning):
        service.answer(r(1, err=DOWN, argv=service.status("db", "nginx")))


def test_facts_of_a_stopped_jail_raise():
    for f in (facts.rc_vars(sysrc.RC_CONF, "db"), service.local_running("db"),
              service.is_running("db", "nginx"), service.path_exists("db", "/x")):
        with pytest.raises(JailNotRunning):
            f.parse(r(1, err=DOWN, argv=f.argv))


def test_local_running():
    f = service.local_running("db")
    assert f.parse(r(0, "nginx 1\npostgresql 0\n__end__\n")) == {"nginx": True, "postgresql": False}
    assert f.parse(r(2, err="sh: boom\n", argv=f.argv)) is None  # no answer: ask the service itself


def test_steps_tolerate():
    def fails(step, err, out=""):
        return step.tolerates(r(1, out, err, argv=step.argv))
    start, started = js.JailService._action_steps("db", "nginx", start=True)
    assert fails(start, "nginx already running?  (pid=12).\n") and not fails(start, "boom\n")
    assert not fails(started, "", "nginx is not running.\n")  # a start that did not start fails
    restart, _ = js.JailService._action_steps("db", "nginx", restart=True)
    assert restart.argv == service.restart("db", "nginx") and not fails(restart, "nginx already running?\n")
    (stop,) = js.JailService._action_steps("db", "postgresql", stop=True)
    assert fails(stop, "postgresql not running? (check /var/db/postgres/data17/postmaster.pid).\n")
    assert not fails(stop, DOWN)
    unset, restore = js.JailService._unset_steps("db", ["a_flags", "b_flags"], {"b_flags": "x"})
    assert unset.argv[-2:] == ["-x", "a_flags"] and restore.argv[-2:] == ["db", "b_flags=x"]
    assert unset.tolerate == (UnknownVariable,) and fails(unset, "sysrc: unknown variable 'a_flags'\n")
    assert (start.tolerate, stop.tolerate) == ((ServiceAlreadyRunning,), (ServiceNotRunning,))


class FakeHost:
    """Facts answered from canned results by argv; steps recorded, never run."""

    def __init__(self, results):
        self.results = {tuple(k): v for k, v in results.items()}
        self.steps = []

    def _res(self, f):
        got = self.results.get(tuple(f.argv), r(0))
        return Result(list(f.argv), " ".join(f.argv), got.exit_code, got.stdout, got.stderr)

    async def get(self, f):
        return f.parse(self._res(f))

    async def get_many(self, *fs):
        return [f.parse(self._res(f)) for f in fs]

    async def run_steps(self, steps, done=None):
        self.steps.append(list(steps))
        raise AssertionError("no step may run")

    async def log(self, message, severity="info"):
        self.logged = (severity, message)


class Ctx:
    def __init__(self, host):
        self.host = host


def stopped():
    """A jail "db" that is not running: every command into it fails as jexec does."""
    argvs = [sysrc.dump(jail="db"), service.local_status("db"), service.status("db", "nginx"),
             service.exists("db", "/etc/rc.d/nginx"), service.exists("db", "/g")]
    return FakeHost({tuple(a): r(1, err=DOWN, argv=a) for a in argvs})


def test_jail_down():
    """A stopped jail: read raises JailNotRunning (the server then keeps what was known, with the
    service not running), create and update say the jail is not running, delete logs it, and
    nothing runs on the host."""
    res = JailService()
    a = res.args({"jail": "db", "service": "nginx", "rcVars": {"nginx_flags": "-q"}, "initCommand": ["x"],
                  "initGuard": "/g"})
    state = res.state({"initialized": True, "previousValues": {"nginx_flags": "-v"}})
    host = stopped()
    with pytest.raises(JailNotRunning):
        asyncio.run(res.read(Ctx(host), "db:nginx", a, state))
    inputs, out = res.op_read_jail_down(res.outputs(a), res.outputs(a, state))
    assert inputs["running"] is False and out["running"] is False
    assert inputs["rcVars"] == {"nginx_flags": "-q"} and out["previousValues"] == {"nginx_flags": "-v"}
    assert out["initialized"] is True and inputs["enabled"] is True
    for op in (lambda: res.create(Ctx(host), a), lambda: res.update(Ctx(host), "db:nginx", a, a, state)):
        with pytest.raises(RuntimeError, match="^jail db is not running: start it"):
            asyncio.run(op())
    asyncio.run(res.delete(Ctx(host), "db:nginx", a, state))
    assert host.logged == ("info", "jail db is not running: nothing to undo for nginx")
    assert host.steps == []
