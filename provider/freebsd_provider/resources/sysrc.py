"""Sysrc: one rc.conf-style variable on the host or in a jail."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, sysrc
from ..hostctx import Host
from ..ssh import CommandError
from .base import Failure, Resource, field


@dataclass
class SysrcArgs:
    name: str = field("Variable name, e.g. `nginx_enable`. Changing it replaces the resource.", replace=True)
    value: str = field("Value to set (`sysrc name=value`). Changing it updates in place.")
    file: str = field("File holding the variable (`sysrc -f`), e.g. `/etc/rc.conf` (default) or "
                      "`/boot/loader.conf`. Changing it replaces the resource.",
                      default=sysrc.RC_CONF, replace=True)
    jail: Optional[str] = field("Name of a running jail whose file to edit (`sysrc -j`); unset: the "
                                "host. Changing it replaces the resource.", default=None, replace=True)


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


def vars_fact(file: str, jail: Optional[str]) -> list[str]:
    """The fact argv listing every variable of ``file`` (on the host, or in ``jail``)."""
    return sysrc.dump_file(file) if not jail else sysrc.dump(file=file, jail=jail)


async def read_vars(host: Host, file: str, jail: Optional[str]) -> dict[str, str]:
    """All variables set in ``file`` (shared fact: one ``sysrc -a`` per file and jail per run)."""
    return vars_from(await host.fact(vars_fact(file, jail), check=False))


def vars_from(res) -> dict[str, str]:
    """The variables of a ``vars_fact`` result (a missing file has none). A jail that is not
    running is an error (CommandError), not an empty file."""
    if res.exit_code != 0:
        if sysrc.is_jail_missing(res.stderr):
            raise CommandError(res)
        if "No such file" in res.stderr or "not found" in res.stderr:
            return {}
        raise CommandError(res)
    return sysrc.parse_dump(res.stdout)


class Sysrc(Resource):
    token = "freebsd:index:Sysrc"
    description = (
        "One variable in an rc.conf-style file (rc.conf, loader.conf, ...) on the host or in a "
        "jail, set with `sysrc` under a host-side lock so concurrent edits lose nothing. Delete "
        "restores the previous value, or removes the variable (`sysrc -x`) when there was none."
    )
    Args = SysrcArgs
    State = SysrcState
    import_id = "`FILE:NAME` or `JAIL:FILE:NAME`, e.g. `/etc/rc.conf:sshd_enable`"
    example = {"name": "nginx_enable", "value": "YES", "file": "/etc/rc.conf", "jail": "webserver"}

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []
        for key, check in (("name", sysrc.name_error), ("value", sysrc.value_error)):
            v = inputs.get(key)
            if isinstance(v, str) and not wire.is_unknown(v):
                err = check(v)
                if err:
                    f.append(Failure(key, err))
        file = inputs.get("file")
        if isinstance(file, str) and not wire.is_unknown(file):
            err = common.abs_path_error(file, "file")
            if err or ":" in file:
                f.append(Failure("file", err or "file must not contain ':'"))
        jail = inputs.get("jail")
        if isinstance(jail, str) and not wire.is_unknown(jail):
            err = common.jail_name_error(jail)
            if err:
                f.append(Failure("jail", err))
        return f

    async def create(self, ctx, inputs):
        host: Host = ctx.host
        name, value, file, jail = inputs["name"], inputs["value"], inputs["file"], inputs.get("jail")
        before = (await read_vars(host, file, jail)).get(name)
        await host.run(sysrc.set_value(name, value, file=file, jail=jail))
        out = dict(inputs)
        out["previousValue"] = before
        return make_id(jail, file, name), out

    async def read(self, ctx, rid, inputs, state):
        jail, file, name = parse_id(rid)
        live = (await read_vars(ctx.host, file, jail)).get(name)
        if live is None:
            return None
        new_inputs = {"name": name, "value": live, "file": file}
        if jail:
            new_inputs["jail"] = jail
        out = dict(new_inputs)
        out["previousValue"] = (state or {}).get("previousValue")
        return new_inputs, out

    async def update(self, ctx, rid, olds, news, state):
        await ctx.host.run(sysrc.set_value(news["name"], news["value"], file=news["file"], jail=news.get("jail")))
        out = dict(news)
        out["previousValue"] = state.get("previousValue")
        return out

    async def delete(self, ctx, rid, inputs, state):
        jail, file, name = parse_id(rid)
        prev = state.get("previousValue")
        if prev is not None:
            await ctx.host.run(sysrc.set_value(name, prev, file=file, jail=jail))
        else:
            res = await ctx.host.run(sysrc.delete(name, file=file, jail=jail), check=False)
            if res.exit_code != 0 and not sysrc.is_unknown_variable(res.stderr):
                        raise CommandError(res)
