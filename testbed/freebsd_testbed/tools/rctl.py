"""rctl(8) [SRC usr.bin/rctl/rctl.c]: resource-limit rules (``runtime["rctl"]``, a list of rules).

Needs ``kern.racct.enable=1`` (a loader tunable); otherwise every operation fails with
``rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable``.
Rules print as ``subject:id:resource:action=amount[/per]`` with amounts in bytes (``-h``
humanizes).  ``-u`` shows a subject's usage (jails: computed from the process table).
"""
from __future__ import annotations

import sys
import time

from .. import hoststate, jailctx
from ._common import UsageError, getopt

USAGE = """usage: rctl [ -h ] [-a rule | -l filter | -r filter | -u filter | filter]
"""
SUBJECTS = ("process", "user", "loginclass", "jail")
RESOURCES = ("cputime", "datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked",
             "maxproc", "openfiles", "vmemoryuse", "pseudoterminals", "swapuse", "nthr",
             "msgqqueued", "msgqsize", "nmsgq", "nsem", "nsemop", "nshm", "shmsize", "wallclock",
             "pcpu", "readbps", "writebps", "readiops", "writeiops")
BYTES = {"datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked", "vmemoryuse",
         "swapuse", "msgqsize", "shmsize", "readbps", "writebps"}
SIGNALS = {"sighup", "sigint", "sigquit", "sigill", "sigtrap", "sigabrt", "sigemt", "sigfpe",
           "sigkill", "sigbus", "sigsegv", "sigsys", "sigpipe", "sigalrm", "sigterm", "sigurg",
           "sigstop", "sigtstp", "sigcont", "sigchld", "sigttin", "sigttou", "sigio", "sigxcpu",
           "sigxfsz", "sigvtalrm", "sigprof", "sigwinch", "siginfo", "sigusr1", "sigusr2",
           "sigthr", "siglibrt"}
ACTIONS = {"deny", "log", "devctl", "throttle"} | SIGNALS
SUFFIX = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50, "e": 1 << 60}


class RuleError(Exception):
    pass


def _amount(s: str) -> int:
    if not s:
        raise RuleError
    mult = 1
    if s[-1].lower() in SUFFIX:
        mult = SUFFIX[s[-1].lower()]
        s = s[:-1]
    if not s.isdigit():
        raise RuleError
    return int(s) * mult


def parse_rule(text: str, full: bool) -> list[str]:
    """[subject, id, resource, action, amount, per] (missing trailing fields "")."""
    head, eq, tail = text.partition("=")
    f = head.split(":")
    if len(f) > 4:
        raise RuleError
    f += [""] * (4 - len(f))
    amount, per = "", ""
    if eq:
        a, slash, per = tail.partition("/")
        amount = str(_amount(a))
        if slash and per not in SUBJECTS:
            raise RuleError
    subj, ident, res, act = f
    if subj and subj not in SUBJECTS:
        if subj in ("u", "p", "l", "j"):
            subj = {"u": "user", "p": "process", "l": "loginclass", "j": "jail"}[subj]
        else:
            raise RuleError
    if res and res not in RESOURCES:
        raise RuleError
    if act and act not in ACTIONS:
        raise RuleError
    if full and (not subj or not ident or not res or not act or not eq):
        raise RuleError
    if full and per == subj:
        per = ""
    return [subj, ident, res, act, amount, per]


def fmt_rule(r: list[str], human: bool = False) -> str:
    amt = r[4]
    if human and r[2] in BYTES:
        amt = _humanize(int(amt))
    s = f"{r[0]}:{r[1]}:{r[2]}:{r[3]}={amt}"
    if r[5]:
        s += f"/{r[5]}"
    return s


def _humanize(n: int) -> str:
    for suf, m in (("E", 1 << 60), ("P", 1 << 50), ("T", 1 << 40), ("G", 1 << 30),
                   ("M", 1 << 20), ("K", 1 << 10)):
        if n >= m and n % m == 0:
            return f"{n // m}{suf}"
    return str(n)


