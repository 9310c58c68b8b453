"""One command on one channel: the argv → command line join (the ONE quoting point), the
result, and the exec loop that collects stdout/stderr and the exit status."""
from __future__ import annotations

import select
import shlex
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from ..errors import Cancelled, CommandTimeout, ConnectionLost
from .keys import paramiko

BECOME_PREFIX = {"none": [], "doas": ["doas"], "sudo": ["sudo", "-n", "--"]}


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


def run_on_channel(chan, command: str, stdin: bytes | str | None, deadline: float, timeout: float,
                   cancelled: Callable[[], bool]) -> tuple[int, str, str]:
    """Exec ``command`` on an open session channel; (exit status, stdout, stderr).

    Raises CommandTimeout past ``deadline``, Cancelled when ``cancelled()``, ConnectionLost when
    the channel closes without an exit status: in all three the command may have run."""
    out, err = bytearray(), bytearray()
    try:
        chan.exec_command(command)
        if stdin is not None:
            chan.sendall(stdin.encode() if isinstance(stdin, str) else stdin)
        chan.shutdown_write()
        while True:
            if chan.recv_ready():
                out += chan.recv(65536)
                continue
            if chan.recv_stderr_ready():
                err += chan.recv_stderr(65536)
                continue
            if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
                while True:  # drain what is left
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
            if cancelled():
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
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
