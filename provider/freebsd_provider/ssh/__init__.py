"""SSH transport on paramiko, one concern per module:

* :mod:`.keys`: host-key verification (pinned key or known_hosts, never auto-accepted) and key
  parsing;
* :mod:`.exec`: ``join_argv``, the ONE place where an argv list becomes a command line
  (``shlex.quote`` on every word; nothing else builds shell text from values), and the exec
  loop of one command on one channel;
* :mod:`.pool`: the channels of a transport, within ``max_sessions``, spares opened ahead;
* :mod:`.connection`: the connection (connect, retry, run).

Errors are the typed ones of :mod:`..errors`.
"""
from __future__ import annotations

from ..errors import CommandFailed, HostKeyError, SSHError
from .connection import Connection, ConnectionConfig
from .exec import BECOME_PREFIX, Result, join_argv
from .keys import fingerprint, paramiko, parse_private_key, parse_public_key

CommandError = CommandFailed  # the name most callers know

__all__ = ["BECOME_PREFIX", "CommandError", "CommandFailed", "Connection", "ConnectionConfig",
           "HostKeyError", "Result", "SSHError", "fingerprint", "join_argv", "paramiko",
           "parse_private_key", "parse_public_key"]