def _matches(rule: list[str], flt: list[str]) -> bool:
    return all(not f or f == r for f, r in zip(flt, rule))


def main(argv: list[str]) -> int:
    try:
        opts, args = getopt("rctl", argv[1:], "a:hl:nr:u:")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    o = dict(opts)
    human = "h" in o
    with hoststate.locked() as st:
        rt = st.runtime
        try:
            from . import sysctl
            enabled = int(sysctl.value(rt, "kern.racct.enable")) != 0
        except Exception:  # noqa: BLE001
            enabled = bool(rt.get("sysctl", {}).get("kern.racct.enable", 0))
        if not enabled:
            sys.stderr.write("rctl: RACCT/RCTL present, but disabled; enable using "
                             "kern.racct.enable=1 tunable\n")
            return 1
        if jailctx.current_jail():
            sys.stderr.write("rctl: failed to show rules for '': Operation not permitted\n")
            return 1
        rules: list[list[str]] = rt.setdefault("rctl", [])
        if "a" in o:
            try:
                r = parse_rule(o["a"], True)
            except RuleError:
                sys.stderr.write(f"rctl: failed to add rule '{o['a']}': Invalid argument\n")
                return 1
            for k, old in enumerate(rules):
                if old[:4] == r[:4] and old[5] == r[5]:
                    rules[k] = r
                    break
            else:
                rules.append(r)
            return 0
        if "r" in o:
            try:
                f = parse_rule(o["r"], False)
            except RuleError:
                sys.stderr.write(f"rctl: failed to remove rule '{o['r']}': Invalid argument\n")
                return 1
            keep = [r for r in rules if not _matches(r, f)]
            if len(keep) == len(rules):
                sys.stderr.write(f"rctl: failed to remove rule '{o['r']}': No such process\n")
                return 1
            rt["rctl"] = keep
            return 0
        if "u" in o:
            try:
                f = parse_rule(o["u"], False)
            except RuleError:
                sys.stderr.write(f"rctl: failed to get resource usage for '{o['u']}': "
                                 "Invalid argument\n")
                return 1
            usage = _usage(st, f)
            if usage is None:
                sys.stderr.write(f"rctl: failed to get resource usage for '{o['u']}': "
                                 "No such process\n")
                return 1
            for res in RESOURCES:
                v = usage.get(res, 0)
                sys.stdout.write(f"{res}={_humanize(v) if human and res in BYTES else v}\n")
            return 0
        if "l" in o:
            try:
                f = parse_rule(o["l"], False)
            except RuleError:
                sys.stderr.write(f"rctl: failed to get limits for '{o['l']}': Invalid argument\n")
                return 1
            for r in rules:
                if f[0] == "process" or _matches(r, f):
                    sys.stdout.write(fmt_rule(r, human) + "\n")
            return 0
        flt = ["", "", "", "", "", ""]
        if args:
            try:
                flt = parse_rule(args[0], False)
            except RuleError:
                sys.stderr.write(f"rctl: failed to show rules for '{args[0]}': Invalid argument\n")
                return 1
        for r in rules:
            if _matches(r, flt):
                sys.stdout.write(fmt_rule(r, human) + "\n")
    return 0


def _usage(st, f: list[str]) -> dict[str, int] | None:
    if f[0] != "jail" or not f[1]:
        return {} if f[0] in ("user", "loginclass", "process") and f[1] else None
    j = jailctx.jail_info(st, f[1])
    if j is None:
        return None
    procs = jailctx.procs_list(st, j["name"])
    mem = sum(p.get("rss", 0) for p in procs) * 1024
    vmem = sum(p.get("vsz", 0) for p in procs) * 1024
    return {"memoryuse": mem, "vmemoryuse": vmem, "maxproc": len(procs), "nthr": len(procs),
            "openfiles": 8 * len(procs), "datasize": mem // 4, "stacksize": 128 * 1024 * len(procs),
            "wallclock": int(time.time() - j.get("created", time.time()))}
