"""sysctl(8) and /etc/sysctl.conf: argv builders, validators and parsers (no I/O).

``sysctl -ie NAME`` prints ``NAME=value`` and nothing for an OID the kernel does not have (-i),
so one read serves "exists?" and "value?" (sbin/sysctl/sysctl.c: -e sets the separator to '=',
-i ignores unknown OIDs). rc.d/sysctl applies ``name=value`` lines of /etc/sysctl.conf at boot;
the conf edit runs under the host-side lock and replaces the file atomically.
"""
from __future__ import annotations

import re
from typing import Optional

from .common import SH, lines, locked
from .factbase import Fact, fact, parsing

SYSCTL = "/sbin/sysctl"
SYSCTL_CONF = "/etc/sysctl.conf"

# OID names: dot-separated components of letters, digits, '_', '-' and '%' (e.g.
# net.link.bridge.pfil_member, dev.vtnet.0.%desc); sysctl(3) MIB names never hold anything else.
_OID_RE = re.compile(r"^[A-Za-z0-9_%-]{1,64}(\.[A-Za-z0-9_%-]{1,64}){1,15}\Z")


def name_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not _OID_RE.match(name):
        return (f"invalid sysctl name {name!r}: expected dot-separated components of letters, "
                f"digits, '_', '-' or '%', e.g. net.link.bridge.pfil_member")
    return None


def value_error(value: str) -> Optional[str]:
    if not isinstance(value, str):
        return "the value must be a string"
    if not value or value != value.strip():
        return "the value must be non-empty, without leading or trailing whitespace"
    if any(ord(c) < 0x20 or c == "\x7f" for c in value) or "#" in value:
        return ("the value must not contain control characters or '#' (sysctl.conf is read line by "
                "line and '#' starts a comment)")
    if len(value) > 1024:
        return "the value is too long (max 1024 characters)"
    return None


def get(name: str) -> list[str]:
    """``sysctl -ie NAME``: ``NAME=value``, or nothing (exit 0) when the OID does not exist."""
    return [SYSCTL, "-ie", name]


def parse_get(name: str, text: str) -> Optional[str]:
    """The value printed by :func:`get`, None when the OID does not exist."""
    for line in lines(text):
        key, sep, val = line.partition("=")
        if sep and key == name:
            return val
    return None


def live(name: str) -> Fact[Optional[str]]:
    """The OID's live value, None when the kernel does not have it."""
    return fact(get(name), parsing(lambda text: parse_get(name, text)), f"sysctl {name}")


def set_value(name: str, value: str) -> list[str]:
    """``sysctl NAME=VALUE`` (prints ``NAME: old -> new``)."""
    return [SYSCTL, f"{name}={value}"]


# Read-modify-write of sysctl.conf inside the lock: every line that sets $2 (matched by the
# escaped pattern $3) is dropped; with $4 = set, "$2=$5" is appended. Comments and other lines
# stay as they are. Values are positional parameters, never part of the script.
_CONF_SCRIPT = (
    'set -e; f="$1"; t="$f.pulumi-tmp.$$"; umask 022; '
    'if [ -e "$f" ]; then grep -v -e "^[[:space:]]*$3[[:space:]]*=" "$f" > "$t" || [ $? -eq 1 ]; '
    'else : > "$t"; fi; '
    'if [ "$4" = set ]; then printf "%s=%s\\n" "$2" "$5" >> "$t"; fi; '
    'chmod 0644 "$t"; mv -f "$t" "$f"'
)


def _bre(name: str) -> str:
    return name.replace(".", "\\.")


def conf_set(name: str, value: str, file: str = SYSCTL_CONF) -> list[str]:
    """Persist ``NAME=VALUE`` in sysctl.conf (replacing any line that sets NAME), locked."""
    return locked([SH, "-c", _CONF_SCRIPT, "sh", file, name, _bre(name), "set", value])


def conf_delete(name: str, file: str = SYSCTL_CONF) -> list[str]:
    """Drop every line that sets NAME from sysctl.conf, locked."""
    return locked([SH, "-c", _CONF_SCRIPT, "sh", file, name, _bre(name), "delete", ""])


def parse_conf(text: str) -> dict[str, str]:
    """``name=value`` lines of sysctl.conf as rc.d/sysctl reads them (comments and blank lines
    skipped, the last line for a name wins)."""
    out: dict[str, str] = {}
    for line in lines(text):
        line = line.split("#", 1)[0].strip()
        name, sep, value = line.partition("=")
        if sep and name.strip():
            out[name.strip()] = value.strip()
    return out
