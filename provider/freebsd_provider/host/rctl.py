"""rctl(8): resource limits for jails (``rctl -a jail:NAME:RULE``)."""
from __future__ import annotations

import re
from typing import Optional

from ..errors import RctlDisabled, classify
from .common import lines
from .factbase import Fact, fact

RCTL = "/usr/bin/rctl"

RESOURCES = frozenset({
    "cputime", "datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked", "maxproc",
    "openfiles", "vmemoryuse", "pseudoterminals", "swapuse", "nthr", "msgqqueued", "msgqsize",
    "nmsgq", "nsem", "nsemop", "nshm", "shmsize", "wallclock", "pcpu", "readbps", "writebps",
    "readiops", "writeiops",
})
ACTIONS = frozenset({"deny", "log", "devctl", "throttle"})
PERS = frozenset({"process", "user", "loginclass", "jail"})
_SIGNAL_RE = re.compile(r"^sig[a-z0-9]+\Z")
_RULE_RE = re.compile(r"^([a-z]+):([a-z0-9]+)=(\d+)([kmgtpe]?)(?:/([a-z]+))?\Z", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50, "e": 1 << 60}

DISABLED_HINT = ("rctl rules need RACCT: set kern.racct.enable=1 in /boot/loader.conf (e.g. with a "
                 "Sysrc resource on that file) and reboot the host")


def rule_error(rule: str) -> Optional[str]:
    """A jail rule without its subject: ``resource:action=amount[/per]``, e.g. memoryuse:deny=512M."""
    m = _RULE_RE.match(rule or "") if isinstance(rule, str) else None
    if not m:
        return (f"invalid rctl rule {rule!r}: expected RESOURCE:ACTION=AMOUNT[/PER], e.g. "
                f"'memoryuse:deny=512M' (the subject jail:NAME is added by the resource)")
    res, action, _, _, per = m.groups()
    if res.lower() not in RESOURCES:
        return f"invalid rctl rule {rule!r}: unknown resource {res!r} (known: {', '.join(sorted(RESOURCES))})"
    if action.lower() not in ACTIONS and not _SIGNAL_RE.match(action.lower()):
        return f"invalid rctl rule {rule!r}: unknown action {action!r} (deny, log, devctl, throttle or sigNAME)"
    if per and per.lower() not in PERS:
        return f"invalid rctl rule {rule!r}: unknown /per {per!r} (process, user, loginclass or jail)"
    return None


def normalize(rule: str) -> str:
    """``memoryuse:deny=512M`` -> ``memoryuse:deny=536870912`` (the way ``rctl`` lists it)."""
    m = _RULE_RE.match(rule)
    if not m:
        return rule
    res, action, amount, unit, per = m.groups()
    n = int(amount) * _UNITS[unit.lower()]
    out = f"{res.lower()}:{action.lower()}={n}"
    if per:
        out += f"/{per.lower()}"
    return out


def filter_of(rule: str) -> str:
    """``memoryuse:deny=1`` -> ``memoryuse:deny`` (the rctl -r filter for that rule)."""
    return rule.split("=", 1)[0]


def add(jail: str, rule: str) -> list[str]:
    return [RCTL, "-a", f"jail:{jail}:{rule}"]


def remove(jail: str, rule_filter: Optional[str] = None) -> list[str]:
    return [RCTL, "-r", f"jail:{jail}" + (f":{rule_filter}" if rule_filter else "")]


def list_all() -> list[str]:
    """Every rule on the host."""
    return [RCTL]


def parse_list(text: str) -> dict[str, list[str]]:
    """``jail:web:memoryuse:deny=536870912`` lines -> {"web": ["memoryuse:deny=536870912"]}."""
    out: dict[str, list[str]] = {}
    for line in lines(text):
        parts = line.strip().split(":", 2)
        if len(parts) == 3 and parts[0] == "jail":
            out.setdefault(parts[1], []).append(parts[2])
    return out


def _rules(res) -> Optional[dict[str, list[str]]]:
    if res.exit_code != 0:
        err = classify(res)
        if isinstance(err, RctlDisabled):
            return None  # RACCT off: no rule can be set, none to read
        raise err
    return parse_list(res.stdout)


def rules() -> Fact[Optional[dict[str, list[str]]]]:
    """Every jail's rules by jail name (as ``rctl`` lists them); None when RACCT is disabled."""
    return fact(list_all(), _rules, "rctl rules")
