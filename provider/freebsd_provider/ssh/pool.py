"""Session channels of one transport: never more open than ``max_sessions`` (below sshd's
``MaxSessions``), and a few opened AHEAD of need in the background, so a command costs one
round trip (exec request → output) instead of two and a half (channel open → confirmation →
exec → output)."""
from __future__ import annotations

import threading
import time

from ..errors import HostUnreachable
from .keys import paramiko


class ChannelPool:
    """Channel accounting for the current transport: open = in use + spare + being opened."""

    def __init__(self, host: str, max_sessions: int, connect_timeout: float, spares: int):
        self.host = host
        self.max_sessions = max(1, max_sessions)
        self.connect_timeout = connect_timeout
        self.spares_wanted = min(spares, max(0, max_sessions - 1))
        self.cancelled = False
        self._cv = threading.Condition()
        self._transport = None
        self._n_open = 0
        self._filling = 0
        self._spares: list = []
        self.peak = 0  # most channels open at once (in use + spare + being opened)

    def _acct(self, transport) -> None:
        """(under _cv) Start fresh accounting when the transport changed (reconnect)."""
        if self._transport is not transport:
            self._transport = transport
            self._n_open, self._filling, self._spares = 0, 0, []

    def take(self, transport, start: float):
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
                if self._n_open < self.max_sessions:
                    self._n_open += 1
                    self.peak = max(self.peak, self._n_open)
                    break
                # the budget is full: a spare being opened or a closing channel frees one soon
                if time.monotonic() - start > self.connect_timeout:
                    raise HostUnreachable(f"cannot open a channel to {self.host}: no free session")
                self._cv.wait(0.05)
        try:
            chan = self._open(transport, start)
        except BaseException:
            self.release(transport)
            raise
        with self._cv:
            self._kick_refill()
        return chan

    def _open(self, transport, start: float):
        delay = 0.02
        while True:
            try:
                return transport.open_session(timeout=self.connect_timeout)
            except paramiko.ChannelException as e:
                # The server refused the channel (sshd's MaxSessions: channels just closed are
                # released asynchronously). The connection itself is fine: wait and ask again.
                if time.monotonic() - start > self.connect_timeout or not transport.is_active():
                    raise HostUnreachable(f"cannot open a channel to {self.host}: {e}") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def spare_count(self) -> int:
        with self._cv:
            return len(self._spares)

    def release(self, transport) -> None:
        with self._cv:
            if self._transport is transport:
                self._n_open -= 1
            self._cv.notify_all()

    def _kick_refill(self) -> None:
        """(under _cv) Open spares in the background up to the wanted number, within budget."""
        transport = self._transport
        need = self.spares_wanted - len(self._spares) - self._filling
        while need > 0 and self._n_open < self.max_sessions and not self.cancelled:
            self._n_open += 1
            self.peak = max(self.peak, self._n_open)
            self._filling += 1
            need -= 1
            threading.Thread(target=self._fill_one, args=(transport,), daemon=True,
                             name="ssh-spare-channel").start()

    def _fill_one(self, transport) -> None:
        chan = None
        try:
            if transport.is_active():
                chan = transport.open_session(timeout=self.connect_timeout)
        except Exception:  # noqa: BLE001  (refused or dead: no spare, commands open their own)
            chan = None
        with self._cv:
            if self._transport is transport:
                self._filling -= 1
                if chan is not None and not self.cancelled:
                    self._spares.append(chan)
                else:
                    self._n_open -= 1
                    if chan is not None:
                        chan.close()
            elif chan is not None:
                chan.close()
            self._cv.notify_all()
