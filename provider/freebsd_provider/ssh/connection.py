"""One SSH connection per host, many channels, argv lists only.

* One ``paramiko.Transport`` per ``Connection``; concurrent commands each get their own channel
  from the :class:`~.pool.ChannelPool`.
* Connecting is retried with back-off; a refused host key or failed authentication is not.
* A read-only command (``retry_safe``) that lost its connection runs once more on a new one;
  a command that changes the host is never re-sent blindly (the typed error says it may have run).
* TCP_NODELAY: no Nagle/delayed-ACK stall between the small SSH messages of one command.
* Every call is blocking; the provider calls them through ``asyncio.to_thread``.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from .. import trace
from ..errors import (AuthFailed, Cancelled, CommandTimeout, ConnectionLost, HostKeyError,
                      HostUnreachable, SSHError, classify)
from .exec import BECOME_PREFIX, Result, join_argv, run_on_channel
from .keys import VerifyPolicy, fingerprint, paramiko, parse_private_key, parse_public_key
from .pool import ChannelPool


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
        self._pool = ChannelPool(cfg.host, cfg.max_sessions, cfg.connect_timeout,
                                 self.SPARES if spares is None else spares)

    @property
    def peak_channels(self) -> int:
        """Most channels open at once (in use + spare + being opened)."""
        return self._pool.peak

    def spare_count(self) -> int:
        """Channels open and waiting for a command (for tests and the bench)."""
        return self._pool.spare_count()

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
        client.set_missing_host_key_policy(VerifyPolicy(cfg))
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
        self._pool.cancelled = True
        self.close()

    # -- commands -------------------------------------------------------------------------

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


    def _exec(self, argv, command: str, stdin, timeout: float, _retry: bool = True) -> Result:
        start = time.monotonic()
        transport = self._transport()
        try:
            chan = self._pool.take(transport, start)
        except (paramiko.SSHException, EOFError, OSError) as e:
            # A dead transport: reconnect once (nothing ran yet, so this is safe to retry).
            if _retry:
                self._drop()
                return self._exec(argv, command, stdin, timeout, _retry=False)
            raise HostUnreachable(f"cannot open a channel to {self.cfg.host}: {e}") from None
        self.round_trips += 1
        try:
            code, out, err = run_on_channel(chan, command, stdin, start + timeout, timeout,
                                            lambda: self._cancelled)
        finally:
            chan.close()
            self._pool.release(transport)
        return Result(list(argv), command, code, out, err, time.monotonic() - start)
