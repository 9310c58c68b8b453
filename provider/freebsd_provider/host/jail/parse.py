"""What the host says about jails, parsed: jls(8)'s libxo JSON, the /etc/jail.conf.d dump, a
conf file of our own rendering (back to a :class:`JailSpec`), rc.d/jail's start output, and the
yes/no values of rc.conf."""
from __future__ import annotations

import json
import re
import shlex
from typing import Any, Optional

from ..common import lines
from .conf import JailSpec

# --------------------------------------------------------------------------------------------
# jls


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


def jid_of(jails: dict[str, dict[str, Any]], name: str) -> Optional[int]:
    """The JID of the running jail ``name`` in :func:`parse_jls`'s result, or None."""
    j = jails.get(name)
    if j is None:
        return None
    try:
        return int(j.get("jid"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# the conf files


_FILE_MARK = "\x01pulumi-file "  # written by scripts.read_confs before each file


def _lines_kept(text: str) -> list[str]:
    """The lines of ``text`` with their "\\n" (a conf file's text may hold other line breaks)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def parse_confs(text: str) -> dict[str, str]:
    """Every file's text by path, from :func:`.scripts.read_confs`'s output."""
    out: dict[str, str] = {}
    cur: Optional[str] = None
    buf: list[str] = []
    for line in _lines_kept(text):
        if line.startswith(_FILE_MARK) and line.rstrip("\n").endswith("\x01"):
            if cur is not None:
                out[cur] = "".join(buf)
            cur, buf = line[len(_FILE_MARK):].rstrip("\n")[:-1], []
        else:
            buf.append(line)
    if cur is not None:
        out[cur] = "".join(buf)
    return out


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
    """(jail name, {parameter: [values...]}) of a one-block file as :func:`.conf.render_conf`
    writes it. Booleans (``vnet;``) get the value ``"true"``."""
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
# what render_conf writes itself (the rest are the user's parameters)
_RENDERED = frozenset({
    "host.hostname", "path", "vnet", "vnet.interface", "exec.prestart", "exec.start",
    "exec.poststart", "exec.prestop", "exec.stop", "exec.poststop", "exec.clean",
    "exec.consolelog", "mount.devfs", "devfs_ruleset", "sysvshm", "sysvmsg", "sysvsem"})


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
    params = {k: ",".join(v) for k, v in p.items()
              if k not in _RENDERED and not (k.startswith("allow.") and v == ["true"])}
    dr = p.get("devfs_ruleset")
    return JailSpec(
        name=name, path=(p.get("path") or [""])[-1], bridge=m2.group(1), unit=unit,
        hostname=(p.get("host.hostname") or [name])[-1], addresses=addresses,
        default_router=router, sysvipc=sysv, allow=allow,
        devfs_ruleset=int(dr[-1]) if dr else None, parameters=params, hooks=hooks)


def parse_unit(epair: str) -> Optional[int]:
    """The unit of ``epairN`` (or of ``N``), or None."""
    if not isinstance(epair, str):
        return None
    m = re.match(r"^(?:epair)?(\d{1,5})\Z", epair)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------------------------
# rc.d/jail and rc.conf


def start_failed(output: str, name: str) -> Optional[str]:
    """rc.d/jail's failure text in ``service jail onestart``'s output (it exits 0 anyway), or
    None."""
    marker = f'cannot start jail  "{name}":'
    if marker in output or "cannot start jail" in output:
        tail = output.split("cannot start jail", 1)[1]
        tail = tail.split(":", 1)[1] if ":" in tail else tail
        return tail.strip().rstrip(".").strip() or "jail(8) failed"
    if "Invalid configuration" in output:
        return output.strip()
    return None


def is_yes(v: Optional[str]) -> bool:
    return (v or "").strip().lower() in ("yes", "true", "on", "1")
