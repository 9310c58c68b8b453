"""Sysctl: one kernel variable, set now (sysctl NAME=VALUE) and at boot (/etc/sysctl.conf)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, sysctl
from ..hostctx import Host
from ..ssh import CommandError
from .base import Failure, PartialFailure, Resource, field


@dataclass
class SysctlArgs:
    name: str = field("The OID, e.g. `net.link.bridge.pfil_member`. It must exist when the "
                      "resource is created (an `if_bridge` OID needs the module loaded: depend on "
                      "the Bridge or KernelModule). Changing it replaces the resource.", replace=True)
    value: str = field("The value, as `sysctl NAME=VALUE` takes it (e.g. `1`). Changing it updates "
                       "in place; refresh reports a value changed by hand as drift.")
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
    import_id = "the OID, e.g. `net.link.bridge.pfil_member` (an imported variable keeps its value on delete)"
    example = {"name": "net.link.bridge.pfil_member", "value": "1", "persist": True}

    CONF = common.read_file(sysctl.SYSCTL_CONF)

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []
        for key, check in (("name", sysctl.name_error), ("value", sysctl.value_error)):
            v = inputs.get(key)
            if isinstance(v, str) and not wire.is_unknown(v):
                err = check(v)
                if err:
                    f.append(Failure(key, err))
        return f

    async def _read(self, host: Host, name: str) -> tuple[Optional[str], dict[str, str]]:
        """(live value or None when the OID does not exist, sysctl.conf settings)."""
        live, conf = await host.facts([sysctl.get(name), self.CONF])
        if live.exit_code != 0:
            raise CommandError(live)
        if conf.exit_code != 0:
            raise CommandError(conf)
        parsed = common.parse_read_file(conf.stdout)
        return sysctl.parse_get(name, live.stdout), sysctl.parse_conf(parsed[2] if parsed else "")

    def _steps(self, name: str, value: str, live: Optional[str], persist: bool,
               conf: dict[str, str], previous_persisted: Optional[str]) -> list[list[str]]:
        steps = []
        if live != value:
            steps.append(sysctl.set_value(name, value))
        if persist and conf.get(name) != value:
            steps.append(sysctl.conf_set(name, value))
        elif not persist and conf.get(name) == value and previous_persisted != value:
            steps.append(sysctl.conf_set(name, previous_persisted) if previous_persisted is not None
                         else sysctl.conf_delete(name))
        return steps

    async def _apply(self, host: Host, name: str, steps: list[list[str]], what: str,
                     outputs: dict[str, Any]) -> str:
        """Run the steps and the read-back in one exec; the live value after them."""
        try:
            res = await host.batch([*steps, sysctl.get(name)], check=False,
                                   mutates=bool(steps), prime=[sysctl.get(name)])
        except CommandError as e:
            raise PartialFailure(f"{what} sysctl {name}: {e}", name, outputs) from None
        bad = next((r for r in res if r.exit_code != 0), None)
        if bad is not None:
            done = res.index(bad)
            if done == 0:
                raise CommandError(bad)
            # the live value was set, the conf edit failed: record what changed
            raise PartialFailure(f"sysctl {name} was set, but {bad.command} failed: {bad.stderr.strip()}",
                                 name, outputs)
        return sysctl.parse_get(name, res[-1].stdout) or ""

    async def create(self, ctx, inputs):
        host: Host = ctx.host
        name, value, persist = inputs["name"], inputs["value"], inputs.get("persist", True)
        live, conf = await self._read(host, name)
        if live is None:
            raise ValueError(f"sysctl {name}: no such OID on the host (sysctl -i printed nothing); a "
                             f"module may need loading first (e.g. if_bridge for net.link.bridge.*)")
        out = dict(inputs)
        out.update({"previousValue": live, "previousPersisted": conf.get(name)})
        steps = self._steps(name, value, live, persist, conf, conf.get(name))
        now = await self._apply(host, name, steps, "creating", {**out, "value": live})
        out["value"] = now
        return name, out

    async def read(self, ctx, resource_id, inputs, state):
        err = sysctl.name_error(resource_id)
        if err:
            raise ValueError(f"invalid Sysctl id {resource_id!r}: {err}")
        live, conf = await self._read(ctx.host, resource_id)
        if live is None:
            return None
        state = state or {}
        if inputs is None:  # import: keep the host as it is on delete
            new_inputs = {"name": resource_id, "value": live, "persist": conf.get(resource_id) == live}
            out = dict(new_inputs)
            out.update({"previousValue": live, "previousPersisted": conf.get(resource_id)})
            return new_inputs, out
        want_persist = bool(inputs.get("persist", True))
        new_inputs = {"name": resource_id, "value": live,
                      "persist": conf.get(resource_id) == live if want_persist else False}
        out = dict(new_inputs)
        out.update({"previousValue": state.get("previousValue", live),
                    "previousPersisted": state.get("previousPersisted")})
        return new_inputs, out

    async def update(self, ctx, resource_id, olds, news, state):
        host: Host = ctx.host
        name = resource_id
        live, conf = await self._read(host, name)
        if live is None:
            raise ValueError(f"sysctl {name}: no such OID on the host any more")
        out = dict(news)
        out.update({"previousValue": state.get("previousValue", live),
                    "previousPersisted": state.get("previousPersisted")})
        steps = self._steps(name, news["value"], live, bool(news.get("persist", True)), conf,
                            state.get("previousPersisted"))
        out["value"] = await self._apply(host, name, steps, "updating", {**out, "value": live})
        return out

    async def delete(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        name = resource_id
        live, conf = await self._read(host, name)
        steps = []
        previous = state.get("previousValue")
        if live is not None and previous and live != previous:
            steps.append(sysctl.set_value(name, previous))
        before = state.get("previousPersisted")
        if conf.get(name) != before:
            steps.append(sysctl.conf_set(name, before) if before is not None else sysctl.conf_delete(name))
        if live is None:
            await host.log(f"sysctl {name} no longer exists on the host (module unloaded?); only "
                           f"/etc/sysctl.conf is restored", "info")
        if steps:
            await host.batch(steps)
