"""JailService: an rc(8) service inside a running jail: enabled, running, rc.conf variables."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, service, sysrc
from ..hostctx import Host
from ..ssh import CommandError
from .base import DiffResult, Failure, Resource, diff_fields, diff_map, field
from .sysrc import read_vars


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
    return "not found" in e.result.stderr and "jail" in e.result.stderr


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
        try:
            return await read_vars(host, sysrc.RC_CONF, jail)
        except CommandError as e:
            if _jail_missing(e):
                return None
            raise

    async def _running(self, host: Host, jail: str, svc: str, fresh: bool = False) -> bool:
        if not fresh:
            res = await host.fact(service.local_status(jail), check=False)
            if res.exit_code == 0:
                st = service.parse_local_status(res.stdout)
                if svc in st:
                    return st[svc]
            elif _jail_missing(CommandError(res)):
                raise CommandError(res)
        res = await host.run(service.status(jail, svc), check=False, mutates=False)
        if service.is_missing_script(res.stdout + res.stderr):
            return False
        return res.exit_code == 0

    async def _script_exists(self, host: Host, jail: str, svc: str) -> bool:
        res = await host.fact(service.local_status(jail), check=False)
        if res.exit_code == 0 and svc in service.parse_local_status(res.stdout):
            return True
        r = await host.run(service.exists(jail, f"/etc/rc.d/{svc}"), check=False, mutates=False)
        return r.exit_code == 0

    async def _guard_exists(self, host: Host, jail: str, guard: Optional[str]) -> Optional[bool]:
        if not guard:
            return None
        res = await host.run(service.exists(jail, guard), check=False, mutates=False)
        return res.exit_code == 0

    async def _set_vars(self, host: Host, jail: str, values: dict[str, str]) -> None:
        for k, v in values.items():
            await host.run(sysrc.set_value(k, v, jail=jail))

    async def _unset(self, host: Host, jail: str, names: list[str], previous: dict[str, str]) -> None:
        for k in names:
            if k in previous:
                await host.run(sysrc.set_value(k, previous[k], jail=jail))
            else:
                res = await host.run(sysrc.delete(k, jail=jail), check=False)
                if res.exit_code != 0 and not sysrc.is_unknown_variable(res.stderr):
                    raise CommandError(res)

    async def _start(self, host: Host, jail: str, svc: str, restart: bool = False) -> None:
        argv = service.restart(jail, svc) if restart else service.start(jail, svc)
        res = await host.run(argv, check=False)
        if res.exit_code != 0 and not (not restart and service.is_already_running(res.stderr)):
            raise CommandError(res)
        if not await self._running(host, jail, svc, fresh=True):
            out = (res.stdout + res.stderr).strip()
            raise RuntimeError(f"service {svc} in jail {jail} is not running after "
                               f"`service {'onerestart' if restart else 'onestart'}`"
                               + (f": {out}" if out else ""))

    async def _stop(self, host: Host, jail: str, svc: str) -> None:
        res = await host.run(service.stop(jail, svc), check=False)
        if res.exit_code != 0 and not service.is_not_running(res.stdout + res.stderr):
            raise CommandError(res)

    async def _init(self, host: Host, inputs: dict[str, Any]) -> bool:
        """Run the init command when due; returns whether the service counts as initialized."""
        jail, svc, init, guard = inputs["jail"], inputs["service"], inputs.get("initCommand"), inputs.get("initGuard")
        if not init:
            return False
        if await self._guard_exists(host, jail, guard):
            return True
        await host.run(service.init(jail, svc, init))
        if guard and not await self._guard_exists(host, jail, guard):
            raise RuntimeError(f"`service {svc} {service.one(init[0])}` in jail {jail} succeeded "
                               f"but {guard} (initGuard) does not exist")
        return True

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
        live = await self._vars(host, jail)
        if live is None:
            raise RuntimeError(f"jail {jail} is not running: start it (VnetJail) before managing its services")
        if not await self._script_exists(host, jail, svc):
            raise RuntimeError(f"service {svc} does not exist in jail {jail} (no /etc/rc.d/{svc} or "
                               f"{service.LOCAL_RC_D}/{svc}): install its package first (JailPackage)")
        rcv = _rcvar(inputs)
        want = {rcv: "YES" if inputs.get("enabled", True) else "NO", **(inputs.get("rcVars") or {})}
        previous = {k: live[k] for k in want if k in live}
        await self._set_vars(host, jail, {k: v for k, v in want.items() if live.get(k) != v})
        rid = f"{jail}:{svc}"
        try:
            initialized = await self._init(host, inputs)
            if inputs.get("running", True):
                await self._start(host, jail, svc)
            elif await self._running(host, jail, svc, fresh=True):
                await self._stop(host, jail, svc)
        except Exception as e:  # the variables are set: record them so delete can undo them
            from .base import PartialFailure
            raise PartialFailure(str(e), rid, self._outputs(inputs, False, previous)) from e
        return rid, self._outputs(inputs, initialized, previous)

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid, inputs, state):
        host: Host = ctx.host
        jail, svc = parse_id(rid)
        live = await self._vars(host, jail)
        if live is None:
            return None
        state = state or {}
        base = dict(inputs) if inputs is not None else {"jail": jail, "service": svc}
        base["jail"], base["service"] = jail, svc
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
        running = await self._running(host, jail, svc)
        new_inputs = {k: v for k, v in base.items() if k in {f.wire for f in self.input_fields()}}
        new_inputs.update({"enabled": enabled, "running": running, "rcVars": rc_vars})
        new_inputs.setdefault("restartOn", [])
        guard = await self._guard_exists(host, jail, new_inputs.get("initGuard"))
        initialized = guard if guard is not None else bool(state.get("initialized"))
        return new_inputs, self._outputs(new_inputs, initialized, state.get("previousValues") or {})

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, rid, olds, news, state):
        host: Host = ctx.host
        jail, svc = news["jail"], news["service"]
        live = await self._vars(host, jail)
        if live is None:
            raise RuntimeError(f"jail {jail} is not running")
        previous = dict(state.get("previousValues") or {})
        rcv = _rcvar(news)
        want = {rcv: "YES" if news.get("enabled", True) else "NO", **(news.get("rcVars") or {})}
        for k in want:
            if k not in previous and k in live and k not in (olds.get("rcVars") or {}) and k != rcv:
                previous[k] = live[k]  # a variable newly managed: remember what it was
        changed = {k: v for k, v in want.items() if live.get(k) != v}
        await self._set_vars(host, jail, changed)
        dropped = sorted(set(olds.get("rcVars") or {}) - set(news.get("rcVars") or {}))
        await self._unset(host, jail, dropped, previous)
        for k in dropped:
            previous.pop(k, None)
        initialized = bool(state.get("initialized"))
        if news.get("initCommand") and (news.get("initGuard") or not initialized):
            if news.get("initGuard") or not olds.get("initCommand"):
                initialized = await self._init(host, news) or initialized
        running_now = await self._running(host, jail, svc, fresh=True)
        vars_changed = bool(dropped) or any(k != rcv for k in changed)
        restart = (olds.get("restartOn") or []) != (news.get("restartOn") or []) or vars_changed
        if news.get("running", True):
            if not running_now:
                await self._start(host, jail, svc)
            elif restart:
                await self._start(host, jail, svc, restart=True)
        elif running_now:
            await self._stop(host, jail, svc)
        return self._outputs(news, initialized, previous)

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid, inputs, state):
        host: Host = ctx.host
        jail, svc = parse_id(rid)
        live = await self._vars(host, jail)
        if live is None:
            await host.log(f"jail {jail} is not running: nothing to undo for {svc}", "info")
            return
        if await self._running(host, jail, svc, fresh=True):
            await self._stop(host, jail, svc)
        base = dict(inputs or {})
        base.setdefault("service", svc)
        names = [_rcvar(base), *sorted((inputs or {}).get("rcVars") or {})]
        previous = state.get("previousValues") or {}
        await self._unset(host, jail, [k for k in names if k in live or k in previous], previous)
