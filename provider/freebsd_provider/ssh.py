"""SSH transport on paramiko: one connection per host, many channels, argv lists only.

* ``join_argv`` is the ONE place where an argv list becomes a command line (``shlex.quote`` on
  every word).  Nothing else in the provider builds shell text from values.
* Host keys are verified: a pinned public key (``hostKey``) or a known_hosts file
  (``knownHostsFile``).  An unknown or changed key is refused with its SHA256 fingerprint.
* One ``paramiko.Transport`` per ``Connection``; concurrent commands each get their own channel;
  open channels (in use + spare) never exceed ``max_sessions`` (below sshd's ``MaxSessions``).
* Round trips: TCP_NODELAY (no Nagle/delayed-ACK stall between the small SSH messages of one
  command), and a few session channels are opened AHEAD of need in the background, so a command
  costs one round trip (exec request -> output) instead of two and a half (channel open ->
  confirmation -> exec -> output).
* Every call is blocking; the provider calls them through ``asyncio.to_thread``.
"""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import select
import shlex
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from . import trace
from .errors import (AuthFailed, Cancelled, CommandFailed, CommandTimeout, ConnectionLost,
                     HostKeyError, HostUnreachable, SSHError, classify)


class _LazyParamiko:
    """paramiko is imported on first use: the provider's start-up (and every `preview` that never
    connects) does not pay its ~0.2 s import."""

    def __getattr__(self, name: str):
        import paramiko as _paramiko
        globals()["paramiko"] = _paramiko
        return getattr(_paramiko, name)


paramiko = _LazyParamiko()

log = logging.getLogger(__name__)

BECOME_PREFIX = {"none": [], "doas": ["doas"], "sudo": ["sudo", "-n", "--"]}


CommandError = CommandFailed  # the name most callers know


@dataclass
class Result:
    argv: list[str]
    command: str
    exit_code: int
    stdout: str
    stderr: str
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def join_argv(argv: Sequence[str]) -> str:
    """Turn an argv list into one command line for the remote /bin/sh (the only quoting point)."""
    if not argv:
        raise ValueError("empty argv")
    for a in argv:
        if not isinstance(a, str):
            raise TypeError(f"argv items must be str, got {type(a).__name__}")
        if "\x00" in a:
            raise ValueError("NUL byte in a command argument")
    return " ".join(shlex.quote(a) for a in argv)


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


@dataclass
class ConnectionConfig:
    host: str
    port: int = 22
    user: str = "root"
    private_key: Optional[str] = None  # secret
    private_key_passphrase: Optional[str] = None  # secret
    host_key: Optional[str] = None
    known_hosts_file: Optional[str] = None
    become: str = "none"
    connect_timeout: float = 15.0
    command_timeout: float = 600.0
    max_sessions: int = 8
    connect_retries: int = 4
    retry_delay: float = 1.0

    def key(self) -> tuple:
        return (self.host, self.port, self.user, self.host_key, self.known_hosts_file, self.become)


class _VerifyPolicy:
    """paramiko's MissingHostKeyPolicy interface (duck-typed: paramiko calls missing_host_key)."""

    def __init__(self, cfg: ConnectionConfig):
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


