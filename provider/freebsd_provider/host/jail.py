"""Jails: jls(8) parsing, rc.d/jail (``service jail``), and /etc/jail.conf.d/NAME.conf files.

The conf file is rendered in the style of the FreeBSD 15 VNET tutorial (one block per jail,
``vnet.interface = "epairNb"``, exec.prestart creating the epair and adding its ``a`` end to the
bridge, exec.poststop destroying it) and parsed back by :func:`parse_conf` (our own rendering
only).  exec hooks are argv lists: each is rendered with /bin/sh quoting (jail(8) runs a command
through ``/bin/sh -c`` when it has shell metacharacters, else splits it on blanks, and both give
the same argv), then escaped as a jail.conf double-quoted string (``\\``, ``"`` and ``$``).
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from .common import locked, lines

JLS = "/usr/sbin/jls"
SERVICE = "/usr/sbin/service"
SYSRC = "/usr/sbin/sysrc"
SH = "/bin/sh"
CONF_DIR = "/etc/jail.conf.d"
MARKER_DIR = "/var/db/pulumi-freebsd"
JAIL_ENABLE_MARKER = MARKER_DIR + "/jail_enable.previous"
# Placeholder for the epair unit while the file is written by the allocating script: \x01 can
# not appear in any input (validation rejects control characters).
UNIT_PLACEHOLDER = "\x01EPAIR\x01"
HOOK_KINDS = ("prestart", "poststart", "prestop", "poststop")
SYSVIPC = ("new", "inherit", "disable")

_PARAM_NAME_RE = re.compile(r"^[a-z][a-z0-9_.]*\Z")
_ALLOW_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\Z")
_CTRL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Parameters the resource renders itself: not accepted in ``parameters``.
MANAGED_PARAMS = frozenset({
    "name", "jid", "path", "host.hostname", "vnet", "vnet.interface", "mount.devfs",
    "devfs_ruleset", "sysvshm", "sysvmsg", "sysvsem", "allow.sysvipc", "persist",
    "ip4.addr", "ip6.addr", "interface",
})


def conf_path(name: str) -> str:
    return f"{CONF_DIR}/{name}.conf"


def consolelog_path(name: str) -> str:
    return f"/var/log/jail_{name}_console.log"


# --------------------------------------------------------------------------------------------
# jls


def jls_fact() -> list[str]:
    """The shared fact: every running jail with all its parameters (libxo JSON, ``-n``)."""
    return [JLS, "--libxo", "json", "-n"]


def _scalar(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return v


def parse_jls(text: str) -> dict[str, dict[str, Any]]:
    """Running jails by name from ``jls --libxo json [-n] [params]``; values as strings (lists
    stay lists)."""
    if not text.strip():
        return {}
    data = json.loads(text)
    info = data.get("jail-information", {})
    jails = info.get("jail", []) if isinstance(info, dict) else []
    out: dict[str, dict[str, Any]] = {}
    for j in jails:
        params = {k: (list(map(_scalar, v)) if isinstance(v, list) else _scalar(v)) for k, v in j.items()}
        name = params.get("name") or params.get("jid")
        if name is not None:
            out[str(name)] = params
    return out


# --------------------------------------------------------------------------------------------
# service jail / jail(8)


def service(action: str, name: str) -> list[str]:
    """``service jail one<action> NAME``: the ``one`` form works whether or not jail_enable=YES
    (``start`` without it prints "Cannot 'start' jail" and exits 0)."""
    return [SERVICE, "jail", f"one{action}", name]


def start_failed(output: str, name: str) -> Optional[str]:
    """rc.d/jail's failure text (it exits 0 anyway), or None."""
    marker = f'cannot start jail  "{name}":'
    if marker in output or "cannot start jail" in output:
        tail = output.split("cannot start jail", 1)[1]
        tail = tail.split(":", 1)[1] if ":" in tail else tail
        return tail.strip().rstrip(".").strip() or "jail(8) failed"
    if "Invalid configuration" in output:
        return output.strip()
    return None


