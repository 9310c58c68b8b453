"""VnetJail: a VNET jail on a bridge through an epair, rendered to /etc/jail.conf.d/NAME.conf."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .. import wire
from ..errors import CommandFailed, ProviderError, RctlDisabled, interrupted, may_have_run
from ..host import common, cpuset, facts, ifconfig, jail, journal, rctl, sysrc
from ..host.steps import ANSWER, Step, StepResults, steps_of
from . import journaling
from .base import UPDATE, DiffResult, Failure, PartialFailure, PropDiff, Resource, diff_fields, dump, field


def _hooks_error(hooks: Any) -> Optional[str]:
    """Every hook of ``execHooks`` (a wire map when checked); unknown ones are skipped."""
    errs = []
    for kind in jail.HOOK_KINDS:
        lst = hooks.get(kind) if isinstance(hooks, dict) else getattr(hooks, kind, None)
        if not isinstance(lst, list):
            continue
        for i, argv in enumerate(lst):
            if not wire.contains_unknown(argv):
                err = jail.hook_error(argv, f"execHooks.{kind}[{i}]")
                if err:
                    errs.append(err)
    return "; ".join(errs) or None


@dataclass
class JailExecHooks:
    """Extra commands around the jail's start and stop, each an argv list (rendered with /bin/sh
    quoting into jail.conf strings; they run on the host, with exec.clean's minimal environment
    plus JID, JNAME and JPATH)."""
    prestart: list[list[str]] = field("exec.prestart commands (after the epair is created and bridged).",
                                      default_factory=list)
    poststart: list[list[str]] = field("exec.poststart commands.", default_factory=list)
    prestop: list[list[str]] = field("exec.prestop commands.", default_factory=list)
    poststop: list[list[str]] = field("exec.poststop commands (after the epair is destroyed).",
                                      default_factory=list)


RESTART = "restarts the jail (its conf file changes)"


@dataclass
class VnetJailArgs:
    name: str = field("Jail name (also the conf file /etc/jail.conf.d/NAME.conf and the jail_list word). "
                      "Changing it replaces the jail.", replace=True, check=common.jail_name_error)
    path: str = field("Root directory of the jail, usually a ZfsDataset's mountpoint holding a base "
                      "system. Changing it " + RESTART + "; the jail is not replaced.", check=jail.path_error)
    bridge: str = field("Host bridge the jail's epair joins (`bridgeN`, e.g. a Bridge resource's name). "
                        "Changing it " + RESTART + ".", check=ifconfig.bridge_name_error)
    hostname: Optional[str] = field("host.hostname (default: the jail name). Changing it " + RESTART + ".",
                                    default=None, check=jail.hostname_error)
    epair: Optional[str] = field(
        "The epair to use, `epairN` (or just `N`). Unset: the lowest free unit is allocated on the host "
        "under a host-side lock (not used by any interface nor any conf file in /etc/jail.conf.d), so "
        "parallel creates never collide; the allocation then stays. Setting a different one " + RESTART + ".",
        default=None, check=jail.epair_error)
    addresses: list[str] = field("Addresses of the jail's end (epairNb) as CIDRs, e.g. "
                                 "`[\"192.168.1.201/24\"]`. Changing them " + RESTART + ".",
                                 default_factory=list, check=ifconfig.cidr_error, unique=True)
    default_router: Optional[str] = field("Default gateway inside the jail (`route add default IP`). "
                                          "Changing it " + RESTART + ".", default=None, check=jail.router_error)
    sysvipc: str = field("SysV IPC (sysvshm, sysvmsg, sysvsem): `new` (own namespace, e.g. for PostgreSQL), "
                         "`inherit` or `disable` (default). Changing it " + RESTART + ".", default="disable",
                         check=jail.sysvipc_error)
    allow: list[str] = field("Permissions to grant, without `allow.`: e.g. `[\"raw_sockets\"]` renders "
                             "`allow.raw_sockets;`. Changing them " + RESTART + ".", default_factory=list,
                             check=jail.allow_error, unique=True)
    devfs_ruleset: Optional[int] = field("devfs_ruleset for the jail's /dev (e.g. 5, devfsrules_jail_vnet); "
                                         "unset: jail(8)'s default (4). Changing it " + RESTART + ".",
                                         default=None, check=jail.devfs_ruleset_error)
    parameters: dict[str, str] = field("Other jail parameters, e.g. `{\"enforce_statfs\": \"1\"}`; names "
                                       "`^[a-z][a-z0-9_.]*$`, values without quotes, backslashes or "
                                       "newlines. Changing them " + RESTART + ".", default_factory=dict,
                                       key_check=jail.param_name_error, check=jail.param_value_error)
    exec_hooks: Optional[JailExecHooks] = field("Extra exec.prestart/poststart/prestop/poststop commands "
                                                "(argv lists). Changing them " + RESTART + ".", default=None,
                                                check=_hooks_error)
    start_at_boot: bool = field("Start the jail at boot: `jail_enable=YES` and the jail in `jail_list` "
                                "(word-level, shared with other jails). Delete removes the word, and "
                                "restores jail_enable when this provider set it and no jail is left in "
                                "jail_list. Changed in place.", default=True)
    cpuset: Optional[str] = field("CPUs the jail may use (`cpuset -l LIST -j JID` after each start), e.g. "
                                  "`0-1`. Changed in place, without a restart.", default=None,
                                  check=cpuset.list_error)
    rctl: list[str] = field("Resource limits as rctl rules without the subject, e.g. "
                            "`[\"memoryuse:deny=512M\"]` (`rctl -a jail:NAME:RULE`). Needs "
                            "kern.racct.enable=1 in /boot/loader.conf and a reboot. Changed in place.",
                            default_factory=list, check=rctl.rule_error)
    running: bool = field("Whether the jail runs (`service jail onestart|onestop NAME`, verified with jls). "
                          "Changed in place.", default=True)


@dataclass
class VnetJailState:
    jid: Optional[int] = field("The running jail's JID (unset while stopped).", default=None)
    host_epair: str = field("The epair end on the host, a member of the bridge (epairNa).", default="")
    jail_epair: str = field("The epair end inside the jail (epairNb).", default="")
    conf_file: str = field("The jail's conf file, /etc/jail.conf.d/NAME.conf.", default="")


RESTART_FIELDS = ("hostname", "path", "bridge", "addresses", "defaultRouter", "sysvipc", "allow",
                  "devfsRuleset", "parameters", "execHooks")
UNPARSED = "pulumi.conf_edited_by_hand"


def _hooks(a: VnetJailArgs) -> dict[str, list[list[str]]]:
    h = a.exec_hooks
    if h is None or wire.is_unknown(h):
        return {}
    return {k: list(getattr(h, k)) for k in jail.HOOK_KINDS if getattr(h, k)}


def spec_of(a: VnetJailArgs, unit: Any, urn: Optional[str] = None) -> jail.JailSpec:
    return jail.JailSpec(urn=urn,
        name=a.name, path=a.path, bridge=a.bridge, unit=unit, hostname=a.hostname,
        addresses=list(a.addresses), default_router=a.default_router, sysvipc=a.sysvipc,
        allow=list(a.allow), devfs_ruleset=a.devfs_ruleset, parameters=dict(a.parameters),
        hooks=_hooks(a))


def args_of(spec: jail.JailSpec) -> VnetJailArgs:
    """The conf file's part of the inputs (start_at_boot, cpuset, rctl, running: defaults)."""
    hooks = JailExecHooks(**{k: spec.hooks.get(k, []) for k in jail.HOOK_KINDS}) if spec.hooks else None
    return VnetJailArgs(
        name=spec.name, path=spec.path, bridge=spec.bridge, hostname=spec.hostname,
        epair=f"epair{spec.unit}", addresses=spec.addresses, default_router=spec.default_router,
        sysvipc=spec.sysvipc, allow=spec.allow, devfs_ruleset=spec.devfs_ruleset,
        parameters=spec.parameters, exec_hooks=hooks)


