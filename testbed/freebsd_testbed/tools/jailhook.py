"""Hooks into the (future) jail model, used by tools taking ``-j jail``.

Until the jail model lands, a jail exists when ``runtime["jails"]`` has an entry whose ``name``
or ``jid`` matches; :func:`jail_root` gives the path of its root on the host.
"""
from __future__ import annotations

from typing import Any

from .. import hoststate


def find_jail(name_or_jid: str) -> dict[str, Any] | None:
    with hoststate.locked(write=False) as st:
        jails = st.runtime.get("jails") or {}
        items = jails.values() if isinstance(jails, dict) else jails
        for j in items:
            if str(j.get("name")) == name_or_jid or str(j.get("jid")) == name_or_jid:
                return j
    return None


def jail_exists(name_or_jid: str) -> bool:
    return find_jail(name_or_jid) is not None


def jail_root(name_or_jid: str) -> str | None:
    j = find_jail(name_or_jid)
    return None if j is None else j.get("path")
