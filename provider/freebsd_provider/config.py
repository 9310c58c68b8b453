"""Provider configuration: how to reach and authenticate one FreeBSD host."""
from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Optional

from . import wire
from .resources.base import Failure, field, fields_of, coerce, type_error
from .ssh import ConnectionConfig, parse_private_key, parse_public_key


@dataclass
class ProviderConfig:
    host: str = field("Address or DNS name of the FreeBSD host to manage over SSH.")
    port: int = field("SSH port.", default=22)
    user: str = field("SSH user (root, or a user allowed to run `doas`/`sudo`, see `become`).",
                      default="root")
    private_key: Optional[str] = field(
        "Private key (OpenSSH or PEM text) used to log in. When unset, the SSH agent "
        "(`SSH_AUTH_SOCK`) is used. Always treated as a secret.", default=None, secret=True)
    private_key_passphrase: Optional[str] = field(
        "Passphrase of an encrypted `privateKey`. Always treated as a secret.", default=None, secret=True)
    host_key: Optional[str] = field(
        "The host's public key to pin, as an OpenSSH line (`ssh-ed25519 AAAA...`, e.g. from "
        "`ssh-keyscan` or `/etc/ssh/ssh_host_ed25519_key.pub`). Either this or "
        "`knownHostsFile` is required: an unknown or changed host key is refused, never accepted.",
        default=None)
    known_hosts_file: Optional[str] = field(
        "Path of a known_hosts file (on the machine running Pulumi) holding the host's key, used "
        "when `hostKey` is not set.", default=None)
    become: str = field(
        "How to get root for commands when `user` is not root: `none`, `doas` or `sudo` "
        "(non-interactive, `sudo -n`).", default="none")
    max_sessions: int = field(
        "Maximum concurrent SSH channels on the one connection (keep below sshd's MaxSessions, "
        "10 by default).", default=8)
    connect_timeout: float = field("Seconds to wait for the SSH connection and each channel.", default=15.0)
    command_timeout: float = field("Seconds after which one remote command is abandoned.", default=600.0)
    connect_retries: int = field("Connection attempts after the first one fails (with backoff).", default=4)


CONFIG_FIELDS = fields_of(ProviderConfig)
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?\Z")
_USER_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}\Z")


def from_variables(variables: dict[str, str]) -> dict[str, Any]:
    """Configure's ``variables`` (``freebsd:config:host`` → JSON-ish strings) as wire values."""
    out: dict[str, Any] = {}
    for k, v in variables.items():
        key = k.split(":")[-1]
        try:
            out[key] = json.loads(v) if not isinstance(v, str) or v[:1] in "{[0123456789tfn-" else v
        except (ValueError, TypeError):
            out[key] = v
        if isinstance(out[key], (int, float)) and key in ("host", "user", "hostKey", "knownHostsFile", "privateKey"):
            out[key] = v
    return out


def _from_string(tp, v: Any) -> Any:
    """Config values arrive as strings from stack config: parse numbers and booleans."""
    from .resources.base import _strip_optional
    tp = _strip_optional(tp)
    raw = v.value if isinstance(v, wire.Secret) else v
    if not isinstance(raw, str) or wire.is_unknown(raw):
        return v
    try:
        if tp is int and raw.strip().lstrip("-").isdigit():
            raw = int(raw)
        elif tp is float:
            raw = float(raw)
        elif tp is bool and raw in ("true", "false"):
            raw = raw == "true"
        else:
            return v
    except ValueError:
        return v
    return wire.Secret(raw) if isinstance(v, wire.Secret) else raw


