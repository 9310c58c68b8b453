"""The front TCP proxy: the testbed's public port, forwarding to sshd's internal port.

Run as a daemon by ``freebsd-testbed up`` (``python -m freebsd_testbed.proxy STATE_DIR``).
It re-reads ``STATE_DIR/faults.json`` (when its mtime changes) for fault injection:

* ``"refuse_new": true``   - close NEW connections at once (PF-style gating; existing ones live on)
* ``"latency_ms": N``      - delay every chunk forwarded in either direction by N ms
* ``"drop_all": true``     - drop every open connection now (and then clear the flag)

Only plain forwarding is exercised so far; the hooks are where later issues plug in.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys


class Faults:
    def __init__(self, path: str):
        self.path = path
        self.mtime = None
        self.data: dict = {}

    def refresh(self) -> dict:
        try:
            m = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            self.mtime, self.data = None, {}
            return self.data
        if m != self.mtime:
            try:
                with open(self.path, encoding="utf-8") as f:
                    self.data = json.load(f) or {}
            except (OSError, ValueError):
                self.data = {}
            self.mtime = m
        return self.data


async def _pipe(reader, writer, faults: Faults) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            lat = faults.refresh().get("latency_ms", 0)
            if lat:
                await asyncio.sleep(lat / 1000.0)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def serve(state_dir: str, listen_port: int, target_port: int) -> None:
    faults = Faults(os.path.join(state_dir, "faults.json"))
    conns: set[asyncio.Task] = set()

    async def handle(reader, writer):
        if faults.refresh().get("refuse_new"):
            writer.close()
            return
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            writer.close()
            return
        t = asyncio.gather(_pipe(reader, uw, faults), _pipe(ur, writer, faults))
        conns.add(t)
        try:
            await t
        except asyncio.CancelledError:
            pass
        finally:
            conns.discard(t)
            for w in (writer, uw):
                try:
                    w.close()
                except Exception:
                    pass

    async def watch():
        while True:
            await asyncio.sleep(0.2)
            d = faults.refresh()
            if d.get("drop_all"):
                for t in list(conns):
                    t.cancel()
                d = dict(d)
                d.pop("drop_all")
                tmp = faults.path + ".tmp"
                with open(tmp, "w", encoding="utf-8") as f:
                    json.dump(d, f)
                os.replace(tmp, faults.path)

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port, reuse_address=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, lambda: stop.done() or stop.set_result(None))
    w = asyncio.create_task(watch())
    async with server:
        await stop
    w.cancel()


def main(argv: list[str]) -> int:
    state_dir, listen_port, target_port = argv[1], int(argv[2]), int(argv[3])
    asyncio.run(serve(state_dir, listen_port, target_port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
