"""rctl(8) [SRC usr.bin/rctl/rctl.c (2024 copy: fel1x-developer/freebsd-src) and the kernel side,
sys/kern/kern_rctl.c]: resource-limit rules (``runtime["rctl"]``, a list of rules in the order
they were added).

Userland (rctl.c):
- ``getopt("ahlnru")``: -a/-l/-r/-u are flags; every operand is a rule or filter, handled in
  turn; the exit status is the number of operands that failed (main()).
- more than one of -a/-l/-r/-u: ``errx(1, "at most one of -a, -l, -r, or -u may be
  specified")``; no operand: plain ``rctl`` shows the rules for filter ``::``, with a flag it is
  usage(): ``usage: rctl [ -h ] [-a rule | -l filter | -r filter | -u filter | filter]``, exit 1.
- expand_rule(): ``subject:id...`` (no ':' -> ``malformed rule '%s': missing subject``); subject
  abbreviations u g p l c class j; ``user`` ids resolve through /etc/passwd (``unknown user``);
  expand_amount() runs expand_number() on the amount (``invalid numeric value``).
- a failing syscall: ENOSYS -> enosys(): ``RACCT/RCTL present, but disabled; enable using
  kern.racct.enable=1 tunable`` (exit 1); otherwise warn("failed to add rule '%s'" |
  "failed to get limits for '%s'" | "failed to remove rule '%s'" |
  "failed to show resource consumption for '%s'" | "failed to show rules for '%s'").
- -h humanizes every amount with humanize_number(buf, 6, ...) (HN_AUTOSCALE, HN_DECIMAL,
  HN_NOSPACE); without -n user ids print as names.

Kernel (kern_rctl.c): the rule text is split ``subject:id:resource:action=amount/per``; unknown
names give EINVAL; a process id that does not exist ESRCH; jail subjects name a prison_racct
(created on demand, so any name is accepted); -a needs a fully specified rule; "deny" on a
resource that is not deniable (except memoryuse and pcpu), "throttle" on one that is not
decaying (or pcpu), and a per-process rule on a "sloppy" resource give EOPNOTSUPP; a "deny"
rule replaces one differing only in amount; rules of one subject list newest first
(LIST_INSERT_HEAD).  -r with nothing removed gives ESRCH.  -u lists every resource as
``name=value`` one per line (RACCT_MAX order; a process skips the sloppy ones).
"""
from __future__ import annotations

import errno
import sys
import time
from typing import Any

from .. import hoststate, jailctx, pkgdb
from ._common import UsageError, getopt, strerror

USAGE = "usage: rctl [ -h ] [-a rule | -l filter | -r filter | -u filter | filter]\n"
SUBJECTS = ("process", "user", "loginclass", "jail")
RESOURCES = ("cputime", "datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked",
             "maxproc", "openfiles", "vmemoryuse", "pseudoterminals", "swapuse", "nthr",
             "msgqqueued", "msgqsize", "nmsgq", "nsem", "nsemop", "nshm", "shmsize", "wallclock",
             "pcpu", "readbps", "writebps", "readiops", "writeiops")
# sys/kern/kern_racct.c racct_types[]
DENIABLE = {"datasize", "stacksize", "coredumpsize", "memorylocked", "maxproc", "openfiles",
            "vmemoryuse", "pseudoterminals", "swapuse", "nthr", "msgqqueued", "msgqsize",
            "nmsgq", "nsem", "nsemop", "nshm", "shmsize", "pcpu"}
DECAYING = {"pcpu", "readbps", "writebps", "readiops", "writeiops"}
SLOPPY = {"pseudoterminals", "swapuse", "msgqqueued", "msgqsize", "nmsgq", "nsem", "nshm",
          "shmsize"}
BYTES = {"datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked", "vmemoryuse",
         "swapuse", "msgqsize", "shmsize", "readbps", "writebps"}
SIGNALS = ("sighup", "sigint", "sigquit", "sigill", "sigtrap", "sigabrt", "sigemt", "sigfpe",
           "sigkill", "sigbus", "sigsegv", "sigsys", "sigpipe", "sigalrm", "sigterm", "sigurg",
           "sigstop", "sigtstp", "sigcont", "sigchld", "sigttin", "sigttou", "sigio", "sigxcpu",
           "sigxfsz", "sigvtalrm", "sigprof", "sigwinch", "siginfo", "sigusr1", "sigusr2",
           "sigthr", "siglibrt")