def check(values: dict[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
    failures: list[Failure] = []
    known = {f.wire: f for f in CONFIG_FIELDS}
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k.startswith("__") or k == "version":
            continue
        if k not in known:
            failures.append(Failure(k, f"unknown provider setting '{k}' (known: {', '.join(sorted(known))})"))
            continue
        f = known[k]
        v = coerce(f.type, _from_string(f.type, v))
        e = type_error(f.type, v, k)
        if e:
            failures.append(Failure(k, e))
            continue
        out[k] = wire.Secret(wire.reveal(v)) if f.secret and v is not None and not isinstance(v, wire.Secret) else v
    for f in CONFIG_FIELDS:
        if out.get(f.wire) is None and f.default is not None:
            out[f.wire] = f.default
    plain = wire.reveal(out)

    def known_val(k):
        v = plain.get(k)
        return None if wire.is_unknown(v) else v

    host = known_val("host")
    if host is None and not wire.is_unknown(plain.get("host")):
        failures.append(Failure("host", "missing required setting 'freebsd:host' (the host's address)"))
    elif isinstance(host, str):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not _HOSTNAME_RE.match(host):
                failures.append(Failure("host", f"invalid host {host!r}: expected an IP address or a DNS name"))
    port = known_val("port")
    if isinstance(port, int) and not 1 <= port <= 65535:
        failures.append(Failure("port", f"port {port} is out of range 1-65535"))
    user = known_val("user")
    if isinstance(user, str) and not _USER_RE.match(user):
        failures.append(Failure("user", f"invalid user name {user!r}"))
    become = known_val("become")
    if isinstance(become, str) and become not in ("none", "doas", "sudo"):
        failures.append(Failure("become", f"become must be one of none, doas, sudo (got {become!r})"))
    hk = known_val("hostKey")
    if isinstance(hk, str):
        try:
            parse_public_key(hk)
        except ValueError as e:
            failures.append(Failure("hostKey", str(e)))
    khf = known_val("knownHostsFile")
    if isinstance(khf, str):
        if "\x00" in khf or not khf:
            failures.append(Failure("knownHostsFile", "invalid path"))
        elif not os.path.isfile(os.path.expanduser(khf)):
            failures.append(Failure("knownHostsFile", f"known_hosts file {khf} does not exist"))
    pk = known_val("privateKey")
    if isinstance(pk, str):
        try:
            parse_private_key(pk, known_val("privateKeyPassphrase"))
        except ValueError as e:
            failures.append(Failure("privateKey", str(e)))  # never echoes the key
    ms = known_val("maxSessions")
    if isinstance(ms, int) and not 1 <= ms <= 64:
        failures.append(Failure("maxSessions", "maxSessions must be between 1 and 64"))
    for k in ("connectTimeout", "commandTimeout"):
        v = known_val(k)
        if isinstance(v, (int, float)) and v <= 0:
            failures.append(Failure(k, f"{k} must be positive"))
    return out, failures


def has_unknowns(values: dict[str, Any]) -> bool:
    return any(wire.contains_unknown(v) for v in values.values())


def connection_config(values: dict[str, Any]) -> ConnectionConfig:
    p = wire.reveal(values)
    return ConnectionConfig(
        host=p["host"], port=int(p.get("port") or 22), user=p.get("user") or "root",
        private_key=p.get("privateKey"), private_key_passphrase=p.get("privateKeyPassphrase"),
        host_key=p.get("hostKey"),
        known_hosts_file=os.path.expanduser(p["knownHostsFile"]) if p.get("knownHostsFile") else None,
        become=p.get("become") or "none", max_sessions=int(p.get("maxSessions") or 8),
        connect_timeout=float(p.get("connectTimeout") or 15), command_timeout=float(p.get("commandTimeout") or 600),
        connect_retries=int(p["connectRetries"]) if p.get("connectRetries") is not None else 4,
    )


def secret_strings(values: dict[str, Any]) -> set[str]:
    """Every secret string in the config (to scrub from messages)."""
    out = set()
    for f in CONFIG_FIELDS:
        v = wire.reveal(values.get(f.wire))
        if f.secret and isinstance(v, str) and v:
            out.add(v)
            out.update(line.strip() for line in v.splitlines() if len(line.strip()) >= 8)
    return out