class Connection:
    """One SSH connection to one host; thread-safe; channels limited by ``max_sessions``."""

    SPARES = 2  # channels kept open ahead of need (each waits for one exec request)

    def __init__(self, cfg: ConnectionConfig, on_command: Optional[Callable[[Result], None]] = None,
                 spares: Optional[int] = None):
        self.cfg = cfg
        self._client: Optional[paramiko.SSHClient] = None
        self._lock = threading.Lock()
        self._sem = threading.BoundedSemaphore(max(1, cfg.max_sessions))
        self.on_command = on_command
        self.connects = 0
        self.round_trips = 0
        self._cancelled = False
        # channel accounting for the current transport: open = in use + spare + being opened
        self._spares_wanted = min(self.SPARES if spares is None else spares, max(0, cfg.max_sessions - 1))
        self._cv = threading.Condition()
        self._acct_transport = None
        self._n_open = 0
        self._filling = 0
        self._spares: list = []
        self.peak_channels = 0  # most channels open at once (in use + spare + being opened)

    # -- connection -----------------------------------------------------------------------
    def _known_host_name(self) -> str:
        return self.cfg.host if self.cfg.port == 22 else f"[{self.cfg.host}]:{self.cfg.port}"

    def _new_client(self) -> paramiko.SSHClient:
        cfg = self.cfg
        client = paramiko.SSHClient()
        if cfg.host_key:
            key = parse_public_key(cfg.host_key)
            client.get_host_keys().add(self._known_host_name(), key.get_name(), key)
        elif cfg.known_hosts_file:
            try:
                client.load_host_keys(cfg.known_hosts_file)
            except FileNotFoundError:
                raise HostKeyError(f"knownHostsFile {cfg.known_hosts_file} does not exist") from None
            # load_host_keys makes the client write new keys back; we never add any.
            client._host_keys_filename = None  # type: ignore[attr-defined]
        client.set_missing_host_key_policy(_VerifyPolicy(cfg))
        pkey = parse_private_key(cfg.private_key, cfg.private_key_passphrase) if cfg.private_key else None
        try:
            client.connect(
                cfg.host,
                port=cfg.port,
                username=cfg.user,
                pkey=pkey,
                allow_agent=pkey is None,
                look_for_keys=False,
                timeout=cfg.connect_timeout,
                banner_timeout=cfg.connect_timeout,
                auth_timeout=cfg.connect_timeout,
            )
        except HostKeyError:
            client.close()
            raise
        except paramiko.BadHostKeyException as e:
            client.close()
            raise HostKeyError(
                f"host key mismatch for {cfg.host}:{cfg.port}: the host offered {e.key.get_name()} "
                f"{fingerprint(e.key)} but {fingerprint(e.expected_key)} is pinned; refusing to connect "
                f"(possible man-in-the-middle, or the host key was rotated: update hostKey/knownHostsFile)"
            ) from None
        except paramiko.AuthenticationException as e:
            client.close()
            raise AuthFailed(f"SSH authentication as {cfg.user}@{cfg.host}:{cfg.port} failed: {e}") from None
        except (OSError, socket.timeout, paramiko.SSHException) as e:
            client.close()
            raise HostUnreachable(f"cannot connect to {cfg.host}:{cfg.port}: {e}") from None
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(15)
        try:  # small SSH messages go out at once (no Nagle wait for the previous one's ACK)
            transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (AttributeError, OSError):
            pass
        self.connects += 1
        return client

    def _transport(self) -> paramiko.Transport:
        with self._lock:
            if self._client is not None:
                t = self._client.get_transport()
                if t is not None and t.is_active():
                    return t
                self._client.close()
                self._client = None
            last: Exception | None = None
            delay = self.cfg.retry_delay
            for attempt in range(self.cfg.connect_retries + 1):
                if self._cancelled:
                    raise Cancelled("cancelled")
                try:
                    self._client = self._new_client()
                    t = self._client.get_transport()
                    assert t is not None
                    return t
                except HostKeyError:
                    raise
                except AuthFailed:
                    raise
                except SSHError as e:
                    last = e
                    if attempt < self.cfg.connect_retries:
                        time.sleep(delay)
                        delay = min(delay * 2, 10.0)
            raise HostUnreachable(f"{last} (gave up after {self.cfg.connect_retries + 1} attempts)")

    def probe_new(self, argv: Sequence[str], timeout: float = 10.0) -> Result:
        """Run argv over a NEW connection (one attempt, short timeouts), then close it.

        Used to prove that the host still accepts new SSH connections (e.g. after loading PF
        rules: established connections survive a ruleset change, new ones may not).
        """
        probe = Connection(ConnectionConfig(**{**self.cfg.__dict__, "connect_timeout": timeout,
                                                "connect_retries": 0}), spares=0)
        try:
            return probe.run(argv, timeout=timeout)
        finally:
            probe.close()
            self.connects += probe.connects

    def _drop(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def cancel(self) -> None:
        self._cancelled = True
        self.close()

    # -- commands -------------------------------------------------------------------------
    def run(self, argv: Sequence[str], *, stdin: bytes | str | None = None,
            timeout: Optional[float] = None, check: bool = True, sensitive: bool = False,
            retry_safe: bool = False) -> Result:
        """Run argv on the host (through ``become``); raise CommandError on non-zero if check.

        ``retry_safe``: the command only reads, so after a lost connection it is run once more on
        a new connection. Commands that change the host are never re-sent blindly: the error
        says the connection was lost, and the resource records what it knows.
        """
        argv = list(argv)
        full = BECOME_PREFIX.get(self.cfg.become, []) + argv
        command = join_argv(full)
        timeout = timeout or self.cfg.command_timeout
        trace.event("cmd-start", cmd="<sensitive command>" if sensitive else command[:200])
        with self._sem:
            try:
                result = self._exec(argv, command, stdin, timeout)
            except ConnectionLost as e:
                if not retry_safe or isinstance(e, CommandTimeout) or self._cancelled:
                    raise
                # a read-only command is safe to run again on a new connection
                self._drop()
                result = self._exec(argv, command, stdin, timeout)
        trace.event("cmd-end", cmd="<sensitive command>" if sensitive else command[:200], exit=result.exit_code)
        if self.on_command:
            self.on_command(result if not sensitive else Result(argv, "<sensitive command>", result.exit_code, "", "", result.duration))
        if check and result.exit_code != 0:
            raise classify(result)
        return result

    def _open_channel(self, transport, start: float):
        delay = 0.02
        while True:
            try:
                return transport.open_session(timeout=self.cfg.connect_timeout)
            except paramiko.ChannelException as e:
                # The server refused the channel (sshd's MaxSessions: channels just closed are
                # released asynchronously). The connection itself is fine: wait and ask again.
                if time.monotonic() - start > self.cfg.connect_timeout or not transport.is_active():
                    raise HostUnreachable(f"cannot open a channel to {self.cfg.host}: {e}") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    # -- channels: accounting and spares ----------------------------------------------------
    def _acct(self, transport) -> None:
        """(under self._cv) Start fresh accounting when the transport changed (reconnect)."""
        if self._acct_transport is not transport:
            self._acct_transport = transport
            self._n_open, self._filling, self._spares = 0, 0, []

    def _take_channel(self, transport, start: float):
        """A channel for one command: a spare if one is ready, else a new one (within budget)."""
        with self._cv:
            self._acct(transport)
            while True:
                while self._spares:
                    chan = self._spares.pop()
                    if chan.active and not chan.closed:
                        self._kick_refill()
                        return chan
                    self._n_open -= 1
                if self._n_open < max(1, self.cfg.max_sessions):
                    self._n_open += 1
                    self.peak_channels = max(self.peak_channels, self._n_open)
                    break
                # the budget is full: a spare being opened or a closing channel frees one soon
                if time.monotonic() - start > self.cfg.connect_timeout:
                    raise HostUnreachable(f"cannot open a channel to {self.cfg.host}: no free session")
                self._cv.wait(0.05)
        try:
            chan = self._open_channel(transport, start)
        except BaseException:
            self._release(transport)
            raise
        with self._cv:
            self._kick_refill()
        return chan

    def spare_count(self) -> int:
        """Channels open and waiting for a command (for tests and the bench)."""
        with self._cv:
            return len(self._spares)

    def _release(self, transport) -> None:
        with self._cv:
            if self._acct_transport is transport:
                self._n_open -= 1
            self._cv.notify_all()

    def _kick_refill(self) -> None:
        """(under self._cv) Open spares in the background up to the wanted number, within budget."""
        transport = self._acct_transport
        need = self._spares_wanted - len(self._spares) - self._filling
        while need > 0 and self._n_open < self.cfg.max_sessions and not self._cancelled:
            self._n_open += 1
            self.peak_channels = max(self.peak_channels, self._n_open)
            self._filling += 1
            need -= 1
            threading.Thread(target=self._fill_one, args=(transport,), daemon=True,
                             name="ssh-spare-channel").start()

    def _fill_one(self, transport) -> None:
        chan = None
        try:
            if transport.is_active():
                chan = transport.open_session(timeout=self.cfg.connect_timeout)
        except Exception:  # noqa: BLE001  (refused or dead: no spare, commands open their own)
            chan = None
        with self._cv:
            if self._acct_transport is transport:
                self._filling -= 1
                if chan is not None and not self._cancelled:
                    self._spares.append(chan)
                else:
                    self._n_open -= 1
                    if chan is not None:
                        chan.close()
            elif chan is not None:
                chan.close()
            self._cv.notify_all()

    def _exec(self, argv, command: str, stdin, timeout: float, _retry: bool = True) -> Result:
        start = time.monotonic()
        transport = self._transport()
        try:
            chan = self._take_channel(transport, start)
        except (paramiko.SSHException, EOFError, OSError) as e:
            # A dead transport: reconnect once (nothing ran yet, so this is safe to retry).
            if _retry:
                with self._lock:
                    if self._client is not None:
                        self._client.close()
                        self._client = None
                return self._exec(argv, command, stdin, timeout, _retry=False)
            raise HostUnreachable(f"cannot open a channel to {self.cfg.host}: {e}") from None
        self.round_trips += 1
        out, err = bytearray(), bytearray()
        try:
            chan.exec_command(command)
            if stdin is not None:
                chan.sendall(stdin.encode() if isinstance(stdin, str) else stdin)
            chan.shutdown_write()
            deadline = start + timeout
            while True:
                if chan.recv_ready():
                    out += chan.recv(65536)
                    continue
                if chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                    continue
                if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
                    # drain what is left
                    while True:
                        data = chan.recv(65536)
                        if not data:
                            break
                        out += data
                    while chan.recv_stderr_ready():
                        err += chan.recv_stderr(65536)
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    chan.close()
                    raise CommandTimeout(f"command timed out after {timeout:.0f}s: {command}")
                if self._cancelled:
                    chan.close()
                    raise Cancelled(f"cancelled: {command}")
                select.select([chan], [], [], min(left, 0.5))
                if chan.closed and not chan.exit_status_ready():
                    raise ConnectionLost(f"connection lost while running: {command}")
            code = chan.recv_exit_status()
            if code == -1:  # the channel closed without an exit status: the connection died
                raise ConnectionLost(f"connection lost while running: {command}")
        except (EOFError, OSError, paramiko.SSHException) as e:
            raise ConnectionLost(f"connection lost while running: {command} ({e})") from None
        finally:
            chan.close()
            self._release(transport)
        return Result(list(argv), command, code, out.decode("utf-8", "replace"),
                      err.decode("utf-8", "replace"), time.monotonic() - start)