ACTIONS = set(SIGNALS) | {"deny", "log", "devctl", "throttle"}
_SHIFT = {"e": 60, "p": 50, "t": 40, "g": 30, "m": 20, "k": 10}


class RuleError(Exception):
    """A kernel-side failure: ``errno``."""

    def __init__(self, err: int):
        super().__init__(err)
        self.err = err


class _Malformed(Exception):
    pass


def _humanize(n: int) -> str:
    from .kldstat import humanize_number
    return humanize_number(n, 6)


def expand_number(s: str) -> int | None:
    """libutil expand_number(): strtoumax(base 0) then an optional unit (b k m g t p e)."""
    from ._common import strtol_base0
    v, rest, erange = strtol_base0(s, unsigned=True)
    if erange or rest == s and not s[:1].isdigit():
        return None
    unit = rest[:1].lower()
    if unit in ("", "b"):
        return v
    if unit not in _SHIFT:
        return None
    sh = _SHIFT[unit]
    if (v << sh) >> sh != v or (v << sh) > 0xFFFFFFFFFFFFFFFF:
        return None
    return v << sh


def _strsep(s: str | None, delims: str) -> tuple[str | None, str | None]:
    if s is None:
        return None, None
    for i, c in enumerate(s):
        if c in delims:
            return s[:i], s[i + 1:]
    return s, None


def expand_rule(rule: str, resolve_ids: bool, root: Any) -> str:
    """expand_rule() + expand_amount() (usr.bin/rctl/rctl.c)."""
    subject, rest = _strsep(rule, ":")
    textid, rest = _strsep(rest, ":")
    if textid is None:
        sys.stderr.write(f"rctl: malformed rule '{rule}': missing subject\n")
        raise _Malformed
    rest = rest if rest is not None else ""
    alias = {"u": "user", "g": "group", "p": "process", "l": "loginclass", "c": "loginclass",
             "class": "loginclass", "j": "jail"}
    subject = alias.get((subject or "").lower(), subject)
    if resolve_ids and (subject or "").lower() in ("user", "group") and textid:
        kind = (subject or "").lower()
        ent = _getent(root, "/etc/passwd" if kind == "user" else "/etc/group", textid)
        if ent is not None:
            textid = ent
        elif not textid[:1].isdigit():
            sys.stderr.write(f"rctl: malformed rule '{rule}': unknown {kind} '{textid}'\n")
            raise _Malformed
        else:
            try:
                textid = str(int(float(textid)))
            except ValueError:
                sys.stderr.write(f"rctl: malformed rule '{rule}': trailing characters after "
                                 "numerical id\n")
                raise _Malformed
    resolved = f"{subject}:{textid}:{rest}"
    # expand_amount()
    s, r = _strsep(resolved, ":")
    sid, r = _strsep(r, ":")
    res, r = _strsep(r, ":")
    act, r = _strsep(r, "=/")
    amount, per = _strsep(r, "/")
    if amount is None or amount == "":
        return resolved
    num = expand_number(amount)
    if num is None:
        sys.stderr.write(f"rctl: malformed rule '{rule}': invalid numeric value '{amount}'\n")
        raise _Malformed
    out = f"{s}:{sid}:{res}:{act}={num}"
    return out + (f"/{per}" if per is not None else "")


# the base system's users/groups (etc/master.passwd, etc/group), for a root whose files lack them
_BASE_USERS = {"root": "0", "toor": "0", "daemon": "1", "operator": "2", "bin": "3", "tty": "4",
               "kmem": "5", "games": "7", "news": "8", "man": "9", "sshd": "22", "smmsp": "25",
               "mailnull": "26", "bind": "53", "unbound": "59", "proxy": "62", "_pflogd": "64",
               "_dhcp": "65", "uucp": "66", "pop": "68", "auditdistd": "78", "www": "80",
               "ntpd": "123", "_ypldap": "160", "hast": "845", "tests": "977",
               "nobody": "65534"}
