"""Keys: the lazy paramiko import, host-key verification and key parsing.

Host keys are verified against a pinned public key (``hostKey``) or a known_hosts file
(``knownHostsFile``); an unknown or changed key is refused with its SHA256 fingerprint, never
accepted.
"""
from __future__ import annotations

import base64
import hashlib
import io
from typing import TYPE_CHECKING, Optional

from ..errors import HostKeyError

if TYPE_CHECKING:  # pragma: no cover
    from .connection import ConnectionConfig


class _LazyParamiko:
    """paramiko is imported on first use: the provider's start-up (and every `preview` that never
    connects) does not pay its ~0.2 s import."""

    def __getattr__(self, name: str):
        import paramiko as _paramiko
        globals()["paramiko"] = _paramiko
        return getattr(_paramiko, name)


paramiko = _LazyParamiko()


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style SHA256 fingerprint of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def parse_public_key(text: str) -> paramiko.PKey:
    """Parse an OpenSSH public key line (``type base64 [comment]``, or a known_hosts line)."""
    words = text.strip().split()
    for i, w in enumerate(words):
        if w.startswith(("ssh-", "ecdsa-sha2-", "sk-")) and i + 1 < len(words):
            try:
                blob = base64.b64decode(words[i + 1], validate=True)
            except Exception as e:  # noqa: BLE001
                raise ValueError(f"hostKey: the key data is not valid base64 ({e})") from None
            try:
                return paramiko.PKey.from_type_string(w, blob)
            except Exception as e:  # noqa: BLE001
                raise ValueError(f"hostKey: cannot parse a {w} key ({e})") from None
    raise ValueError("hostKey must be an OpenSSH public key line such as 'ssh-ed25519 AAAA...'")


def parse_private_key(text: str, passphrase: Optional[str] = None) -> paramiko.PKey:
    errors = []
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise ValueError("privateKey is encrypted: set privateKeyPassphrase") from None
        except Exception as e:  # noqa: BLE001
            errors.append(type(e).__name__)
    raise ValueError("privateKey is not a supported OpenSSH/PEM private key (ed25519, ecdsa or rsa)")


class VerifyPolicy:
    """paramiko's MissingHostKeyPolicy interface (duck-typed: paramiko calls missing_host_key)."""

    def __init__(self, cfg: "ConnectionConfig"):
        self.cfg = cfg

    def missing_host_key(self, client, hostname, key):  # noqa: D401
        fp = fingerprint(key)
        if self.cfg.host_key:
            raise HostKeyError(
                f"host key mismatch for {hostname}: the host offered {key.get_name()} {fp}, "
                f"which is not the pinned freebsd:hostKey; refusing to connect "
                f"(if the host key was rotated on purpose, update hostKey)"
            )
        if self.cfg.known_hosts_file:
            raise HostKeyError(
                f"host {hostname} is not in {self.cfg.known_hosts_file} (it offered {key.get_name()} {fp}); "
                f"refusing to connect: add its key to that file or pin it with freebsd:hostKey"
            )
        raise HostKeyError(
            f"no host key to verify {hostname} against (it offered {key.get_name()} {fp}): "
            f"set freebsd:hostKey to the host's public key or freebsd:knownHostsFile"
        )
