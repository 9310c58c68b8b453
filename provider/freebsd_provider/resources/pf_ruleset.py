"""PfRuleset: pf.conf text (or an anchor's rules), validated on the host, loaded, enabled, persisted.

Apply (create/update, :meth:`PfRuleset._apply`): the text goes to ``PATH.pulumi-new`` (content
on stdin), ``pfctl -nf`` checks it there — when pfctl rejects it the operation fails with
pfctl's message and neither the running rules nor PATH change — then pf.ko is loaded if needed,
the new file is moved onto PATH, the rules are loaded (``pfctl -f``) and pf is enabled and
persisted. Commands that may run back to back share one exec (``Host.batch``): over a WAN each
exec is a round trip.

Lockout protection: before the new file is moved onto PATH, a host-side timer is armed (with a
copy of the previous PATH); the rules are then loaded and pf enabled, and the provider confirms
over a FRESH SSH connection. If that connection is refused (the rules block the provider's own
SSH), nothing confirms, the timer restores the previous file and rules, and the update fails
with a clear message: the host stays reachable. Established connections survive PF changes (PF
keeps their state), which is why the confirmation must use a new one.

Before the first apply the resource records what was there (previous PATH content, pf_enable
and pf_rules, whether pf was enabled and pf.ko loaded); delete restores exactly that.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from .. import wire
from ..host import common, ifconfig, kld, pfctl, sysrc
from ..hostctx import Host
from ..ssh import CommandError, Result
from .base import Failure, Resource, field
from .sysrc import read_vars, vars_fact, vars_from

# root:wheel by number (wheel is gid 0 on FreeBSD)
OWNER = "0:0"
ROLLBACK_SECONDS = 20
DRIFT_NOTE = ("# pulumi-freebsd: the rules loaded in pf differ from this file "
              "(pfctl -s rules / -s nat vs pfctl -nvf); the next up loads the declared rules\n")


@dataclass
class PfRulesetArgs:
    rules: str = field(
        "pf.conf text, e.g. the tutorial's ruleset (macros like `$ext_if` are fine). Checked "
        "before anything runs: no control characters, at most 256 KiB, no `include` (it would "
        "read other host files) and `load anchor ... from` only for files under "
        "/etc/pf.anchors/. Then validated with `pfctl -nf` on the host: rules pfctl rejects fail "
        "the update and leave the running rules and the file untouched. Changing it updates in "
        "place (file rewritten, rules reloaded).")
    path: str = field("File holding the rules. Changing it replaces the resource. With "
                      "`anchor` set, choose another file, e.g. `/etc/pf.anchors/jails`.",
                      default=pfctl.PF_CONF, replace=True)
    anchor: Optional[str] = field(
        "Load the rules into this anchor (`pfctl -a ANCHOR -f PATH`) instead of the main "
        "ruleset; the main ruleset must reference it (`anchor \"ANCHOR\"`). rc.conf is not "
        "touched for an anchor. Changing it replaces the resource.", default=None, replace=True)
    enable: bool = field(
        "Enable pf (`pfctl -e`) and, for the main ruleset, persist it: `pf_enable=YES` and "
        "`pf_rules=PATH` in /etc/rc.conf. Refresh reports pf disabled (or those variables "
        "changed) as drift. Turning it off restores the previous rc.conf values and pf's "
        "previous on/off state.", default=True)
    rollback_seconds: int = field(
        "Lockout protection: new rules are loaded under a host-side timer that restores the "
        "previous rules (and file) after this many seconds unless the provider confirms them over a "
        "FRESH SSH connection, which only succeeds if the new rules still let it in. When the "
        "confirmation fails the update fails with a clear message and the host stays reachable.",
        default=ROLLBACK_SECONDS)


@dataclass
class PfRulesetState:
    loaded_rules: str = field("The filter rules pf runs now (`pfctl [-a ANCHOR] -s rules`).", default="")
    previous_existed: bool = field("Whether PATH existed before this resource wrote it.", default=False)
    previous_content: Optional[str] = field(
        "PATH's content before this resource wrote it (written back and reloaded on delete).",
        default=None)
    previous_pf_enable: Optional[str] = field("`pf_enable` in /etc/rc.conf before (unset: none).", default=None)
    previous_pf_rules: Optional[str] = field("`pf_rules` in /etc/rc.conf before (unset: none).", default=None)
    previous_enabled: bool = field("Whether pf was enabled before.", default=False)
    previous_module_loaded: bool = field("Whether pf.ko was loaded before.", default=False)


def make_id(anchor: Optional[str], path: str) -> str:
    return f"{anchor}:{path}" if anchor else path


def parse_id(rid: str) -> tuple[Optional[str], str]:
    if rid.startswith("/"):
        return None, rid
    anchor, sep, path = rid.partition(":")
    if not sep:
        raise ValueError(f"invalid PfRuleset id {rid!r}: expected PATH or ANCHOR:PATH, e.g. /etc/pf.conf")
    return anchor, path


# -- lockout protection -------------------------------------------------------------------------
# The host-side timer and its arm script are constants in host/pfctl.py (values travel as
# positional parameters): after N seconds, unless the confirmation file exists, the timer puts the
# previous rules file back (or removes the new one), reloads it (or flushes), and disables pf
# again if it was off.


class _Guard:
    """The armed rollback timer of one apply."""

    def __init__(self, path: str, anchor: Optional[str], was_enabled: bool, had_file: bool, pid: str,
                 seconds: int, confirm_file: str):
        self.path, self.anchor, self.was_enabled, self.had_file = path, anchor, was_enabled, had_file
        self.pid, self.seconds, self.confirm_file = pid, seconds, confirm_file
        self.rollback = pfctl.rollback_file(path)

    @classmethod
    def new(cls, path: str, anchor: Optional[str], was_enabled: bool, seconds: int) -> "_Guard":
        import secrets
        return cls(path, anchor, was_enabled, False, "", seconds,
                   f"{pfctl.CONFIRM_PREFIX}{secrets.token_hex(8)}")

    def arm_argv(self) -> list[str]:
        return pfctl.guard_arm(self.path, self.confirm_file, self.seconds, self.anchor, self.was_enabled)

    def armed(self, arm_stdout: str) -> None:
        self.had_file, self.pid = pfctl.parse_guard_arm(arm_stdout)

    def disarm_steps(self) -> list["_Step"]:
        """After the confirmation: stop the timer now and clean up (failures do not matter: the
        timer, finding the confirmation file, cleans up by itself)."""
        return [_Step(pfctl.guard_kill(self.pid), _any),
                _Step(pfctl.guard_cleanup(self.path, self.confirm_file), _any)]

    async def confirm(self, host: Host) -> None:
        """Confirm over a NEW SSH connection; on failure wait for the timer and report."""
        import asyncio
        try:
            await asyncio.to_thread(host.conn.probe_new, ["/usr/bin/touch", self.confirm_file],
                                    min(10.0, max(2.0, self.seconds / 2)))
        except Exception as e:  # noqa: BLE001
            await asyncio.sleep(self.seconds + 2)
            host.invalidate()
            raise RuntimeError(
                f"the new PF rules would lock the provider out: a new SSH connection to the host was "
                f"refused after loading them ({e}). The host-side timer restored the previous rules and "
                f"{self.path} after {self.seconds}s, so the host stays reachable. Allow SSH (port 22) "
                f"from where Pulumi runs, e.g. `pass in on $ext_if proto tcp to any port 22`.") from None

    async def rollback_now(self, host: Host) -> None:
        """Loading failed half-way: stop the timer and restore the previous state at once (one exec)."""
        await host.batch([pfctl.guard_kill(self.pid),
                          pfctl.guard_rollback(self.path, self.anchor, self.was_enabled, self.had_file)],
                         check=False, keep_going=True)


# -- several commands per exec ------------------------------------------------------------------


@dataclass
class _Step:
    """One command of a sequence; ``ok`` says whether a non-zero exit may be passed over."""
    argv: list[str]
    ok: Optional[Callable[[Result], bool]] = None


def _any(res: Result) -> bool:
    return True


async def _run_steps(host: Host, steps: Sequence[_Step], reads: Sequence[list[str]] = (),
                     *, mutates: bool = True) -> tuple[list[Result], list[Result]]:
    """Run ``steps`` in order, as if one by one, but in as few execs as possible, then ``reads``.

    A batch stops at the first non-zero exit: when that step's ``ok`` accepts the failure, the
    remaining steps go in a new batch; otherwise CommandError with that step's own result (the
    later steps do not run). ``reads`` follow the last step in the same exec; the first read that
    fails ends them (the caller judges the results, which may be fewer than ``reads``).
    Returns (one result per step, the read results).
    """
    done: list[Result] = []
    reads = [list(r) for r in reads]
    while True:
        rest = [list(s.argv) for s in steps[len(done):]]
        if not rest and not reads:
            return done, []
        res = await host.batch(rest + reads, check=False, mutates=mutates)
        for r in res[:len(rest)]:
            step = steps[len(done)]
            done.append(r)
            if r.exit_code != 0:
                if step.ok is None or not step.ok(r):
                    raise CommandError(r)
                break
        else:
            return done, res[len(rest):]


def _not_loaded(res: Result) -> bool:
    return pfctl.is_not_loaded(res.stderr)


def _no_file(res: Result) -> bool:
    return "No such file" in res.stderr or "not found" in res.stderr


def _enable_ok(res: Result) -> bool:
    return pfctl.is_already_enabled(res.stderr)


def _disable_ok(res: Result) -> bool:
    return pfctl.is_not_enabled(res.stderr) or pfctl.is_not_loaded(res.stderr)


def _unset_ok(res: Result) -> bool:
    return sysrc.is_unknown_variable(res.stderr)


def _status(res: Result) -> bool:
    """``pfctl -s info`` → enabled? (pf.ko not loaded: off)."""
    if res.exit_code != 0:
        if pfctl.is_not_loaded(res.stderr):
            return False
        raise CommandError(res)
    return pfctl.parse_status(res.stdout)


def _shown(results: Sequence[Result], wanted: int = 2) -> tuple[str, list[str], list[str]]:
    """(``-s rules`` text, filter lines, nat lines) from the results of ``pfctl -s rules``, ``-s nat``."""
    for r in results:
        if r.exit_code != 0:
            if pfctl.is_not_loaded(r.stderr):
                return "", [], []
            raise CommandError(r)
    if len(results) < wanted:
        raise RuntimeError("pfctl -s rules / -s nat did not run")
    rules, nat = results[0].stdout, results[1].stdout
    return rules, pfctl.rule_lines(rules), pfctl.rule_lines(nat)


def _shows(anchor: Optional[str]) -> list[list[str]]:
    return [pfctl.show("rules", anchor), pfctl.show("nat", anchor)]


def _never_matching(lines: list[str], facts: Sequence[Result], preview: bool = False) -> list[str]:
    """pfctl.never_matching on the results of ``ifconfig -a`` and the pfil sysctls (none when
    either read failed: a warning is never worth failing the operation)."""
    if len(facts) < 2 or any(r.exit_code != 0 for r in facts[:2]):
        return []
    try:
        ifaces = ifconfig.parse_all(facts[0].stdout)
    except ValueError:
        return []
    return pfctl.never_matching(lines, ifaces, facts[1].stdout, preview=preview)


async def _warn(ctx: Any, warnings: Sequence[str]) -> None:
    for w in warnings:
        await ctx.warn(w)


class PfRuleset(Resource):
    token = "freebsd:index:PfRuleset"
    description = (
        "A PF ruleset: pf.conf text written to PATH (default /etc/pf.conf), validated with "
        "`pfctl -nf` on the host before it is loaded (invalid rules fail the update and leave "
        "the running rules untouched), loaded with `pfctl -f` (or into an anchor), enabled "
        "(`pfctl -e`) and persisted (`pf_enable`, `pf_rules`).\n\n"
        "Refresh reports drift when PATH's content differs from the declared text, when the "
        "rules pf runs differ from the file (`pfctl -s rules`/`-s nat` vs `pfctl -nvf PATH`; "
        "shown as a note line added to `rules`), and when pf is disabled. Delete restores what "
        "was there before the resource: the previous file (reloaded), or no file and flushed "
        "rules; the previous rc.conf values; pf disabled and pf.ko unloaded if they were. "
        "Import ID: PATH (or ANCHOR:PATH); delete of an imported ruleset removes the file and "
        "flushes its rules.\n\n"
        "Rules that can never match on the host as it is are reported as warnings on the "
        "resource, at preview (from `pfctl -nvf -` of the new text, `ifconfig -a` and the "
        "bridge's pfil sysctls; nothing is loaded) and after the load: a rule `on` an interface "
        "that does not exist, `on` a bridge without an address of the host while "
        "`net.link.bridge.pfil_bridge=0`, or `on` a bridge member without an address while "
        "`net.link.bridge.pfil_member=0` (FreeBSD 15.0 runs PF on bridged traffic in neither "
        "place by default; see the Sysctl resource)."
    )
    Args = PfRulesetArgs
    State = PfRulesetState
    import_id = "the rules file, e.g. `/etc/pf.conf`, or `ANCHOR:PATH` for an anchor"
    example = {"rules": "ext_if = \"vtnet0\"\nset skip on lo0\nblock in log all\npass out all keep state\npass in on $ext_if proto tcp to any port 22\n", "path": "/etc/pf.conf"}

    # -- check ----------------------------------------------------------------------------
    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []

        def known(v: Any) -> bool:
            return isinstance(v, str) and not wire.is_unknown(v)
        rules = inputs.get("rules")
        if known(rules):
            err = pfctl.rules_error(rules)
            if err:
                f.append(Failure("rules", err))
        path = inputs.get("path")
        if known(path):
            err = pfctl.path_error(path)
            if err:
                f.append(Failure("path", err))
        anchor = inputs.get("anchor")
        if known(anchor):
            err = pfctl.anchor_error(anchor)
            if err:
                f.append(Failure("anchor", err))
            elif known(path) and path == pfctl.PF_CONF:
                f.append(Failure("path", f"an anchor's rules need their own file, not "
                                         f"{pfctl.PF_CONF}: set path, e.g. {pfctl.ANCHOR_DIR}"
                                         f"{anchor.replace('/', '_')}.conf"))
        return f

    # -- host access ----------------------------------------------------------------------
    async def _file(self, host: Host, path: str) -> Optional[str]:
        res = await host.fact(pfctl.read_conf(path))
        return pfctl.parse_read_conf(res.stdout)

    async def _module_loaded(self, host: Host) -> bool:
        res = await host.fact(kld.stat_verbose())
        return kld.parse_stat(res.stdout).is_loaded("pf")

    async def _enabled(self, host: Host) -> bool:
        res = await host.fact(pfctl.show("info"), check=False)
        if res.exit_code != 0:
            if pfctl.is_not_loaded(res.stderr):
                return False
            raise CommandError(res)
        return pfctl.parse_status(res.stdout)

    async def _loaded(self, host: Host, anchor: Optional[str]) -> tuple[str, list[str], list[str]]:
        """(``-s rules`` text, filter lines, nat lines) of what pf runs now."""
        out = {}
        for what in ("rules", "nat"):
            res = await host.fact(pfctl.show(what, anchor), check=False)
            if res.exit_code != 0:
                if pfctl.is_not_loaded(res.stderr):
                    return "", [], []
                raise CommandError(res)
            out[what] = res.stdout
        return out["rules"], pfctl.rule_lines(out["rules"]), pfctl.rule_lines(out["nat"])

    async def _parsed(self, host: Host, path: str, anchor: Optional[str]) -> Optional[tuple[list[str], list[str]]]:
        res = await host.fact(pfctl.parsed_rules(path, anchor), check=False)
        if res.exit_code != 0:
            return None
        return pfctl.split_parsed(res.stdout)

    @staticmethod
    def _set_rc(name: str, value: Optional[str]) -> _Step:
        """Set an rc.conf variable back to ``value``, or remove it (already unset is fine)."""
        if value is not None:
            return _Step(sysrc.set_value(name, value))
        return _Step(sysrc.delete(name), _unset_ok)

    def _restore_steps(self, anchor: Optional[str], state: dict[str, Any], *,
                       disabled: bool = False) -> list[_Step]:
        """pf_enable, pf_rules and pf's on/off state as they were before the resource
        (``disabled``: pf was just disabled by the same sequence, no need to ask again)."""
        if anchor:
            return []
        steps = [self._set_rc("pf_enable", state.get("previousPfEnable")),
                 self._set_rc("pf_rules", state.get("previousPfRules"))]
        if not state.get("previousEnabled") and not disabled:
            steps.append(_Step(pfctl.disable(), _disable_ok))
        return steps

    async def _apply(self, host: Host, inputs: dict[str, Any], *, record: Optional[dict[str, Any]] = None,
                     after: Sequence[_Step] = ()) -> tuple[str, list[str]]:
        """Write, check, load (under the lockout guard), enable and persist the rules; return what
        pf runs now (``pfctl -s rules``) and warnings about loaded rules that can never match.

        Four execs and the confirmation, in this order:
          1. the text to PATH.pulumi-new (content on stdin);
          2. [``record``: PATH and ``kldstat -v`` as they are], ``pfctl -nf`` of the new file (when
             pfctl rejects it the batch stops there: nothing changed), ``kldload -n pf``,
             ``pfctl -s info``, [``sysrc -a`` of rc.conf];
          3. arm the rollback timer, move the new file onto PATH, ``pfctl -f``, ``pfctl -e``
             (a failure after arming rolls back at once);
          -  the confirmation over a NEW SSH connection (else the timer rolls back);
          4. stop the timer and clean up, the rc.conf edits (under the host lock), ``after``, and
             ``pfctl -s rules``/``-s nat`` for the outputs.
        ``record`` (create) receives the previous* fields: what was there before.
        """
        path, anchor = inputs["path"], inputs.get("anchor")
        enable = bool(inputs.get("enable", True))
        persist = enable and not anchor
        tmp = path + ".pulumi-new"
        await host.run(common.write_file(tmp, "0644", OWNER), stdin=inputs["rules"])

        check = pfctl.check_file(tmp, anchor)
        steps: list[_Step] = []
        if record is not None:
            steps += [_Step(pfctl.read_conf(path)), _Step(kld.stat_verbose())]
        steps += [_Step(check), _Step(kld.load("pf")), _Step(pfctl.show("info"), _not_loaded)]
        want_rc = record is not None or persist
        if want_rc:
            steps.append(_Step(sysrc.dump_file(sysrc.RC_CONF), _no_file))
        try:
            res, _ = await _run_steps(host, steps)
            # pf.ko is loaded now but pf is off until enabled: `-s info` tells the state before
            # as well (loading pf.ko does not enable pf)
            was_enabled = _status(res[len(steps) - 2] if want_rc else res[-1])
            rc = vars_from(res[-1]) if want_rc else {}
            if record is not None:
                prev = pfctl.parse_read_conf(res[0].stdout)
                record.update({
                    "previousExisted": prev is not None, "previousContent": prev,
                    "previousPfEnable": rc.get("pf_enable"), "previousPfRules": rc.get("pf_rules"),
                    "previousEnabled": was_enabled,
                    "previousModuleLoaded": kld.parse_stat(res[1].stdout).is_loaded("pf"),
                })
        except CommandError as e:
            await host.run(common.remove_file(tmp), check=False)
            if e.result.argv != check:
                raise
            msg = (e.result.stderr.strip() or e.result.stdout.strip()).replace(tmp, path)
            raise RuntimeError(f"pfctl rejected the rules (nothing was changed: the running rules "
                               f"and {path} are untouched):\n{msg}") from None

        guard = _Guard.new(path, anchor, was_enabled, int(inputs.get("rollbackSeconds") or ROLLBACK_SECONDS))
        argvs = [guard.arm_argv(), ["/bin/mv", "-f", tmp, path], pfctl.load(path, anchor)]
        if enable:
            argvs.append(pfctl.enable())
        try:
            res = await host.batch(argvs, check=False)
        except CommandError as e:
            # the shell died half-way: when its output shows the timer armed, roll back at once.
            # (Lost connection or cancellation: an armed timer rolls back by itself after
            # rollback_seconds, as no confirmation comes.)
            try:
                guard.armed(e.result.stdout)
            except ValueError:
                raise e from None
            await guard.rollback_now(host)
            raise
        if res[0].exit_code != 0:
            raise CommandError(res[0])  # not armed: nothing was moved or loaded
        guard.armed(res[0].stdout)
        last = res[-1]
        if last.exit_code != 0 and not (last.argv == pfctl.enable() and _enable_ok(last)):
            await guard.rollback_now(host)
            raise CommandError(last)
        await guard.confirm(host)

        steps = guard.disarm_steps()
        if persist:
            if (rc.get("pf_enable") or "").upper() != "YES":
                steps.append(_Step(sysrc.set_value("pf_enable", "YES")))
            if rc.get("pf_rules") != path:
                steps.append(_Step(sysrc.set_value("pf_rules", path)))
        steps += after
        # the interfaces and if_bridge's pfil switches, read with the loaded rules: a rule that
        # can never match on the host as it is now is worth a warning
        _, shown = await _run_steps(host, steps, _shows(anchor) + [ifconfig.list_all(),
                                                                 pfctl.bridge_pfil_get()])
        text, filt, nat = _shown(shown)
        return text, _never_matching(filt + nat, shown[2:])

    def _outputs(self, inputs: dict[str, Any], state: dict[str, Any], loaded_rules: str) -> dict[str, Any]:
        out = dict(inputs)
        for k in ("previousExisted", "previousContent", "previousPfEnable", "previousPfRules",
                  "previousEnabled", "previousModuleLoaded"):
            out[k] = state.get(k)
        out["previousExisted"] = bool(out["previousExisted"])
        out["previousEnabled"] = bool(out["previousEnabled"])
        out["previousModuleLoaded"] = bool(out["previousModuleLoaded"])
        out["loadedRules"] = loaded_rules
        return out

    # -- lifecycle ------------------------------------------------------------------------
    async def preview_warnings(self, ctx, news: dict[str, Any]) -> list[str]:
        """Preview of a create or an update: the declared rules as pfctl parses them
        (``pfctl -nvf -``, nothing loaded), checked against the interfaces and if_bridge's pfil
        switches of the host as it is (one round trip: the two reads run concurrently)."""
        host: Host = ctx.host
        rules = news.get("rules")
        if not isinstance(rules, str) or wire.is_unknown(rules):
            return []
        facts, parsed = await asyncio.gather(
            host.facts([ifconfig.list_all(), pfctl.bridge_pfil_get()]),
            host.run(pfctl.parsed_stdin(news.get("anchor")), stdin=rules, check=False,
                     mutates=False))
        if parsed.exit_code != 0:
            return []  # the apply reports pfctl's own error
        filt, nat = pfctl.split_parsed(parsed.stdout)
        return _never_matching(filt + nat, facts, preview=True)

    async def create(self, ctx, inputs):
        host: Host = ctx.host
        state: dict[str, Any] = {}
        loaded, warnings = await self._apply(host, inputs, record=state)
        await _warn(ctx, warnings)
        return make_id(inputs.get("anchor"), inputs["path"]), self._outputs(inputs, state, loaded)

    async def read(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        anchor, path = parse_id(resource_id)
        err = pfctl.path_error(path) or (pfctl.anchor_error(anchor) if anchor else None)
        if err:
            raise ValueError(f"invalid PfRuleset id {resource_id!r}: {err}")
        # everything the read may look at, asked at once (one exec; the reads below hit the cache)
        await host.facts([pfctl.read_conf(path), pfctl.show("rules", anchor), pfctl.show("nat", anchor),
                          pfctl.parsed_rules(path, anchor), pfctl.show("info"), vars_fact(sysrc.RC_CONF, None)])
        content = await self._file(host, path)
        if inputs is None and content is None:
            return None
        loaded_text, lf, ln = await self._loaded(host, anchor)
        if content is None and not lf and not ln:
            return None  # no file and nothing loaded: gone (a file removed by hand while its
            # rules still run is drift instead: `rules` reads as empty)
        rules = content if content is not None else ""
        if content is not None:
            parsed = await self._parsed(host, path, anchor)
            if parsed is None or parsed != (lf, ln):
                rules = DRIFT_NOTE + rules
        enabled = await self._enabled(host)
        if not anchor:
            rc = await read_vars(host, sysrc.RC_CONF, None)
            enabled = enabled and (rc.get("pf_enable") or "").upper() == "YES" and \
                rc.get("pf_rules", pfctl.PF_CONF) == path
        if inputs is None:
            new_inputs: dict[str, Any] = {"rules": rules, "path": path, "enable": enabled}
            state = {"previousExisted": False, "previousContent": None, "previousPfEnable": None,
                     "previousPfRules": None, "previousEnabled": False, "previousModuleLoaded": True}
        else:
            new_inputs = dict(inputs)
            new_inputs["rules"] = rules
            new_inputs["path"] = path
            if inputs.get("enable", True):
                new_inputs["enable"] = enabled
        if anchor:
            new_inputs["anchor"] = anchor
        out = self._outputs(new_inputs, state or {}, loaded_text)
        # not on the host: an imported ruleset's next apply uses the default, as a create does
        out.setdefault("rollbackSeconds", ROLLBACK_SECONDS)
        return new_inputs, out

    async def update(self, ctx, resource_id, olds, news, state):
        host: Host = ctx.host
        after: list[_Step] = []
        if olds.get("enable", True) and not news.get("enable", True):
            after = self._restore_steps(news.get("anchor"), state)
        loaded, warnings = await self._apply(host, news, after=after)
        await _warn(ctx, warnings)
        return self._outputs(news, state, loaded)

    async def delete(self, ctx, resource_id, inputs, state):
        """kldstat (a shared fact), [the previous file written back (stdin)], then one batch."""
        host: Host = ctx.host
        anchor, path = parse_id(resource_id)
        module = await self._module_loaded(host)
        flushes = [_Step(pfctl.flush(what, anchor), _any) for what in ("rules", "nat", "Tables")]
        steps: list[_Step] = []
        reload = unload = None
        disabled = False
        if state.get("previousExisted") and state.get("previousContent") is not None:
            await host.run(common.write_file(path, "0644", OWNER), stdin=state["previousContent"])
            if module:
                if anchor:
                    steps += flushes
                reload = _Step(pfctl.load(path, anchor), _any)
                steps.append(reload)
        else:
            steps.append(_Step(common.remove_file(path)))
            if module:
                if anchor:
                    steps += flushes
                elif state.get("previousEnabled"):
                    steps += [_Step(pfctl.flush("rules")), _Step(pfctl.flush("nat"))]
                else:
                    steps += [_Step(pfctl.disable(), _disable_ok), _Step(pfctl.flush("all"))]
                    disabled = True
        if not anchor:
            if inputs.get("enable", True):
                steps += self._restore_steps(anchor, state, disabled=disabled)
            if module and not state.get("previousModuleLoaded", True):
                # pf.ko not loaded as a file (any more): kldunload says "can't find file", fine
                unload = _Step(kld.unload("pf"), _any)
                steps.append(unload)
        done, _ = await _run_steps(host, steps)
        for step, res in zip(steps, done):
            if step is reload and res.exit_code != 0:
                await host.log(f"the previous {path} was written back but pfctl did not load "
                               f"it: {res.stderr.strip()}", "warning")
            if step is unload and res.exit_code != 0 and not kld.is_not_loaded(res.stderr):
                await host.log(f"pf.ko stays loaded: {res.stderr.strip()}", "warning")
