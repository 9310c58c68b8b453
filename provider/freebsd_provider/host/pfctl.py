"""pfctl(8): argv builders, output parsers and the pf.conf text checks done before the host.

pf.conf text never goes through a shell: it is written to a file with content on stdin
(``common.write_file``) and handed to ``pfctl -f FILE``.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Optional, Sequence

from .common import SH, abs_path_error, lines
from .factbase import Fact, fact, parsing

PFCTL = "/sbin/pfctl"
PF_CONF = "/etc/pf.conf"
# `load anchor NAME from "FILE"` may only read files in this directory (see rules_error).
ANCHOR_DIR = "/etc/pf.anchors/"
MAX_RULES = 256 * 1024


# --------------------------------------------------------------------------------------------
# Builders


def _a(anchor: Optional[str]) -> list[str]:
    return ["-a", anchor] if anchor else []


def check_file(path: str, anchor: Optional[str] = None) -> list[str]:
    """``pfctl -nf FILE``: parse only (exit 1 with ``FILE:LINE: syntax error`` lines)."""
    return [PFCTL, *_a(anchor), "-nf", path]


def parsed_rules(path: str, anchor: Optional[str] = None) -> list[str]:
    """``pfctl -nvf FILE``: the file's rules as pfctl normalizes them (nothing is loaded)."""
    return [PFCTL, *_a(anchor), "-nvf", path]


def load(path: str, anchor: Optional[str] = None) -> list[str]:
    """``pfctl [-a ANCHOR] -f FILE``."""
    return [PFCTL, *_a(anchor), "-f", path]


def enable() -> list[str]:
    return [PFCTL, "-e"]


def disable() -> list[str]:
    return [PFCTL, "-d"]


def flush(what: str, anchor: Optional[str] = None) -> list[str]:
    """``pfctl [-a ANCHOR] -F rules|nat|Tables|states|all`` (pfctl keeps only the last -F)."""
    return [PFCTL, *_a(anchor), "-F", what]


def show(what: str, anchor: Optional[str] = None) -> list[str]:
    """``pfctl [-a ANCHOR] -s rules|nat|info``."""
    return [PFCTL, *_a(anchor), "-s", what]


# Read a file whole, or say it is absent (exit 0 either way); values only as "$1".
_PRESENT = "__pulumi_freebsd_present__"
_ABSENT = "__pulumi_freebsd_absent__"
_READ_SCRIPT = f'if [ -f "$1" ]; then echo {_PRESENT}; cat "$1"; else echo {_ABSENT}; fi'


def read_conf(path: str) -> list[str]:
    """argv printing a marker line then the file's content, or an absent marker."""
    return [SH, "-c", _READ_SCRIPT, "sh", path]


def parse_read_conf(text: str) -> Optional[str]:
    """The file's content, or None when it does not exist."""
    head, _, rest = text.partition("\n")
    if head == _ABSENT:
        return None
    if head != _PRESENT:
        raise ValueError(f"unexpected output reading a file: {head[:80]!r}")
    return rest


