"""Bridge: an if_bridge(4) interface with members and addresses, persisted in rc.conf."""
from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, ifconfig, kld, rcconf
from ..hostctx import Host
from ..ssh import CommandError
from .base import UPDATE, DiffResult, Failure, PartialFailure, PropDiff, Resource, diff_fields, field
from .sysrc import read_vars, vars_fact, vars_from


@dataclass
class BridgeArgs:
    name: str = field("Bridge interface name, `bridgeN` (e.g. `bridge0`). Changing it replaces the bridge.",
                      replace=True)
    members: list[str] = field(
        "Member interfaces (`ifconfig bridgeN addm IF`), e.g. `[\"vtnet0\"]`. Changes are applied in "
        "place (addm/deletem). On FreeBSD 15 a member may not hold an IP address: when one does (the "
        "uplink), its addresses are moved to the bridge (see `memberIfaddrs`).", default_factory=list)
    addresses: list[str] = field(
        "Addresses of the bridge itself as CIDRs (e.g. `[\"10.0.0.1/24\"]`), besides any moved from "
        "the uplink. Changes are applied in place.", default_factory=list)
    up: bool = field("Whether the bridge is up (`ifconfig bridgeN up|down`).", default=True)
    member_ifaddrs: bool = field(
        "false (default): when a member holds IP addresses, move them (and the default route through "
        "it) to the bridge in ONE remote command so the provider's SSH session survives, persist that "
        "in rc.conf (`ifconfig_bridge0=\"inet ADDR addm vtnet0 up\"`, `ifconfig_vtnet0=\"up\"`) and "
        "move them back on delete. true: set `net.link.bridge.member_ifaddrs=1` (and persist it in "
        "/etc/sysctl.conf) so members keep their addresses. Changing it replaces the bridge.",
        default=False, replace=True)
    persist: bool = field(
        "Persist the bridge in rc.conf (`cloned_interfaces+=bridgeN`, `ifconfig_bridgeN`) so it "
        "survives a reboot. Refresh reports false when those entries were changed by hand, and the "
        "next `up` writes them again.", default=True)


@dataclass
class BridgeState:
    mac: str = field("The bridge's Ethernet address.", default="")
    member_flags: dict[str, str] = field("Bridge flags of each member, e.g. `143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>`.",
                                         default_factory=dict)
    moved_from: Optional[str] = field("The member whose addresses were moved to the bridge (restored on delete).",
                                      default=None)
    moved_addresses: list[str] = field("Addresses moved from that member to the bridge (restored on delete).",
                                       default_factory=list)
    moved_default_router: Optional[str] = field(
        "The default gateway that was reached through that member (the route is re-added on delete).", default=None)
    moved_rc_conf: Optional[str] = field(
        "The member's previous `ifconfig_IF` value in rc.conf (restored on delete; unset: it had none).",
        default=None)
    previous_member_ifaddrs: Optional[str] = field(
        "The value `net.link.bridge.member_ifaddrs` had before this bridge set it (restored on delete).",
        default=None)
    loaded_if_bridge: bool = field(
        "Whether creating this bridge loaded if_bridge.ko (delete unloads it again when no bridge is left).",
        default=False)


_STATE_KEYS = ("movedFrom", "movedAddresses", "movedDefaultRouter", "movedRcConf", "previousMemberIfaddrs",
               "loadedIfBridge")


_JAIL_EPAIR = re.compile(r"^epair\d+a\Z")


def rc_value(members: list[str], addresses: list[str], up: bool) -> tuple[str, str]:
    """(ifconfig_bridgeN, ifconfig_bridgeN_aliases) for rc.conf."""
    words: list[str] = []
    rest = list(addresses)
    first = next((a for a in rest if ":" not in a), None)
    if first is not None:
        words += ["inet", first]
        rest.remove(first)
    for m in members:
        words += ["addm", m]
    if up:
        words.append("up")
    aliases = " ".join(f"{ifconfig.family(a)} {a}" for a in rest)
    return " ".join(words), aliases