def tail_file(path: str, lines: int = 20) -> list[str]:
    return [SH, "-c", '[ -e "$1" ] && tail -n "$2" "$1"; exit 0', "sh", path, str(lines)]


# Stop a jail and verify it, in one exec (rc.d/jail exits 0 even when jail(8) fails):
#   $1 jail name, $2 the epair's host end ("" = unknown), $3 the conf file a running jail must
#   have to be stopped ("" = no such check).
# A running jail is refused (exit 4) when $3 is missing, else stopped with `service jail
# onestop`; still running then -> exit 5 (the service's output is the step's output). Once it
# is not running, an epair left behind is destroyed, with a marker line when it was our stop
# (its exec.poststop) that left it.
_STOP_SCRIPT = r'''
n=$1; ep=$2; conf=$3; stopped=
if /usr/sbin/jls -j "$n" >/dev/null 2>&1; then
  if [ -n "$conf" ] && [ ! -e "$conf" ]; then exit 4; fi
  /usr/sbin/service jail onestop "$n" || exit 1
  if /usr/sbin/jls -j "$n" >/dev/null 2>&1; then exit 5; fi
  stopped=1
fi
if [ -n "$ep" ] && /sbin/ifconfig "$ep" >/dev/null 2>&1; then
  /sbin/ifconfig "$ep" destroy
  if [ -n "$stopped" ]; then printf '\001pulumi-reaped %s\n' "$ep"; fi
fi
exit 0
'''
STOP_NO_CONF = 4
STOP_STILL_RUNNING = 5
_REAPED = "\x01pulumi-reaped "


def stop(name: str, host_epair: Optional[str], conf: Optional[str] = None) -> list[str]:
    """``service jail onestop NAME`` verified with jls, then a leftover epair destroyed (see
    :data:`_STOP_SCRIPT`); with ``conf``, a running jail without that file is refused."""
    return [SH, "-c", _STOP_SCRIPT, "sh", name, host_epair or "", conf or ""]


def reaped(output: str) -> list[str]:
    """The epairs the stop script destroyed after the jail's exec.poststop left them behind."""
    return [line[len(_REAPED):] for line in lines(output) if line.startswith(_REAPED)]


def destroy_if_present(iface: str) -> list[str]:
    """``ifconfig IFACE destroy`` when it exists (a failed start can leave the epair behind);
    exits 0 either way."""
    return [SH, "-c", 'if /sbin/ifconfig "$1" >/dev/null 2>&1; then /sbin/ifconfig "$1" destroy; fi; exit 0',
            "sh", iface]


# --------------------------------------------------------------------------------------------
# rc.conf: jail_enable / jail_list (one locked script each, so concurrent jails lose nothing)

_BOOT_ON_SCRIPT = r'''
n=$1; m=$2
case $(/usr/sbin/sysrc -n jail_enable 2>/dev/null) in
  [Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) ;;
  *) mkdir -p "${m%/*}"
     if [ ! -e "$m" ]; then
       # the value set in rc.conf itself (-n would fall back to /etc/defaults/rc.conf's NO)
       v=$(/usr/sbin/sysrc -f /etc/rc.conf -a 2>/dev/null | sed -n 's/^jail_enable: //p')
       if [ -n "$v" ]; then printf '%s\n' "$v" > "$m"; else echo "__unset__" > "$m"; fi
     fi
     /usr/sbin/sysrc jail_enable=YES >/dev/null || exit 1 ;;
esac
/usr/sbin/sysrc jail_list+="$n" >/dev/null
'''

_BOOT_OFF_SCRIPT = r'''
n=$1; m=$2
if /usr/sbin/sysrc -f /etc/rc.conf -n jail_list >/dev/null 2>&1; then
  /usr/sbin/sysrc jail_list-="$n" >/dev/null || exit 1
  if [ -z "$(/usr/sbin/sysrc -f /etc/rc.conf -n jail_list 2>/dev/null)" ]; then
    /usr/sbin/sysrc -x jail_list
    if [ -e "$m" ]; then
      p=$(cat "$m")
      if [ "$p" = "__unset__" ]; then /usr/sbin/sysrc -x jail_enable 2>/dev/null
      else /usr/sbin/sysrc jail_enable="$p" >/dev/null; fi
      rm -f "$m"
      rmdir "${m%/*}" 2>/dev/null
    fi
  fi
fi
exit 0
'''


