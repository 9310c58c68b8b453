"""KernelModule: a kernel module loaded now (kldload) and at boot (loader.conf NAME_load)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import CommandFailed, ModuleBusy, ModuleNotLoaded, UnknownVariable
from ..host import facts, kld, sysrc
from ..host.steps import Step
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import Resource, field


@dataclass
class KernelModuleArgs:
    name: str = field("Module name as in /boot/kernel, without `.ko`, e.g. `if_epair` or `pf`. "
                      "Changing it replaces the resource.", replace=True, check=kld.name_error)
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
    crash_note = (
        "A module cannot carry a marker: the resource's journal record " + JOURNAL + " keeps whether "
        "it was loaded and its loader.conf value before the first attempt. When `pulumi up` was "
        "killed after kldload, the next create adopts it with that record, so delete still unloads "
        "what this resource loaded.")
    import_id = "the module name, e.g. `if_epair`"
    example = {"name": "if_epair"}

    @staticmethod
    def _var(name: str) -> str:
        return f"{name}_load"

    @classmethod
    def _persist_step(cls, name: str) -> Step:
        return Step(sysrc.set_value(cls._var(name), "YES", file=sysrc.LOADER_CONF), "persist")

    @classmethod
    def _unpersist_step(cls, name: str, previous: Optional[str]) -> Step:
        if previous is not None:
            return Step(sysrc.set_value(cls._var(name), previous, file=sysrc.LOADER_CONF), "unpersist")
        return Step(sysrc.delete(cls._var(name), file=sysrc.LOADER_CONF), "unpersist",
                    tolerate=(UnknownVariable,))

    async def create(self, ctx, a: KernelModuleArgs):
        # Two execs: the kldstat and loader.conf facts together, then load + persist + re-read.
        kst, loader = await self.before(ctx, facts.kldstat(), facts.rc_vars(sysrc.LOADER_CONF))
        st = KernelModuleState(was_loaded=kst.is_loaded(a.name), previous_load=loader.get(self._var(a.name)))
        loading = a.load and not st.was_loaded
        steps = [Step(kld.load(a.name), "load")] if loading else []
        if a.persist:
            steps.append(self._persist_step(a.name))
        steps.append(Step(kld.stat_verbose(), "kldstat", primes=facts.kldstat(), mutates=False))

        def partial(done):
            # loaded (by us) but loader.conf not edited: record it, so that delete unloads what
            # this create loaded and the next `up` persists it
            st.loaded = st.was_loaded or done.ok("load")
            return (a.name, self.outputs(KernelModuleArgs(a.name, persist=False, load=a.load), st),
                    f"kernel module {a.name} was loaded but {sysrc.LOADER_CONF} was not updated")

        done = await self.apply(ctx, steps, partial=partial)
        st.loaded = kld.parse_stat(done["kldstat"].stdout).is_loaded(a.name)
        return a.name, st

    async def read(self, ctx, resource_id, a: Optional[KernelModuleArgs], state: Optional[KernelModuleState]):
        err = kld.name_error(resource_id)
        if err:
            raise ValueError(f"invalid KernelModule id {resource_id!r}: {err}")
        kst, loader = await ctx.host.get_many(facts.kldstat(), facts.rc_vars(sysrc.LOADER_CONF))
        loaded = kst.is_loaded(resource_id)
        persisted = (loader.get(self._var(resource_id)) or "").upper() == "YES"
        if not loaded and not persisted:
            return None
        if a is None:  # import: what is there was not loaded by this stack
            return (KernelModuleArgs(resource_id, persist=persisted, load=loaded),
                    KernelModuleState(loaded=loaded, was_loaded=True))
        st = state or KernelModuleState()
        return (KernelModuleArgs(resource_id, persist=persisted and a.persist, load=loaded and a.load),
                KernelModuleState(loaded=loaded, was_loaded=st.was_loaded, previous_load=st.previous_load))

    async def update(self, ctx, resource_id, olds: KernelModuleArgs, news: KernelModuleArgs,
                     state: KernelModuleState):
        name = resource_id
        kst, loader = await ctx.host.get_many(facts.kldstat(), facts.rc_vars(sysrc.LOADER_CONF))
        persisted = (loader.get(self._var(name)) or "").upper() == "YES"
        steps = [Step(kld.load(name), "load")] if news.load and not kst.is_loaded(name) else []
        if news.persist and not persisted:
            steps.append(self._persist_step(name))
        elif not news.persist and olds.persist:
            steps.append(self._unpersist_step(name, state.previous_load))
        steps.append(Step(kld.stat_verbose(), "kldstat", primes=facts.kldstat(), mutates=False))
        done = await self.apply(ctx, steps)
        state.loaded = kld.parse_stat(done["kldstat"].stdout).is_loaded(name)
        return state

    async def delete(self, ctx, resource_id, a: KernelModuleArgs, state: KernelModuleState):
        host = ctx.host
        name = resource_id
        if a.persist:
            await self.apply(ctx, [self._unpersist_step(name, state.previous_load)])
        if state.was_loaded:
            return
        st = await host.get(facts.kldstat())
        if st.file(name) is None:
            if not st.is_loaded(name):
                await host.log(f"kernel module {name} is already unloaded", "info")
            return
        done = await self.apply(ctx, [Step(kld.unload(name), "unload", tolerate=(ModuleNotLoaded, ModuleBusy))])
        res = done["unload"]
        if res.exit_code != 0 and isinstance(CommandFailed(res), ModuleBusy):
            await host.log(f"kernel module {name} is in use and stays loaded until the next reboot "
                           f"(kldunload: {res.stderr.strip()}); it is no longer loaded at boot", "warning")