def state_of(name: str, unit: Optional[int], jid: Optional[int]) -> VnetJailState:
    return VnetJailState(jid=jid, host_epair=f"epair{unit}a" if unit is not None else "",
                         jail_epair=f"epair{unit}b" if unit is not None else "",
                         conf_file=jail.conf_path(name))


def unit_of(st: Optional[VnetJailState]) -> Optional[int]:
    """The epair unit recorded in the state (``epairNa``), or None."""
    he = st.host_epair if st is not None else ""
    return jail.parse_unit(he[:-1]) if he else None


def progress(done: StepResults, name: str, unit: Optional[int], jid: Optional[int]) -> tuple[Optional[int], Optional[int]]:
    """The epair unit and the JID after the steps that ran (from ``unit``/``jid`` before them):
    a conf file write allocates the unit, a verified stop ends the jail, the jls read-back after
    a start says whether it runs."""
    for step, res in done.items:
        if res.exit_code != 0:
            continue
        if step.name == "write":
            unit = jail.written_unit(res.stdout)
        elif step.name == "stop":
            jid = None
        elif step.name == "jls":
            jid = jail.jid_of(jail.parse_jls(res.stdout), name)
    return unit, jid


Partial = Callable[[StepResults], Optional[tuple]]


class VnetJail(Resource):
    token = "freebsd:index:VnetJail"
    description = (
        "A VNET jail in the style of the FreeBSD 15 tutorial: /etc/jail.conf.d/NAME.conf with `vnet`, "
        "an epair whose `a` end joins a bridge (exec.prestart) and whose `b` end moves into the jail "
        "with its addresses and default route (exec.start), destroyed on stop (exec.poststop). Started "
        "with `service jail onestart NAME` and verified with jls (rc.d/jail exits 0 even on failure). "
        "Changes to the conf file restart the jail; cpuset, rctl, startAtBoot and running change in "
        "place; a new name replaces it. Import ID: the jail name."
    )
    Args = VnetJailArgs
    State = VnetJailState
    crash_note = (
        "The conf file starts with a comment naming the resource's URN (files written before this "
        "keep none). When `pulumi up` was killed after the conf file was written, the next create "
        "finds it with this URN, adopts the jail and converges it (rewrites what differs, starts "
        "it); a jail without this URN is refused (import it).")
    import_id = "the jail name, e.g. `webserver`"
    crash_safety = "marker"
    example = {"name": "webserver", "hostname": "webserver", "path": "/jails/containers/webserver", "bridge": "bridge0", "epair": "epair1", "addresses": ["192.168.1.201/24"], "defaultRouter": "192.168.1.1", "sysvipc": "new", "allow": ["raw_sockets"], "parameters": {"enforce_statfs": "2"}, "execHooks": {"prestart": [["/usr/bin/logger", "starting"]]}, "cpuset": "0-1", "rctl": ["memoryuse:deny=512M"]}

    # -- check ----------------------------------------------------------------------------
    def validate(self, a: VnetJailArgs) -> list[Failure]:
        # rctl keeps one rule per resource:action of a subject: two would overwrite each other
        f: list[Failure] = []
        if not isinstance(a.rctl, list):
            return f
        seen: set[str] = set()
        for i, r in enumerate(a.rctl):
            if wire.is_unknown(r) or rctl.rule_error(r):
                continue
            key = rctl.filter_of(rctl.normalize(r))
            if key in seen:
                f.append(Failure(f"rctl[{i}]", f"a rule for {rctl.filter_of(r)} is listed twice"))
            seen.add(key)
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: VnetJailArgs, news: VnetJailArgs) -> DiffResult:
        res = diff_fields(self.input_fields(), dump(olds), dump(news), skip=("epair",))
        o_ep, n_ep = olds.epair, news.epair
        if wire.is_unknown(n_ep):
            res.changes["epair"] = PropDiff(UPDATE, False, "unknown until apply; may restart the jail")
        elif n_ep is not None and (o_ep is None or jail.parse_unit(o_ep) != jail.parse_unit(n_ep)):
            res.changes["epair"] = PropDiff(UPDATE if o_ep is not None else "add", False,
                                            "a different epair " + RESTART)
        running = news.running
        for k, d in res.changes.items():
            if k in RESTART_FIELDS:
                d.why = RESTART if running else "rewrites the conf file (the jail is not running)"
            elif k in ("cpuset", "rctl", "startAtBoot"):
                d.why = "applied in place, without restarting the jail"
            elif k == "running":
                d.why = "starts the jail" if running else "stops the jail"
            elif k == "name":
                d.why = "a new name is a new jail: the old one is stopped and removed first"
        return res

    # -- host steps -----------------------------------------------------------------------
    # Over a WAN every exec is a round trip, so create, update and delete send their commands as
    # steps of ONE exec: the conf file write (under the host lock, with the create's checks), the
    # rc.conf edit, the verified stop, the start and its jls read-back; cpuset (it needs the JID)
    # and rctl follow a start in a second one, once the start is verified.

    @staticmethod
    def _write_step(a: VnetJailArgs, unit: Optional[int], create: bool = False,
                    urn: Optional[str] = None) -> Step:
        """The conf file write; the file travels in the command, or on stdin when it is big.
        ``urn``: the marker comment (the creating resource's URN; an update keeps the file's)."""
        text = jail.render_conf(spec_of(a, jail.UNIT_PLACEHOLDER, urn))
        bridge = a.bridge if create else None
        if jail.fits_inline(text):
            return Step(jail.allocate_and_write(a.name, unit, text, create=create, bridge=bridge), "write")
        return Step(jail.allocate_and_write(a.name, unit, create=create, bridge=bridge), "write", stdin=text)

    @staticmethod
    def _start_steps(name: str) -> list[Step]:
        # rc.d/jail exits 0 even when jail(8) fails: the start is verified with jls (read in the
        # same exec, and kept as the fresh jls fact)
        return [Step(jail.service("start", name), "start"),
                Step(jail.jls_fact(), "jls", primes=facts.jls(), mutates=False)]

    @staticmethod
    def _stop_step(name: str, unit: Optional[int], conf: Optional[str] = None) -> Step:
        return Step(jail.stop(name, f"epair{unit}a" if unit is not None else None, conf), "stop")

    @staticmethod
    def _rctl_steps(name: str, old: list[str], new: list[str]) -> list[Step]:
        want = {rctl.normalize(r) for r in new}
        have = {rctl.normalize(r) for r in old}
        return ([Step(rctl.remove(name, rctl.filter_of(r)), "rctl") for r in sorted(have - want)]
                + [Step(rctl.add(name, r), "rctl") for r in sorted(want - have)])

    @staticmethod
    def _explain(name: str, a: VnetJailArgs, e: BaseException) -> Optional[str]:
        """A failure in the resource's words (the scripts' own exit codes, the error's type), or
        None when the error's message says it."""
        done = steps_of(e)
        if done.pending and may_have_run(e):
            # the exec was cut short while it ran: its long command line would say nothing
            return (f"jail {name}: the commands were cut short ({interrupted(e)}); what they did on "
                    f"the host is not known (the next run reads it and converges)")
        if not isinstance(e, CommandFailed) or not done:
            return None
        step, r = done.items[-1]
        if step.name == "write":
            if r.exit_code == jail.WRITE_EXISTS:  # only a create checks this
                return (f"jail {name} already exists on the host (running, or {jail.conf_path(name)} "
                        f"exists); adopt it with `pulumi import freebsd:index:VnetJail <resource-name> {name}`")
            if r.exit_code == jail.WRITE_NO_BRIDGE:
                return (f"bridge {a.bridge} does not exist on the host (declare it with a Bridge "
                        f"resource and make the jail depend on it)")
            if r.exit_code == jail.WRITE_IN_USE:
                return r.stderr.strip()
        elif step.name == "stop":
            if r.exit_code == jail.STOP_NO_CONF:
                return f"jail {name} runs but {jail.conf_path(name)} is gone: stop it by hand"
            if r.exit_code == jail.STOP_STILL_RUNNING:
                return (f"jail {name} is still running after `service jail onestop {name}`:\n"
                        f"{(r.stdout + r.stderr).strip()}")
        elif step.name == "rctl" and isinstance(e, RctlDisabled):
            return f"rctl: {r.stderr.strip()}\n{rctl.DISABLED_HINT}"
        return None

    async def _apply(self, ctx, name: str, a: VnetJailArgs, steps: list[Step], done: StepResults,
                     partial: Optional[Partial] = None) -> StepResults:
        """``self.apply`` with the failure said in the resource's words (see ``_explain``) and
        the epairs a stop reaped logged."""
        first = len(done)
        try:
            return await self.apply(ctx, steps, partial=partial, done=done)
        except PartialFailure as pf:
            why = self._explain(name, a, pf.__cause__) if pf.__cause__ is not None else None
            if why is None:
                raise
            raise PartialFailure(why, pf.resource_id, pf.outputs) from pf.__cause__
        except ProviderError as e:
            why = self._explain(name, a, e)
            if partial is not None and any(s.mutates and r.exit_code == 0 for s, r in done.items):
                # an earlier exec of this operation changed the host (this one did not even reach
                # it): what that one did must still be recorded
                got = partial(done)
                if got is not None:
                    raise PartialFailure(why or str(e), got[0], got[1]) from e
            if why is None:
                raise
            last = done.items[-1] if done.items else None
            if last and last[0].name == "write" and last[1].exit_code == jail.WRITE_EXISTS:
                raise journaling.Conflict(why, name) from e  # adopted when its conf file is ours
            raise RuntimeError(why) from e
        finally:
            for step, res in done.items[first:]:
                if step.name == "stop" and res.exit_code == 0:
                    for ep in jail.reaped(res.stdout):
                        await ctx.host.log(f"exec.poststop left {ep} behind: destroyed it", "warning")

    async def _verify_start(self, ctx, a: VnetJailArgs, done: StepResults, unit: Optional[int],
                            jid: Optional[int], partial: Partial) -> None:
        """Raise (recording the jail as ``partial`` says) when the start failed: rc.d/jail's
        message, or no such jail in jls; with the console log's last lines. An epair the failed
        start left behind is destroyed (the next start's `ifconfig epairN create` would fail)."""
        res = done["start"]
        failed = jail.start_failed(res.stdout + res.stderr, a.name)
        if jid is not None and not failed:
            return
        log = jail.consolelog_path(a.name)
        steps = [Step(jail.tail_file(log), "log", ANSWER, mutates=False)]
        if jid is None and unit is not None:
            steps.append(Step(jail.destroy_if_present(f"epair{unit}a"), "reap", ANSWER))
        await self._apply(ctx, a.name, a, steps, done, partial)
        tail = done["log"].stdout.strip()
        msg = f"jail {a.name} did not start"
        if failed:
            msg += f": {failed}"
        if tail:
            msg += f"\nlast lines of {log}:\n{tail}"
        rid, outputs = partial(done)[:2]  # type: ignore[index]
        raise PartialFailure(msg, rid, outputs)

    # -- create ---------------------------------------------------------------------------
    async def create(self, ctx, a: VnetJailArgs) -> tuple[str, VnetJailState]:
        # One exec: write the conf file (refusing an existing jail or a missing bridge, under the
        # host lock: no pre-reads), jail_enable/jail_list, start, jls read-back; cpuset (it needs
        # the JID) and rctl follow in a second one, once the start is verified.
        name = a.name
        want = jail.parse_unit(a.epair) if a.epair else None
        steps = [self._write_step(a, want, create=True, urn=ctx.urn)]
        if a.start_at_boot:
            steps.append(Step(jail.boot_enable(name), "boot"))
        rules = self._rctl_steps(name, [], a.rctl)
        steps += self._start_steps(name) if a.running else rules

        def partial(done: StepResults):
            # the conf file written (or maybe written: an exec cut short) is the jail: record it,
            # so the next run converges and destroy removes it
            return name, self.outputs(a, state_of(name, *progress(done, name, None, None)))

        done = StepResults()
        await self._apply(ctx, name, a, steps, done, partial)
        unit, jid = progress(done, name, None, None)
        if a.running:
            await self._verify_start(ctx, a, done, unit, jid, partial)
            later = ([Step(cpuset.set_jail(jid, a.cpuset), "cpuset")] if a.cpuset else []) + rules
            if later:
                await self._apply(ctx, name, a, later, done, partial)
        return name, state_of(name, unit, jid)

    async def owner(self, ctx, rid, a):
        text = (await ctx.host.get(facts.jail_confs())).get(jail.conf_path(rid))
        return journaling.ABSENT if text is None else journal.urn_of_comment(text)

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid: str, a: Optional[VnetJailArgs], state: Optional[VnetJailState]):
        name = rid
        wanted = [facts.jail_confs(), facts.jls(), facts.rc_vars(sysrc.RC_CONF)]
        if a is not None and a.cpuset:
            wanted.append(cpuset.masks())
        if a is None or a.rctl:
            wanted.append(rctl.rules())
        got = await ctx.host.get_many(*wanted)
        confs, running, rc = got[0], got[1], got[2]
        text = confs.get(jail.conf_path(name))
        live = running.get(name)
        if text is None and live is None:
            return None
        unit = unit_of(state)
        if text is None:
            if a is None:
                raise RuntimeError(f"jail {name} runs but has no {jail.conf_path(name)}: it is not a "
                                   f"VnetJail and cannot be imported")
            # the addresses live in the (missing) conf file
            new = dataclasses.replace(a, addresses=[], parameters={**a.parameters, UNPARSED: "conf file missing"})
        else:
            spec: Optional[jail.JailSpec]
            try:
                cname, params = jail.parse_conf(text)
                spec = jail.spec_from_params(cname, params)
                if cname != name:
                    raise jail.ConfParseError(f"the conf file defines jail {cname!r}, not {name!r}")
                spec.urn = journal.urn_of_comment(text)
                exact = jail.render_conf(spec) == text
            except jail.ConfParseError as e:
                if a is None:
                    raise RuntimeError(f"cannot import jail {name}: {e}") from None
                spec, exact = None, False
            if spec is not None:
                unit = spec.unit
                new = args_of(spec)
                if a is not None:
                    if a.epair is None:
                        new.epair = None
                    if a.hostname is None and new.hostname == name:
                        new.hostname = None
                    if _hooks(new) == _hooks(a):
                        new.exec_hooks = a.exec_hooks
                elif new.hostname == name:
                    new.hostname = None
            else:
                new = dataclasses.replace(a)  # type: ignore[arg-type]
            if not exact and a is not None:
                # drift in a managed jail; an imported jail's hand-written file is adopted as is
                new.parameters = {**new.parameters, UNPARSED: "conf file edited by hand"}
        new.running = live is not None
        new.start_at_boot = name in rc.get("jail_list", "").split() and jail.is_yes(rc.get("jail_enable"))
        jid = jail.jid_of(running, name)
        new.cpuset = a.cpuset if a is not None else None
        if a is not None and a.cpuset and jid is not None:
            got_cpus = got[3].get(jid)
            want = cpuset.expand(a.cpuset)
            if got_cpus is not None and want is not None and got_cpus != want:
                new.cpuset = cpuset.compress(got_cpus)
        declared = list(a.rctl) if a is not None else []
        new.rctl = list(declared)
        if a is None or a.rctl:
            rules = got[-1]
            if rules is not None:  # None: RACCT is off, no rule is set
                live_rules = rules.get(name, [])
                keep = [x for x in declared if rctl.normalize(x) in live_rules]
                norm_keep = {rctl.normalize(x) for x in keep}
                new.rctl = keep + [x for x in live_rules if x not in norm_keep]
        return new, state_of(name, unit, jid)

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, rid: str, olds: VnetJailArgs, news: VnetJailArgs,
                     state: VnetJailState) -> VnetJailState:
        # One exec reads the conf files and jls; one then makes the changes (a stop verified
        # before a conf file rewrite, the rc.conf edit, start or stop, cpuset, rctl); after a
        # start, cpuset and rctl follow in a second one.
        name = rid
        unit = unit_of(state)
        want_unit = jail.parse_unit(news.epair) if news.epair else unit
        confs, jails = await ctx.host.get_many(facts.jail_confs(), facts.jls())
        urn = journal.urn_of_comment(confs.get(jail.conf_path(name)) or "")
        new_text = jail.render_conf(spec_of(news, want_unit, urn)) if want_unit is not None else None
        conf_changed = new_text is None or confs.get(jail.conf_path(name)) != new_text
        jid0 = jail.jid_of(jails, name)
        is_running, jid = name in jails, jid0
        steps: list[Step] = []
        if conf_changed:
            if is_running:
                steps.append(self._stop_step(name, unit))
                is_running, jid = False, None
            steps.append(self._write_step(news, want_unit, urn=urn))
        if news.start_at_boot:
            steps.append(Step(jail.boot_enable(name), "boot"))  # idempotent: repairs a word removed by hand
        elif olds.start_at_boot:
            steps.append(Step(jail.boot_disable(name), "boot"))
        starting = news.running and not is_running
        rules = self._rctl_steps(name, list(olds.rctl), list(news.rctl))
        if starting:
            steps += self._start_steps(name)
        elif not news.running and is_running:
            steps.append(self._stop_step(name, unit))
        elif jid is not None and news.cpuset != olds.cpuset:
            steps.append(Step(cpuset.set_jail(jid, news.cpuset or "all"), "cpuset"))
        if not starting:
            steps += rules

        def partial(done: StepResults):
            # stopped, rewritten or started half-way: the old state no longer says what runs
            return name, self.outputs(news, state_of(name, *progress(done, name, unit, jid0)))

        done = StepResults()
        await self._apply(ctx, name, news, steps, done, partial)
        unit_now, jid_now = progress(done, name, unit, jid0)
        if starting:
            await self._verify_start(ctx, news, done, unit_now, jid_now, partial)
            later = ([Step(cpuset.set_jail(jid_now, news.cpuset), "cpuset")] if news.cpuset else []) + rules
            if later:
                await self._apply(ctx, name, news, later, done, partial)
        return state_of(name, unit_now, jid_now)

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid: str, a: VnetJailArgs, state: VnetJailState) -> None:
        # One exec: the verified stop (refused when the jail runs without its conf file) and the
        # epair left behind, the conf file, the console log, jail_list, the rctl rules.
        name = rid
        unit = unit_of(state)
        if unit is None:
            # no epair in the state (e.g. a create cut short): the conf file names it
            text = (await ctx.host.get(facts.jail_confs())).get(jail.conf_path(name))
            if text is not None:
                try:
                    unit = jail.spec_from_params(*jail.parse_conf(text)).unit
                except jail.ConfParseError:
                    pass
        conf = jail.conf_path(name)
        steps = [self._stop_step(name, unit, conf=conf),
                 Step(common.locked(common.remove_file(conf)), "rm"),
                 Step(common.remove_file(jail.consolelog_path(name)), "rm"),
                 Step(jail.boot_disable(name), "boot")]
        if a.rctl:
            # no rules to remove when RACCT is off
            steps.append(Step(rctl.remove(name), "rctl-clear", tolerate=(RctlDisabled,)))
        await self._apply(ctx, name, a, steps, StepResults())