# --------------------------------------------------------------------------------------------
# Lockout protection: a host-side rollback timer armed before new rules are loaded.
#
# The timer: after $4 seconds, unless the confirmation file $3 exists, put the previous rules
# file back (or remove the new one), reload it (or flush), and disable pf again if it was off.
# Values travel as positional parameters; the script texts are constants.
_TIMER_SCRIPT = r"""
path=$1 rb=$2 ok=$3 t=$4 anchor=$5 wasenabled=$6 hadfile=$7 armed=$8
sleep "$t"
if [ -e "$ok" ]; then rm -f "$ok" "$rb" "$armed"; exit 0; fi
if [ "$hadfile" = 1 ]; then mv -f "$rb" "$path"; else rm -f "$path" "$rb"; fi
if [ -n "$anchor" ]; then
  if [ -e "$path" ]; then /sbin/pfctl -a "$anchor" -f "$path"; else /sbin/pfctl -a "$anchor" -F all; fi
else
  if [ -e "$path" ]; then /sbin/pfctl -f "$path"; else /sbin/pfctl -F all; fi
  [ "$wasenabled" = 1 ] || /sbin/pfctl -d
fi
echo "pulumi-freebsd: PF rules in $path rolled back (not confirmed)" > /dev/console 2>/dev/null
rm -f "$armed"
exit 0
"""
# Start the timer detached from the SSH session (copying PATH aside first when it exists);
# print whether PATH existed, and the timer's pid: "HADFILE PID". The timer's pid also goes to
# the "armed" file of PATH, which the timer removes when it is done: a later apply (after a
# `pulumi up` killed before it confirmed) waits for it instead of racing it.
_ARM_SCRIPT = r"""
path=$2 rb=$3 armed=$8 hadfile=0
if [ -e "$path" ]; then cp -p "$path" "$rb" || exit 1; hadfile=1; fi
nohup /bin/sh -c "$1" sh "$path" "$rb" "$4" "$5" "$6" "$7" "$hadfile" "$armed" </dev/null >/dev/null 2>&1 &
echo "$!" > "$armed"
echo "$hadfile $!"
"""
# Wait (at most $2 seconds) while the timer named in the armed file $1 still runs.
_SETTLED_SCRIPT = r"""
f=$1 n=$2
while [ -e "$f" ] && kill -0 "$(cat "$f" 2>/dev/null)" 2>/dev/null; do
  [ "$n" -gt 0 ] || { echo pending; exit 0; }
  n=$((n - 1)); sleep 1
done
echo settled
"""
ROLLBACK_SUFFIX = ".pulumi-rollback"
CONFIRM_PREFIX = "/var/run/pulumi-freebsd.pf-confirm."
ARMED_PREFIX = "/var/run/pulumi-freebsd.pf-armed."
NO_CONFIRM = "/nonexistent/confirm"
KILL = "/bin/kill"


def rollback_file(path: str) -> str:
    """Where the armed timer keeps the previous PATH."""
    return path + ROLLBACK_SUFFIX


def armed_file(path: str, anchor: Optional[str]) -> str:
    """The armed timer's pid file for PATH (and ANCHOR)."""
    return ARMED_PREFIX + hashlib.sha256(f"{anchor or ''}\0{path}".encode()).hexdigest()[:16]


def guard_arm(path: str, confirm_file: str, seconds: int, anchor: Optional[str],
              was_enabled: bool) -> list[str]:
    """argv arming the rollback timer for PATH; prints ``HADFILE PID`` (see parse_guard_arm)."""
    return [SH, "-c", _ARM_SCRIPT, "sh", _TIMER_SCRIPT, path, rollback_file(path), confirm_file,
            str(seconds), anchor or "", "1" if was_enabled else "0", armed_file(path, anchor)]


def guard_rollback(path: str, anchor: Optional[str], was_enabled: bool, had_file: bool) -> list[str]:
    """argv running the timer's rollback at once (no wait, no confirmation file)."""
    return [SH, "-c", _TIMER_SCRIPT, "sh", path, rollback_file(path), NO_CONFIRM, "0", anchor or "",
            "1" if was_enabled else "0", "1" if had_file else "0", armed_file(path, anchor)]


def rollback_settled(path: str, anchor: Optional[str], limit: int) -> Fact[bool]:
    """Whether no rollback timer armed for PATH is still pending, after waiting for one (an
    apply killed between arming and confirming) at most ``limit`` seconds: its rollback must
    land before the rules are read or loaded again."""
    return fact([SH, "-c", _SETTLED_SCRIPT, "sh", armed_file(path, anchor), str(int(limit))],
                parsing(lambda out: out.strip() == "settled"), f"pf timer {path}")


def guard_kill(pid: str) -> list[str]:
    """argv stopping the armed timer."""
    if not re.fullmatch(r"[1-9][0-9]*", pid):  # never 0 or -1 (a process group, everything)
        raise ValueError(f"not a pid: {pid!r}")
    return [KILL, pid]


def guard_cleanup(path: str, confirm_file: str, anchor: Optional[str] = None) -> list[str]:
    """argv removing the confirmation file, the rollback copy and the armed file once the rules
    are confirmed."""
    return ["/bin/rm", "-f", confirm_file, rollback_file(path), armed_file(path, anchor)]


