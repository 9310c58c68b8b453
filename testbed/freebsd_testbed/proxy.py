"""The front TCP proxy: the testbed's public port, forwarding to sshd's internal port.

Run as a daemon by ``freebsd-testbed up`` (``python -m freebsd_testbed.proxy STATE_DIR``).
It re-reads ``STATE_DIR/faults.json`` (when its mtime changes) for fault injection:

* ``"refuse_new": true``   - close NEW connections at once (existing ones live on)
* ``"latency_ms": N``      - add N ms to every round trip: each chunk is delivered N/2 ms
                             after it arrived, each way (a delay line, as on a real link)
* ``"drop_all": true``     - drop every open connection now (and then clear the flag)

PF: a NEW connection is also refused when the host's loaded PF rules would block a TCP SYN from
the SSH client (192.168.1.100, arriving on the interface that holds the host's address) to
port 22 — as on a real host, a ruleset that blocks SSH locks new clients out while established
connections (PF state) live on. The decision is ``pf.ssh_allowed`` over the host's runtime state
(STATE/root/run/testbed/runtime.json, the host's /var/run/testbed).
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
    """Copy reader -> writer through a delay line: each chunk is delivered N/2 ms after it arrived.

    Like a real link (and unlike sleeping before each write), chunks in flight do not wait for
    each other: a burst of packets, or several channels of one connection, pay the latency once.
    """
    loop = asyncio.get_running_loop()
    line: asyncio.Queue = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await line.get()
            if data is None:
                return
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    out = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            lat = faults.refresh().get("latency_ms", 0)
            line.put_nowait((loop.time() + lat / 2000.0, data))
        line.put_nowait((0.0, None))
        await out
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        out.cancel()
        try:
            writer.close()
        except Exception:
            pass


CLIENT_IP = "192.168.1.100"


def load_runtime(state_dir: str) -> dict:
    """The running host's runtime state, read from outside (its /var/run/testbed); OSError or
    ValueError when it cannot be read."""
    with open(os.path.join(state_dir, "root", "run", "testbed", "runtime.json"), encoding="utf-8") as f:
        return json.load(f)


def pf_gate(state_dir: str) -> bool:
    """Would the host's PF let a new SSH connection in? (True when PF is off or not loaded.)"""
    try:
        runtime = load_runtime(state_dir)
    except (OSError, ValueError):
        return True
    if not runtime.get("pf"):
        return True
    try:
        from . import hoststate, net, pf
        st = hoststate.State({}, runtime)
        host_ip, iface = _host_address(runtime)
        if runtime.get("net"):
            # the client on the LAN: through vtnet0 (and the bridge, when vtnet0 is a member);
            # only a PF verdict closes the gate (the model's other answers never lock tests out)
            ok, why = net.from_lan(st, host_ip, "tcp", 22, client=CLIENT_IP)
            if ok or "blocked by pf" in why:
                return ok
        return pf.ssh_allowed(st, client_ip=CLIENT_IP, host_ip=host_ip, port=22, iface=iface)
    except Exception as e:  # noqa: BLE001  (a model bug must not take the testbed down)
        sys.stderr.write(f"proxy: pf gate error: {e!r}\n")
        return True


def _host_address(runtime: dict) -> tuple[str, str]:
    """The host's uplink address and the interface holding it (vtnet0, or bridge0 after a move)."""
    net = runtime.get("net") or {}
    host = (net.get("vnets") or {}).get("host") or {}
    ifaces = host.get("ifaces") or {}
    # the uplink first, then a bridge it was moved to; never loopback or jail epairs
    for name in sorted(ifaces, key=lambda n: (not n.startswith("vtnet"), not n.startswith("bridge"), n)):
        if name.startswith(("lo", "epair")):
            continue
        for addr, _plen in ifaces[name].get("inet") or []:
            return addr, name
    return "192.168.1.10", "vtnet0"


async def serve(state_dir: str, listen_port: int, target_port: int) -> None:
    faults = Faults(os.path.join(state_dir, "faults.json"))
    conns: set[asyncio.Task] = set()

    async def handle(reader, writer):
        if faults.refresh().get("refuse_new") or not pf_gate(state_dir):
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
