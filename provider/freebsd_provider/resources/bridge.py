"""Bridge: an if_bridge(4) interface with members and addresses, persisted in rc.conf."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Optional

from .. import wire
from ..errors import InterfaceMissing, ModuleNotLoaded, result_is
from ..host import facts, ifconfig, kld, rcconf
from ..host.steps import ANSWER, Step, StepResults, read
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import DiffResult, Failure, PropDiff, Resource, UPDATE, diff_fields, dump, field


@dataclass
class BridgeArgs:
    name: str = field("Bridge interface name, `bridgeN` (e.g. `bridge0`). Changing it replaces the bridge.",
                      replace=True, check=ifconfig.bridge_name_error)
    members: list[str] = field(
        "Member interfaces (`ifconfig bridgeN addm IF`), e.g. `[\"vtnet0\"]`. Changes are applied in "
        "place (addm/deletem). On FreeBSD 15 a member may not hold an IP address: when one does (the "
        "uplink), its addresses are moved to the bridge (see `memberIfaddrs`).", default_factory=list,
        check=ifconfig.member_name_error, unique=True)
    addresses: list[str] = field(
        "Addresses of the bridge itself as CIDRs (e.g. `[\"10.0.0.1/24\"]`), besides any moved from "
        "the uplink. Changes are applied in place.", default_factory=list, check=ifconfig.cidr_error)
    up: bool = field("Whether the bridge is up (`ifconfig bridgeN up|down`).", default=True)
    member_ifaddrs: bool = field(
        "false (default): when a member holds IP addresses, move them (and the default route through "
        "it) to the bridge in a single host-side script so the provider's SSH session survives, "
        "persist that in rc.conf (`ifconfig_bridge0=\"inet ADDR addm vtnet0 up\"`, `ifconfig_vtnet0=\"up\"`) and "
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


def _moved(st: BridgeState, frm: Optional[str] = None, cidrs: Optional[list[str]] = None,
           gw: Optional[str] = None, rc: Optional[str] = None) -> None:
    """Record (or, without ``frm``, forget) the uplink whose addresses are on the bridge."""
    st.moved_from, st.moved_addresses = frm, list(cidrs or [])
    st.moved_default_router, st.moved_rc_conf = gw, rc


def _may_have_run(done: StepResults, name: str) -> bool:
    """The step ran and succeeded, or was in an exec whose connection was lost."""
    return done.ok(name) or any(s.name == name for s in done.pending)


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
    crash_note = (
        "An interface cannot keep a URN across a reboot (rc.conf rebuilds it), so the marker is the "
        "resource's journal record " + JOURNAL + ", which also keeps what the bridge took over "
        "(the uplink's addresses, the member_ifaddrs sysctl, whether it loaded if_bridge). When "
        "`pulumi up` was killed after the bridge was made, the next create adopts it with that "
        "record, so delete still restores the host as it was.")
    import_id = "the bridge name, e.g. `bridge0`"
    example = {"name": "bridge0", "members": ["vtnet0"], "addresses": ["192.168.1.10/24"], "up": True}

    # -- check ----------------------------------------------------------------------------
    def validate(self, a: BridgeArgs) -> list[Failure]:
        f: list[Failure] = []
        if isinstance(a.members, list) and not wire.is_unknown(a.name):
            for i, m in enumerate(a.members):
                if m == a.name:
                    f.append(Failure(f"members[{i}]", "a bridge cannot be a member of itself"))
        if isinstance(a.addresses, list):
            seen = set()
            for i, x in enumerate(a.addresses):
                if wire.is_unknown(x):
                    continue
                ip = x.split("/")[0]
                if ip in seen:
                    f.append(Failure(f"addresses[{i}]", f"{x} is listed twice"))
                seen.add(ip)
        return f

    def diff(self, olds: BridgeArgs, news: BridgeArgs) -> DiffResult:
        o, n = dump(olds), dump(news)
        res = diff_fields(self.input_fields(), o, n)
        for k in ("members", "addresses"):
            d = res.changes.get(k)
            if d and not wire.contains_unknown(n.get(k)) and sorted(o.get(k) or []) == sorted(n.get(k) or []):
                del res.changes[k]  # order only: nothing to do on the host
            elif d:
                d.why = f"{k} are changed in place"
        if "memberIfaddrs" in res.changes:
            res.changes["memberIfaddrs"].why = ("switching between moving the uplink's addresses and the "
                                                "member_ifaddrs sysctl rebuilds the bridge")
        return res

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _observed(ifs: dict[str, ifconfig.Interface], a: BridgeArgs, st: BridgeState) -> BridgeState:
        """``st`` with the bridge's MAC and its declared members' flags as the host shows them."""
        i = ifs.get(a.name)
        mine = set(a.members)
        return dataclasses.replace(
            st, mac=i.mac if i else "",
            member_flags={m.name: m.flags for m in i.members if m.name in mine} if i else {})

    @staticmethod
    def _readback() -> Step:
        """``ifconfig -a`` after the changes (the outputs; it is the fresh interfaces fact)."""
        f = facts.interfaces()
        return Step(list(f.argv), "ifaces", primes=f, mutates=False)

    def _rc_ops(self, a: BridgeArgs, st: BridgeState) -> list[str]:
        name = a.name
        value, aliases = rc_value(list(a.members), list(st.moved_addresses) + list(a.addresses), a.up)
        ops = [f"add:cloned_interfaces={name}", f"set:ifconfig_{name}={value}"]
        ops.append(f"set:ifconfig_{name}_aliases={aliases}" if aliases else f"unset:ifconfig_{name}_aliases")
        if st.moved_from:
            ops.append(f"set:ifconfig_{st.moved_from}=up")
        return ops

    def _rc_cleanup(self, name: str, st: Optional[BridgeState]) -> list[str]:
        ops = [f"del:cloned_interfaces={name}", f"unset:ifconfig_{name}", f"unset:ifconfig_{name}_aliases"]
        if st and st.moved_from:
            ops.append(f"set:ifconfig_{st.moved_from}={st.moved_rc_conf}" if st.moved_rc_conf
                       else f"unset:ifconfig_{st.moved_from}")
        return ops

    # -- create ---------------------------------------------------------------------------
    async def create(self, ctx, a: BridgeArgs):
        # The facts (interfaces, rc.conf, kernel modules, the default route) in one exec, then
        # the bridge and every change with the interfaces read back in another. With
        # memberIfaddrs the sysctl's value is read in between: it exists only once if_bridge is
        # loaded, which creating the bridge does.
        name = a.name
        ifs, rc, kst, (gw, gw_if) = await self.before(ctx, 
            facts.interfaces(), facts.rc_vars(), facts.kldstat(), ifconfig.default_route())
        if name in ifs:
            raise RuntimeError(f"interface {name} already exists on the host; adopt it with "
                               f"`pulumi import freebsd:index:Bridge <resource-name> {name}`")
        members = list(a.members)
        missing = [m for m in members if m not in ifs]
        if missing:
            raise RuntimeError(f"member interface(s) {', '.join(missing)} do not exist on the host")
        busy = [m for m in members if any(m in [x.name for x in i.members] for i in ifs.values())]
        if busy:
            raise RuntimeError(f"interface(s) {', '.join(busy)} are already members of another bridge")
        holders = [m for m in members if ifs[m].routable_addresses()]
        if holders and not a.member_ifaddrs and len(holders) > 1:
            raise RuntimeError(f"more than one member holds IP addresses ({', '.join(holders)}): only one "
                               f"uplink's addresses can be moved to the bridge; remove the others' addresses "
                               f"or set memberIfaddrs: true")
        st = BridgeState(loaded_if_bridge=not kst.is_loaded("if_bridge"))
        done = StepResults()

        def partial(done: StepResults):
            # the bridge may exist: record it with what may have changed, so that delete puts
            # the uplink's addresses and the sysctl back and the next `up` configures the rest
            rec = BridgeState(loaded_if_bridge=st.loaded_if_bridge)
            if _may_have_run(done, "member_ifaddrs"):
                rec.previous_member_ifaddrs = st.previous_member_ifaddrs
            if _may_have_run(done, "move"):
                _moved(rec, st.moved_from, st.moved_addresses, st.moved_default_router, st.moved_rc_conf)
            return name, self.outputs(a, rec), f"bridge {name} was created but not fully configured"

        steps = [Step(ifconfig.create(name), "create")]
        if a.member_ifaddrs:
            sysctl = ifconfig.member_ifaddrs()
            steps.append(read(list(sysctl.argv), "read member_ifaddrs"))
            await self.apply(ctx, steps, partial=partial, done=done)
            cur = sysctl.parse(done["read member_ifaddrs"])
            steps = []
            if cur != "1":
                st.previous_member_ifaddrs = cur or "0"
                # /etc/sysctl.conf, and a loader tunable: rc.d/sysctl runs before netif loads
                # if_bridge, so only the tunable is in place when bridge0 is built
                steps += [Step(ifconfig.sysctl_set(ifconfig.MEMBER_IFADDRS, "1"), "member_ifaddrs"),
                          Step(ifconfig.persist_sysctl(ifconfig.MEMBER_IFADDRS, "1"), "sysctl.conf"),
                          Step(ifconfig.persist_sysctl(ifconfig.MEMBER_IFADDRS, "1", ifconfig.LOADER_CONF),
                               "loader.conf")]
            holders = []
        plain = [m for m in members if m not in holders]
        if plain or a.up:
            steps.append(Step(ifconfig.addm(name, plain, up=a.up), "addm"))
        for h in holders:
            _moved(st, h, ifs[h].routable_addresses(), gw if gw_if == h else None, rc.get(f"ifconfig_{h}"))
            steps.append(Step(ifconfig.move_addresses(name, h, st.moved_default_router, st.moved_addresses), "move"))
        steps += [Step(ifconfig.add_address(name, x), f"address {x}") for x in a.addresses]
        if not a.up:
            steps.append(Step(ifconfig.set_up(name, False), "down"))
        if a.persist:
            steps.append(Step(rcconf.edit(self._rc_ops(a, st)), "rc.conf"))
        steps.append(self._readback())
        await self.apply(ctx, steps, partial=partial, done=done)
        return name, self._observed(facts.interfaces().parse(done["ifaces"]), a, st)

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid, a: Optional[BridgeArgs], state: Optional[BridgeState]):
        extra = [ifconfig.default_route()] if a is None else [ifconfig.member_ifaddrs()] if a.member_ifaddrs else []
        ifs, rc, *got = await ctx.host.get_many(facts.interfaces(), facts.rc_vars(), *extra)
        i = ifs.get(rid)
        if i is None:
            return None
        old = state or BridgeState()
        st = dataclasses.replace(old, moved_addresses=list(old.moved_addresses))
        if a is None and not old.moved_from:
            # import: the FreeBSD 15 layout (ifconfig_UPLINK="up", the host address in
            # ifconfig_bridgeN) means the uplink's address was moved to the bridge
            words = rc.get(f"ifconfig_{rid}", "").split()
            first = words[words.index("inet") + 1] if "inet" in words[:-1] else None
            for m in i.members:
                if rc.get(f"ifconfig_{m.name}", "").strip().lower() == "up" and first:
                    gw, gw_if = got[0]  # import: the default route was read
                    _moved(st, m.name, [first], gw if gw_if == rid else None, f"inet {first}")
                    break
        moved = st.moved_addresses
        live_members = [m.name for m in i.members]
        order = list(a.members) if a else []
        # Members this resource does not declare belong to someone else (a VnetJail's epairNa,
        # added by its exec.prestart): they are not drift. On import, all but jail epairs.
        members = [m for m in order if m in live_members]
        if a is None:
            members += [m for m in live_members if m not in order and not _JAIL_EPAIR.match(m)]
        live_addrs = [x for x in i.routable_addresses() if not any(ifconfig.same_address(x, y) for y in moved)]
        d_addrs = list(a.addresses) if a else []
        addresses = [x for x in d_addrs if any(ifconfig.same_address(x, y) for y in live_addrs)]
        addresses += [x for x in live_addrs if not any(ifconfig.same_address(x, y) for y in addresses)]
        member_ifaddrs = bool(a and a.member_ifaddrs) and got[0] == "1"
        persisted = rid in rc.get("cloned_interfaces", "").split() and rc.get(f"ifconfig_{rid}") is not None
        if persisted and a is not None and a.persist:
            declared = BridgeArgs(name=rid, members=list(a.members), addresses=d_addrs, up=a.up)
            for op in self._rc_ops(declared, old):
                if op.startswith("set:"):
                    k, _, v = op[4:].partition("=")
                    if rc.get(k) != v:
                        persisted = False
                elif op.startswith("unset:") and rc.get(op[6:]):
                    persisted = False
        args = BridgeArgs(name=rid, members=members, addresses=addresses, up=i.up,
                          member_ifaddrs=member_ifaddrs,
                          persist=persisted if a is None or a.persist else False)
        return args, self._observed(ifs, args, st)

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, rid, olds: BridgeArgs, news: BridgeArgs, state: BridgeState):
        # The facts in one exec; every change, planned here (refusals come before anything
        # runs), with the interfaces read back in another.
        ifs, rc, (gw, gw_if) = await ctx.host.get_many(facts.interfaces(), facts.rc_vars(),
                                                       ifconfig.default_route())
        i = ifs.get(rid)
        if i is None:
            raise RuntimeError(f"bridge {rid} no longer exists on the host; run `pulumi refresh` to recreate it")
        st = dataclasses.replace(state, moved_addresses=list(state.moved_addresses))
        live = [m.name for m in i.members]
        want = list(news.members)
        owned = set(olds.members)  # never remove members someone else added
        steps: list[Step] = []
        for m in live:
            if m in want or m not in owned:
                continue
            if m == st.moved_from:
                steps.append(Step(ifconfig.restore_addresses(rid, m, st.moved_default_router,
                                                             st.moved_addresses), "restore"))
                steps.append(Step(rcconf.edit([f"set:ifconfig_{m}={st.moved_rc_conf}"] if st.moved_rc_conf
                                              else [f"unset:ifconfig_{m}"]), "uplink rc.conf"))
                _moved(st)
            else:
                steps.append(Step(ifconfig.deletem(rid, m), f"deletem {m}"))
        for m in want:
            if m in live:
                continue
            mi = ifs.get(m)
            if mi is None:
                raise RuntimeError(f"member interface {m} does not exist on the host")
            cidrs = mi.routable_addresses()
            if cidrs and not news.member_ifaddrs:
                if st.moved_from:
                    raise RuntimeError(f"{m} holds IP addresses and {st.moved_from}'s addresses were "
                                       f"already moved to {rid}: only one uplink can be moved")
                _moved(st, m, cidrs, gw if gw_if == m else None, rc.get(f"ifconfig_{m}"))
                steps.append(Step(ifconfig.move_addresses(rid, m, st.moved_default_router, cidrs), "move"))
            else:
                steps.append(Step(ifconfig.addm(rid, [m], up=False), f"addm {m}"))
        have = i.routable_addresses()
        # the uplink's addresses stay (still moved) or go back with it (restore): not the
        # bridge's own addresses either way
        moved = list(state.moved_addresses) + st.moved_addresses
        for x in have:
            if any(ifconfig.same_address(x, y) for y in moved):
                continue
            if not any(ifconfig.same_address(x, y) for y in news.addresses):
                steps.append(Step(ifconfig.remove_address(rid, x), f"unaddress {x}"))
        for x in news.addresses:
            if not any(ifconfig.same_address(x, y) for y in have):
                steps.append(Step(ifconfig.add_address(rid, x), f"address {x}"))
        if news.up != i.up:
            steps.append(Step(ifconfig.set_up(rid, news.up), "up"))
        if news.persist:
            steps.append(Step(rcconf.edit(self._rc_ops(news, st)), "rc.conf"))
        elif olds.persist:
            steps.append(Step(rcconf.edit(self._rc_cleanup(rid, None)), "rc.conf"))
        if not steps:
            return self._observed(ifs, news, st)

        def partial(done: StepResults):
            # the uplink's addresses may have moved (either way): record where they are
            rec = dataclasses.replace(state, moved_addresses=list(state.moved_addresses))
            if _may_have_run(done, "restore"):
                _moved(rec)
            if _may_have_run(done, "move"):
                _moved(rec, st.moved_from, st.moved_addresses, st.moved_default_router, st.moved_rc_conf)
            return rid, self.outputs(news, rec), f"updating bridge {rid} failed"

        steps.append(self._readback())
        done = await self.apply(ctx, steps, partial=partial)
        return self._observed(facts.interfaces().parse(done["ifaces"]), news, st)

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid, a: BridgeArgs, state: BridgeState):
        # The interfaces, then one exec for everything; when this stack loaded if_bridge.ko,
        # the interfaces read back in it tell whether a bridge is left, else a last exec unloads it.
        host = ctx.host
        i = (await host.get(facts.interfaces())).get(rid)
        steps: list[Step] = []
        if i is not None:
            up = state.moved_from
            if up and up in [m.name for m in i.members]:
                steps.append(Step(ifconfig.restore_addresses(rid, up, state.moved_default_router,
                                                             list(state.moved_addresses)), "restore"))
            steps += [Step(ifconfig.deletem(rid, m.name), f"deletem {m.name}", ANSWER)
                      for m in i.members if m.name != up]
            steps.append(Step(ifconfig.destroy(rid), "destroy", tolerate=(InterfaceMissing,)))
        else:
            await host.log(f"bridge {rid} is already gone", "info")
        steps.append(Step(rcconf.edit(self._rc_cleanup(rid, state)), "rc.conf"))
        prev = state.previous_member_ifaddrs
        if a.member_ifaddrs and prev is not None:
            steps += [Step(ifconfig.sysctl_set(ifconfig.MEMBER_IFADDRS, prev), "member_ifaddrs"),
                      Step(ifconfig.persist_sysctl(ifconfig.MEMBER_IFADDRS, None), "sysctl.conf"),
                      Step(ifconfig.persist_sysctl(ifconfig.MEMBER_IFADDRS, None, ifconfig.LOADER_CONF),
                           "loader.conf")]
        if state.loaded_if_bridge:
            steps.append(self._readback())
        done = await self.apply(ctx, steps)
        if not state.loaded_if_bridge:
            return
        # creating the bridge loaded if_bridge.ko: unload it when no bridge is left
        if any(n.startswith("bridge") for n in facts.interfaces().parse(done["ifaces"])):
            return
        done = await self.apply(ctx, [Step(kld.unload("if_bridge"), "unload", ANSWER)])
        res = done["unload"]
        if res.exit_code != 0 and not result_is(res, ModuleNotLoaded):
            await host.log(f"if_bridge.ko stays loaded: {res.stderr.strip()}", "warning")


__all__ = ["Bridge", "PropDiff", "UPDATE"]