_ARMED_RE = re.compile(r"([01]) ([1-9][0-9]*)")


def parse_guard_arm(text: str) -> tuple[bool, str]:
    """The arm script's output (its line) → (PATH existed before, timer pid).

    The first line of that form counts, so the output of a whole batch holding the arm script
    (and dying later) reads the same; the steps before it in that batch (the journal record,
    ``kldload -n pf``) print no such line.
    """
    m = next((m for m in (_ARMED_RE.fullmatch(ln.strip()) for ln in text.split("\n")) if m), None)
    if not m:
        raise ValueError(f"unexpected output arming the PF rollback timer: {text[:80]!r}")
    return m.group(1) == "1", m.group(2)


# --------------------------------------------------------------------------------------------
# Parsers


def parse_status(text: str) -> bool:
    """``pfctl -s info``: is pf enabled?"""
    for line in lines(text):
        m = re.match(r"^Status: (Enabled|Disabled)\b", line)
        if m:
            return m.group(1) == "Enabled"
    raise ValueError("no 'Status:' line in pfctl -s info output")


_NAT_WORDS = ("nat", "rdr", "binat", "no nat", "no rdr", "no binat", "nat-anchor", "rdr-anchor",
              "binat-anchor")


def _norm(line: str) -> str:
    return " ".join(line.split())


def rule_lines(text: str) -> list[str]:
    """The rule lines of ``pfctl -s rules``/``-s nat`` output (counter lines, ``@N`` dropped)."""
    out = []
    for line in lines(text):
        s = line.strip()
        if not s or s.startswith("["):
            continue
        s = re.sub(r"^@\d+\s+", "", s)
        out.append(_norm(s))
    return out


_MACRO_ECHO = re.compile(r'^[A-Za-z_][A-Za-z0-9_]* = "')


def split_parsed(text: str) -> tuple[list[str], list[str]]:
    """``pfctl -nvf`` output → (filter lines as ``-s rules`` prints them, nat lines as ``-s nat``).

    Options (``set ...``), table definitions, the macro definitions ``-v`` echoes
    (sbin/pfctl/parse.y ``varset``: ``NAME = "VALUE"``) and the bodies of inline anchors
    (indented, or inside ``{ }``) are not part of ``-s rules``/``-s nat`` of the main ruleset
    and are skipped.
    """
    filt: list[str] = []
    nat: list[str] = []
    depth = 0
    for raw in lines(text):
        if not raw.strip():
            continue
        s = raw.strip()
        if depth > 0 or raw[:1].isspace():
            depth += s.count("{") - s.count("}") if s.endswith(("{", "}")) else 0
            continue
        if s.startswith(("set ", "table ", "Loaded ", "No ALTQ", "ALTQ ")) or _MACRO_ECHO.match(s):
            continue
        opens = s.endswith("{")
        if opens:
            s = s[:-1].rstrip()
            depth += 1
        line = _norm(s)
        first2 = " ".join(line.split()[:2])
        if line.split()[0] in _NAT_WORDS or first2 in _NAT_WORDS:
            nat.append(line)
        else:
            filt.append(line)
    return filt, nat


def _parsed_or_none(res) -> Optional[tuple[list[str], list[str]]]:
    # pfctl rejecting the file (or the file missing) is an answer: the loaded rules cannot be
    # what the file says, which the resource reports as drift
    return split_parsed(res.stdout) if res.exit_code == 0 else None


def parsed_file(path: str, anchor: Optional[str] = None) -> Fact[Optional[tuple[list[str], list[str]]]]:
    """The rules of PATH as pfctl parses them (``pfctl -nvf``): (filter lines, nat lines), or
    None when pfctl does not accept the file."""
    return fact(parsed_rules(path, anchor), _parsed_or_none, f"pf parsed {path}")


# --------------------------------------------------------------------------------------------
# Validation of declared pf.conf text (done in check, before anything runs on the host)


_ANCHOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,62}){0,7}\Z")