_BASE_GROUPS = {"wheel": "0", "daemon": "1", "kmem": "2", "sys": "3", "tty": "4",
                "operator": "5", "mail": "6", "bin": "7", "news": "8", "man": "9",
                "games": "13", "staff": "20", "sshd": "22", "smmsp": "25", "mailnull": "26",
                "guest": "31", "video": "44", "bind": "53", "unbound": "59", "proxy": "62",
                "authpf": "63", "_pflogd": "64", "_dhcp": "65", "uucp": "66", "dialer": "68",
                "network": "69", "audit": "77", "www": "80", "ntpd": "123", "nogroup": "65533",
                "nobody": "65534"}


def _entries(root: Any, path: str) -> list[list[str]]:
    try:
        text = root.read(path) or ""
    except Exception:  # noqa: BLE001
        text = ""
    out = [ln.split(":") for ln in text.splitlines() if ln and not ln.startswith("#")]
    base = _BASE_USERS if path == "/etc/passwd" else _BASE_GROUPS
    have = {f[0] for f in out}
    out += [[n, "*", i] for n, i in base.items() if n not in have]
    return [f for f in out if len(f) >= 3]


def _getent(root: Any, path: str, name: str) -> str | None:
    for f in _entries(root, path):
        if f[0] == name:
            return f[2]
    return None


def _name_for_uid(root: Any, uid: str) -> str:
    for f in _entries(root, "/etc/passwd"):
        if f[2] == uid:
            return f[0]
    return uid


def _procs_all(st: Any) -> list[dict[str, Any]]:
    try:
        return jailctx.procs_list(st, None, all_jails=True)
    except Exception:  # noqa: BLE001
        return []


def string_to_rule(st: Any, text: str) -> list[Any]:
    """rctl_string_to_rule(): [subject, id, resource, action, amount, per] with None for an
    undefined field; raises RuleError(EINVAL/ESRCH)."""
    subj, r = _strsep(text, ":")
    sid, r = _strsep(r, ":")
    res, r = _strsep(r, ":")
    act, r = _strsep(r, "=/")
    amount, per = _strsep(r, "/")
    rule: list[Any] = [None] * 6
    if subj:
        if subj.lower() not in SUBJECTS:
            raise RuleError(errno.EINVAL)
        rule[0] = subj.lower()
    if sid:
        if rule[0] is None:
            raise RuleError(errno.EINVAL)
        if rule[0] in ("process", "user"):
            if not sid.isdigit():
                raise RuleError(errno.EINVAL)
            if rule[0] == "process" and not any(p["pid"] == int(sid) for p in _procs_all(st)):
                raise RuleError(errno.ESRCH)
            sid = str(int(sid))
        rule[1] = sid
    if res:
        if res.lower() not in RESOURCES:
            raise RuleError(errno.EINVAL)
        rule[2] = res.lower()
    if act:
        if act.lower() not in ACTIONS:
            raise RuleError(errno.EINVAL)
        rule[3] = act.lower()
    if amount:
        if not amount.isdigit():
            raise RuleError(errno.EINVAL)
        rule[4] = int(amount)
        if rule[4] > 0x7FFFFFFFFFFFFFFF:
            raise RuleError(errno.EINVAL)
    if per:
        if per.lower() not in SUBJECTS:
            raise RuleError(errno.EINVAL)
        rule[5] = per.lower()
    return rule


def fmt_rule(r: list[Any]) -> str:
    """rctl_rule_to_sbuf()."""
    s = f"{r[0]}:{r[1] if r[1] is not None else ''}:{r[2]}:{r[3]}={r[4]}"
    if r[5] != r[0]:
        s += f"/{r[5]}"
    return s


def _matches(rule: list[Any], flt: list[Any]) -> bool:
    return all(f is None or f == r for f, r in zip(flt, rule))


def _ordered(rules: list[list[Any]]) -> list[list[Any]]:
    """rctl_get_rules(): process rules, then loginclass, user and jail racct lists; each
    subject's rule list is LIST_INSERT_HEAD'ed (newest first); subjects newest first."""
    order = {"process": 0, "loginclass": 1, "user": 2, "jail": 3}
    first: dict[tuple[str, str], int] = {}
    for i, r in enumerate(rules):
        first.setdefault((r[0], r[1]), i)
    idx = {id(r): i for i, r in enumerate(rules)}
    return sorted(rules, key=lambda r: (order.get(r[0], 9), -first[(r[0], r[1])], -idx[id(r)]))


