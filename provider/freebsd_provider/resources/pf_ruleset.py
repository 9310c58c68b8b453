"""PfRuleset: pf.conf text (or an anchor's rules), validated on the host, loaded, enabled, persisted.

Apply (create/update): the text goes to ``PATH.pulumi-new`` (content on stdin), ``pfctl -nf``
checks it there — when pfctl rejects it the operation fails with pfctl's message and neither
the running rules nor PATH change — then it is moved onto PATH, pf.ko is loaded if needed, the
rules are loaded by :meth:`PfRuleset._load` and pf is enabled and persisted.

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

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, kld, pfctl, sysrc
from ..hostctx import Host
from ..ssh import CommandError
from .base import Failure, Resource, field
from .sysrc import read_vars

# root:wheel by number (wheel is gid 0 on FreeBSD)
OWNER = "0:0"
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
        default=20)


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
# A host-side timer: after $4 seconds, unless the confirmation file exists, put the previous
# rules file back (or remove the new one), reload it (or flush), and disable pf again if it was
# off. Values travel as positional parameters; the script text is constant.
_TIMER_SCRIPT = r"""
path=$1 rb=$2 ok=$3 t=$4 anchor=$5 wasenabled=$6 hadfile=$7
sleep "$t"
if [ -e "$ok" ]; then rm -f "$ok" "$rb"; exit 0; fi
if [ "$hadfile" = 1 ]; then mv -f "$rb" "$path"; else rm -f "$path" "$rb"; fi
if [ -n "$anchor" ]; then
  if [ -e "$path" ]; then /sbin/pfctl -a "$anchor" -f "$path"; else /sbin/pfctl -a "$anchor" -F all; fi
else
  if [ -e "$path" ]; then /sbin/pfctl -f "$path"; else /sbin/pfctl -F all; fi
  [ "$wasenabled" = 1 ] || /sbin/pfctl -d