def anchor_error(anchor: str) -> Optional[str]:
    if not isinstance(anchor, str) or not _ANCHOR_RE.fullmatch(anchor):
        return (f"invalid anchor name {anchor!r}: use '/'-separated components of letters, "
                f"digits, '_', '.' and '-' (each starting with a letter or digit, at most 63 "
                f"characters), e.g. 'jails/webserver'")
    if any(p in (".", "..") for p in anchor.split("/")):
        return f"invalid anchor name {anchor!r}: '.' and '..' are not allowed"
    return None


def path_error(path: str) -> Optional[str]:
    err = abs_path_error(path, "path")
    if err:
        return err
    if path.endswith("/"):
        return f"path must name a file, not a directory (got {path!r})"
    if re.search(r"[\s\"'`$\\;|&<>*?\[\]{}():]", path):
        return f"path must not contain whitespace, quotes or shell metacharacters (got {path!r})"
    return None


def _strip_comments(text: str) -> list[tuple[int, str, list[str]]]:
    """Logical lines (continuations joined) → (line no, unquoted text, quoted strings)."""
    out = []
    buf, quoted, start = "", [], 1
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        j = 0
        cur_unq = ""
        in_q = False
        q = ""
        while j < len(line):
            c = line[j]
            if in_q:
                if c == '"':
                    quoted.append(q)
                    cur_unq += '""'
                    in_q, q = False, ""
                else:
                    q += c
            elif c == '"':
                in_q = True
            elif c == "#":
                break
            else:
                cur_unq += c
            j += 1
        if in_q:
            quoted.append(q)
        buf += cur_unq
        if buf.endswith("\\") and not in_q:
            buf = buf[:-1] + " "
            i += 1
            continue
        out.append((start, buf, quoted))
        buf, quoted = "", []
        i += 1
        start = i + 1
    return out