def _enabled(rt: dict[str, Any]) -> bool:
    try:
        from . import sysctl
        return int(sysctl.value(rt, "kern.racct.enable")) != 0
    except Exception:  # noqa: BLE001
        return bool(rt.get("sysctl", {}).get("kern.racct.enable", 0))


class _NoSys(Exception):
    pass


def main(argv: list[str]) -> int:
    try:
        opts, args = getopt("rctl", argv[1:], "ahlnru")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    flags = {o for o, _ in opts}
    hflag, nflag = "h" in flags, "n" in flags
    mode = [c for c in "alru" if c in flags]
    if len(mode) > 1:
        sys.stderr.write("rctl: at most one of -a, -l, -r, or -u may be specified\n")
        return 1
    m = mode[0] if mode else ""
    if not args:
        if m:
            sys.stderr.write(USAGE)
            return 1
    root = pkgdb.current()
    with hoststate.locked(write=(m in ("a", "r"))) as st:
        rt = st.runtime
        rules: list[list[Any]] = [r for r in rt.setdefault("rctl", []) if len(r) == 6]
        # state from before amounts were stored as numbers
        for r in rules:
            for k in (0, 1, 2, 3, 5):
                if r[k] == "":
                    r[k] = None
            if isinstance(r[4], str):
                r[4] = int(r[4]) if r[4].isdigit() else None
            if r[5] is None:
                r[5] = r[0]
        rt["rctl"] = rules
        try:
            if not args:
                _show_rules(st, rules, "::", "::", hflag, nflag, root)
                return 0
            errors = 0
            for unexpanded in args:
                try:
                    rule = expand_rule(unexpanded, not (m == "a" and nflag), root)
                except _Malformed:
                    errors += 1
                    continue
                if m == "a":
                    ok = _add(st, rules, rule, unexpanded)
                elif m == "l":
                    ok = _limits(st, rules, rule, unexpanded, hflag, nflag, root)
                elif m == "r":
                    ok = _remove(st, rt, rule, unexpanded)
                    rules = rt["rctl"]
                elif m == "u":
                    ok = _usage(st, rule, unexpanded, hflag)
                else:
                    ok = _show_rules(st, rules, rule, unexpanded, hflag, nflag, root)
                if not ok:
                    errors += 1
                sys.stdout.flush()
            return errors
        except _NoSys:
            sys.stdout.flush()
            sys.stderr.write("rctl: RACCT/RCTL present, but disabled; enable using "
                             "kern.racct.enable=1 tunable\n")
            return 1


def _syscall(st: Any, priv: bool = True) -> None:
    """The checks every rctl syscall makes first: ENOSYS unless racct is enabled, then the
    privilege (EPERM in a jail)."""
    if not _enabled(st.runtime):
        raise _NoSys
    if priv and jailctx.current_jail():
        raise RuleError(errno.EPERM)


def _fail(what: str, unexpanded: str, err: int) -> bool:
    sys.stdout.flush()
    sys.stderr.write(f"rctl: {what} '{unexpanded}': {strerror(err)}\n")
    return False


def _print_rules(rules: list[list[Any]], hflag: bool, nflag: bool, root: Any) -> None:
    out = []
    for r in rules:
        text = fmt_rule(r)
        if not nflag and r[0] == "user" and r[1] is not None:
            parts = text.split(":", 2)
            parts[1] = _name_for_uid(root, parts[1])
            text = ":".join(parts)
        if hflag and r[4] is not None:
            head, _, tail = text.partition("=")
            amt, slash, per = tail.partition("/")
            text = f"{head}={_humanize(int(amt))}{slash}{per}"
        out.append(text + "\n")
    sys.stdout.write("".join(out))


def _show_rules(st: Any, rules: list[list[Any]], rule: str, unexpanded: str, hflag: bool,
                nflag: bool, root: Any) -> bool:
    try:
        _syscall(st)
        flt = string_to_rule(st, rule)
    except RuleError as e:
        return _fail("failed to show rules for", unexpanded, e.err)
    _print_rules([r for r in _ordered(rules) if _matches(r, flt)], hflag, nflag, root)
    return True


