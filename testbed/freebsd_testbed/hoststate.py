"""The simulated host's state model, shared by every tool.

Two JSON documents hold everything that is not a plain file on the host:

* ``persistent`` (``/var/db/testbed/persistent.json``): survives a reboot (ZFS pool contents,
  dataset properties, snapshots, ...).
* ``runtime`` (``/var/run/testbed/runtime.json``): lost on reboot (loaded kernel modules,
  cloned interfaces, running jails, PF rules, running services, ...).

Files such as /etc/rc.conf or /boot/loader.conf are real files on the host's root and are
edited directly by the tools that own them.

All paths go through :func:`hostpath`, which prefixes ``$TESTBED_ROOT`` (default ``/``), so a
tool can be exercised against a temporary directory in fast tests and against the host's real
root inside the testbed.

Concurrency: :func:`locked` takes an exclusive ``flock`` on a single lock file for the whole
read-modify-write, so concurrent commands (several SSH channels at once) never lose an update.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from typing import Any, Iterator

PERSISTENT = "/var/db/testbed/persistent.json"
RUNTIME = "/var/run/testbed/runtime.json"
LOCK = "/var/db/testbed/state.lock"


def root() -> str:
    return os.environ.get("TESTBED_ROOT", "/")


def hostpath(path: str) -> str:
    """Map an absolute path on the simulated host to the real path under TESTBED_ROOT."""
    if not path.startswith("/"):
        raise ValueError(f"host paths are absolute: {path!r}")
    r = root()
    if r == "/":
        return path
    return os.path.join(r, path.lstrip("/"))


def statepath(path: str) -> str:
    """Where a state file (under /var) lives: :func:`hostpath`, unless ``$TESTBED_HOST_VAR`` is set.

    Processes running inside a jail (jexec, see jailctx.py) see the jail's /var at /var; they get
    ``TESTBED_HOST_VAR`` = a directory where the host's /var is still visible, so the state they
    read and write stays the host's.  Without the variable this is exactly :func:`hostpath`.
    """
    hv = os.environ.get("TESTBED_HOST_VAR")
    if hv and path.startswith("/var/"):
        return os.path.join(hv, path[len("/var/"):])
    return hostpath(path)


def _load(path: str) -> dict[str, Any]:
    try:
        with open(statepath(path), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def _store(path: str, data: dict[str, Any]) -> None:
    real = statepath(path)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(real), prefix=".state-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, real)


class State:
    """Both documents, loaded under the lock. Mutate ``persistent``/``runtime`` in place."""

    def __init__(self, persistent: dict[str, Any], runtime: dict[str, Any]):
        self.persistent = persistent
        self.runtime = runtime


@contextlib.contextmanager
def locked(write: bool = True) -> Iterator[State]:
    """Load the state under an exclusive lock; store it back on normal exit if ``write``."""
    lock = statepath(LOCK)
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    with open(lock, "a+") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        try:
            st = State(_load(PERSISTENT), _load(RUNTIME))
            before = (json.dumps(st.persistent, sort_keys=True), json.dumps(st.runtime, sort_keys=True))
            yield st
            if write:
                if json.dumps(st.persistent, sort_keys=True) != before[0]:
                    _store(PERSISTENT, st.persistent)
                if json.dumps(st.runtime, sort_keys=True) != before[1]:
                    _store(RUNTIME, st.runtime)
        finally:
            fcntl.flock(lf, fcntl.LOCK_UN)


def reset_runtime() -> None:
    """Drop all runtime state (used by reboot)."""
    with locked() as st:
        st.runtime.clear()
