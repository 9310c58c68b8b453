"""Fixture tests of the service(8) argv builders and parsers; JailService check/diff."""
from __future__ import annotations

import json
import pathlib

import pytest

from freebsd_provider.resources.sysrc import vars_from

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


# --- the batching of JailService's writes (a fake host: no I/O) ----------------------------

from freebsd_provider.resources import jail_service as js  # noqa: E402
from freebsd_provider.ssh import CommandError, Result  # noqa: E402


class FakeHost:
    """``batch`` as Host.batch runs it: in order, stopping at the first non-zero exit."""

    def __init__(self, codes):
        self.codes = dict(codes)   # argv[-1] -> (exit, stderr)
        self.batches = []
        self.conn = None

    def steps_timeout(self, steps):
        return None  # no connection config: the connection's default, as Host.steps_timeout

    async def batch(self, argvs, check=True, mutates=True, timeout=None, keep_going=False):
        self.batches.append([a[-1] for a in argvs])
        out = []
        for a in argvs:
            code, err = self.codes.get(a[-1], (0, ""))
            out.append(Result(list(a), " ".join(a), code, "", err))
            if code and not keep_going:
                break
        return out


def _steps(*names_fails):
    return [js._Step(["cmd", n], f) for n, f in names_fails]


def test_run_steps_one_batch():
    import asyncio
    h = FakeHost({})
    res = asyncio.run(js._run_steps(h, _steps(("a", None), ("b", None), ("c", js._go_on))))
    assert [r.argv[-1] for r in res] == ["a", "b", "c"] and h.batches == [["a", "b", "c"]]


def test_run_steps_goes_on_after_a_tolerated_failure():
    import asyncio
    h = FakeHost({"b": (1, "already running")})
    done = []
    res = asyncio.run(js._run_steps(h, _steps(("a", None), ("b", js._go_on), ("c", None)), done))
    assert [r.argv[-1] for r in res] == ["a", "b", "c"] and res == done
    assert h.batches == [["a", "b", "c"], ["c"]]


def test_run_steps_raises_the_failed_commands_error():
    import asyncio
    h = FakeHost({"b": (2, "sysrc: boom")})
    done = []
    with pytest.raises(CommandError) as e:
        asyncio.run(js._run_steps(h, _steps(("a", None), ("b", None), ("c", None)), done))
    assert e.value.result.argv == ["cmd", "b"] and "sysrc: boom" in str(e.value)
    assert [r.argv[-1] for r in done] == ["a", "b"] and h.batches == [["a", "b", "c"]]


def test_unset_and_stop_tolerance():
    import asyncio
    steps = js.JailService._unset_steps("db", ["a_flags", "b_flags"], {"b_flags": "x"})
    assert [s.argv[-2:] for s in steps] == [["-x", "a_flags"], ["db", "b_flags=x"]]
    h = FakeHost({"a_flags": (1, "sysrc: a_flags: unknown variable\n")})
    asyncio.run(js._run_steps(h, steps))
    assert len(h.batches) == 2
    h = FakeHost({"a_flags": (1, "sysrc: permission denied\n")})
    with pytest.raises(CommandError):
        asyncio.run(js._run_steps(h, steps))
    stop = js.JailService._stop_steps("db", "postgresql")
    h = FakeHost({"onestop": (1, "postgresql not running? (check /var/db/postgres/data17/postmaster.pid).\n")})
    asyncio.run(js._run_steps(h, stop))


def test_start_steps_and_check():
    import asyncio
    h = FakeHost({"onestart": (1, "nginx already running?  (pid=12).\n")})
    res = asyncio.run(js._run_steps(h, js.JailService._start_steps("web", "nginx")))
    assert h.batches == [["onestart", "onestatus"], ["onestatus"]]
    js.JailService._check_started("web", "nginx", res[0], res[1])
    h = FakeHost({"onerestart": (1, "nginx already running?\n")})
    with pytest.raises(CommandError):
        asyncio.run(js._run_steps(h, js.JailService._start_steps("web", "nginx", restart=True)))
    not_running = Result([], "", 1, "nginx is not running.\n", "")
    with pytest.raises(RuntimeError, match="not running after `service onerestart`: boom"):
        js.JailService._check_started("web", "nginx", Result([], "", 0, "boom\n", ""), not_running, True)


def test_init_steps_guard():
    import asyncio
    inputs = {"jail": "db", "service": "postgresql", "initCommand": ["initdb"],
              "initGuard": "/var/db/postgres/data17/PG_VERSION"}
    steps = js.JailService._init_steps(inputs)
    assert [s.argv for s in steps] == [service.init("db", "postgresql", ["initdb"]),
                                       service.exists("db", "/var/db/postgres/data17/PG_VERSION")]
    h = FakeHost({"/var/db/postgres/data17/PG_VERSION": (1, "")})
    with pytest.raises(RuntimeError, match="oneinitdb` in jail db succeeded but .*PG_VERSION"):
        asyncio.run(js._run_steps(h, steps))


def test_vars_and_status_results():
    assert js._vars_from(Result([], "", 0, "nginx_enable: YES\nx_flags: \n", "")) == {
        "nginx_enable": "YES", "x_flags": ""}
    # a jail that is not running is not an empty rc.conf (this used to read as {})
    assert js._vars_from(Result([], "", 1, "", 'jexec: jail "x" not found\n')) is None
    with pytest.raises(CommandError):
        vars_from(Result([], "", 1, "", 'jexec: jail "x" not found\n'))
    assert vars_from(Result([], "", 1, "", "sysrc: /etc/missing.conf: No such file or directory\n")) == {}
    with pytest.raises(CommandError):
        js._vars_from(Result([], "", 1, "", "sysrc: permission denied\n"))
    assert js._is_running(Result([], "", 0, "nginx is running as pid 12.\n", ""))
    assert not js._is_running(Result([], "", 1, "nginx is not running.\n", ""))
    assert not js._is_running(Result([], "", 0, "", "nginx does not exist in /etc/rc.d or the local "
                                                   "startup\ndirectories (/usr/local/etc/rc.d)\n"))
