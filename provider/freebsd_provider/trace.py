"""Opt-in timing trace for performance work (bench/timeline.py reads it).

With ``PULUMI_FREEBSD_TRACE=<file>`` in the provider's environment, every RPC and every SSH
command appends one JSON line ``{"t": <epoch>, "ev": ..., ...}`` to that file. Off by default;
nothing secret is written (commands marked sensitive appear as ``<sensitive command>``).
"""
from __future__ import annotations

import json
import os
import threading
import time

PATH = os.environ.get("PULUMI_FREEBSD_TRACE") or None
_lock = threading.Lock()


def event(ev: str, **fields) -> None:
    if PATH is None:
        return
    line = json.dumps({"t": round(time.time(), 6), "ev": ev, **fields}) + "\n"
    with _lock:
        with open(PATH, "a", encoding="utf-8") as f:
            f.write(line)


def traced(name: str, method):
    """Wrap an async gRPC method: 'rpc-start'/'rpc-end' events carrying the request's urn."""
    if PATH is None:
        return method

    async def wrapper(request, context):
        urn = getattr(request, "urn", "")
        event("rpc-start", rpc=name, urn=urn, preview=bool(getattr(request, "preview", False)))
        try:
            return await method(request, context)
        finally:
            event("rpc-end", rpc=name, urn=urn)
    return wrapper
