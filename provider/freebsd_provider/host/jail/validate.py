"""Input rules of a VNET jail: the values that render into its conf file must mean what the
admin means (no control characters, no quotes that would end a jail.conf string, names jail(8)
knows the shape of). Each returns an error message or None."""
from __future__ import annotations

import re
from typing import Any, Optional

from .. import ifconfig
from ..common import abs_path_error
from .conf import SYSVIPC, sh_join
from .parse import parse_unit

_PARAM_NAME_RE = re.compile(r"^[a-z][a-z0-9_.]*\Z")
_ALLOW_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\Z")
_CTRL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Parameters the resource renders itself: not accepted in ``parameters``.
MANAGED_PARAMS = frozenset({
    "name", "jid", "path", "host.hostname", "vnet", "vnet.interface", "mount.devfs",
    "devfs_ruleset", "sysvshm", "sysvmsg", "sysvsem", "allow.sysvipc", "persist",
    "ip4.addr", "ip6.addr", "interface",
})
# A jail parameter is a sysctl under security.jail.param (kern_jail.c SYSCTL_JAIL_PARAM*); the
# names FreeBSD defines are short dotted words. Longer names are refused in check, not sent to
# the host to fail there.
PARAM_NAME_MAX = 128
_HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")


def text_error(s: str, what: str) -> Optional[str]:
    if not isinstance(s, str):
        return f"{what} must be a string"
    if _CTRL_RE.search(s):
        return f"{what} must not contain control characters (newlines, tabs, NUL, ...)"
    return None


def path_error(p: str) -> Optional[str]:
    """The jail's root: absolute, not /, and plain enough to sit unquoted in exec lines."""
    err = abs_path_error(p) or text_error(p, "path")
    if err:
        return err
    if p.rstrip("/") == "":
        return "path must not be / (a VNET jail needs its own root)"
    if any(c in p for c in "\"'\\$ "):
        return "path must not contain quotes, backslashes, '$' or spaces"
    return None


def hostname_error(h: Any) -> Optional[str]:
    """host.hostname as an admin means it: a DNS host name (RFC 1123: ASCII letters, digits and
    '-' in dot-separated labels of 1-63 characters, 253 in all). The kernel would take any
    string below MAXHOSTNAMELEN, look-alike letters from other scripts included."""
    if not isinstance(h, str) or not h:
        return "invalid hostname: it must not be empty"
    if len(h) > 253 or not all(_HOST_LABEL_RE.match(label) for label in h.split(".")):
        return (f"invalid hostname {h!r}: ASCII letters, digits and '-' in dot-separated labels "
                f"of 1-63 characters, not starting or ending with '-' (RFC 1123; at most 253 "
                f"characters)")
    return None


def epair_error(e: str) -> Optional[str]:
    if parse_unit(e) is None:
        return f"invalid epair {e!r}: expected epairN (e.g. epair1) or N"
    return None


def router_error(ip: str) -> Optional[str]:
    return ifconfig.ip_error(ip, "defaultRouter")


def sysvipc_error(v: str) -> Optional[str]:
    if v not in SYSVIPC:
        return f"sysvipc must be one of new, inherit, disable (got {v!r})"
    return None


def devfs_ruleset_error(v: Any) -> Optional[str]:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 65535:
        return "devfsRuleset must be an integer between 0 and 65535"
    return None


def param_name_error(k: str) -> Optional[str]:
    if isinstance(k, str) and len(k) > PARAM_NAME_MAX:
        return f"invalid jail parameter name {k[:40]!r}...: at most {PARAM_NAME_MAX} characters"
    if not _PARAM_NAME_RE.match(k or "") or ".." in k or k.endswith("."):
        return f"invalid jail parameter name {k!r}: expected lowercase words joined by '.', e.g. 'enforce_statfs'"
    if k in MANAGED_PARAMS or k.startswith("exec.") or k.startswith("allow.") or k.startswith("mount"):
        return (f"jail parameter {k!r} is managed by the resource: use its own property "
                f"(path, hostname, allow, sysvipc, devfsRuleset, execHooks, ...)")
    return None


def param_value_error(v: str) -> Optional[str]:
    """A parameter's value, rendered as a jail.conf string."""
    err = text_error(v, "the value")
    if err:
        return err
    if any(c in v for c in "\"'\\"):
        return "the value must not contain quotes or backslashes"
    if len(v) > 1024:
        return "the value is too long (max 1024 characters)"
    return None


def allow_error(a: str) -> Optional[str]:
    if isinstance(a, str) and len(a) > PARAM_NAME_MAX:
        return f"invalid allow flag {a[:40]!r}...: at most {PARAM_NAME_MAX} characters"
    if not isinstance(a, str) or not _ALLOW_RE.match(a):
        return f"invalid allow flag {a!r}: expected a name such as 'raw_sockets' or 'mount.zfs' (without 'allow.')"
    if a.startswith("no") or a == "sysvipc":
        return f"invalid allow flag {a!r}: list only the permissions to grant (use sysvipc for SysV IPC)"
    return None


def hook_error(argv: Any, what: str) -> Optional[str]:
    if not isinstance(argv, list) or not argv:
        return f"{what} must be a non-empty argv list, e.g. [\"/usr/bin/logger\", \"started\"]"
    for i, a in enumerate(argv):
        err = text_error(a, f"{what}[{i}]")
        if err:
            return err
    if not argv[0].startswith("/"):
        return f"{what}[0] must be an absolute program path (got {argv[0]!r}); exec.clean runs hooks with a minimal PATH"
    if len(sh_join(argv)) > 4000:
        return f"{what} is too long"
    return None