_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def rules_error(text: str) -> Optional[str]:
    """Why declared pf.conf text is refused before it reaches the host, or None.

    Refused: NUL and other control characters, more than 256 KiB, shell syntax (backquotes,
    ``$(``) which pf.conf never uses, ``include`` (it would read any file on the host) and
    ``load anchor ... from FILE`` unless FILE is under /etc/pf.anchors/. Everything else is left
    to ``pfctl -nf`` on the host.
    """
    if not isinstance(text, str):
        return "rules must be a string"
    if len(text) > MAX_RULES:
        return f"rules are too long ({len(text)} characters, max {MAX_RULES})"
    m = _CTRL_RE.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        return f"line {line}: control character {m.group()!r} is not allowed in pf.conf text"
    for n, unq, quoted in _strip_comments(text):
        if "`" in unq or "$(" in unq:
            return (f"line {n}: shell syntax (backquotes or '$(') is not pf.conf syntax; "
                    f"use pf macros ($name) instead")
        words = re.findall(r"[A-Za-z_][A-Za-z0-9_-]*", unq)
        if "include" in words:
            return (f"line {n}: 'include' is not allowed: it would make pfctl read another file "
                    f"on the host; put the rules in this resource's text")
        # a macro whose value is a directive word would smuggle it in through $macro
        if re.match(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=", unq):
            for q in quoted:
                if re.search(r"(^|\s|[{,])(include|load)(\s|$)", q):
                    return f"line {n}: a macro value must not contain 'include' or 'load'"
        if words[:1] == ["load"] or re.search(r"(^|\s|\{)load\s+anchor\b", unq):
            m2 = re.search(r"\bfrom\b", unq)
            files = quoted[-1:] if quoted else []
            if not m2 or not files:
                return f"line {n}: 'load anchor' must name its file in double quotes"
            f = files[0]
            err = abs_path_error(f, "the anchor file")
            if err or not f.startswith(ANCHOR_DIR) or f == ANCHOR_DIR:
                return (f"line {n}: 'load anchor' may only read files under {ANCHOR_DIR} "
                        f"(got {f!r})")
    return None


# --------------------------------------------------------------------------------------------
# Rules that can never match on the host as it is (warnings, never errors)

BRIDGE_PFIL = ("net.link.bridge.pfil_bridge", "net.link.bridge.pfil_member")
# sys/net/if_bridge.c in FreeBSD 15.0 (commit 22893e584032): neither runs PF by default
BRIDGE_PFIL_DEFAULT = "0"


def parsed_stdin(anchor: Optional[str] = None) -> list[str]:
    """``pfctl -nvf -``: parse the rules given on stdin and print them, loading nothing."""
    return [PFCTL, *_a(anchor), "-nvf", "-"]


def bridge_pfil_get() -> list[str]:
    """``sysctl -ie`` of if_bridge's pfil switches (prints nothing for an OID that does not
    exist, i.e. when if_bridge is not loaded)."""
    return ["/sbin/sysctl", "-ie", *BRIDGE_PFIL]


def bridge_pfil() -> Fact[str]:
    """if_bridge's pfil switches as :func:`bridge_pfil_get` prints them (the text
    :func:`never_matching` reads)."""
    return fact(bridge_pfil_get(), parsing(str), "bridge pfil")


_ON_RE = re.compile(r"(?:^| )on (!? ?)([A-Za-z0-9_.-]+)(?= |$)")


def _rule_interfaces(line: str) -> list[str]:
    """The interface or group names a printed rule matches with ``on NAME`` (not ``on ! NAME``)."""
    return [name for neg, name in _ON_RE.findall(line) if not neg.strip()]


def _is_group(name: str, ifaces: dict[str, Any]) -> bool:
    """An interface group rather than an interface: a group the host knows, or a name without a
    unit number (interface names carry one, ``epair0a`` too; a group name may not end in a
    digit, ifconfig(8) ``group``)."""
    if name in ifaces:
        return False
    groups = {g for i in ifaces.values() for g in i.groups}
    return name in groups or not any(c.isdigit() for c in name)


def never_matching(lines: Sequence[str], ifaces: dict[str, Any], pfil_text: str,
                   preview: bool = False) -> list[str]:
    """Warnings for printed rules (``pfctl -s rules``/``-nvf`` lines) that can never match.

    ``ifaces`` is :func:`freebsd_provider.host.ifconfig.parse_all` of ``ifconfig -a``;
    ``pfil_text`` the output of :func:`bridge_pfil_get`.  Where PF sees bridged frames is
    decided by if_bridge (sys/net/if_bridge.c, bridge_pfil): on the bridge interface only with
    ``pfil_bridge=1``, on the member ports only with ``pfil_member=1``; without those, an
    interface of the bridge sees IP traffic only for an address it holds itself.  One warning
    per interface, naming the first rule and how many there are.
    """
    pfil: dict[str, str] = {}
    for line in pfil_text.split("\n"):
        key, sep, val = line.partition("=")
        if sep and key in BRIDGE_PFIL:
            pfil[key] = val.strip()
    member_of = {m.name: i.name for i in ifaces.values() if i.is_bridge for m in i.members}
    by_iface: dict[str, list[str]] = {}
    for line in lines:
        for name in _rule_interfaces(line):
            by_iface.setdefault(name, []).append(line)
    out = []
    for name, rules in by_iface.items():
        if _is_group(name, ifaces):
            continue
        i = ifaces.get(name)
        why = None
        if i is None:
            why = (f"there is no interface {name} on the host"
                   + (" (unless this update creates it)" if preview else ""))
        elif not (i.inet or i.inet6):
            if i.is_bridge and pfil.get(BRIDGE_PFIL[0], BRIDGE_PFIL_DEFAULT) == "0":
                why = (f"{name} is a bridge without an address of the host and "
                       f"net.link.bridge.pfil_bridge=0, so PF sees no packet on it (bridged "
                       f"traffic is filtered on the bridge only with pfil_bridge=1)")
            elif name in member_of and pfil.get(BRIDGE_PFIL[1], BRIDGE_PFIL_DEFAULT) == "0":
                why = (f"{name} is a member of {member_of[name]} without an address of its own "
                       f"and net.link.bridge.pfil_member=0, so PF sees no packet on it (bridged "
                       f"traffic is filtered on the members only with pfil_member=1)")
        if why:
            more = f" and {len(rules) - 1} more" if len(rules) > 1 else ""
            out.append(f"rule `{rules[0]}`{more} can never match on the host as it is: {why}")
    return out