def boot_enable(name: str) -> list[str]:
    """``jail_enable=YES`` (remembering the previous value, once) and ``jail_list+=NAME``."""
    return locked([SH, "-c", _BOOT_ON_SCRIPT, "sh", name, JAIL_ENABLE_MARKER])


def boot_disable(name: str) -> list[str]:
    """``jail_list-=NAME``; when the list is empty, drop it and restore jail_enable if we set it."""
    return locked([SH, "-c", _BOOT_OFF_SCRIPT, "sh", name, JAIL_ENABLE_MARKER])


def is_yes(v: Optional[str]) -> bool:
    return (v or "").strip().lower() in ("yes", "true", "on", "1")


# --------------------------------------------------------------------------------------------
# conf files

# Write the conf file under the host lock, choosing the epair unit there so parallel creates
# never pick the same one: the lowest N not used by an interface (ifconfig -l) nor named in
# another conf file of the directory.
#   $1 conf path, $2 requested unit ("" = allocate), $3 the staged rendered file (with the
#   EPAIR placeholder), $4 for a create, the jail name: refused (exit 4) when its conf file
#   exists or a jail of that name runs ("" = overwrite), $5 a bridge that must exist (exit 5;
#   "" = no check).  Prints the unit; a requested unit already in use exits 3.
_ALLOC_WRITE_SCRIPT = r'''
set -e
conf=$1; want=$2; dir=${conf%/*}; name=$4; bridge=$5
mkdir -p "$dir"
if [ -n "$name" ]; then
  if [ -e "$conf" ] || /usr/sbin/jls -j "$name" >/dev/null 2>&1; then
    echo "jail $name already exists (running, or $conf exists)" >&2
    exit 4
  fi
fi
ifaces=$(/sbin/ifconfig -l)
if [ -n "$bridge" ]; then
  case " $ifaces " in
    *" $bridge "*) ;;
    *) echo "bridge $bridge does not exist" >&2; exit 5 ;;
  esac
fi
others=$(for f in "$dir"/*.conf; do if [ -e "$f" ] && [ "$f" != "$conf" ]; then cat "$f"; fi; done; true)
used=$( { printf '%s\n' "$ifaces"; printf '%s\n' "$others"; } | grep -o 'epair[0-9][0-9]*' | sed 's/^epair//' | sort -un)
if [ -n "$want" ]; then
  for u in $used; do
    if [ "$u" -eq "$want" ]; then
      echo "epair$want is already in use (an existing interface or another jail's conf file in $dir)" >&2
      exit 3
    fi
  done
  n=$want
else
  n=0
  for u in $used; do
    if [ "$u" -eq "$n" ]; then n=$((n+1)); elif [ "$u" -gt "$n" ]; then break; fi
  done
fi
p=$(printf '\001')
t="$conf.pulumi-tmp.$$"
umask 022
sed "s/${p}EPAIR${p}/$n/g" < "$3" > "$t"
chmod 0644 "$t"
mv -f "$t" "$conf"
echo "$n"
'''
WRITE_IN_USE = 3
WRITE_EXISTS = 4
WRITE_NO_BRIDGE = 5


# The rendered file is staged in a temp file BEFORE the lock is taken (so the lock is never held
# while data crosses the network), then the allocation + write runs under the host lock. The
# file comes in the command itself ($4, so that the write can be one step of a batch) or, when
# $4 is empty, on stdin (a file too big for a command line).
#   $1 the locked script, $2 conf path, $3 requested unit, $4 the rendered file or "",
#   $5 $6 the create checks ($4 $5 above), $7... the lockf prefix
_STAGE_SCRIPT = r'''
script=$1 conf=$2 want=$3 text=$4 name=$5 bridge=$6; shift 6
mkdir -p "${conf%/*}" || exit 1
in=$(mktemp "$conf.pulumi-in.XXXXXX") || exit 1
if [ -n "$text" ]; then printf '%s' "$text" > "$in"; else cat > "$in"; fi || { rm -f "$in"; exit 1; }
"$@" /bin/sh -c "$script" sh "$conf" "$want" "$in" "$name" "$bridge"
rc=$?
rm -f "$in"
exit $rc
'''