class Bridge(Resource):
    token = "freebsd:index:Bridge"
    description = (
        "A bridge(4) interface (`ifconfig bridgeN create`, `addm`), persisted in rc.conf "
        "(`cloned_interfaces`, `ifconfig_bridgeN`). On FreeBSD 15 an interface holding an IP address "
        "cannot join a bridge (`BRDGADD vtnet0: Invalid argument`): by default the uplink's addresses "
        "(and the default route) move to the bridge in one remote command, so the provider's own SSH "
        "session survives, and move back on delete. Import ID: the bridge name, e.g. `bridge0`."
    )
    Args = BridgeArgs
    State = BridgeState
    import_id = "the bridge name, e.g. `bridge0`"
    example = {"name": "bridge0", "members": ["vtnet0"], "addresses": ["192.168.1.10/24"], "up": True}

    # -- check ----------------------------------------------------------------------------
    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []
        name = inputs.get("name")
        if isinstance(name, str) and not wire.is_unknown(name):
            err = ifconfig.bridge_name_error(name)
            if err:
                f.append(Failure("name", err))
        members = inputs.get("members")
        if isinstance(members, list):
            seen = set()
            for i, m in enumerate(members):
                if wire.is_unknown(m):
                    continue
                err = common.interface_name_error(m)
                if not err and m == name:
                    err = "a bridge cannot be a member of itself"
                if not err and (m.startswith("lo") and m[2:].isdigit()):
                    err = f"{m} is a loopback interface and cannot join a bridge"
                if not err and m in seen:
                    err = f"{m} is listed twice"
                if err:
                    f.append(Failure(f"members[{i}]", err))
                seen.add(m)
        addrs = inputs.get("addresses")
        if isinstance(addrs, list):
            seen = set()
            for i, a in enumerate(addrs):
                if wire.is_unknown(a):
                    continue
                err = ifconfig.cidr_error(a)
                if not err and a.split("/")[0] in seen:
                    err = f"{a} is listed twice"
                if err:
                    f.append(Failure(f"addresses[{i}]", err))
                else:
                    seen.add(a.split("/")[0])
        return f

    def diff(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = diff_fields(self.input_fields(), olds, news)
        for k in ("members", "addresses"):
            d = res.changes.get(k)
            if d and not wire.contains_unknown(news.get(k)) and \
                    sorted(olds.get(k) or []) == sorted(news.get(k) or []):
                del res.changes[k]  # order only: nothing to do on the host
            elif d:
                d.why = f"{k} are changed in place"
        if "memberIfaddrs" in res.changes:
            res.changes["memberIfaddrs"].why = ("switching between moving the uplink's addresses and the "
                                                "member_ifaddrs sysctl rebuilds the bridge")
        return res

    # -- facts ----------------------------------------------------------------------------
    async def _ifaces(self, host: Host) -> dict[str, ifconfig.Interface]:
        return ifconfig.parse_all((await host.fact(ifconfig.list_all())).stdout)

    async def _default_route(self, host: Host) -> tuple[Optional[str], Optional[str]]:
        r = await host.run(ifconfig.route_get_default(), check=False, mutates=False)
        if r.exit_code != 0:
            return None, None
        return ifconfig.parse_route_get(r.stdout)

    # -- create ---------------------------------------------------------------------------
    async def create(self, ctx, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # Three execs: the facts (interfaces, rc.conf, kernel modules, the default route) at
        # once; creating the bridge with the member_ifaddrs sysctl read (it exists only once
        # if_bridge is loaded); then every change and the interfaces read back in one batch.
        host: Host = ctx.host
        name = inputs["name"]
        ifl, rcr, kst, rt = await host.facts([ifconfig.list_all(), vars_fact(rcconf.RC_CONF, None),
                                              kld.stat_verbose(), ifconfig.route_get_default()])
        for r in (ifl, kst):
            if r.exit_code != 0:
                raise CommandError(r)
        ifs = ifconfig.parse_all(ifl.stdout)
        if name in ifs:
            raise RuntimeError(f"interface {name} already exists on the host; adopt it with "
                               f"`pulumi import freebsd:index:Bridge <resource-name> {name}`")
        members = list(inputs.get("members") or [])
        missing = [m for m in members if m not in ifs]
        if missing:
            raise RuntimeError(f"member interface(s) {', '.join(missing)} do not exist on the host")
        busy = [m for m in members if any(m in [x.name for x in i.members] for i in ifs.values())]
        if busy:
            raise RuntimeError(f"interface(s) {', '.join(busy)} are already members of another bridge")
        state: dict[str, Any] = {k: None for k in _STATE_KEYS}
        state["movedAddresses"] = []
        holders = [m for m in members if ifs[m].routable_addresses()]
        if holders and not inputs.get("memberIfaddrs") and len(holders) > 1:
            raise RuntimeError(f"more than one member holds IP addresses ({', '.join(holders)}): only one "
                               f"uplink's addresses can be moved to the bridge; remove the others' addresses "
                               f"or set memberIfaddrs: true")
        rc = vars_from(rcr)
        state["loadedIfBridge"] = not kld.parse_stat(kst.stdout).is_loaded("if_bridge")
        made = await host.batch([ifconfig.create(name)] +
                                ([ifconfig.sysctl_get(ifconfig.MEMBER_IFADDRS)] if inputs.get("memberIfaddrs") else []),
                                check=False)
        if made[0].exit_code != 0:
            raise CommandError(made[0])
        try:
            argvs: list[list[str]] = []
            if inputs.get("memberIfaddrs"):
                cur = made[1].stdout.strip() if len(made) > 1 and made[1].exit_code == 0 else ""
                if cur != "1":
                    state["previousMemberIfaddrs"] = cur or "0"
                    argvs.append(ifconfig.sysctl_set(ifconfig.MEMBER_IFADDRS, "1"))
                    # /etc/sysctl.conf, and a loader tunable: rc.d/sysctl runs before netif
                    # loads if_bridge, so only the tunable is in place when bridge0 is built
                    argvs.append(ifconfig.persist_sysctl(ifconfig.MEMBER_IFADDRS, "1"))
                    argvs.append(ifconfig.persist_sysctl(ifconfig.MEMBER_IFADDRS, "1", ifconfig.LOADER_CONF))
                holders = []
            plain = [m for m in members if m not in holders]
            if plain or inputs.get("up", True):
                argvs.append(ifconfig.addm(name, plain, up=bool(inputs.get("up", True))))
            gw, gw_if = ifconfig.parse_route_get(rt.stdout) if rt.exit_code == 0 else (None, None)
            for h in holders:
                cidrs = ifs[h].routable_addresses()
                state.update(movedFrom=h, movedAddresses=cidrs, movedDefaultRouter=gw if gw_if == h else None,
                             movedRcConf=rc.get(f"ifconfig_{h}"))
                argvs.append(ifconfig.move_addresses(name, h, state["movedDefaultRouter"], cidrs))
            argvs += [ifconfig.add_address(name, a) for a in inputs.get("addresses") or []]
            if not inputs.get("up", True):
                argvs.append(ifconfig.set_up(name, False))
            if inputs.get("persist", True):
                argvs.append(rcconf.edit(self._rc_ops(inputs, state)))
            await host.batch([*argvs, ifconfig.list_all()], prime=[ifconfig.list_all()])
        except Exception as e:  # noqa: BLE001
            out = await self._outputs_safe(host, inputs, state)
            raise PartialFailure(f"bridge {name} was created but not fully configured: {e}", name, out) from e
        return name, await self._outputs(host, inputs, state)

    def _rc_ops(self, inputs: dict[str, Any], state: dict[str, Any]) -> list[str]:
        name = inputs["name"]
        addrs = list(state.get("movedAddresses") or []) + list(inputs.get("addresses") or [])
        value, aliases = rc_value(list(inputs.get("members") or []), addrs, bool(inputs.get("up", True)))
        ops = [f"add:cloned_interfaces={name}", f"set:ifconfig_{name}={value}"]
        ops.append(f"set:ifconfig_{name}_aliases={aliases}" if aliases else f"unset:ifconfig_{name}_aliases")
        if state.get("movedFrom"):
            ops.append(f"set:ifconfig_{state['movedFrom']}=up")
        return ops

    async def _outputs(self, host: Host, inputs: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        out = dict(inputs)
        out.update({k: state.get(k) for k in _STATE_KEYS})
        out["movedAddresses"] = list(state.get("movedAddresses") or [])
        # an imported bridge has no record of it: this stack did not load if_bridge.ko
        out["loadedIfBridge"] = bool(state.get("loadedIfBridge"))
        i = (await self._ifaces(host)).get(inputs["name"])
        out["mac"] = i.mac if i else ""
        mine = set(inputs.get("members") or [])
        out["memberFlags"] = {m.name: m.flags for m in i.members if m.name in mine} if i else {}
        return out

    async def _outputs_safe(self, host, inputs, state):
        try:
            return await self._outputs(host, inputs, state)
        except Exception:  # noqa: BLE001
            out = dict(inputs)
            out.update({k: state.get(k) for k in _STATE_KEYS})
            return out

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid, inputs, state):
        host: Host = ctx.host
        await host.facts([ifconfig.list_all(), vars_fact(rcconf.RC_CONF, None)] +
                         ([ifconfig.sysctl_get(ifconfig.MEMBER_IFADDRS)] if (inputs or {}).get("memberIfaddrs") else []))
        ifs = await self._ifaces(host)
        i = ifs.get(rid)
        if i is None:
            return None
        state = state or {}
        declared = inputs or {}
        moved = list(state.get("movedAddresses") or [])
        st = {k: state.get(k) for k in _STATE_KEYS}
        if inputs is None and not state.get("movedFrom"):
            # import: the FreeBSD 15 layout (ifconfig_UPLINK="up", the host address in
            # ifconfig_bridgeN) means the uplink's address was moved to the bridge
            rc0 = await read_vars(host, rcconf.RC_CONF, None)
            words = rc0.get(f"ifconfig_{rid}", "").split()
            first = words[words.index("inet") + 1] if "inet" in words[:-1] else None
            for m in i.members:
                if rc0.get(f"ifconfig_{m.name}", "").strip().lower() == "up" and first:
                    gw, gw_if = await self._default_route(host)
                    moved = [first]
                    st.update(movedFrom=m.name, movedRcConf=f"inet {first}",
                              movedDefaultRouter=gw if gw_if == rid else None)
                    break
        live_members = [m.name for m in i.members]
        order = list(declared.get("members") or [])
        # Members this resource does not declare belong to someone else (a VnetJail's epairNa,
        # added by its exec.prestart): they are not drift. On import, all but jail epairs.
        members = [m for m in order if m in live_members]
        if inputs is None:
            members += [m for m in live_members if m not in order and not _JAIL_EPAIR.match(m)]
        live_addrs = [a for a in i.routable_addresses() if not any(ifconfig.same_address(a, x) for x in moved)]
        d_addrs = list(declared.get("addresses") or [])
        addresses = [a for a in d_addrs if any(ifconfig.same_address(a, x) for x in live_addrs)]
        addresses += [a for a in live_addrs if not any(ifconfig.same_address(a, x) for x in addresses)]
        member_ifaddrs = bool(declared.get("memberIfaddrs", False))
        if member_ifaddrs:
            cur = (await host.fact(ifconfig.sysctl_get(ifconfig.MEMBER_IFADDRS), check=False)).stdout.strip()
            member_ifaddrs = cur == "1"
        new_inputs = {"name": rid, "members": members, "addresses": addresses, "up": i.up,
                      "memberIfaddrs": member_ifaddrs}
        rc = await read_vars(host, rcconf.RC_CONF, None)
        persisted = rid in rc.get("cloned_interfaces", "").split() and \
            rc.get(f"ifconfig_{rid}") is not None
        if persisted and inputs is not None and declared.get("persist", True):
            want_ops = self._rc_ops({**new_inputs, "members": list(declared.get("members") or []),
                                     "addresses": d_addrs, "up": declared.get("up", True)}, state)
            for op in want_ops:
                if op.startswith("set:"):
                    k, _, v = op[4:].partition("=")
                    if rc.get(k) != v:
                        persisted = False
                elif op.startswith("unset:") and rc.get(op[6:]):
                    persisted = False
        new_inputs["persist"] = persisted if inputs is None or declared.get("persist", True) else \
            bool(declared.get("persist"))
        st["movedAddresses"] = moved
        return new_inputs, await self._outputs(host, new_inputs, st)

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, rid, olds, news, state):
        host: Host = ctx.host
        ifs = await self._ifaces(host)
        i = ifs.get(rid)
        if i is None:
            raise RuntimeError(f"bridge {rid} no longer exists on the host; run `pulumi refresh` to recreate it")
        st = {k: state.get(k) for k in _STATE_KEYS}
        st["movedAddresses"] = list(state.get("movedAddresses") or [])
        live = [m.name for m in i.members]
        want = list(news.get("members") or [])
        owned = set(olds.get("members") or [])  # never remove members someone else added
        try:
            for m in live:
                if m in want or m not in owned:
                    continue
                if m == st.get("movedFrom"):
                    await host.run(ifconfig.restore_addresses(rid, m, st.get("movedDefaultRouter"),
                                                              st["movedAddresses"]))
                    await host.run(rcconf.edit([f"set:ifconfig_{m}={st['movedRcConf']}"] if st.get("movedRcConf")
                                               else [f"unset:ifconfig_{m}"]))
                    st.update(movedFrom=None, movedAddresses=[], movedDefaultRouter=None, movedRcConf=None)
                else:
                    await host.run(ifconfig.deletem(rid, m))
            rc = await read_vars(host, rcconf.RC_CONF, None)
            for m in want:
                if m in live:
                    continue
                mi = ifs.get(m)
                if mi is None:
                    raise RuntimeError(f"member interface {m} does not exist on the host")
                cidrs = mi.routable_addresses()
                if cidrs and not news.get("memberIfaddrs"):
                    if st.get("movedFrom"):
                        raise RuntimeError(f"{m} holds IP addresses and {st['movedFrom']}'s addresses were "
                                           f"already moved to {rid}: only one uplink can be moved")
                    gw, gw_if = await self._default_route(host)
                    gw = gw if gw_if == m else None
                    st.update(movedFrom=m, movedAddresses=cidrs, movedDefaultRouter=gw,
                              movedRcConf=rc.get(f"ifconfig_{m}"))
                    await host.run(ifconfig.move_addresses(rid, m, gw, cidrs))
                else:
                    await host.run(ifconfig.addm(rid, [m], up=False))
            have = i.routable_addresses()
            moved = st["movedAddresses"]
            for a in have:
                if any(ifconfig.same_address(a, x) for x in moved):
                    continue
                if not any(ifconfig.same_address(a, x) for x in news.get("addresses") or []):
                    await host.run(ifconfig.remove_address(rid, a))
            for a in news.get("addresses") or []:
                if not any(ifconfig.same_address(a, x) for x in have):
                    await host.run(ifconfig.add_address(rid, a))
            if bool(news.get("up", True)) != i.up:
                await host.run(ifconfig.set_up(rid, bool(news.get("up", True))))
            if news.get("persist", True):
                await host.run(rcconf.edit(self._rc_ops(news, st)))
            elif olds.get("persist", True):
                await host.run(rcconf.edit(self._rc_cleanup(rid, None)))
        except Exception as e:  # noqa: BLE001
            out = await self._outputs_safe(host, news, st)
            raise PartialFailure(f"updating bridge {rid} failed: {e}", rid, out) from e
        return await self._outputs(host, news, st)

    # -- delete ---------------------------------------------------------------------------
    def _rc_cleanup(self, name: str, state: Optional[dict[str, Any]]) -> list[str]:
        ops = [f"del:cloned_interfaces={name}", f"unset:ifconfig_{name}", f"unset:ifconfig_{name}_aliases"]
        if state and state.get("movedFrom"):
            up = state["movedFrom"]
            ops.append(f"set:ifconfig_{up}={state['movedRcConf']}" if state.get("movedRcConf")
                       else f"unset:ifconfig_{up}")
        return ops

    async def delete(self, ctx, rid, inputs, state):
        host: Host = ctx.host
        ifs = await self._ifaces(host)
        i = ifs.get(rid)
        if i is not None:
            up = state.get("movedFrom")
            if up and up in [m.name for m in i.members]:
                await host.run(ifconfig.restore_addresses(rid, up, state.get("movedDefaultRouter"),
                                                          list(state.get("movedAddresses") or [])))
            for m in i.members:
                if m.name != up:
                    await host.run(ifconfig.deletem(rid, m.name), check=False)
            r = await host.run(ifconfig.destroy(rid), check=False)
            if r.exit_code != 0 and "does not exist" not in r.stderr:
                raise CommandError(r)
        else:
            await host.log(f"bridge {rid} is already gone", "info")
        await host.run(rcconf.edit(self._rc_cleanup(rid, state)))
        prev = state.get("previousMemberIfaddrs")
        if inputs.get("memberIfaddrs") and prev is not None:
            await host.run(ifconfig.sysctl_set(ifconfig.MEMBER_IFADDRS, prev))
            await host.run(ifconfig.persist_sysctl(ifconfig.MEMBER_IFADDRS, None))
            await host.run(ifconfig.persist_sysctl(ifconfig.MEMBER_IFADDRS, None, ifconfig.LOADER_CONF))
        if state.get("loadedIfBridge"):
            # creating the bridge loaded if_bridge.ko: unload it when no bridge is left
            left = [n for n in (await self._ifaces(host)) if n.startswith("bridge")]
            if not left:
                r = await host.run(kld.unload("if_bridge"), check=False)
                if r.exit_code != 0 and not kld.is_not_loaded(r.stderr):
                    await host.log(f"if_bridge.ko stays loaded: {r.stderr.strip()}", "warning")


__all__ = ["Bridge", "PropDiff", "UPDATE"]
