"""PfRuleset: pf.conf text (or an anchor's rules), validated on the host, loaded, enabled, persisted.

Apply (create/update, :meth:`PfRuleset._apply`): the text goes to ``PATH.pulumi-new`` (content
on stdin), ``pfctl -nf`` checks it there — when pfctl rejects it the operation fails with
pfctl's message and neither the running rules nor PATH change — then pf.ko is loaded if needed,
the new file is moved onto PATH, the rules are loaded (``pfctl -f``) and pf is enabled and
persisted. Each stage is a list of steps sent in one exec: over a WAN each exec is a round trip.

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
import dataclasses
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from .. import wire
from ..errors import (CommandFailed, ModuleNotLoaded, NoSuchFile, PfAlreadyEnabled, PfNotEnabled,
                      ProviderError, UnknownVariable, result_is)
from ..host import common, facts, kld, pfctl, sysrc
from ..host.steps import ANSWER, Step, StepResults, read, steps_of
from ..hostctx import Host
from . import journaling
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import Failure, Resource, field, load

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
        "place (file rewritten, rules reloaded).", check=pfctl.rules_error)
    path: str = field("File holding the rules. Changing it replaces the resource. With "
                      "`anchor` set, choose another file, e.g. `/etc/pf.anchors/jails`.",
                      default=pfctl.PF_CONF, replace=True, check=pfctl.path_error)
    anchor: Optional[str] = field(
        "Load the rules into this anchor (`pfctl -a ANCHOR -f PATH`) instead of the main "
        "ruleset; the main ruleset must reference it (`anchor \"ANCHOR\"`). rc.conf is not "
        "touched for an anchor. Changing it replaces the resource.", default=None, replace=True,
        check=pfctl.anchor_error)
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

    def __init__(self, path: str, anchor: Optional[str], was_enabled: bool, seconds: int):
        self.path, self.anchor, self.was_enabled, self.seconds = path, anchor, was_enabled, seconds
        self.confirm_file = f"{pfctl.CONFIRM_PREFIX}{secrets.token_hex(8)}"
        self.had_file, self.pid = False, ""

    def arm_step(self) -> Step:
        return Step(pfctl.guard_arm(self.path, self.confirm_file, self.seconds, self.anchor,
                                    self.was_enabled), "arm")

    def armed(self, arm_stdout: str) -> None:
        self.had_file, self.pid = pfctl.parse_guard_arm(arm_stdout)

    def disarm_steps(self) -> list[Step]:
        """After the confirmation: stop the timer now and clean up (failures do not matter: the
        timer, finding the confirmation file, cleans up by itself)."""
        return [Step(pfctl.guard_kill(self.pid), "disarm", ANSWER),
                Step(pfctl.guard_cleanup(self.path, self.confirm_file, self.anchor), "cleanup", ANSWER)]

    async def confirm(self, host: Host) -> None:
        """Confirm over a NEW SSH connection; on failure wait for the timer and report."""
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

    async def abort(self, host: Host, e: BaseException, done: StepResults) -> None:
        """Loading failed: when the timer was armed, stop it and restore the previous state at
        once (one exec). Not armed: nothing was moved or loaded. A lost connection: the armed
        timer rolls back by itself after ``seconds``, as no confirmation comes."""
        if done.ok("arm"):
            self.armed(done["arm"].stdout)
        elif isinstance(e, CommandFailed) and e.shell_died:
            # the shell died half-way: its output shows whether the timer was armed
            try:
                self.armed(e.result.stdout)
            except ValueError:
                return
        else:
            return
        await host.run_steps([
            Step(pfctl.guard_kill(self.pid), "disarm", ANSWER),
            Step(pfctl.guard_rollback(self.path, self.anchor, self.was_enabled, self.had_file),
                 "rollback", ANSWER)])


def _text(lines: Optional[list[str]]) -> str:
    """``pfctl -s rules`` text from the loaded lines (empty when pf.ko is not loaded)."""
    return "".join(ln + "\n" for ln in lines or [])


def _never_matching(lines: list[str], ifaces: Any, pfil: Any, preview: bool = False) -> list[str]:
    """pfctl.never_matching on the host's interfaces and if_bridge's pfil switches (none when
    either read failed: a warning is never worth failing the operation)."""
    if ifaces is None or pfil is None:
        return []
    return pfctl.never_matching(lines, ifaces, pfil, preview=preview)


def _value(f: Any, res: Any) -> Any:
    """A fact's value from a read step's result; None when the read failed (warnings only)."""
    try:
        return f.parse(res) if res is not None else None
    except (CommandFailed, ValueError):
        return None


async def _warn(ctx: Any, warnings: Sequence[str]) -> None:
    for w in warnings:
        await ctx.warn(w)


_PREVIOUS = ("previous_existed", "previous_content", "previous_pf_enable", "previous_pf_rules",
             "previous_enabled", "previous_module_loaded")


def _before_interrupted_create(ctx, st: "PfRulesetState") -> None:
    """When this create retries one that was killed (its journal record is there, its rules are
    not: the rollback timer put the previous ones back), what was there before is what that one
    found, not what it left (pf.ko loaded, ...)."""
    pr = journaling.prior(ctx)
    if pr and "previousModuleLoaded" in pr:
        old = load(PfRulesetState, pr)
        for k in _PREVIOUS:
            setattr(st, k, getattr(old, k))


def _settle(path: str, anchor: Optional[str], seconds: Optional[int]):
    """The wait for the rollback timer of an apply that was killed before it confirmed (it rolls
    back within its seconds), read first: what is read after it is what stays."""
    return pfctl.rollback_settled(path, anchor, int(seconds or ROLLBACK_SECONDS) + 10)


def _require_settled(settled: bool, path: str) -> None:
    if not settled:
        raise RuntimeError(f"a PF rollback timer for {path} armed by an earlier apply is still "
                           f"pending; retry when it has run")


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
    crash_note = (
        "The rules are exactly your text, so no marker comment is added: the resource's journal "
        "record " + JOURNAL + " keeps pf's state from before the first attempt (module, on/off, "
        "rc.conf values, the previous file). A kill between arming the rollback timer and "
        "confirming leaves the timer to put the previous rules back (the host stays reachable); "
        "the next apply waits for a pending timer before it reads or loads anything, then loads "
        "the rules again.")
    import_id = "the rules file, e.g. `/etc/pf.conf`, or `ANCHOR:PATH` for an anchor"
    example = {"rules": "ext_if = \"vtnet0\"\nset skip on lo0\nblock in log all\npass out all keep state\npass in on $ext_if proto tcp to any port 22\n", "path": "/etc/pf.conf"}

    # -- check ----------------------------------------------------------------------------
    def validate(self, a: PfRulesetArgs) -> list[Failure]:
        if a.anchor is None or wire.is_unknown(a.anchor) or wire.is_unknown(a.path):
            return []
        if a.path == pfctl.PF_CONF:
            return [Failure("path", f"an anchor's rules need their own file, not "
                                    f"{pfctl.PF_CONF}: set path, e.g. {pfctl.ANCHOR_DIR}"
                                    f"{a.anchor.replace('/', '_')}.conf")]
        return []

    # -- steps ----------------------------------------------------------------------------
    @staticmethod
    def _set_rc(name: str, value: Optional[str]) -> Step:
        """Set an rc.conf variable back to ``value``, or remove it (already unset is fine)."""
        if value is not None:
            return Step(sysrc.set_value(name, value), f"restore {name}")
        return Step(sysrc.delete(name), f"restore {name}", tolerate=(UnknownVariable,))

    def _restore_steps(self, anchor: Optional[str], state: PfRulesetState, *,
                       disabled: bool = False) -> list[Step]:
        """pf_enable, pf_rules and pf's on/off state as they were before the resource
        (``disabled``: pf was just disabled by the same sequence, no need to ask again)."""
        if anchor:
            return []
        steps = [self._set_rc("pf_enable", state.previous_pf_enable),
                 self._set_rc("pf_rules", state.previous_pf_rules)]
        if not state.previous_enabled and not disabled:
            steps.append(Step(pfctl.disable(), "disable", tolerate=(PfNotEnabled, ModuleNotLoaded)))
        return steps

    async def _apply(self, ctx, a: PfRulesetArgs, st: PfRulesetState, *, record: bool = False,
                     after: Sequence[Step] = (),
                     partial: Optional[Callable[[StepResults], Optional[tuple]]] = None) -> tuple[str, list[str]]:
        """Write, check, load (under the lockout guard), enable and persist the rules; return what
        pf runs now (``pfctl -s rules``) and warnings about loaded rules that can never match.

        Three execs and the confirmation, in this order:
          1. the text to PATH.pulumi-new (content on stdin), [``record``: PATH and ``kldstat -v``
             as they are], ``pfctl -nf`` of the new file (when pfctl rejects it the exec stops
             there: nothing changed), ``kldload -n pf``, ``pfctl -s info``, [``sysrc -a`` of
             rc.conf];
          2. arm the rollback timer, move the new file onto PATH, ``pfctl -f``, ``pfctl -e``
             (a failure after arming rolls back at once);
          -  the confirmation over a NEW SSH connection (else the timer rolls back);
          3. stop the timer and clean up, the rc.conf edits (under the host lock), ``after``, and
             the reads for the outputs and the warnings.
        ``record`` (create) fills the previous* fields of ``st``: what was there before.
        ``partial`` records the resource when the last exec fails (the new rules are confirmed
        and stay loaded then).
        """
        host: Host = ctx.host
        path, anchor = a.path, a.anchor
        persist = a.enable and not anchor
        tmp = path + ".pulumi-new"
        rc_fact, file_fact, info_fact = facts.rc_vars(), facts.file_text(path), facts.pf_enabled()

        # a timer an apply killed before its confirmation left (waited for by the read before
        # a create; an update's comes here)
        steps = [Step(list(_settle(path, anchor, a.rollback_seconds).argv), "settled", mutates=False),
                 Step(common.write_file(tmp, "0644", OWNER), "write", stdin=a.rules)]
        if record:
            steps += [Step(list(file_fact.argv), "previous", mutates=False),
                      Step(kld.stat_verbose(), "kldstat", mutates=False)]
        steps.append(Step(pfctl.check_file(tmp, anchor), "check", mutates=False))
        if record or persist:
            steps.append(Step(list(rc_fact.argv), "rc", tolerate=(NoSuchFile,), mutates=False))
        # last (its failure ends the exec): without pf.ko, pf is off. `pfctl -n` needs no pf.ko;
        # it is loaded with the rules, in the exec that starts with the journal record of the
        # state before.
        steps.append(Step(list(info_fact.argv), "info", tolerate=(ModuleNotLoaded,), mutates=False))
        try:
            done = await self.apply(ctx, steps)
            was_enabled = info_fact.parse(done["info"])
            rc = rc_fact.parse(done["rc"]) if "rc" in done else {}
            if record:
                prev = file_fact.parse(done["previous"])
                st.previous_existed, st.previous_content = prev is not None, prev
                st.previous_pf_enable, st.previous_pf_rules = rc.get("pf_enable"), rc.get("pf_rules")
                st.previous_enabled = was_enabled
                st.previous_module_loaded = facts.kldstat().parse(done["kldstat"]).is_loaded("pf")
                _before_interrupted_create(ctx, st)
        except (ProviderError, ValueError) as e:
            await self.apply(ctx, [Step(common.remove_file(tmp), "discard", ANSWER)])
            res = steps_of(e).get("check")
            if res is None or res.exit_code == 0:
                raise
            msg = (res.stderr.strip() or res.stdout.strip()).replace(tmp, path)
            raise RuntimeError(f"pfctl rejected the rules (nothing was changed: the running rules "
                               f"and {path} are untouched):\n{msg}") from None

        guard = _Guard(path, anchor, was_enabled, int(a.rollback_seconds or ROLLBACK_SECONDS))
        loading = [Step(kld.load("pf"), "kldload"), guard.arm_step(), Step(["/bin/mv", "-f", tmp, path], "move"),
                   Step(pfctl.load(path, anchor), "load")]
        if a.enable:
            loading.append(Step(pfctl.enable(), "enable", tolerate=(PfAlreadyEnabled,)))
        done = StepResults()
        try:
            await self.apply(ctx, loading, done=done, journal=partial)
        except ProviderError as e:
            await guard.abort(host, e, done)
            raise
        guard.armed(done["arm"].stdout)
        await guard.confirm(host)

        steps = guard.disarm_steps()
        if persist:
            if (rc.get("pf_enable") or "").upper() != "YES":
                steps.append(Step(sysrc.set_value("pf_enable", "YES"), "persist pf_enable"))
            if rc.get("pf_rules") != path:
                steps.append(Step(sysrc.set_value("pf_rules", path), "persist pf_rules"))
        steps += after
        rules_fact, nat_fact = facts.pf_loaded("rules", anchor), facts.pf_loaded("nat", anchor)
        ifaces_fact, pfil_fact = facts.interfaces(), pfctl.bridge_pfil()
        steps += [Step(list(rules_fact.argv), "rules", tolerate=(ModuleNotLoaded,), primes=rules_fact,
                       mutates=False),
                  Step(list(nat_fact.argv), "nat", tolerate=(ModuleNotLoaded,), primes=nat_fact,
                       mutates=False),
                  # the interfaces and if_bridge's pfil switches, read with the loaded rules: a
                  # rule that can never match on the host as it is now is worth a warning
                  read(list(ifaces_fact.argv), "ifaces", primes=ifaces_fact),
                  read(list(pfil_fact.argv), "pfil", primes=pfil_fact)]
        done = await self.apply(ctx, steps, partial=partial)
        filt, nat = rules_fact.parse(done["rules"]), nat_fact.parse(done["nat"])
        warnings = _never_matching(pfctl.rule_lines(_text(filt)) + pfctl.rule_lines(_text(nat)),
                                   _value(ifaces_fact, done.get("ifaces")),
                                   _value(pfil_fact, done.get("pfil")))
        return _text(filt), warnings

    # -- lifecycle ------------------------------------------------------------------------
    async def preview_warnings(self, ctx, a: PfRulesetArgs) -> list[str]:
        """Preview of a create or an update: the declared rules as pfctl parses them
        (``pfctl -nvf -``, nothing loaded), checked against the interfaces and if_bridge's pfil
        switches of the host as it is (one round trip: the two reads run concurrently)."""
        host: Host = ctx.host
        if not isinstance(a.rules, str) or wire.is_unknown(a.rules) or wire.is_unknown(a.anchor):
            return []

        async def bridging() -> tuple[Any, Any]:
            try:
                return tuple(await host.get_many(facts.interfaces(), pfctl.bridge_pfil()))
            except (CommandFailed, ValueError):
                return None, None

        (ifaces, pfil), done = await asyncio.gather(bridging(), host.run_steps([
            Step(pfctl.parsed_stdin(a.anchor), "parsed", ANSWER, stdin=a.rules, mutates=False)]))
        parsed = done["parsed"]
        if parsed.exit_code != 0:
            return []  # the apply reports pfctl's own error
        filt, nat = pfctl.split_parsed(parsed.stdout)
        return _never_matching(filt + nat, ifaces, pfil, preview=True)

    async def create(self, ctx, a: PfRulesetArgs):
        rid = make_id(a.anchor, a.path)
        st = PfRulesetState()
        settled, = await self.before(ctx, _settle(a.path, a.anchor, a.rollback_seconds))  # + the journal
        _require_settled(settled, a.path)

        def partial(done: StepResults):
            # the rules are loaded and confirmed (the timer does not roll them back) but rc.conf
            # may not say so yet: record the resource, so the next `up` finishes it and
            # `destroy` restores what was there before
            return (rid, self.outputs(a, st),
                    f"the PF rules in {a.path} were loaded but the apply did not finish")

        st.loaded_rules, warnings = await self._apply(ctx, a, st, record=True, partial=partial)
        await _warn(ctx, warnings)
        return rid, st

    async def read(self, ctx, resource_id, a: Optional[PfRulesetArgs], state: Optional[PfRulesetState]):
        anchor, path = parse_id(resource_id)
        err = pfctl.path_error(path) or (pfctl.anchor_error(anchor) if anchor else None)
        if err:
            raise ValueError(f"invalid PfRuleset id {resource_id!r}: {err}")
        # first in the same exec: a pending rollback timer (an apply killed before it confirmed)
        # lands before the others are read
        settled, content, filt, nat, parsed, enabled, rc = await ctx.host.get_many(
            _settle(path, anchor, a.rollback_seconds if a is not None else None), facts.file_text(path), facts.pf_loaded("rules", anchor), facts.pf_loaded("nat", anchor),
            pfctl.parsed_file(path, anchor), facts.pf_enabled(), facts.rc_vars())
        _require_settled(settled, path)
        if a is None and content is None:
            return None
        loaded_text = _text(filt)
        lf, ln = pfctl.rule_lines(loaded_text), pfctl.rule_lines(_text(nat))
        if content is None and not lf and not ln:
            return None  # no file and nothing loaded: gone (a file removed by hand while its
            # rules still run is drift instead: `rules` reads as empty)
        rules = content if content is not None else ""
        if content is not None and (parsed is None or parsed != (lf, ln)):
            rules = DRIFT_NOTE + rules
        if not anchor:
            enabled = enabled and (rc.get("pf_enable") or "").upper() == "YES" and \
                rc.get("pf_rules", pfctl.PF_CONF) == path
        if a is None:
            # an imported ruleset was not made by this stack: nothing to restore but the module
            return (PfRulesetArgs(rules=rules, path=path, anchor=anchor, enable=enabled),
                    PfRulesetState(loaded_rules=loaded_text, previous_module_loaded=True))
        args = dataclasses.replace(a, rules=rules, path=path, anchor=anchor or a.anchor,
                                   enable=enabled if a.enable else a.enable)
        st = dataclasses.replace(state or PfRulesetState(), loaded_rules=loaded_text)
        return args, st

    async def update(self, ctx, resource_id, olds: PfRulesetArgs, news: PfRulesetArgs,
                     state: PfRulesetState):
        after: list[Step] = []
        if olds.enable and not news.enable:
            after = self._restore_steps(news.anchor, state)
        # No partial record: a failure before the confirmation is rolled back, and after it the
        # recorded (old) inputs still differ from the declared ones, so the next `up` applies
        # again (recording the new inputs would skip the rc.conf restore of `enable` turned off).
        state.loaded_rules, warnings = await self._apply(ctx, news, state, after=after)
        await _warn(ctx, warnings)
        return state

    async def delete(self, ctx, resource_id, a: PfRulesetArgs, state: PfRulesetState):
        """kldstat (a shared fact), then one exec (the previous file, when there was one, on its
        stdin)."""
        host: Host = ctx.host
        anchor, path = parse_id(resource_id)
        module = (await host.get(facts.kldstat())).is_loaded("pf")
        flushes = [Step(pfctl.flush(what, anchor), f"flush {what}", ANSWER) for what in ("rules", "nat", "Tables")]
        steps: list[Step] = []
        disabled = False
        if state.previous_existed and state.previous_content is not None:
            steps.append(Step(common.write_file(path, "0644", OWNER), "write", stdin=state.previous_content))
            if module:
                if anchor:
                    steps += flushes
                steps.append(Step(pfctl.load(path, anchor), "reload", ANSWER))
        else:
            steps.append(Step(common.remove_file(path), "remove"))
            if module:
                if anchor:
                    steps += flushes
                elif state.previous_enabled:
                    steps += [Step(pfctl.flush("rules"), "flush rules"), Step(pfctl.flush("nat"), "flush nat")]
                else:
                    steps += [Step(pfctl.disable(), "disable", tolerate=(PfNotEnabled, ModuleNotLoaded)),
                              Step(pfctl.flush("all"), "flush all")]
                    disabled = True
        if not anchor:
            if a.enable:
                steps += self._restore_steps(anchor, state, disabled=disabled)
            if module and not state.previous_module_loaded:
                # pf.ko not loaded as a file (any more): kldunload's ModuleNotLoaded, fine
                steps.append(Step(kld.unload("pf"), "unload", ANSWER))
        done = await self.apply(ctx, steps)
        res = done.get("reload")
        if res is not None and res.exit_code != 0:
            await host.log(f"the previous {path} was written back but pfctl did not load "
                           f"it: {res.stderr.strip()}", "warning")
        res = done.get("unload")
        if res is not None and res.exit_code != 0 and not result_is(res, ModuleNotLoaded):
            await host.log(f"pf.ko stays loaded: {res.stderr.strip()}", "warning")