# A rendered file travels in the command when its quoted form is at most this long (in practice
# a file is a few KiB). Quoted once more inside a batch it grows at most 5x: still far below
# sshd's 256 KiB packet and the host's ARG_MAX.
INLINE_MAX = 32768


def fits_inline(text: str) -> bool:
    return len(shlex.quote(text)) <= INLINE_MAX


def allocate_and_write(name: str, unit: Optional[int], text: Optional[str] = None, *,
                       create: bool = False, bridge: Optional[str] = None) -> list[str]:
    """Write the rendered conf file (with the UNIT_PLACEHOLDER) under the host lock, allocating
    the epair unit when ``unit`` is None; prints the unit.  ``text``: the file, carried in the
    command (when it :func:`fits_inline`), or None to read it from stdin.  ``create`` refuses an
    existing jail (exit WRITE_EXISTS), ``bridge`` a missing bridge (exit WRITE_NO_BRIDGE)."""
    if text is not None and not text:
        raise ValueError("empty jail conf file")
    lock_prefix = locked([])
    return [SH, "-c", _STAGE_SCRIPT, "sh", _ALLOC_WRITE_SCRIPT, conf_path(name),
            "" if unit is None else str(unit), text or "", name if create else "", bridge or "",
            *lock_prefix]


_ALL_CONFS_SCRIPT = r'''
for f in "$1"/*.conf; do
  [ -e "$f" ] || continue
  printf '\001pulumi-file %s\001\n' "$f"; cat "$f"
done
exit 0
'''


def read_confs() -> list[str]:
    """The shared fact: every file in /etc/jail.conf.d, each after a marker line."""
    return [SH, "-c", _ALL_CONFS_SCRIPT, "sh", CONF_DIR]


def parse_confs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    cur: Optional[str] = None
    buf: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("\x01pulumi-file ") and line.rstrip("\n").endswith("\x01"):
            if cur is not None:
                out[cur] = "".join(buf)
            cur, buf = line[len("\x01pulumi-file "):].rstrip("\n")[:-1], []
        else:
            buf.append(line)
    if cur is not None:
        out[cur] = "".join(buf)
    return out


# --------------------------------------------------------------------------------------------
# Rendering


