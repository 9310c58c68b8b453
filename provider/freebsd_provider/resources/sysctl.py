"""Sysctl: one kernel variable, set now (sysctl NAME=VALUE) and at boot (/etc/sysctl.conf)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..host import facts, sysctl
from ..host.steps import Step, StepResults
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import Resource, field


@dataclass
class SysctlArgs:
    name: str = field("The OID, e.g. `net.link.bridge.pfil_member`. It must exist when the "
                      "resource is created (an `if_bridge` OID needs the module loaded: depend on "
                      "the Bridge or KernelModule). Changing it replaces the resource.", replace=True,
                      check=sysctl.name_error)
    value: str = field("The value, as `sysctl NAME=VALUE` takes it (e.g. `1`). Changing it updates "
                       "in place; refresh reports a value changed by hand as drift.",
                       check=sysctl.value_error)
    persist: bool = field(
        "Also set it at every boot: a `NAME=VALUE` line in /etc/sysctl.conf (edited under the "
        "host-side lock; other lines and comments are kept). Turning it off restores the line "
        "that was there before this resource, or removes it.", default=True)


@dataclass
class SysctlState:
    previous_value: str = field(
        "The value the OID had before this resource set it; delete sets it back.", default="")
    previous_persisted: Optional[str] = field(
        "The value a /etc/sysctl.conf line gave the OID before this resource (restored on "
        "delete); unset when there was none.", default=None)


class Sysctl(Resource):
    token = "freebsd:index:Sysctl"
    description = (
        "A kernel variable (sysctl(8)), e.g. `net.link.bridge.pfil_bridge=1` so that PF "
        "filters bridged traffic on the bridge interface (FreeBSD 15.0 filters bridged traffic "
        "nowhere by default): set now with `sysctl NAME=VALUE` and, with `persist`, kept across "
        "reboots by a line in /etc/sysctl.conf (which rc.d/sysctl applies at boot, and "
        "rc.d/sysctl_lastload again once the network's modules are loaded). Refresh reads the live value and the conf line, so a change made by hand shows "
        "as drift. Delete sets the value it had before and restores (or removes) the conf line. "
        "Read-only OIDs and boot-time tunables (set in /boot/loader.conf) are refused with "
        "sysctl's own message."
    )
    Args = SysctlArgs
    State = SysctlState
    crash_note = (
        "A sysctl cannot carry a marker: the resource's journal record " + JOURNAL + " keeps the live "
        "and persisted values from before the first attempt. When `pulumi up` was killed after the "
        "value was set, the next create adopts it with that record, so delete restores the values "
        "from before.")
    import_id = "the OID, e.g. `net.link.bridge.pfil_member` (an imported variable keeps its value on delete)"
    example = {"name": "net.link.bridge.pfil_member", "value": "1", "persist": True}

    async def _read(self, ctx, name: str) -> tuple[Optional[str], dict[str, str]]:
        """(live value or None when the OID does not exist, sysctl.conf settings): one exec."""
        live, text = await ctx.host.get_many(sysctl.live(name), facts.file_text(sysctl.SYSCTL_CONF))
        return live, sysctl.parse_conf(text or "")

    @staticmethod
    def _steps(name: str, value: str, live: Optional[str], persist: bool,
               conf: dict[str, str], previous_persisted: Optional[str]) -> list[Step]:
        steps = []
        if live != value:
            steps.append(Step(sysctl.set_value(name, value), "set"))
        if persist and conf.get(name) != value:
            steps.append(Step(sysctl.conf_set(name, value), "conf"))
        elif not persist and conf.get(name) == value and previous_persisted != value:
            steps.append(Step(sysctl.conf_set(name, previous_persisted) if previous_persisted is not None
                              else sysctl.conf_delete(name), "conf"))
        return steps

    async def _apply(self, ctx, a: SysctlArgs, steps: list[Step], live: Optional[str],
                     st: SysctlState) -> str:
        """Run the steps and the read-back in one exec; the live value after them. When the
        value was set but the conf edit failed (or the connection was lost meanwhile), the
        resource is recorded as it now is: the next `up` edits the conf again."""
        def partial(done: StepResults):
            now = a.value if done.ok("set") else live
            conf_done = done.ok("conf") or not any(s.name == "conf" for s in steps)
            return (a.name, self.outputs(SysctlArgs(a.name, now or "", a.persist and conf_done), st),
                    f"sysctl {a.name} was set" if done.ok("set") else "")

        done = await self.apply(ctx, [*steps, Step(sysctl.get(a.name), "get", primes=sysctl.live(a.name),
                                                   mutates=False)], partial=partial)
        return sysctl.parse_get(a.name, done["get"].stdout) or ""

    async def create(self, ctx, a: SysctlArgs):
        live, text = await self.before(ctx, sysctl.live(a.name), facts.file_text(sysctl.SYSCTL_CONF))
        conf = sysctl.parse_conf(text or "")
        if live is None:
            raise ValueError(f"sysctl {a.name}: no such OID on the host (sysctl -i printed nothing); a "
                             f"module may need loading first (e.g. if_bridge for net.link.bridge.*)")
        st = SysctlState(previous_value=live, previous_persisted=conf.get(a.name))
        steps = self._steps(a.name, a.value, live, a.persist, conf, conf.get(a.name))
        a.value = await self._apply(ctx, a, steps, live, st)
        return a.name, st

    async def read(self, ctx, resource_id, a: Optional[SysctlArgs], state: Optional[SysctlState]):
        err = sysctl.name_error(resource_id)
        if err:
            raise ValueError(f"invalid Sysctl id {resource_id!r}: {err}")
        live, conf = await self._read(ctx, resource_id)
        if live is None:
            return None
        persisted = conf.get(resource_id) == live
        if a is None:  # import: keep the host as it is on delete
            return (SysctlArgs(resource_id, live, persisted),
                    SysctlState(previous_value=live, previous_persisted=conf.get(resource_id)))
        st = state or SysctlState(previous_value=live)
        return SysctlArgs(resource_id, live, persisted and a.persist), st

    async def update(self, ctx, resource_id, olds: SysctlArgs, news: SysctlArgs, state: SysctlState):
        live, conf = await self._read(ctx, resource_id)
        if live is None:
            raise ValueError(f"sysctl {resource_id}: no such OID on the host any more")
        steps = self._steps(resource_id, news.value, live, news.persist, conf, state.previous_persisted)
        news.value = await self._apply(ctx, news, steps, live, state)
        return state

    async def delete(self, ctx, resource_id, a: SysctlArgs, state: SysctlState):
        name = resource_id
        live, conf = await self._read(ctx, name)
        steps = []
        previous = state.previous_value
        if live is not None and previous and live != previous:
            steps.append(Step(sysctl.set_value(name, previous), "set"))
        before = state.previous_persisted
        if conf.get(name) != before:
            steps.append(Step(sysctl.conf_set(name, before) if before is not None
                              else sysctl.conf_delete(name), "conf"))
        if live is None:
            await ctx.host.log(f"sysctl {name} no longer exists on the host (module unloaded?); only "
                               f"/etc/sysctl.conf is restored", "info")
        if steps:
            await self.apply(ctx, steps)
