"""JailService: an rc(8) service inside a running jail: enabled, running, rc.conf variables."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .. import wire
from ..host import common, service, sysrc
from ..hostctx import Host
from ..ssh import CommandError, Result
from .base import DiffResult, Failure, Resource, diff_fields, diff_map, field
from .sysrc import vars_fact, vars_from


@dataclass
class JailServiceArgs:
    jail: str = field("Name of the running jail. Changing it replaces the resource.", replace=True)
    service: str = field("The rc script's name (`/etc/rc.d/NAME` or `/usr/local/etc/rc.d/NAME`), "
                         "e.g. `nginx`, `postgresql`. Changing it replaces the resource.", replace=True)
    enabled: bool = field("Start at the jail's boot: sets the rcvar (`sysrc -j JAIL NAME_enable=YES`, "
                          "or `=NO` when false) in the jail's /etc/rc.conf.", default=True)
    running: bool = field("Keep the service running now (`service -j JAIL NAME onestart`/`onestop`, "
                          "checked with `onestatus`).", default=True)
    rcvar: Optional[str] = field("The service's enable variable when it is not `NAME_enable` (with "
                                 "'-'/'.' turned into '_'). Changing it replaces the resource.",
                                 default=None, replace=True)
    rc_vars: dict[str, str] = field(
        "Other rc.conf variables of the service, e.g. `{\"postgresql_flags\": \"-w -s -m fast\"}`, "
        "each set with `sysrc -j`. A change restarts a running service; removing a key deletes the "
        "variable (or restores the value it had before).", default_factory=dict)
    init_command: Optional[list[str]] = field(
        "A one-time initialization run before the first start, as words after `service NAME` "
        "(rc.subr's `one` prefix is added), e.g. `[\"initdb\"]` for `service postgresql "
        "oneinitdb`. Runs on create, and again only when `initGuard` is set and that path is "
        "missing.", default=None)
    init_guard: Optional[str] = field(
        "A path inside the jail that exists once the service is initialized, e.g. "
        "`/var/db/postgres/data17/PG_VERSION`: the init command runs only while it is missing "
        "(so an existing cluster is never re-initialized), and must exist afterwards.", default=None)
    restart_on: list[str] = field(
        "Opaque strings whose change restarts the running service (`onerestart`), e.g. the "
        "`sha256` outputs of the JailFile resources that edit its configuration.",
        default_factory=list)


@dataclass
class JailServiceState:
    initialized: bool = field("Whether the init command has run (or `initGuard` exists).", default=False)
    previous_values: dict[str, str] = field(
        "Values the managed rc.conf variables had before this resource set them (restored on "
        "delete); variables missing here did not exist and are removed on delete.",
        default_factory=dict)


def parse_id(rid: str) -> tuple[str, str]:
    jail, sep, svc = rid.partition(":")
    if not sep or not jail or not svc:
        raise ValueError(f"invalid JailService id {rid!r}: expected JAIL:SERVICE, e.g. database:postgresql")
    return jail, svc


def _rcvar(inputs: dict[str, Any]) -> str:
    return inputs.get("rcvar") or service.default_rcvar(inputs["service"])


def _jail_missing(e: CommandError) -> bool:
    return sysrc.is_jail_missing(e.result.stderr)


def _vars_from(res: Result) -> Optional[dict[str, str]]:
    """The variables of a ``sysrc -j JAIL -a`` result, from the shared fact or a batch (None
    when the jail is missing)."""
    try:
        return vars_from(res)
    except CommandError as e:
        if _jail_missing(e):
            return None
        raise


def _is_running(res: Result) -> bool:
    """A ``service onestatus`` result: exit 0 = running; a missing rc script is not running."""
    if service.is_missing_script(res.stdout + res.stderr):
        return False
    return res.exit_code == 0


def _go_on(res: Result) -> None:
    """A step whose non-zero exit is an answer, not a failure (onestatus, test -e)."""


@dataclass
class _Step:
    """One command of a batch. ``on_fail`` decides about a non-zero exit: it raises, or returns
    to go on (None: the command's CommandError)."""
    argv: list[str]
    on_fail: Optional[Callable[[Result], None]] = None


async def _run_steps(host: Host, steps: list[_Step], done: Optional[list[Result]] = None) -> list[Result]:
    """Run ``steps`` in order, as few remote execs as possible: one batch, and one more after
    each non-zero exit that ``on_fail`` lets pass (the batch stops at the first non-zero exit).
    Results are appended to ``done`` as they come (what ran when an exception is raised)."""
    done = [] if done is None else done
    start = len(done)
    while len(done) - start < len(steps):
        rest = steps[len(done) - start:]
        results = await host.batch([st.argv for st in rest], check=False,
                                   timeout=host.steps_timeout(len(rest)))
        for st, res in zip(rest, results):
            done.append(res)
            if res.exit_code != 0:
                if st.on_fail is None:
                    raise CommandError(res)
                st.on_fail(res)
    return done[start:]


class JailService(Resource):
    token = "freebsd:index:JailService"
    description = (
        "An rc(8) service inside a running jail: its enable variable and other rc.conf variables "
        "(`sysrc -j`, under the host-side lock), its run state (`service -j JAIL NAME "
        "onestart|onestop|onerestart`, verified with `onestatus` because rc.subr's start can "
        "exit 0 without starting anything), a one-time init step such as postgresql's `initdb` "
        "guarded so it runs once, and restarts triggered by `restartOn` (e.g. config file "
        "hashes).\n\n"
        "Refresh reads the jail's rc.conf once per jail (`sysrc -j JAIL -a`, shared with Sysrc) "
        "and the status of every rc script under /usr/local/etc/rc.d once per jail; a base-system "
        "service costs one extra `onestatus`. A service stopped by hand or an rc variable changed "
        "by hand shows up as drift.\n\n"
        "Delete stops the service and removes the variables it set (restoring values that "
        "existed before)."
    )
    Args = JailServiceArgs
    State = JailServiceState
    example = {"jail": "database", "service": "postgresql", "enabled": True, "running": True,
               "rcVars": {"postgresql_flags": "-w -s -m fast"}, "initCommand": ["initdb"],
               "initGuard": "/var/db/postgres/data17/PG_VERSION", "restartOn": ["abc"]}
    import_id = "`JAIL:SERVICE`, e.g. `database:postgresql`"

    # -- check ----------------------------------------------------------------------------
    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []

        def known(v):
            return v is not None and not wire.is_unknown(v)
        if known(inputs.get("jail")):
            err = common.jail_name_error(inputs["jail"])
            if err:
                f.append(Failure("jail", err))
        if known(inputs.get("service")):
            err = service.name_error(inputs["service"])
            if err:
                f.append(Failure("service", err))
        if known(inputs.get("rcvar")):
            err = sysrc.name_error(inputs["rcvar"])
            if err:
                f.append(Failure("rcvar", err))
        rcv = None
        if known(inputs.get("service")) and not service.name_error(inputs["service"]) and \
                (inputs.get("rcvar") is None or known(inputs.get("rcvar"))):
            rcv = _rcvar(inputs)
        for k, v in (inputs.get("rcVars") or {}).items():
            err = sysrc.name_error(k)
            if err:
                f.append(Failure(f"rcVars.{k}", err))
                continue
            if k == rcv:
                f.append(Failure(f"rcVars.{k}", f"{k} is the service's enable variable: use `enabled`"))
                continue
            if known(v):
                err = sysrc.value_error(v)
                if err:
                    f.append(Failure(f"rcVars.{k}", err))
        init = inputs.get("initCommand")
        if isinstance(init, list):
            if not init:
                f.append(Failure("initCommand", "an empty init command: leave it unset instead"))
            for i, w in enumerate(init):
                if known(w):
                    err = service.word_error(w)
                    if err:
                        f.append(Failure(f"initCommand[{i}]", err))
        guard = inputs.get("initGuard")
        if known(guard):
            err = common.abs_path_error(guard, "initGuard")
            if err:
                f.append(Failure("initGuard", err))
            if inputs.get("initCommand") is None:
                f.append(Failure("initGuard", "initGuard needs an initCommand"))
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = diff_fields(self.input_fields(), olds, news, skip=("rcVars",))
        running = news.get("running") is not False
        for path, d in diff_map("rcVars", olds.get("rcVars"), news.get("rcVars")).items():
            d.why = "sets the variable" + ("; restarts the running service" if running else "")
            res.changes[path] = d
        if "restartOn" in res.changes:
            res.changes["restartOn"].why = "restarts the service" if running else "no restart (not running)"
        if "running" in res.changes:
            res.changes["running"].why = "starts or stops the service"
        if "initCommand" in res.changes or "initGuard" in res.changes:
            for k in ("initCommand", "initGuard"):
                if k in res.changes:
                    res.changes[k].why = "recorded; the init step runs again only when initGuard is missing"
        return res

    # -- host access ----------------------------------------------------------------------
    async def _vars(self, host: Host, jail: str) -> Optional[dict[str, str]]:
        return _vars_from(await host.fact(vars_fact(sysrc.RC_CONF, jail), check=False))

    async def _running(self, host: Host, jail: str, svc: str) -> bool:
        """For read: the jail's shared status fact of its local rc scripts, else one onestatus."""
        res = await host.fact(service.local_status(jail), check=False)
        if res.exit_code == 0:
            st = service.parse_local_status(res.stdout)
            if svc in st:
                return st[svc]
        elif _jail_missing(CommandError(res)):
            raise CommandError(res)
        return _is_running(await host.fact(service.status(jail, svc), check=False))

    def _script_exists(self, svc: str, local: Result, base: Result) -> bool:
        """From ``service.local_status`` and ``service.exists(/etc/rc.d/NAME)`` results."""
        if local.exit_code == 0 and svc in service.parse_local_status(local.stdout):
            return True
        return base.exit_code == 0

    async def _guard_exists(self, host: Host, jail: str, guard: Optional[str]) -> Optional[bool]:
        if not guard:
            return None
        res = await host.fact(service.exists(jail, guard), check=False)  # shared with a refresh's other reads
        return res.exit_code == 0

    # Steps of the write batches: rc.conf edits, then the service action.
    @staticmethod
    def _set_steps(jail: str, values: dict[str, str]) -> list[_Step]:
        return [_Step(sysrc.set_value(k, v, jail=jail)) for k, v in values.items()]

    @staticmethod
    def _unset_steps(jail: str, names: list[str], previous: dict[str, str]) -> list[_Step]:
        def tolerate_unknown(res: Result) -> None:
            if not sysrc.is_unknown_variable(res.stderr):
                raise CommandError(res)
        return [_Step(sysrc.set_value(k, previous[k], jail=jail)) if k in previous
                else _Step(sysrc.delete(k, jail=jail), tolerate_unknown) for k in names]

    @staticmethod
    def _init_steps(inputs: dict[str, Any]) -> list[_Step]:
        """The init command, then the check that it created the guard."""
        jail, svc, init, guard = inputs["jail"], inputs["service"], inputs["initCommand"], inputs.get("initGuard")

        def guard_missing(res: Result) -> None:
            raise RuntimeError(f"`service {svc} {service.one(init[0])}` in jail {jail} succeeded "
                               f"but {guard} (initGuard) does not exist")
        steps = [_Step(service.init(jail, svc, init))]
        if guard:
            steps.append(_Step(service.exists(jail, guard), guard_missing))
        return steps

    @staticmethod
    def _start_steps(jail: str, svc: str, restart: bool = False) -> list[_Step]:
        """onestart (or onerestart) then onestatus; check with ``_check_started``."""
        def tolerate_running(res: Result) -> None:
            if restart or not service.is_already_running(res.stderr):
                raise CommandError(res)
        argv = service.restart(jail, svc) if restart else service.start(jail, svc)
        return [_Step(argv, tolerate_running), _Step(service.status(jail, svc), _go_on)]

    @staticmethod
    def _check_started(jail: str, svc: str, start: Result, status: Result, restart: bool = False) -> None:
        if not _is_running(status):
            out = (start.stdout + start.stderr).strip()
            raise RuntimeError(f"service {svc} in jail {jail} is not running after "
                               f"`service {'onerestart' if restart else 'onestart'}`"
                               + (f": {out}" if out else ""))

    @staticmethod
    def _stop_steps(jail: str, svc: str) -> list[_Step]:
        def tolerate_stopped(res: Result) -> None:
            if not service.is_not_running(res.stdout + res.stderr):
                raise CommandError(res)
        return [_Step(service.stop(jail, svc), tolerate_stopped)]

    async def _act(self, host: Host, jail: str, svc: str, steps: list[_Step], *, start: bool = False,
                   restart: bool = False, stop: bool = False, done: Optional[list[Result]] = None) -> None:
        """Run ``steps`` then start / restart / stop the service, in one exec when nothing fails."""
        if start or restart:
            steps = steps + self._start_steps(jail, svc, restart)
        elif stop:
            steps = steps + self._stop_steps(jail, svc)
        if not steps:
            return
        res = await _run_steps(host, steps, done)
        if start or restart:
            self._check_started(jail, svc, res[-2], res[-1], restart)

    def _outputs(self, inputs: dict[str, Any], initialized: bool, previous: dict[str, str]) -> dict[str, Any]:
        out = dict(inputs)
        out["initialized"] = initialized
        out["previousValues"] = dict(previous)
        return out

    # -- create ---------------------------------------------------------------------------
    def read_jail_down(self, inputs, state):
        """The jail is down, so the service is not running: that is drift the next up repairs."""
        new_inputs, out = super().read_jail_down(inputs, state)
        if new_inputs.get("running"):
            new_inputs["running"] = False
            out["running"] = False
        return new_inputs, out

    async def create(self, ctx, inputs):
        host: Host = ctx.host
        jail, svc = inputs["jail"], inputs["service"]
        init, guard = inputs.get("initCommand"), inputs.get("initGuard")
        # one exec reads all: rc.conf, the rc scripts, and the init guard
        reads = [sysrc.dump(file=sysrc.RC_CONF, jail=jail), service.local_status(jail),
                 service.exists(jail, f"/etc/rc.d/{svc}")]
        if init and guard:
            reads.append(service.exists(jail, guard))
        got = await host.batch(reads, check=False, mutates=False, keep_going=True,
                               timeout=host.steps_timeout(len(reads)))
        live = _vars_from(got[0])
        if live is None:
            raise RuntimeError(f"jail {jail} is not running: start it (VnetJail) before managing its services")
        if not self._script_exists(svc, got[1], got[2]):
            raise RuntimeError(f"service {svc} does not exist in jail {jail} (no /etc/rc.d/{svc} or "
                               f"{service.LOCAL_RC_D}/{svc}): install its package first (JailPackage)")
        rcv = _rcvar(inputs)
        want = {rcv: "YES" if inputs.get("enabled", True) else "NO", **(inputs.get("rcVars") or {})}
        previous = {k: live[k] for k in want if k in live}
        # one exec writes all: the variables, the init step when due, the start and its check
        steps = self._set_steps(jail, {k: v for k, v in want.items() if live.get(k) != v})
        n_set = len(steps)
        initialized = False
        if init:
            initialized = True
            if not (guard and got[3].exit_code == 0):
                steps += self._init_steps(inputs)
        running = inputs.get("running", True)
        if not running:
            steps.append(_Step(service.status(jail, svc), _go_on))
        rid = f"{jail}:{svc}"
        done: list[Result] = []
        try:
            await self._act(host, jail, svc, steps, start=running, done=done)
            if not running and _is_running(done[-1]):
                await self._act(host, jail, svc, [], stop=True)
        except Exception as e:
            if 0 < len(done) <= n_set and done[-1].exit_code != 0:
                raise  # setting a variable failed: nothing changed on the host, nothing to record
            # the variables are set: record them so delete can undo them
            from .base import PartialFailure
            raise PartialFailure(str(e), rid, self._outputs(inputs, False, previous)) from e
        return rid, self._outputs(inputs, initialized, previous)

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid, inputs, state):
        host: Host = ctx.host
        jail, svc = parse_id(rid)
        state = state or {}
        base = dict(inputs) if inputs is not None else {"jail": jail, "service": svc}
        base["jail"], base["service"] = jail, svc
        # the reads are independent (shared facts, and the guard): all at once, one round trip
        live, running, guard = await asyncio.gather(
            self._vars(host, jail), self._running(host, jail, svc),
            self._guard_exists(host, jail, base.get("initGuard")), return_exceptions=True)
        if isinstance(live, BaseException):
            raise live
        if live is None:
            # the jail is not running: the server keeps what we knew (read_jail_down)
            raise CommandError(await host.fact(vars_fact(sysrc.RC_CONF, jail), check=False))
        rcv = _rcvar(base)
        enabled = service.is_enabled_value(live.get(rcv))
        if inputs is None:
            prefix = rcv[: -len("_enable")] + "_" if rcv.endswith("_enable") else svc + "_"
            rc_vars = {k: v for k, v in live.items() if k.startswith(prefix) and k != rcv}
            if rcv not in live and not rc_vars:
                raise RuntimeError(f"cannot import {rid}: jail {jail}'s rc.conf has no {rcv} "
                                   f"nor other {prefix}* variables")
        else:
            rc_vars = {k: live[k] for k in (inputs.get("rcVars") or {}) if k in live}
        if isinstance(running, BaseException):
            raise running
        new_inputs = {k: v for k, v in base.items() if k in {f.wire for f in self.input_fields()}}
        new_inputs.update({"enabled": enabled, "running": running, "rcVars": rc_vars})
        new_inputs.setdefault("restartOn", [])
        if isinstance(guard, BaseException):
            raise guard
        initialized = guard if guard is not None else bool(state.get("initialized"))
        return new_inputs, self._outputs(new_inputs, initialized, state.get("previousValues") or {})

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, rid, olds, news, state):
        host: Host = ctx.host
        jail, svc = news["jail"], news["service"]
        initialized = bool(state.get("initialized"))
        init, guard = news.get("initCommand"), news.get("initGuard")
        may_init = bool(init and (guard or not initialized) and (guard or not olds.get("initCommand")))
        # one exec reads all: rc.conf, the init guard, the run state
        reads = [sysrc.dump(file=sysrc.RC_CONF, jail=jail)]
        if may_init and guard:
            reads.append(service.exists(jail, guard))
        reads.append(service.status(jail, svc))
        got = await host.batch(reads, check=False, mutates=False, keep_going=True,
                               timeout=host.steps_timeout(len(reads)))
        live = _vars_from(got[0])
        if live is None:
            raise RuntimeError(f"jail {jail} is not running")
        previous = dict(state.get("previousValues") or {})
        rcv = _rcvar(news)
        want = {rcv: "YES" if news.get("enabled", True) else "NO", **(news.get("rcVars") or {})}
        for k in want:
            if k not in previous and k in live and k not in (olds.get("rcVars") or {}) and k != rcv:
                previous[k] = live[k]  # a variable newly managed: remember what it was
        changed = {k: v for k, v in want.items() if live.get(k) != v}
        steps = self._set_steps(jail, changed)
        dropped = sorted(set(olds.get("rcVars") or {}) - set(news.get("rcVars") or {}))
        steps += self._unset_steps(jail, dropped, previous)
        for k in dropped:
            previous.pop(k, None)
        running_now = _is_running(got[-1])
        if may_init:
            initialized = True
            if not (guard and got[1].exit_code == 0):
                # the init step may change the run state: read it again after
                steps += self._init_steps(news)
                steps.append(_Step(service.status(jail, svc), _go_on))
                running_now = _is_running((await _run_steps(host, steps))[-1])
                steps = []
        vars_changed = bool(dropped) or any(k != rcv for k in changed)
        restart = (olds.get("restartOn") or []) != (news.get("restartOn") or []) or vars_changed
        # one exec writes all: the variables, then the start / restart / stop and its check
        if news.get("running", True):
            await self._act(host, jail, svc, steps, start=not running_now, restart=running_now and restart)
        else:
            await self._act(host, jail, svc, steps, stop=running_now)
        return self._outputs(news, initialized, previous)

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid, inputs, state):
        host: Host = ctx.host
        jail, svc = parse_id(rid)
        # one exec reads rc.conf and the run state, one stops the service and undoes the variables
        got = await host.batch([sysrc.dump(file=sysrc.RC_CONF, jail=jail), service.status(jail, svc)],
                               check=False, mutates=False, keep_going=True, timeout=host.steps_timeout(2))
        live = _vars_from(got[0])
        if live is None:
            await host.log(f"jail {jail} is not running: nothing to undo for {svc}", "info")
            return
        base = dict(inputs or {})
        base.setdefault("service", svc)
        names = [_rcvar(base), *sorted((inputs or {}).get("rcVars") or {})]
        previous = state.get("previousValues") or {}
        steps = self._stop_steps(jail, svc) if _is_running(got[1]) else []
        steps += self._unset_steps(jail, [k for k in names if k in live or k in previous], previous)
        if steps:
            await _run_steps(host, steps)
