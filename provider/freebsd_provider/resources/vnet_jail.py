"""VnetJail: a VNET jail on a bridge through an epair, rendered to /etc/jail.conf.d/NAME.conf."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, cpuset, ifconfig, jail, rctl
from ..hostctx import Host
from ..ssh import CommandError, Result, SSHError
from .base import UPDATE, DiffResult, Failure, PartialFailure, PropDiff, Resource, diff_fields, field
from .sysrc import read_vars


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
                      "Changing it replaces the jail.", replace=True)
    path: str = field("Root directory of the jail, usually a ZfsDataset's mountpoint holding a base "
                      "system. Changing it " + RESTART + "; the jail is not replaced.")
    bridge: str = field("Host bridge the jail's epair joins (`bridgeN`, e.g. a Bridge resource's name). "
                        "Changing it " + RESTART + ".")
    hostname: Optional[str] = field("host.hostname (default: the jail name). Changing it " + RESTART + ".",
                                    default=None)
    epair: Optional[str] = field(
        "The epair to use, `epairN` (or just `N`). Unset: the lowest free unit is allocated on the host "
        "under a host-side lock (not used by any interface nor any conf file in /etc/jail.conf.d), so "
        "parallel creates never collide; the allocation then stays. Setting a different one " + RESTART + ".",
        default=None)
    addresses: list[str] = field("Addresses of the jail's end (epairNb) as CIDRs, e.g. "
                                 "`[\"192.168.1.201/24\"]`. Changing them " + RESTART + ".",
                                 default_factory=list)
    default_router: Optional[str] = field("Default gateway inside the jail (`route add default IP`). "
                                          "Changing it " + RESTART + ".", default=None)
    sysvipc: str = field("SysV IPC (sysvshm, sysvmsg, sysvsem): `new` (own namespace, e.g. for PostgreSQL), "
                         "`inherit` or `disable` (default). Changing it " + RESTART + ".", default="disable")
    allow: list[str] = field("Permissions to grant, without `allow.`: e.g. `[\"raw_sockets\"]` renders "
                             "`allow.raw_sockets;`. Changing them " + RESTART + ".", default_factory=list)
    devfs_ruleset: Optional[int] = field("devfs_ruleset for the jail's /dev (e.g. 5, devfsrules_jail_vnet); "
                                         "unset: jail(8)'s default (4). Changing it " + RESTART + ".",
                                         default=None)
    parameters: dict[str, str] = field("Other jail parameters, e.g. `{\"enforce_statfs\": \"1\"}`; names "
                                       "`^[a-z][a-z0-9_.]*$`, values without quotes, backslashes or "
                                       "newlines. Changing them " + RESTART + ".", default_factory=dict)
    exec_hooks: Optional[JailExecHooks] = field("Extra exec.prestart/poststart/prestop/poststop commands "
                                                "(argv lists). Changing them " + RESTART + ".", default=None)
    start_at_boot: bool = field("Start the jail at boot: `jail_enable=YES` and the jail in `jail_list` "
                                "(word-level, shared with other jails). Delete removes the word, and "
                                "restores jail_enable when this provider set it and no jail is left in "
                                "jail_list. Changed in place.", default=True)
    cpuset: Optional[str] = field("CPUs the jail may use (`cpuset -l LIST -j JID` after each start), e.g. "
                                  "`0-1`. Changed in place, without a restart.", default=None)
    rctl: list[str] = field("Resource limits as rctl rules without the subject, e.g. "
                            "`[\"memoryuse:deny=512M\"]` (`rctl -a jail:NAME:RULE`). Needs "
                            "kern.racct.enable=1 in /boot/loader.conf and a reboot. Changed in place.",
                            default_factory=list)
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


def _hooks(inputs: dict[str, Any]) -> dict[str, list[list[str]]]:
    h = inputs.get("execHooks") or {}
    return {k: list(h.get(k) or []) for k in jail.HOOK_KINDS if h.get(k)}


def spec_of(inputs: dict[str, Any], unit: Any) -> jail.JailSpec:
    return jail.JailSpec(
        name=inputs["name"], path=inputs["path"], bridge=inputs["bridge"], unit=unit,
        hostname=inputs.get("hostname"), addresses=list(inputs.get("addresses") or []),
        default_router=inputs.get("defaultRouter"), sysvipc=inputs.get("sysvipc") or "disable",
        allow=list(inputs.get("allow") or []), devfs_ruleset=inputs.get("devfsRuleset"),
        parameters=dict(inputs.get("parameters") or {}), hooks=_hooks(inputs))


def inputs_of(spec: jail.JailSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": spec.name, "path": spec.path, "bridge": spec.bridge, "hostname": spec.hostname,
        "epair": f"epair{spec.unit}", "addresses": spec.addresses, "defaultRouter": spec.default_router,
        "sysvipc": spec.sysvipc, "allow": spec.allow, "devfsRuleset": spec.devfs_ruleset,
        "parameters": spec.parameters,
    }
    if spec.hooks:
        out["execHooks"] = {k: spec.hooks.get(k, []) for k in jail.HOOK_KINDS}
    return out


@dataclass
class _Step:
    """One command of a create/update/delete batch; ``kind`` says how its result is accounted
    for (VnetJail._account)."""
    kind: str
    argv: list[str]
    stdin: Optional[str] = None  # only the write of a big conf file: it runs in an exec of its own


@dataclass
class _Progress:
    """What the steps that ran did so far: the outputs of a (partial) failure come from here."""
    unit: Optional[int] = None
    jid: Optional[int] = None
    written: bool = False  # the conf file was written
    start_output: Optional[str] = None  # `service jail onestart`'s output, until verified


class _Unsure(RuntimeError):
    """A batch was cut short by the connection or the remote shell: its steps may or may not have run."""


def _may_have_run(e: Exception) -> bool:
    """Whether the batch that raised ``e`` may have run (some of) its steps: the remote shell died,
    or the connection was lost or timed out while it ran (ssh.Connection's "... while running: ..."
    and "command timed out ..."), as opposed to a host that could not be reached (nothing ran)."""
    if isinstance(e, CommandError):
        return True
    msg = str(e)
    return "while running:" in msg or msg.startswith(("command timed out", "cancelled:"))


def _interrupted(e: Exception) -> str:
    """What cut a batch short, without the batch's (long) command line."""
    if isinstance(e, CommandError):
        return f"the remote shell exited {e.result.exit_code}"
    return str(e).split(":", 1)[0]


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
    import_id = "the jail name, e.g. `webserver`"
    example = {"name": "webserver", "hostname": "webserver", "path": "/jails/containers/webserver", "bridge": "bridge0", "epair": "epair1", "addresses": ["192.168.1.201/24"], "defaultRouter": "192.168.1.1", "sysvipc": "new", "allow": ["raw_sockets"], "parameters": {"enforce_statfs": "2"}, "execHooks": {"prestart": [["/usr/bin/logger", "starting"]]}, "cpuset": "0-1", "rctl": ["memoryuse:deny=512M"]}

    # -- check ----------------------------------------------------------------------------
    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []

        def known(v):
            return v is not None and not wire.is_unknown(v)

        name = inputs.get("name")
        if known(name):
            err = common.jail_name_error(name)
            if err:
                f.append(Failure("name", err))
        if known(inputs.get("hostname")):
            err = jail.hostname_error(inputs["hostname"])
            if err:
                f.append(Failure("hostname", err))
        if known(inputs.get("path")):
            err = common.abs_path_error(inputs["path"]) or jail.text_error(inputs["path"], "path")
            if not err and inputs["path"].rstrip("/") == "":
                err = "path must not be / (a VNET jail needs its own root)"
            if not err and any(c in inputs["path"] for c in "\"'\\$ "):
                err = "path must not contain quotes, backslashes, '$' or spaces"
            if err:
                f.append(Failure("path", err))
        if known(inputs.get("bridge")):
            err = ifconfig.bridge_name_error(inputs["bridge"])
            if err:
                f.append(Failure("bridge", err))
        if known(inputs.get("epair")) and jail.parse_unit(inputs["epair"]) is None:
            f.append(Failure("epair", f"invalid epair {inputs['epair']!r}: expected epairN (e.g. epair1) or N"))
        addrs = inputs.get("addresses")
        if isinstance(addrs, list):
            for i, a in enumerate(addrs):
                if known(a):
                    err = ifconfig.cidr_error(a)
                    if not err and a in addrs[:i]:
                        err = f"{a} is listed twice"
                    if err:
                        f.append(Failure(f"addresses[{i}]", err))
        if known(inputs.get("defaultRouter")):
            err = ifconfig.ip_error(inputs["defaultRouter"], "defaultRouter")
            if err:
                f.append(Failure("defaultRouter", err))
        if known(inputs.get("sysvipc")) and inputs["sysvipc"] not in jail.SYSVIPC:
            f.append(Failure("sysvipc", f"sysvipc must be one of new, inherit, disable (got {inputs['sysvipc']!r})"))
        allow = inputs.get("allow")
        if isinstance(allow, list):
            for i, a in enumerate(allow):
                if known(a):
                    err = jail.allow_error(a)
                    if not err and a in allow[:i]:
                        err = f"{a} is listed twice"
                    if err:
                        f.append(Failure(f"allow[{i}]", err))
        dr = inputs.get("devfsRuleset")
        if known(dr) and (not isinstance(dr, int) or not 0 <= dr <= 65535):
            f.append(Failure("devfsRuleset", "devfsRuleset must be an integer between 0 and 65535"))
        params = inputs.get("parameters")
        if isinstance(params, dict):
            for k, v in params.items():
                err = jail.param_name_error(k)
                if not err and known(v):
                    err = jail.param_value_error(k, v)
                if err:
                    f.append(Failure(f"parameters.{k}", err))
        hooks = inputs.get("execHooks")
        if isinstance(hooks, dict):
            for kind in jail.HOOK_KINDS:
                lst = hooks.get(kind)
                if not isinstance(lst, list):
                    continue
                for i, argv in enumerate(lst):
                    if wire.contains_unknown(argv):
                        continue
                    err = jail.hook_error(argv, f"execHooks.{kind}[{i}]")
                    if err:
                        f.append(Failure(f"execHooks.{kind}[{i}]", err))
        if known(inputs.get("cpuset")):
            err = cpuset.list_error(inputs["cpuset"])
            if err:
                f.append(Failure("cpuset", err))
        rules = inputs.get("rctl")
        if isinstance(rules, list):
            for i, r in enumerate(rules):
                if known(r):
                    err = rctl.rule_error(r)
                    if not err and rctl.filter_of(rctl.normalize(r)) in \
                            [rctl.filter_of(rctl.normalize(x)) for x in rules[:i] if known(x) and not rctl.rule_error(x)]:
                        err = f"a rule for {rctl.filter_of(r)} is listed twice"
                    if err:
                        f.append(Failure(f"rctl[{i}]", err))
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = diff_fields(self.input_fields(), olds, news, skip=("epair",))
        o_ep, n_ep = olds.get("epair"), news.get("epair")
        if wire.is_unknown(n_ep):
            res.changes["epair"] = PropDiff(UPDATE, False, "unknown until apply; may restart the jail")
        elif n_ep is not None and (o_ep is None or jail.parse_unit(o_ep) != jail.parse_unit(n_ep)):
            res.changes["epair"] = PropDiff(UPDATE if o_ep is not None else "add", False,
                                            "a different epair " + RESTART)
        running = news.get("running", True)
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

    # -- facts ----------------------------------------------------------------------------
    async def _jls(self, host: Host) -> dict[str, dict[str, Any]]:
        r = await host.fact(jail.jls_fact())
        return jail.parse_jls(r.stdout)

    async def _confs(self, host: Host) -> dict[str, str]:
        return jail.parse_confs((await host.fact(jail.read_confs())).stdout)

    async def _confs_and_jls(self, host: Host) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        """Both facts, the missing ones read together in one exec."""
        steps = await host.facts([jail.read_confs(), jail.jls_fact()])
        for r in steps:
            if r.exit_code != 0:
                raise CommandError(r)
        return jail.parse_confs(steps[0].stdout), jail.parse_jls(steps[1].stdout)

    @staticmethod
    def _jid_of(jails: dict[str, dict[str, Any]], name: str) -> Optional[int]:
        j = jails.get(name)
        if j is None:
            return None
        try:
            return int(j.get("jid"))
        except (TypeError, ValueError):
            return None

    # -- host steps -----------------------------------------------------------------------
    # Over a WAN every exec is a round trip, so create, update and delete send their commands as
    # steps of ONE batch: the conf file write (under the host lock, with the create's checks), the
    # rc.conf edit, the verified stop, the start and its jls read-back, cpuset and rctl.  A batch
    # stops at its first failing step; `_run` accounts for the steps that ran, in order, so a
    # (partial) failure says exactly what was done, with the same messages as one exec per step.

    @staticmethod
    def _write_step(inputs: dict[str, Any], unit: Optional[int], create: bool = False) -> _Step:
        """The conf file write; the file travels in the command, or on stdin when it is big."""
        text = jail.render_conf(spec_of(inputs, jail.UNIT_PLACEHOLDER))
        bridge = inputs["bridge"] if create else None
        if jail.fits_inline(text):
            return _Step("write", jail.allocate_and_write(inputs["name"], unit, text, create=create,
                                                          bridge=bridge))
        return _Step("write", jail.allocate_and_write(inputs["name"], unit, create=create, bridge=bridge),
                     stdin=text)

    @staticmethod
    def _start_steps(name: str) -> list[_Step]:
        # rc.d/jail exits 0 even when jail(8) fails: the start is verified with jls (read in the
        # same exec, and kept as the fresh jls fact)
        return [_Step("start", jail.service("start", name)), _Step("jls", jail.jls_fact())]

    @staticmethod
    def _stop_step(name: str, unit: Optional[int], conf: Optional[str] = None) -> _Step:
        return _Step("stop", jail.stop(name, f"epair{unit}a" if unit is not None else None, conf))

    @staticmethod
    def _rctl_steps(name: str, old: list[str], new: list[str]) -> list[_Step]:
        want = {rctl.normalize(r) for r in new}
        have = {rctl.normalize(r) for r in old}
        return ([_Step("rctl", rctl.remove(name, rctl.filter_of(r))) for r in sorted(have - want)]
                + [_Step("rctl", rctl.add(name, r)) for r in sorted(want - have)])

    async def _run(self, host: Host, inputs: dict[str, Any], steps: list[_Step], p: _Progress) -> None:
        """Run ``steps`` in one exec (a batch; only a step with stdin needs an exec of its own),
        account for each in ``p`` and raise at the first failure; a start is verified before
        returning."""
        i = 0
        while i < len(steps):
            j = i + 1
            if steps[i].stdin is None:
                while j < len(steps) and steps[j].stdin is None:
                    j += 1
            group = steps[i:j]
            try:
                if group[0].stdin is not None:
                    results = [await host.run(group[0].argv, stdin=group[0].stdin, check=False)]
                else:
                    results = await host.batch([s.argv for s in group], check=False,
                                               prime=[s.argv for s in group if s.kind == "jls"])
            except (SSHError, CommandError) as e:
                if not _may_have_run(e):
                    raise
                raise _Unsure(f"jail {inputs['name']}: the commands were cut short ({_interrupted(e)}); "
                              f"what they did on the host is not known (the next run reads it and "
                              f"converges)") from e
            for step, r in zip(group, results):
                await self._account(host, inputs, step, r, p)
            i = j
        if p.start_output is not None:
            await self._verify_start(host, inputs["name"], p)

    async def _account(self, host: Host, inputs: dict[str, Any], step: _Step, r: Result,
                       p: _Progress) -> None:
        name = inputs["name"]
        if step.kind == "write":
            if r.exit_code == jail.WRITE_EXISTS:  # only a create checks this
                raise RuntimeError(f"jail {name} already exists on the host (running, or "
                                   f"{jail.conf_path(name)} exists); adopt it with "
                                   f"`pulumi import freebsd:index:VnetJail <resource-name> {name}`")
            if r.exit_code == jail.WRITE_NO_BRIDGE:
                raise RuntimeError(f"bridge {inputs['bridge']} does not exist on the host (declare it with a "
                                   f"Bridge resource and make the jail depend on it)")
            if r.exit_code == jail.WRITE_IN_USE:
                raise RuntimeError(r.stderr.strip())
            if r.exit_code != 0:
                raise CommandError(r)
            p.unit, p.written = int(common.lines(r.stdout.strip())[-1]), True
        elif step.kind == "stop":
            if r.exit_code == jail.STOP_NO_CONF:
                raise RuntimeError(f"jail {name} runs but {jail.conf_path(name)} is gone: stop it by hand")
            if r.exit_code == jail.STOP_STILL_RUNNING:
                raise RuntimeError(f"jail {name} is still running after `service jail onestop {name}`:\n"
                                   f"{(r.stdout + r.stderr).strip()}")
            if r.exit_code != 0:
                raise CommandError(r)
            p.jid = None
            for ep in jail.reaped(r.stdout):
                await host.log(f"exec.poststop left {ep} behind: destroyed it", "warning")
        elif step.kind == "start":
            if r.exit_code != 0:
                raise CommandError(r)
            p.start_output = r.stdout + r.stderr
        elif step.kind == "jls":
            if r.exit_code != 0:
                raise CommandError(r)
            p.jid = self._jid_of(jail.parse_jls(r.stdout), name)
        elif step.kind == "rctl":
            if r.exit_code != 0 and rctl.is_disabled(r.stderr):
                raise RuntimeError(f"rctl: {r.stderr.strip()}\n{rctl.DISABLED_HINT}")
            if r.exit_code != 0:
                raise CommandError(r)
        elif step.kind == "rctl-clear":
            # deleting: no rules to remove when RACCT is off
            if r.exit_code != 0 and not rctl.is_disabled(r.stderr):
                raise CommandError(r)
        elif r.exit_code != 0:  # boot, cpuset, rm
            raise CommandError(r)

    async def _verify_start(self, host: Host, name: str, p: _Progress) -> None:
        """Raise when the start failed (rc.d/jail's message, or no such jail in jls), with the
        console log's last lines; an epair the failed start left behind is destroyed (the next
        start's `ifconfig epairN create` would fail)."""
        failed = jail.start_failed(p.start_output or "", name)
        p.start_output = None
        if p.jid is not None and not failed:
            return
        argvs = [jail.tail_file(jail.consolelog_path(name))]
        if p.jid is None and p.unit is not None:
            argvs.append(jail.destroy_if_present(f"epair{p.unit}a"))
        log = (await host.batch(argvs, check=False))[0].stdout.strip()
        msg = f"jail {name} did not start"
        if failed:
            msg += f": {failed}"
        if log:
            msg += f"\nlast lines of {jail.consolelog_path(name)}:\n{log}"
        raise RuntimeError(msg)

    def _outputs(self, inputs: dict[str, Any], unit: Optional[int], jid: Optional[int]) -> dict[str, Any]:
        out = dict(inputs)
        out.update({"jid": jid, "hostEpair": f"epair{unit}a" if unit is not None else "",
                    "jailEpair": f"epair{unit}b" if unit is not None else "",
                    "confFile": jail.conf_path(inputs["name"])})
        return out

    # -- create ---------------------------------------------------------------------------
    async def create(self, ctx, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # One exec: write the conf file (refusing an existing jail or a missing bridge, under the
        # host lock: no pre-reads), jail_enable/jail_list, start, jls read-back; cpuset (it needs
        # the JID) and rctl follow in a second one, once the start is verified.
        host: Host = ctx.host
        name = inputs["name"]
        want = jail.parse_unit(inputs["epair"]) if inputs.get("epair") else None
        p = _Progress()
        steps = [self._write_step(inputs, want, create=True)]
        if inputs.get("startAtBoot", True):
            steps.append(_Step("boot", jail.boot_enable(name)))
        running = inputs.get("running", True)
        rules = self._rctl_steps(name, [], inputs.get("rctl") or [])
        steps += self._start_steps(name) if running else rules
        try:
            await self._run(host, inputs, steps, p)
            if running and (inputs.get("cpuset") or rules):
                cpus = [_Step("cpuset", cpuset.set_jail(p.jid, inputs["cpuset"]))] if inputs.get("cpuset") else []
                await self._run(host, inputs, cpus + rules, p)
        except Exception as e:  # noqa: BLE001
            if not p.written and not isinstance(e, _Unsure):
                raise  # refused before anything changed on the host
            raise PartialFailure(str(e), name, self._outputs(inputs, p.unit, p.jid)) from e
        return name, self._outputs(inputs, p.unit, p.jid)

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid, inputs, state):
        host: Host = ctx.host
        name = rid
        declared = dict(inputs or {})
        state = state or {}
        confs, running = await self._confs_and_jls(host)
        text = confs.get(jail.conf_path(name))
        live = running.get(name)
        if text is None and live is None:
            return None
        unit = jail.parse_unit(state.get("hostEpair", "").rstrip("ab") or "") if state.get("hostEpair") else None
        if text is None:
            if inputs is None:
                raise RuntimeError(f"jail {name} runs but has no {jail.conf_path(name)}: it is not a "
                                   f"VnetJail and cannot be imported")
            new = dict(declared)
            new["addresses"] = []  # they live in the (missing) conf file
            new["parameters"] = {**(declared.get("parameters") or {}), UNPARSED: "conf file missing"}
        else:
            try:
                cname, params = jail.parse_conf(text)
                spec = jail.spec_from_params(cname, params)
                if cname != name:
                    raise jail.ConfParseError(f"the conf file defines jail {cname!r}, not {name!r}")
                exact = jail.render_conf(spec) == text
            except jail.ConfParseError as e:
                if inputs is None:
                    raise RuntimeError(f"cannot import jail {name}: {e}") from None
                spec, exact = None, False
            if spec is not None:
                unit = spec.unit
                new = inputs_of(spec)
                if inputs is not None:
                    if declared.get("epair") is None:
                        new["epair"] = None
                    if declared.get("hostname") is None and new["hostname"] == name:
                        new["hostname"] = None
                    if _hooks(new) == _hooks(declared):
                        new["execHooks"] = declared.get("execHooks")
                elif new["hostname"] == name:
                    new["hostname"] = None
            else:
                new = dict(declared)
            if not exact and inputs is not None:
                # drift in a managed jail; an imported jail's hand-written file is adopted as is
                new["parameters"] = {**(new.get("parameters") or {}), UNPARSED: "conf file edited by hand"}
        new["running"] = live is not None
        rc = await read_vars(host, "/etc/rc.conf", None)
        new["startAtBoot"] = name in rc.get("jail_list", "").split() and jail.is_yes(rc.get("jail_enable"))
        jid = None
        if live is not None:
            try:
                jid = int(live.get("jid"))
            except (TypeError, ValueError):
                jid = None
        new["cpuset"] = declared.get("cpuset")
        if declared.get("cpuset") and jid is not None:
            masks = cpuset.parse_get((await host.fact(cpuset.all_jails())).stdout)
            got = masks.get(jid)
            want = cpuset.expand(declared["cpuset"])
            if got is not None and want is not None and got != want:
                new["cpuset"] = cpuset.compress(got)
        new["rctl"] = list(declared.get("rctl") or [])
        if declared.get("rctl") or inputs is None:
            r = await host.fact(rctl.list_all(), check=False)
            if r.exit_code == 0:
                live_rules = rctl.parse_list(r.stdout).get(name, [])
                keep = [x for x in declared.get("rctl") or [] if rctl.normalize(x) in live_rules]
                norm_keep = {rctl.normalize(x) for x in keep}
                new["rctl"] = keep + [x for x in live_rules if x not in norm_keep]
        return new, self._outputs(new, unit, jid)

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, rid, olds, news, state):
        # One exec reads the conf files and jls; one batch then makes the changes (a stop verified
        # before a conf file rewrite, the rc.conf edit, start or stop, cpuset, rctl); after a
        # start, cpuset and rctl follow in a second one.
        host: Host = ctx.host
        name = rid
        he = state.get("hostEpair") or ""
        unit = jail.parse_unit(he[:-1]) if he else None
        want_unit = jail.parse_unit(news["epair"]) if news.get("epair") else unit
        new_spec = jail.render_conf(spec_of(news, want_unit)) if want_unit is not None else None
        confs, jails = await self._confs_and_jls(host)
        conf_changed = new_spec is None or confs.get(jail.conf_path(name)) != new_spec
        is_running = name in jails
        jid = self._jid_of(jails, name)
        p = _Progress(unit=unit, jid=jid)
        steps: list[_Step] = []
        if conf_changed:
            if is_running:
                steps.append(self._stop_step(name, unit))
                is_running, jid = False, None
            steps.append(self._write_step(news, want_unit))
        if news.get("startAtBoot", True) and not olds.get("startAtBoot", True):
            steps.append(_Step("boot", jail.boot_enable(name)))
        elif not news.get("startAtBoot", True) and olds.get("startAtBoot", True):
            steps.append(_Step("boot", jail.boot_disable(name)))
        elif news.get("startAtBoot", True):
            steps.append(_Step("boot", jail.boot_enable(name)))  # idempotent: repairs a word removed by hand
        starting = news.get("running", True) and not is_running
        rules = self._rctl_steps(name, list(olds.get("rctl") or []), list(news.get("rctl") or []))
        if starting:
            steps += self._start_steps(name)
        elif not news.get("running", True) and is_running:
            steps.append(self._stop_step(name, unit))
        elif jid is not None and news.get("cpuset") != olds.get("cpuset"):
            steps.append(_Step("cpuset", cpuset.set_jail(jid, news.get("cpuset") or "all")))
        if not starting:
            steps += rules
        try:
            await self._run(host, news, steps, p)
            if starting and (news.get("cpuset") or rules):
                cpus = [_Step("cpuset", cpuset.set_jail(p.jid, news["cpuset"]))] if news.get("cpuset") else []
                await self._run(host, news, cpus + rules, p)
        except Exception as e:  # noqa: BLE001
            raise PartialFailure(str(e), name, self._outputs(news, p.unit, p.jid)) from e
        return self._outputs(news, p.unit, p.jid)

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid, inputs, state):
        # One exec: the verified stop (refused when the jail runs without its conf file) and the
        # epair left behind, the conf file, the console log, jail_list, the rctl rules.
        host: Host = ctx.host
        name = rid
        he = state.get("hostEpair") or ""
        unit = jail.parse_unit(he[:-1]) if he else None
        if unit is None:
            # no epair in the state (e.g. an interrupted create): the conf file names it
            text = (await self._confs(host)).get(jail.conf_path(name))
            if text is not None:
                try:
                    unit = jail.spec_from_params(*jail.parse_conf(text)).unit
                except jail.ConfParseError:
                    pass
        steps = [self._stop_step(name, unit, conf=jail.conf_path(name)),
                 _Step("rm", common.locked(common.remove_file(jail.conf_path(name)))),
                 _Step("rm", common.remove_file(jail.consolelog_path(name))),
                 _Step("boot", jail.boot_disable(name))]
        if inputs.get("rctl"):
            steps.append(_Step("rctl-clear", rctl.remove(name)))
        await self._run(host, {**inputs, "name": name}, steps, _Progress(unit=unit))