def sh_join(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def conf_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


@dataclass
class JailSpec:
    name: str
    path: str
    bridge: str
    unit: Any  # int, or UNIT_PLACEHOLDER while allocating
    hostname: Optional[str] = None
    addresses: list[str] = field(default_factory=list)
    default_router: Optional[str] = None
    sysvipc: str = "disable"
    allow: list[str] = field(default_factory=list)
    devfs_ruleset: Optional[int] = None
    parameters: dict[str, str] = field(default_factory=dict)
    hooks: dict[str, list[list[str]]] = field(default_factory=dict)


HEADER = "# Managed by Pulumi (freebsd:index:VnetJail): edits are reverted by the next `pulumi up`."


def render_conf(s: JailSpec) -> str:
    ep = f"epair{s.unit}"
    a, b = ep + "a", ep + "b"
    L: list[str] = [HEADER, f"{s.name} {{"]

    def put(key: str, values: list[str]) -> None:
        for i, v in enumerate(values):
            L.append(f"  {key} {'=' if i == 0 else '+='} {conf_string(v)};")

    put("host.hostname", [s.hostname or s.name])
    put("path", [s.path])
    L.append("  vnet;")
    put("vnet.interface", [b])
    put("exec.prestart", [f"/sbin/ifconfig {ep} create up", f"/sbin/ifconfig {s.bridge} addm {a} up"]
        + [sh_join(h) for h in s.hooks.get("prestart", [])])
    start: list[str] = []
    v4 = [x for x in s.addresses if ":" not in x]
    v6 = [x for x in s.addresses if ":" in x]
    first = True
    for x in v4:
        start.append(f"/sbin/ifconfig {b} {x} up" if first else f"/sbin/ifconfig {b} inet {x} alias")
        first = False
    for x in v6:
        start.append(f"/sbin/ifconfig {b} inet6 {x} alias")
    if not s.addresses:
        start.append(f"/sbin/ifconfig {b} up")
    if s.default_router:
        fam = "-6 " if ":" in s.default_router else ""
        start.append(f"/sbin/route {fam}add default {s.default_router}")
    start.append("/bin/sh /etc/rc")
    put("exec.start", start)
    if s.hooks.get("poststart"):
        put("exec.poststart", [sh_join(h) for h in s.hooks["poststart"]])
    if s.hooks.get("prestop"):
        put("exec.prestop", [sh_join(h) for h in s.hooks["prestop"]])
    put("exec.stop", ["/bin/sh /etc/rc.shutdown"])
    put("exec.poststop", [f"/sbin/ifconfig {s.bridge} deletem {a}", f"/sbin/ifconfig {a} destroy"]
        + [sh_join(h) for h in s.hooks.get("poststop", [])])
    L.append("  exec.clean;")
    put("exec.consolelog", [consolelog_path(s.name)])
    L.append("  mount.devfs;")
    if s.devfs_ruleset is not None:
        L.append(f"  devfs_ruleset = {int(s.devfs_ruleset)};")
    for x in s.allow:
        L.append(f"  allow.{x};")
    if s.sysvipc != "disable":
        for k in ("sysvshm", "sysvmsg", "sysvsem"):
            L.append(f"  {k} = {s.sysvipc};")
    for k in sorted(s.parameters):
        put(k, [s.parameters[k]])
    L.append("}")
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------------------------
# Parsing our own rendering back


_LINE_RE = re.compile(r'^\s*([a-z][a-z0-9_.]*)\s*(?:(\+?=)\s*(.*?))?\s*;\s*\Z')


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        out, i, body = [], 0, v[1:-1]
        while i < len(body):
            c = body[i]
            if c == "\\" and i + 1 < len(body):
                out.append(body[i + 1])
                i += 2
            else:
                out.append(c)
                i += 1
        return "".join(out)
    return v


class ConfParseError(ValueError):
    pass


def parse_conf(text: str) -> tuple[str, dict[str, list[str]]]:
    """(jail name, {parameter: [values...]}) of a one-block file as :func:`render_conf` writes it.
    Booleans (``vnet;``) get the value ``"true"``."""
    name = None
    params: dict[str, list[str]] = {}
    depth = 0
    for raw in lines(text):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("//"):
            continue
        m = re.match(r"^([A-Za-z0-9_-]+)\s*\{$", line)
        if m and depth == 0:
            name, depth = m.group(1), 1
            continue
        if line == "}":
            depth = 0
            continue
        m = _LINE_RE.match(line)
        if not m or depth != 1:
            raise ConfParseError(f"unexpected line in jail conf file: {raw!r}")
        k, op, v = m.group(1), m.group(2), m.group(3)
        if op is None:
            params.setdefault(k, []).append("true")
        elif op == "=":
            params[k] = [_unquote(v)]
        else:
            params.setdefault(k, []).append(_unquote(v))
    if name is None:
        raise ConfParseError("no jail block in the conf file")
    return name, params


_PRESTART_RE = re.compile(r"^/sbin/ifconfig epair(\d+) create up\Z")
_ADDM_RE = re.compile(r"^/sbin/ifconfig (\S+) addm epair(\d+)a up\Z")
_ADDR_RE = re.compile(r"^/sbin/ifconfig epair\d+b (?:inet6? )?(\S+/\d+)(?: up| alias)\Z")
_ROUTE_RE = re.compile(r"^/sbin/route (?:-6 )?add default (\S+)\Z")


def spec_from_params(name: str, p: dict[str, list[str]]) -> JailSpec:
    """Rebuild the spec from the parameters of a file we rendered (for import and drift)."""
    pre = p.get("exec.prestart", [])
    if len(pre) < 2:
        raise ConfParseError("exec.prestart does not create an epair: not a VnetJail conf file")
    m1, m2 = _PRESTART_RE.match(pre[0]), _ADDM_RE.match(pre[1])
    if not m1 or not m2:
        raise ConfParseError("exec.prestart does not create an epair: not a VnetJail conf file")
    unit = int(m1.group(1))
    hooks: dict[str, list[list[str]]] = {}
    if pre[2:]:
        hooks["prestart"] = [shlex.split(c) for c in pre[2:]]
    addresses: list[str] = []
    router = None
    for c in p.get("exec.start", []):
        m = _ADDR_RE.match(c)
        if m:
            addresses.append(m.group(1))
            continue
        m = _ROUTE_RE.match(c)
        if m:
            router = m.group(1)
    for k in ("poststart", "prestop"):
        if p.get(f"exec.{k}"):
            hooks[k] = [shlex.split(c) for c in p[f"exec.{k}"]]
    post = p.get("exec.poststop", [])[2:]
    if post:
        hooks["poststop"] = [shlex.split(c) for c in post]
    sysv = (p.get("sysvshm") or ["disable"])[-1]
    allow = [k[len("allow."):] for k, v in p.items() if k.startswith("allow.") and v == ["true"]]
    rendered = {"host.hostname", "path", "vnet", "vnet.interface", "exec.prestart", "exec.start",
                "exec.poststart", "exec.prestop", "exec.stop", "exec.poststop", "exec.clean",
                "exec.consolelog", "mount.devfs", "devfs_ruleset", "sysvshm", "sysvmsg", "sysvsem"}
    params = {k: ",".join(v) for k, v in p.items()
              if k not in rendered and not (k.startswith("allow.") and v == ["true"])}
    dr = p.get("devfs_ruleset")
    return JailSpec(
        name=name, path=(p.get("path") or [""])[-1], bridge=m2.group(1), unit=unit,
        hostname=(p.get("host.hostname") or [name])[-1], addresses=addresses,
        default_router=router, sysvipc=sysv, allow=allow,
        devfs_ruleset=int(dr[-1]) if dr else None, parameters=params, hooks=hooks)


# --------------------------------------------------------------------------------------------
# Validation


def text_error(s: str, what: str) -> Optional[str]:
    if not isinstance(s, str):
        return f"{what} must be a string"
    if _CTRL_RE.search(s):
        return f"{what} must not contain control characters (newlines, tabs, NUL, ...)"
    return None


# A jail parameter is a sysctl under security.jail.param (kern_jail.c SYSCTL_JAIL_PARAM*); the
# names FreeBSD defines are short dotted words. Longer names are refused in check, not sent to
# the host to fail there.
PARAM_NAME_MAX = 128
_HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")


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


def param_name_error(k: str) -> Optional[str]:
    if isinstance(k, str) and len(k) > PARAM_NAME_MAX:
        return f"invalid jail parameter name {k[:40]!r}...: at most {PARAM_NAME_MAX} characters"
    if not _PARAM_NAME_RE.match(k or "") or ".." in k or k.endswith("."):
        return f"invalid jail parameter name {k!r}: expected lowercase words joined by '.', e.g. 'enforce_statfs'"
    if k in MANAGED_PARAMS or k.startswith("exec.") or k.startswith("allow.") or k.startswith("mount"):
        return (f"jail parameter {k!r} is managed by the resource: use its own property "
                f"(path, hostname, allow, sysvipc, devfsRuleset, execHooks, ...)")
    return None


def param_value_error(k: str, v: str) -> Optional[str]:
    err = text_error(v, f"the value of {k!r}")
    if err:
        return err
    if any(c in v for c in "\"'\\"):
        return f"the value of {k!r} must not contain quotes or backslashes"
    if len(v) > 1024:
        return f"the value of {k!r} is too long (max 1024 characters)"
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


def parse_unit(epair: str) -> Optional[int]:
    m = re.match(r"^(?:epair)?(\d{1,5})\Z", epair or "")
    return int(m.group(1)) if m else None
