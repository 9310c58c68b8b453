"""Sysrc: one rc.conf-style variable on the host or in a jail."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import UnknownVariable
from ..host import common, facts, sysrc
from ..host.steps import Step
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import Resource, field


@dataclass
class SysrcArgs:
    name: str = field("Variable name, e.g. `nginx_enable`. Changing it replaces the resource.",
                      replace=True, check=sysrc.name_error)
    value: str = field("Value to set (`sysrc name=value`). Changing it updates in place.",
                       check=sysrc.value_error)
    file: str = field("File holding the variable (`sysrc -f`), e.g. `/etc/rc.conf` (default) or "
                      "`/boot/loader.conf`. Changing it replaces the resource.",
                      default=sysrc.RC_CONF, replace=True, check=sysrc.file_error)
    jail: Optional[str] = field("Name of a running jail whose file to edit (`sysrc -j`); unset: the "
                                "host. Changing it replaces the resource.", default=None, replace=True,
                                check=common.jail_name_error)


@dataclass
class SysrcState:
    previous_value: Optional[str] = field(
        "The value the variable had before this resource set it (restored on delete); unset when "
        "the variable did not exist.", default=None)


def parse_id(rid: str) -> tuple[Optional[str], str, str]:
    """``[JAIL:]FILE:NAME`` → (jail, file, name)."""
    parts = rid.split(":")
    if len(parts) == 2:
        return None, parts[0], parts[1]
    if len(parts) == 3:
        return parts[0] or None, parts[1], parts[2]
    raise ValueError(f"invalid Sysrc id {rid!r}: expected FILE:NAME or JAIL:FILE:NAME, "
                     f"e.g. /etc/rc.conf:sshd_enable")


def make_id(jail: Optional[str], file: str, name: str) -> str:
    return f"{jail}:{file}:{name}" if jail else f"{file}:{name}"


class Sysrc(Resource):
    token = "freebsd:index:Sysrc"
    description = (
        "One variable in an rc.conf-style file (rc.conf, loader.conf, ...) on the host or in a "
        "jail, set with `sysrc` under a host-side lock so concurrent edits lose nothing. Delete "
        "restores the previous value, or removes the variable (`sysrc -x`) when there was none."
    )
    Args = SysrcArgs
    State = SysrcState
    crash_note = (
        "A variable cannot carry a marker: the resource's journal record " + JOURNAL + " keeps its "
        "value from before the first attempt. When `pulumi up` was killed after sysrc ran, the next "
        "create adopts the variable with that record, so delete restores the value from before, "
        "not the one the killed run set.")
    import_id = "`FILE:NAME` or `JAIL:FILE:NAME`, e.g. `/etc/rc.conf:sshd_enable`"
    example = {"name": "nginx_enable", "value": "YES", "file": "/etc/rc.conf", "jail": "webserver"}

    @staticmethod
    def _set(name: str, value: str, file: str, jail: Optional[str]) -> Step:
        return Step(sysrc.set_value(name, value, file=file, jail=jail), "set")

    async def create(self, ctx, a: SysrcArgs):
        rid = make_id(a.jail, a.file, a.name)
        st = SysrcState(previous_value=(await self.before(ctx, facts.rc_vars(a.file, a.jail)))[0].get(a.name))
        # the connection may drop while sysrc runs: record the variable with the value it had
        # before, so that delete restores that value rather than whatever is read next time
        await self.apply(ctx, [self._set(a.name, a.value, a.file, a.jail)],
                         partial=lambda done: (rid, self.outputs(a, st),
                                               f"{a.name} in {a.file} may have been set"))
        return rid, st

    async def read(self, ctx, rid, a: Optional[SysrcArgs], state: Optional[SysrcState]):
        jail, file, name = parse_id(rid)
        live = (await ctx.host.get(facts.rc_vars(file, jail))).get(name)
        if live is None:
            return None
        return SysrcArgs(name, live, file, jail), SysrcState((state or SysrcState()).previous_value)

    async def update(self, ctx, rid, olds: SysrcArgs, news: SysrcArgs, state: SysrcState):
        # a retry of a failed update converges: it sets the same value again
        await self.apply(ctx, [self._set(news.name, news.value, news.file, news.jail)])
        return state

    async def delete(self, ctx, rid, a: SysrcArgs, state: SysrcState):
        jail, file, name = parse_id(rid)
        if state.previous_value is not None:
            step = self._set(name, state.previous_value, file, jail)
        else:
            step = Step(sysrc.delete(name, file=file, jail=jail), "delete", tolerate=(UnknownVariable,))
        await self.apply(ctx, [step])