fi
echo "pulumi-freebsd: PF rules in $path rolled back (not confirmed)" > /dev/console 2>/dev/null
exit 0
"""
# Start the timer detached from the SSH session; print whether PATH existed, and the timer's pid.
_ARM_SCRIPT = r"""
path=$2 rb=$3 hadfile=0
if [ -e "$path" ]; then cp -p "$path" "$rb" || exit 1; hadfile=1; fi
nohup /bin/sh -c "$1" sh "$path" "$rb" "$4" "$5" "$6" "$7" "$hadfile" </dev/null >/dev/null 2>&1 &
echo "$hadfile $!"
"""


class _Guard:
    """The armed rollback timer of one apply."""

    def __init__(self, path: str, anchor: Optional[str], was_enabled: bool, had_file: bool, pid: str,
                 seconds: int, confirm_file: str):
        self.path, self.anchor, self.was_enabled, self.had_file = path, anchor, was_enabled, had_file
        self.pid, self.seconds, self.confirm_file = pid, seconds, confirm_file
        self.rollback = path + ".pulumi-rollback"

    def _timer_args(self, seconds: int, confirm_file: str) -> list[str]:
        return [self.path, self.rollback, confirm_file, str(seconds), self.anchor or "",
                "1" if self.was_enabled else "0", "1" if self.had_file else "0"]

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
        # confirmed: stop the timer now and clean up (over the existing connection)
        await host.run(["/bin/kill", self.pid], check=False)
        await host.run(["/bin/rm", "-f", self.confirm_file, self.rollback], check=False)

    async def rollback_now(self, host: Host) -> None:
        """Loading failed half-way: stop the timer and restore the previous state at once."""
        await host.run(["/bin/kill", self.pid], check=False)
        await host.run(["/bin/sh", "-c", _TIMER_SCRIPT, "sh", *self._timer_args(0, "/nonexistent/confirm")],
                       check=False)


async def pfctl_guard_arm(host: Host, path: str, anchor: Optional[str], was_enabled: bool,
                          seconds: int) -> _Guard:
    import secrets
    confirm_file = f"/var/run/pulumi-freebsd.pf-confirm.{secrets.token_hex(8)}"
    g = _Guard(path, anchor, was_enabled, False, "", seconds, confirm_file)
    res = await host.run(["/bin/sh", "-c", _ARM_SCRIPT, "sh", _TIMER_SCRIPT, path, g.rollback, confirm_file,
                          str(seconds), anchor or "", "1" if was_enabled else "0"])
    had, _, pid = res.stdout.strip().splitlines()[-1].partition(" ")
    g.had_file, g.pid = had == "1", pid
    return g


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
        "flushes its rules."
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

    async def _load(self, host: Host, path: str, anchor: Optional[str]) -> None:
        """Make the rules in PATH the running ones. The PF lockout guard (issue 6) wraps this."""
        await host.run(pfctl.load(path, anchor))

    async def _enable(self, host: Host) -> None:
        res = await host.run(pfctl.enable(), check=False)
        if res.exit_code != 0 and not pfctl.is_already_enabled(res.stderr):
            raise CommandError(res)

    async def _disable(self, host: Host) -> None:
        res = await host.run(pfctl.disable(), check=False)
        if res.exit_code != 0 and not pfctl.is_not_enabled(res.stderr) and not pfctl.is_not_loaded(res.stderr):
            raise CommandError(res)

    async def _set_rc(self, host: Host, name: str, value: Optional[str]) -> None:
        if value is not None:
            await host.run(sysrc.set_value(name, value))
            return
        res = await host.run(sysrc.delete(name), check=False)
        if res.exit_code != 0 and not sysrc.is_unknown_variable(res.stderr):
            raise CommandError(res)

    async def _write_checked(self, host: Host, rules: str, path: str, anchor: Optional[str]) -> str:
        """Write the text beside PATH and let pfctl -nf judge it; return the temp file's path."""
        tmp = path + ".pulumi-new"
        await host.run(common.write_file(tmp, "0644", OWNER), stdin=rules)
        res = await host.run(pfctl.check_file(tmp, anchor), check=False)
        if res.exit_code != 0:
            await host.run(common.remove_file(tmp), check=False)
            msg = (res.stderr.strip() or res.stdout.strip()).replace(tmp, path)
            raise RuntimeError(f"pfctl rejected the rules (nothing was changed: the running rules "
                               f"and {path} are untouched):\n{msg}")
        return tmp

    async def _apply(self, host: Host, inputs: dict[str, Any], *, write: bool = True) -> None:
        path, anchor = inputs["path"], inputs.get("anchor")
        tmp = await self._write_checked(host, inputs["rules"], path, anchor) if write else None
        if not await self._module_loaded(host):
            await host.run(kld.load("pf"))
        enable = bool(inputs.get("enable", True))
        was_enabled = await self._enabled(host)
        guard = await pfctl_guard_arm(host, path, anchor, was_enabled,
                                      int(inputs.get("rollbackSeconds") or 20))
        try:
            if tmp:
                await host.run(["/bin/mv", "-f", tmp, path])
            await self._load(host, path, anchor)
            if enable:
                await self._enable(host)
        except BaseException:
            await guard.rollback_now(host)
            raise
        await guard.confirm(host)
        if enable:
            if not anchor:
                rc = await read_vars(host, sysrc.RC_CONF, None)
                if (rc.get("pf_enable") or "").upper() != "YES":
                    await host.run(sysrc.set_value("pf_enable", "YES"))
                if rc.get("pf_rules") != path:
                    await host.run(sysrc.set_value("pf_rules", path))

    async def _outputs(self, host: Host, inputs: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        out = dict(inputs)
        for k in ("previousExisted", "previousContent", "previousPfEnable", "previousPfRules",
                  "previousEnabled", "previousModuleLoaded"):
            out[k] = state.get(k)
        out["previousExisted"] = bool(out["previousExisted"])
        out["previousEnabled"] = bool(out["previousEnabled"])
        out["previousModuleLoaded"] = bool(out["previousModuleLoaded"])
        out["loadedRules"] = (await self._loaded(host, inputs.get("anchor")))[0]
        return out

    # -- lifecycle ------------------------------------------------------------------------
    async def create(self, ctx, inputs):
        host: Host = ctx.host
        path, anchor = inputs["path"], inputs.get("anchor")
        prev = await self._file(host, path)
        rc = await read_vars(host, sysrc.RC_CONF, None)
        state = {
            "previousExisted": prev is not None, "previousContent": prev,
            "previousPfEnable": rc.get("pf_enable"), "previousPfRules": rc.get("pf_rules"),
            "previousEnabled": await self._enabled(host),
            "previousModuleLoaded": await self._module_loaded(host),
        }
        await self._apply(host, inputs)
        return make_id(anchor, path), await self._outputs(host, inputs, state)

    async def read(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        anchor, path = parse_id(resource_id)
        err = pfctl.path_error(path) or (pfctl.anchor_error(anchor) if anchor else None)
        if err:
            raise ValueError(f"invalid PfRuleset id {resource_id!r}: {err}")
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
        out = dict(new_inputs)
        for k in ("previousExisted", "previousContent", "previousPfEnable", "previousPfRules",
                  "previousEnabled", "previousModuleLoaded"):
            out[k] = (state or {}).get(k)
        out["loadedRules"] = loaded_text
        return new_inputs, out

    async def update(self, ctx, resource_id, olds, news, state):
        host: Host = ctx.host
        await self._apply(host, news)
        if olds.get("enable", True) and not news.get("enable", True):
            await self._restore_enable(host, news.get("anchor"), state)
        return await self._outputs(host, news, state)

    async def _restore_enable(self, host: Host, anchor: Optional[str], state: dict[str, Any]) -> None:
        if anchor:
            return
        await self._set_rc(host, "pf_enable", state.get("previousPfEnable"))
        await self._set_rc(host, "pf_rules", state.get("previousPfRules"))
        if not state.get("previousEnabled"):
            await self._disable(host)

    async def delete(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        anchor, path = parse_id(resource_id)
        module = await self._module_loaded(host)
        if state.get("previousExisted") and state.get("previousContent") is not None:
            await host.run(common.write_file(path, "0644", OWNER), stdin=state["previousContent"])
            if module:
                if anchor:
                    for what in ("rules", "nat", "Tables"):
                        await host.run(pfctl.flush(what, anchor), check=False)
                res = await host.run(pfctl.load(path, anchor), check=False)
                if res.exit_code != 0:
                    await host.log(f"the previous {path} was written back but pfctl did not load "
                                   f"it: {res.stderr.strip()}", "warning")
        else:
            await host.run(common.remove_file(path))
            if module:
                if anchor:
                    for what in ("rules", "nat", "Tables"):
                        await host.run(pfctl.flush(what, anchor), check=False)
                elif state.get("previousEnabled"):
                    await host.run(pfctl.flush("rules"))
                    await host.run(pfctl.flush("nat"))
                else:
                    await self._disable(host)
                    await host.run(pfctl.flush("all"))
        if not anchor:
            if inputs.get("enable", True):
                await self._restore_enable(host, anchor, state)
            if module and not state.get("previousModuleLoaded", True):
                st = kld.parse_stat((await host.fact(kld.stat_verbose())).stdout)
                if st.file("pf") is not None:
                    res = await host.run(kld.unload("pf"), check=False)
                    if res.exit_code != 0 and not kld.is_not_loaded(res.stderr):
                        await host.log(f"pf.ko stays loaded: {res.stderr.strip()}", "warning")
