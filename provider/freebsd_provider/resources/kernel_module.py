"""KernelModule: a kernel module loaded now (kldload) and at boot (loader.conf NAME_load)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import kld, sysrc
from ..hostctx import Host
from ..ssh import CommandError
from .base import Failure, PartialFailure, Resource, field
from .sysrc import read_vars, vars_fact, vars_from


@dataclass
class KernelModuleArgs:
    name: str = field("Module name as in /boot/kernel, without `.ko`, e.g. `if_epair` or `pf`. "
                      "Changing it replaces the resource.", replace=True)
    persist: bool = field(
        "Load it at every boot: `NAME_load=\"YES\"` in /boot/loader.conf (set with `sysrc -f` "
        "under the host-side lock). Turning it off removes the line (or restores the value it "
        "had before this resource).", default=True)
    load: bool = field(
        "Load it now (`kldload -n`). When true, refresh reports a module unloaded by hand as "
        "drift and the next `up` loads it again. When false the module is only persisted and "
        "its loaded state is left alone.", default=True)


@dataclass
class KernelModuleState:
    loaded: bool = field("Whether the module is loaded (or compiled into the kernel) now.", default=False)
    was_loaded: bool = field(
        "Whether the module was already loaded before this resource was created; delete unloads "
        "it only when it was not (this stack loaded it).", default=False)
    previous_load: Optional[str] = field(
        "The value `NAME_load` had in /boot/loader.conf before this resource set it (restored on "
        "delete); unset when there was none.", default=None)


class KernelModule(Resource):
    token = "freebsd:index:KernelModule"
    description = (
        "A kernel module, e.g. the tutorial's `if_epair`: `kldload -n NAME` now and "
        "`NAME_load=\"YES\"` in /boot/loader.conf for the next boots. Refresh reads one "
        "`kldstat -v` and one loader.conf dump shared by all modules. Delete removes the "
        "loader.conf line (or restores its previous value) and runs `kldunload NAME` only if "
        "this resource loaded the module; when the module is in use (`Device busy`) it stays "
        "loaded until the next reboot and delete succeeds with a warning. Import ID: the module "
        "name (an imported module is never unloaded by delete)."
    )
    Args = KernelModuleArgs
    State = KernelModuleState
    import_id = "the module name, e.g. `if_epair`"
    example = {"name": "if_epair"}

    FACT = kld.stat_verbose()

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        name = inputs.get("name")
        if isinstance(name, str) and not wire.is_unknown(name):
            err = kld.name_error(name)
            if err:
                return [Failure("name", err)]
        return []

    async def _kld(self, host: Host) -> kld.KldState:
        res = await host.fact(self.FACT)
        return kld.parse_stat(res.stdout)

    @staticmethod
    def _var(name: str) -> str:
        return f"{name}_load"

    async def _persist(self, host: Host, name: str) -> None:
        await host.run(sysrc.set_value(self._var(name), "YES", file=sysrc.LOADER_CONF))

    async def _unpersist(self, host: Host, name: str, previous: Optional[str]) -> None:
        if previous is not None:
            await host.run(sysrc.set_value(self._var(name), previous, file=sysrc.LOADER_CONF))
            return
        res = await host.run(sysrc.delete(self._var(name), file=sysrc.LOADER_CONF), check=False)
        if res.exit_code != 0 and not sysrc.is_unknown_variable(res.stderr):
            raise CommandError(res)

    async def create(self, ctx, inputs):
        # Two execs: the kldstat and loader.conf facts together, then load + persist + re-read.
        host: Host = ctx.host
        name = inputs["name"]
        kst, loader = await host.facts([self.FACT, vars_fact(sysrc.LOADER_CONF, None)])
        if kst.exit_code != 0:
            raise CommandError(kst)
        was = kld.parse_stat(kst.stdout).is_loaded(name)
        previous = vars_from(loader).get(self._var(name))
        argvs = []
        loading = bool(inputs.get("load", True)) and not was
        if loading:
            argvs.append(kld.load(name))
        if inputs.get("persist", True):
            argvs.append(sysrc.set_value(self._var(name), "YES", file=sysrc.LOADER_CONF))
        steps = await host.batch([*argvs, self.FACT], prime=[self.FACT], check=False)
        out = dict(inputs)
        out.update({"wasLoaded": was, "previousLoad": previous})
        failed = next((r for r in steps if r.exit_code != 0), None)
        if failed is not None:
            if loading and failed is steps[0]:
                raise CommandError(failed)  # kldload failed first: nothing changed
            # the module was loaded (by us when `loading`) but loader.conf was not edited:
            # record the resource so that delete unloads what this create loaded
            out.update({"loaded": was or loading, "persist": False})
            raise PartialFailure(f"kernel module {name} was loaded but {sysrc.LOADER_CONF} was not "
                                 f"updated: {CommandError(failed)}", name, out)
        out["loaded"] = kld.parse_stat(steps[-1].stdout).is_loaded(name)
        return name, out

    async def read(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        err = kld.name_error(resource_id)
        if err:
            raise ValueError(f"invalid KernelModule id {resource_id!r}: {err}")
        await host.facts([self.FACT, vars_fact(sysrc.LOADER_CONF, None)])  # both in one exec
        st = await self._kld(host)
        loaded = st.is_loaded(resource_id)
        var = (await read_vars(host, sysrc.LOADER_CONF, None)).get(self._var(resource_id))
        persisted = (var or "").upper() == "YES"
        state = state or {}
        if inputs is None:  # import
            if not loaded and not persisted:
                return None
            new_inputs = {"name": resource_id, "persist": persisted, "load": loaded}
            out = dict(new_inputs)
            out.update({"loaded": loaded, "wasLoaded": True, "previousLoad": None})
            return new_inputs, out
        want_load = bool(inputs.get("load", True))
        want_persist = bool(inputs.get("persist", True))
        if not loaded and not persisted:
            return None
        new_inputs = {"name": resource_id,
                      "persist": persisted if want_persist else False,
                      "load": loaded if want_load else False}
        out = dict(new_inputs)
        out.update({"loaded": loaded, "wasLoaded": bool(state.get("wasLoaded", False)),
                    "previousLoad": state.get("previousLoad")})
        return new_inputs, out

    async def update(self, ctx, resource_id, olds, news, state):
        host: Host = ctx.host
        name = resource_id
        if news.get("load", True) and not (await self._kld(host)).is_loaded(name):
            await host.run(kld.load(name))
        vars_ = await read_vars(host, sysrc.LOADER_CONF, None)
        persisted = (vars_.get(self._var(name)) or "").upper() == "YES"
        if news.get("persist", True) and not persisted:
            await self._persist(host, name)
        elif not news.get("persist", True) and olds.get("persist", True):
            await self._unpersist(host, name, state.get("previousLoad"))
        out = dict(news)
        out.update({"loaded": (await self._kld(host)).is_loaded(name),
                    "wasLoaded": bool(state.get("wasLoaded", False)),
                    "previousLoad": state.get("previousLoad")})
        return out

    async def delete(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        name = resource_id
        if inputs.get("persist", True):
            await self._unpersist(host, name, state.get("previousLoad"))
        if state.get("wasLoaded", True):
            return
        st = await self._kld(host)
        if st.file(name) is None:
            if not st.is_loaded(name):
                await host.log(f"kernel module {name} is already unloaded", "info")
            return
        res = await host.run(kld.unload(name), check=False)
        if res.exit_code == 0 or kld.is_not_loaded(res.stderr):
            return
        if kld.is_busy(res.stderr):
            await host.log(f"kernel module {name} is in use and stays loaded until the next reboot "
                           f"(kldunload: {res.stderr.strip()}); it is no longer loaded at boot", "warning")
            return
        raise CommandError(res)
