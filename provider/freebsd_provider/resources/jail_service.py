"""JailService: an rc(8) service inside a running jail: enabled, running, rc.conf variables."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .. import wire
from ..errors import CommandFailed, JailNotRunning, ServiceAlreadyRunning, ServiceNotRunning, UnknownVariable, classify
from ..host import common, facts, sysrc
from ..host import service as rcd
from ..host.steps import Step, StepResults, read
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import DiffResult, Failure, Resource, diff_fields, diff_map, dump, field, prop_path


@dataclass
class JailServiceArgs:
    jail: str = field("Name of the running jail. Changing it replaces the resource.", replace=True,
                      check=common.jail_name_error)
    service: str = field("The rc script's name (`/etc/rc.d/NAME` or `/usr/local/etc/rc.d/NAME`), "
                         "e.g. `nginx`, `postgresql`. Changing it replaces the resource.", replace=True,
                         check=rcd.name_error)
    enabled: bool = field("Start at the jail's boot: sets the rcvar (`sysrc -j JAIL NAME_enable=YES`, "
                          "or `=NO` when false) in the jail's /etc/rc.conf.", default=True)
    running: bool = field("Keep the service running now (`service -j JAIL NAME onestart`/`onestop`, "
                          "checked with `onestatus`).", default=True)
    rcvar: Optional[str] = field("The service's enable variable when it is not `NAME_enable` (with "
                                 "'-'/'.' turned into '_'). Changing it replaces the resource.",
                                 default=None, replace=True, check=sysrc.name_error)
    rc_vars: dict[str, str] = field(
        "Other rc.conf variables of the service, e.g. `{\"postgresql_flags\": \"-w -s -m fast\"}`, "
        "each set with `sysrc -j`. A change restarts a running service; removing a key deletes the "
        "variable (or restores the value it had before).", default_factory=dict,
        key_check=sysrc.name_error, check=sysrc.value_error)
    init_command: Optional[list[str]] = field(
        "A one-time initialization run before the first start, as words after `service NAME` "
        "(rc.subr's `one` prefix is added), e.g. `[\"initdb\"]` for `service postgresql "
        "oneinitdb`. Runs on create, and again only when `initGuard` is set and that path is "
        "missing.", default=None, check=rcd.word_error)
    init_guard: Optional[str] = field(
        "A path inside the jail that exists once the service is initialized, e.g. "
        "`/var/db/postgres/data17/PG_VERSION`: the init command runs only while it is missing "
        "(so an existing cluster is never re-initialized), and must exist afterwards.", default=None,
        check=lambda p: common.abs_path_error(p, "initGuard"))
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


def _rcvar(a: JailServiceArgs) -> str:
    return a.rcvar or rcd.default_rcvar(a.service)


def _known(v) -> bool:
    return v is not None and not wire.is_unknown(v)


def _not_running(jail: str) -> RuntimeError:
    return RuntimeError(f"jail {jail} is not running: start it (VnetJail) before managing its services")


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
        "by hand shows up as drift. When the jail is not running, refresh keeps what was known "
        "and reports the service as not running.\n\n"
        "Delete stops the service and removes the variables it set (restoring values that "
        "existed before)."
    )
    Args = JailServiceArgs
    State = JailServiceState
    example = {"jail": "database", "service": "postgresql", "enabled": True, "running": True,
               "rcVars": {"postgresql_flags": "-w -s -m fast"}, "initCommand": ["initdb"],
               "initGuard": "/var/db/postgres/data17/PG_VERSION", "restartOn": ["abc"]}
    crash_note = (
        "A service cannot carry a marker: the resource's journal record " + JOURNAL + " keeps the "
        "rc.conf values from before the first attempt. When `pulumi up` was killed half-way, the "
        "next create adopts the service with that record and converges it (the init command stays "
        "guarded by `initGuard`).")
    import_id = "`JAIL:SERVICE`, e.g. `database:postgresql`"

    # -- check ----------------------------------------------------------------------------
    def validate(self, a: JailServiceArgs) -> list[Failure]:
        f: list[Failure] = []
        if _known(a.service) and (a.rcvar is None or _known(a.rcvar)) and isinstance(a.rc_vars, dict):
            rcv = _rcvar(a)
            if rcv in a.rc_vars:
                f.append(Failure(prop_path("rcVars", rcv), f"{rcv} is the service's enable variable: use `enabled`"))
        if isinstance(a.init_command, list) and not a.init_command:
            f.append(Failure("initCommand", "an empty init command: leave it unset instead"))
        if _known(a.init_guard) and a.init_command is None:
            f.append(Failure("initGuard", "initGuard needs an initCommand"))
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: JailServiceArgs, news: JailServiceArgs) -> DiffResult:
        res = diff_fields(self.input_fields(), dump(olds), dump(news), skip=("rcVars",))
        running = news.running is not False
        for path, d in diff_map("rcVars", olds.rc_vars, news.rc_vars).items():
            d.why = "sets the variable" + ("; restarts the running service" if running else "")
            res.changes[path] = d
        if "restartOn" in res.changes:
            res.changes["restartOn"].why = "restarts the service" if running else "no restart (not running)"
        if "running" in res.changes:
            res.changes["running"].why = "starts or stops the service"
        for k in ("initCommand", "initGuard"):
            if k in res.changes:
                res.changes[k].why = "recorded; the init step runs again only when initGuard is missing"
        return res

    # -- steps ----------------------------------------------------------------------------
    # A write is one sequence (one exec when nothing fails): the rc.conf edits, the init step
    # when due, then the start / restart / stop and the check that the service runs.
    @staticmethod
    def _set_steps(jail: str, values: dict[str, str]) -> list[Step]:
        return [Step(sysrc.set_value(k, v, jail=jail), "set") for k, v in values.items()]

    @staticmethod
    def _unset_steps(jail: str, names: list[str], previous: dict[str, str]) -> list[Step]:
        return [Step(sysrc.set_value(k, previous[k], jail=jail), "set") if k in previous
                else Step(sysrc.delete(k, jail=jail), "unset", tolerate=(UnknownVariable,)) for k in names]

    @staticmethod
    def _init_steps(a: JailServiceArgs) -> list[Step]:
        """The init command, then the check that it created the guard (a missing guard stops
        the sequence: the service is not started on a half-made initialization)."""
        steps = [Step(rcd.init(a.jail, a.service, a.init_command), "init")]
        if a.init_guard:
            steps.append(Step(rcd.exists(a.jail, a.init_guard), "guard", mutates=False))
        return steps

    @staticmethod
    def _action_steps(jail: str, svc: str, *, start: bool = False, restart: bool = False,
                      stop: bool = False) -> list[Step]:
        """onestart (a service already running is fine) or onerestart, then onestatus, which
        must say it runs ("started"); or onestop (a service already stopped is fine)."""
        if start or restart:
            argv = rcd.restart(jail, svc) if restart else rcd.start(jail, svc)
            return [Step(argv, "restart" if restart else "start",
                         tolerate=() if restart else (ServiceAlreadyRunning,)),
                    Step(rcd.status(jail, svc), "started", mutates=False)]
        if stop:
            return [Step(rcd.stop(jail, svc), "stop", tolerate=(ServiceNotRunning,))]
        return []

    @staticmethod
    def _explain(a: JailServiceArgs, done: StepResults) -> Optional[str]:
        """What a failed check step means: the init guard missing after the init command, or the
        service not running after its start."""
        if not done.items or done.items[-1][1].exit_code == 0:
            return None
        step, res = done.items[-1]
        if isinstance(classify(res), JailNotRunning):
            return None
        if step.name == "guard":
            return (f"`service {a.service} {rcd.one(a.init_command[0])}` in jail {a.jail} succeeded "
                    f"but {a.init_guard} (initGuard) does not exist")
        if step.name == "started":
            how = "onerestart" if "restart" in done else "onestart"
            start = done.get("restart") or done.get("start")
            out = (start.stdout + start.stderr).strip() if start is not None else ""
            return (f"service {a.service} in jail {a.jail} is not running after `service {how}`"
                    + (f": {out}" if out else ""))
        return None

    @staticmethod
    def _initialized(a: JailServiceArgs, done: StepResults, before: bool) -> bool:
        """Whether the service is initialized after ``done``: the guard checked after the init
        command, or the init command itself when there is no guard."""
        if "guard" in done:
            return done.ok("guard")
        if "init" in done:
            return done.ok("init")
        return before

    async def _apply(self, ctx, a: JailServiceArgs, steps: list[Step], record) -> StepResults:
        """``apply`` with the failure of a check step explained; ``record(done)`` gives the
        outputs to record when the host has changed (partial failure)."""
        def partial(done):
            return a.jail + ":" + a.service, record(done), self._explain(a, done) or \
                f"service {a.service} in jail {a.jail} was partly configured"
        done = StepResults()
        try:
            return await self.apply(ctx, steps, partial=partial, done=done)
        except JailNotRunning as e:
            raise _not_running(a.jail) from e
        except CommandFailed as e:
            why = self._explain(a, done)
            if why:
                raise RuntimeError(f"{why}: {e}") from e
            raise

    # -- lifecycle ------------------------------------------------------------------------
    def read_jail_down(self, a: JailServiceArgs, st: JailServiceState):
        """The jail is down, so the service is not running: that is drift the next up repairs."""
        a.running = False
        return a, st

    async def create(self, ctx, a: JailServiceArgs):
        jail, svc = a.jail, a.service
        guarded = bool(a.init_command and a.init_guard)
        reads = [facts.rc_vars(sysrc.RC_CONF, jail), rcd.local_running(jail),
                 rcd.path_exists(jail, f"/etc/rc.d/{svc}")]
        if guarded:
            reads.append(rcd.path_exists(jail, a.init_guard))
        try:
            live, local, base_script, *guard = await self.before(ctx, *reads)
        except JailNotRunning as e:
            raise _not_running(jail) from e
        if not (base_script or svc in (local or {})):
            raise RuntimeError(f"service {svc} does not exist in jail {jail} (no /etc/rc.d/{svc} or "
                               f"{rcd.LOCAL_RC_D}/{svc}): install its package first (JailPackage)")
        rcv = _rcvar(a)
        want = {rcv: "YES" if a.enabled else "NO", **a.rc_vars}
        st = JailServiceState(previous_values={k: live[k] for k in want if k in live})
        steps = self._set_steps(jail, {k: v for k, v in want.items() if live.get(k) != v})
        guard_exists = bool(guard and guard[0])
        if a.init_command and not guard_exists:
            steps += self._init_steps(a)
        if not a.running:
            steps.append(read(rcd.status(jail, svc), "status"))
        steps += self._action_steps(jail, svc, start=a.running)

        def record(done):
            # the variables are set (and maybe more): record them so delete can undo them
            return self.outputs(a, JailServiceState(self._initialized(a, done, guard_exists),
                                                    st.previous_values))
        done = await self._apply(ctx, a, steps, record)
        if not a.running and rcd.answer(done["status"]):
            await self._apply(ctx, a, self._action_steps(jail, svc, stop=True), record)
        st.initialized = bool(a.init_command) and self._initialized(a, done, guard_exists)
        return f"{jail}:{svc}", st

    async def read(self, ctx, rid, a: Optional[JailServiceArgs], state: Optional[JailServiceState]):
        jail, svc = parse_id(rid)
        st = state or JailServiceState()
        importing = a is None
        a = JailServiceArgs(jail, svc) if a is None else a
        a.jail, a.service = jail, svc
        # the reads are independent (shared facts, and the guard): one round trip
        reads = [facts.rc_vars(sysrc.RC_CONF, jail), rcd.local_running(jail)]
        if a.init_guard:
            reads.append(rcd.path_exists(jail, a.init_guard))
        live, local, *guard = await ctx.host.get_many(*reads)  # JailNotRunning: read_jail_down
        if local is not None and svc in local:
            running = local[svc]
        else:  # a base-system service (or no status script answer): ask it
            running = await ctx.host.get(rcd.is_running(jail, svc))
        rcv = _rcvar(a)
        if importing:
            prefix = rcv[: -len("_enable")] + "_" if rcv.endswith("_enable") else svc + "_"
            rc_vars = {k: v for k, v in live.items() if k.startswith(prefix) and k != rcv}
            if rcv not in live and not rc_vars:
                raise RuntimeError(f"cannot import {rid}: jail {jail}'s rc.conf has no {rcv} "
                                   f"nor other {prefix}* variables")
        else:
            rc_vars = {k: live[k] for k in a.rc_vars if k in live}
        a.enabled = rcd.is_enabled_value(live.get(rcv))
        a.running = running
        a.rc_vars = rc_vars
        initialized = guard[0] if guard else st.initialized
        return a, JailServiceState(initialized, dict(st.previous_values))

    async def update(self, ctx, rid, olds: JailServiceArgs, news: JailServiceArgs, state: JailServiceState):
        jail, svc = news.jail, news.service
        initialized = state.initialized
        init, guard = news.init_command, news.init_guard
        may_init = bool(init and (guard or not initialized) and (guard or not olds.init_command))
        # one exec reads all: rc.conf, the init guard, the run state
        reads = [facts.rc_vars(sysrc.RC_CONF, jail), rcd.is_running(jail, svc)]
        if may_init and guard:
            reads.append(rcd.path_exists(jail, guard))
        try:
            live, running_now, *guard_exists = await ctx.host.get_many(*reads)
        except JailNotRunning as e:
            raise _not_running(jail) from e
        previous = dict(state.previous_values)
        rcv = _rcvar(news)
        want = {rcv: "YES" if news.enabled else "NO", **news.rc_vars}
        for k in want:
            if k not in previous and k in live and k not in olds.rc_vars and k != rcv:
                previous[k] = live[k]  # a variable newly managed: remember what it was
        changed = {k: v for k, v in want.items() if live.get(k) != v}
        steps = self._set_steps(jail, changed)
        dropped = sorted(set(olds.rc_vars) - set(news.rc_vars))
        steps += self._unset_steps(jail, dropped, previous)
        for k in dropped:
            previous.pop(k, None)

        def record(done):
            # the host is partly where news describes: record news, so the next `up` updates
            # again, and the values the variables had before, so delete restores them
            return self.outputs(news, JailServiceState(self._initialized(news, done, initialized), previous))
        if may_init:
            initialized = True
            if not (guard_exists and guard_exists[0]):
                # the init step may change the run state: read it again after
                steps += self._init_steps(news)
                steps.append(read(rcd.status(jail, svc), "status"))
                done = await self._apply(ctx, news, steps, record)
                running_now = rcd.answer(done["status"])
                steps = []
        vars_changed = bool(dropped) or any(k != rcv for k in changed)
        restart = olds.restart_on != news.restart_on or vars_changed
        if news.running:
            steps += self._action_steps(jail, svc, start=not running_now, restart=running_now and restart)
        else:
            steps += self._action_steps(jail, svc, stop=running_now)
        if steps:
            await self._apply(ctx, news, steps, record)
        return JailServiceState(initialized, previous)

    async def delete(self, ctx, rid, a: JailServiceArgs, state: JailServiceState):
        jail, svc = parse_id(rid)
        a.service = a.service or svc
        # one exec reads rc.conf and the run state, one stops the service and undoes the variables
        try:
            live, running = await ctx.host.get_many(facts.rc_vars(sysrc.RC_CONF, jail),
                                                    rcd.is_running(jail, svc))
        except JailNotRunning:
            await ctx.host.log(f"jail {jail} is not running: nothing to undo for {svc}", "info")
            return
        names = [_rcvar(a), *sorted(a.rc_vars)]
        previous = state.previous_values
        steps = self._action_steps(jail, svc, stop=True) if running else []
        steps += self._unset_steps(jail, [k for k in names if k in live or k in previous], previous)
        if steps:
            await self.apply(ctx, steps)
