"""Measuring instruments of bench/run.py: a counting TCP proxy and a /proc poller.

* ``CountingProxy``: listens on 127.0.0.1:<ephemeral>, forwards every connection to the testbed's
  public port and counts NEW TCP connections (= SSH connections, one SSH session per TCP
  connection). The stack/inventory under test is pointed at the proxy's port; nothing is added to
  the testbed itself. Latency is still injected by the testbed's own proxy behind this one.
* ``ProcMonitor``: polls the process tree under one root pid (``/proc/PID/task/*/children``) and
  keeps, for every descendant whose command line matches, the last seen utime+stime and VmHWM
  (peak RSS) — the values just before it exits (resolution: the polling interval).
"""
from __future__ import annotations

import asyncio
import os
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class CountingProxy:
    def __init__(self, target_port: int, host: str = "127.0.0.1"):
        self.target = (host, target_port)
        self.connections = 0
        self.open = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="counting-proxy")
        self._server = None

    def start(self) -> "CountingProxy":
        self._thread.start()
        self._ready.wait(10)
        return self

    def set_target(self, port: int) -> None:
        self.target = (self.target[0], port)

    def reset(self) -> int:
        n, self.connections = self.connections, 0
        return n

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main():
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()
            async with self._server:
                await self._server.serve_forever()

        try:
            self._loop.run_until_complete(main())
        except (asyncio.CancelledError, RuntimeError):
            pass

    async def _handle(self, reader, writer) -> None:
        self.connections += 1
        self.open += 1
        try:
            ur, uw = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            self.open -= 1
            return

        async def pipe(r, w):
            try:
                while True:
                    data = await r.read(65536)
                    if not data:
                        break
                    w.write(data)
                    await w.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                try:
                    w.close()
                except Exception:
                    pass

        await asyncio.gather(pipe(reader, uw), pipe(ur, writer))
        self.open -= 1

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def _hwm_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class ProcMonitor(threading.Thread):
    """Poll the descendants of ``root_pid``; record the processes whose cmdline contains ``needle``."""

    def __init__(self, root_pid: int, needles: tuple[str, ...], interval: float = 0.02):
        super().__init__(daemon=True, name="proc-monitor")
        self.root_pid = root_pid
        self.needles = needles
        self.interval = interval
        self.procs: dict[int, dict] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)
        self.sample()

    def sample(self) -> None:
        todo, seen = [self.root_pid], set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            todo.extend(_children(pid))
            rec = self.procs.get(pid)
            if rec is None:
                cmd = _cmdline(pid)
                if not any(n in cmd for n in self.needles):
                    continue
                rec = self.procs[pid] = {"pid": pid, "cmdline": cmd[:200], "cpu_s": 0.0, "vmhwm_kib": 0,
                                         "first_seen": time.time()}
            cpu, hwm = _cpu_seconds(pid), _hwm_kib(pid)
            if cpu is not None:
                rec["cpu_s"] = max(rec["cpu_s"], cpu)
            if hwm is not None:
                rec["vmhwm_kib"] = max(rec["vmhwm_kib"], hwm)
            rec["last_seen"] = time.time()

    def stop(self) -> dict:
        self._halt.set()
        self.join(5)
        procs = list(self.procs.values())
        return {
            "processes": len(procs),
            "cpu_s": round(sum(p["cpu_s"] for p in procs), 3),
            "peak_rss_mib": round(max((p["vmhwm_kib"] for p in procs), default=0) / 1024, 1),
            "detail": [{"cmdline": p["cmdline"], "cpu_s": p["cpu_s"],
                        "peak_rss_mib": round(p["vmhwm_kib"] / 1024, 1),
                        "lifetime_s": round(p.get("last_seen", p["first_seen"]) - p["first_seen"], 2)}
                       for p in procs],
        }