def _add(st: Any, rules: list[list[Any]], rule: str, unexpanded: str) -> bool:
    try:
        _syscall(st)
        r = string_to_rule(st, rule)
        if r[5] is None and r[3] is not None:
            r[5] = r[0]
        if any(x is None for x in r):
            raise RuleError(errno.EINVAL)
        res, act = r[2], r[3]
        if act == "deny" and res not in DENIABLE and res not in ("memoryuse", "pcpu"):
            raise RuleError(errno.EOPNOTSUPP)
        if act == "throttle" and (res not in DECAYING or res == "pcpu"):
            raise RuleError(errno.EOPNOTSUPP)
        if r[5] == "process" and res in SLOPPY:
            raise RuleError(errno.EOPNOTSUPP)
    except RuleError as e:
        return _fail("failed to add rule", unexpanded, e.err)
    if act == "deny":
        flt = list(r)
        flt[4] = None
        rules[:] = [x for x in rules if not _matches(x, flt)]
    rules.append(r)
    return True


def _remove(st: Any, rt: dict[str, Any], rule: str, unexpanded: str) -> bool:
    try:
        _syscall(st)
        flt = string_to_rule(st, rule)
        keep = [r for r in rt["rctl"] if not _matches(r, flt)]
        if len(keep) == len(rt["rctl"]):
            raise RuleError(errno.ESRCH)
    except RuleError as e:
        return _fail("failed to remove rule", unexpanded, e.err)
    rt["rctl"] = keep
    return True


def _limits(st: Any, rules: list[list[Any]], rule: str, unexpanded: str, hflag: bool,
            nflag: bool, root: Any) -> bool:
    """rctl_get_limits(): the rules linked to one process (its own, its user's, its login
    class's and its jail's)."""
    try:
        _syscall(st)
        flt = string_to_rule(st, rule)
        if flt[0] is None:
            raise RuleError(errno.EINVAL)
        if flt[0] != "process":
            raise RuleError(errno.EOPNOTSUPP)
        if flt[1] is None:
            raise RuleError(errno.EINVAL)
    except RuleError as e:
        return _fail("failed to get limits for", unexpanded, e.err)
    proc = next((p for p in _procs_all(st) if str(p["pid"]) == flt[1]), {})
    uid = _getent(root, "/etc/passwd", proc.get("user", "root")) or "0"
    applies = []
    for r in _ordered(rules):
        if (r[0] == "process" and r[1] == flt[1]) or (r[0] == "user" and r[1] == uid) or \
                (r[0] == "loginclass" and r[1] == "default") or \
                (r[0] == "jail" and proc.get("jail") and r[1] == proc.get("jail")):
            applies.append(r)
    _print_rules(applies, hflag, nflag, root)
    return True


def _usage(st: Any, rule: str, unexpanded: str, hflag: bool) -> bool:
    """rctl_get_racct(): one ``resource=value`` line per resource."""
    try:
        _syscall(st)
        flt = string_to_rule(st, rule)
        if flt[0] is None or flt[1] is None:
            raise RuleError(errno.EINVAL)
    except RuleError as e:
        return _fail("failed to show resource consumption for", unexpanded, e.err)
    usage = _usage_of(st, flt)
    out = []
    for res in RESOURCES:
        if flt[0] == "process" and res in SLOPPY:
            continue
        v = int(usage.get(res, 0))
        out.append(f"{res}={_humanize(v) if hflag else v}\n")
    sys.stdout.write("".join(out))
    return True


def _usage_of(st: Any, f: list[Any]) -> dict[str, int]:
    if f[0] == "jail":
        j = jailctx.jail_info(st, f[1])
        if j is None or str(j.get("name")) != f[1]:
            return {}  # prison_racct_find() creates an empty racct for any name
        procs = jailctx.procs_list(st, j["name"])
        started = j.get("created", time.time())
    elif f[0] == "process":
        procs = [p for p in _procs_all(st) if str(p["pid"]) == f[1]]
        started = procs[0].get("started", time.time()) if procs else time.time()
    else:
        return {}
    mem = sum(p.get("rss", 0) for p in procs) * 1024
    vmem = sum(p.get("vsz", 0) for p in procs) * 1024
    return {"memoryuse": mem, "vmemoryuse": vmem, "maxproc": len(procs), "nthr": len(procs),
            "openfiles": 8 * len(procs), "datasize": mem // 4,
            "stacksize": 128 * 1024 * len(procs),
            "wallclock": int(time.time() - started) if procs else 0}
