"""Async access to one host for the resources: commands off the event loop, shared facts.

``Host.run`` sends an argv list through the SSH connection in a worker thread
(``asyncio.to_thread``), so the gRPC event loop never blocks and the engine's parallel
operations really run in parallel (each on its own SSH channel).

``Host.fact`` runs a read-only command once and shares its output with every resource that asks
for the same fact in this run (single-flight: concurrent askers await the same future).  Any
mutating command on the host invalidates the cached facts, so a read after a write is fresh.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from typing import Awaitable, Callable, Optional, Sequence

from .host import batch as batchmod
from .ssh import CommandError, Connection, Result, join_argv


FACT_TTL = 10.0


class Host:
    def __init__(self, conn: Connection, log: Optional[Callable[[str, str], Awaitable[None] | None]] = None):
        self.conn = conn
        self._facts: dict[tuple, asyncio.Future] = {}
        self._fact_time: dict[tuple, float] = {}
        self._generation = 0
        self._log = log

    async def run(self, argv: Sequence[str], *, stdin: bytes | str | None = None, check: bool = True,
                  mutates: bool = True, timeout: Optional[float] = None, sensitive: bool = False) -> Result:
        try:
            return await asyncio.to_thread(self.conn.run, list(argv), stdin=stdin, check=check,
                                           timeout=timeout, sensitive=sensitive, retry_safe=not mutates)
        finally:
            if mutates:
                self.invalidate()

    async def batch(self, argvs: Sequence[Sequence[str]], *, check: bool = True, mutates: bool = True,
                    timeout: Optional[float] = None, keep_going: bool = False) -> list[Result]:
        """Run several argv lists in ONE remote exec (one round trip), in order.

        Stops at the first command that exits non-zero (unless ``keep_going``): the list returned
        holds the commands that ran. With ``check`` that first failure raises CommandError
        carrying that command's own line, exit code and stderr.
        """
        argvs = [list(a) for a in argvs]
        nonce = secrets.token_hex(8)
        res = await self.run(batchmod.script(argvs, nonce, join_argv, keep_going), check=False,
                             mutates=mutates, timeout=timeout)
        steps = batchmod.parse(res.stdout, res.stderr, nonce)
        results = [Result(a, join_argv(a), s.exit_code, s.stdout, s.stderr) for a, s in zip(argvs, steps)]
        bad = batchmod.failed(steps, len(argvs))
        if bad is not None and bad >= len(results):
            # the shell itself died before finishing (killed, or a broken host shell)
            raise CommandError(Result(argvs[bad], join_argv(argvs[bad]), res.exit_code or 1,
                                      res.stdout, res.stderr, res.duration))
        if check and bad is not None and bad < len(results):
            raise CommandError(results[bad])
        return results

    def prime(self, argv: Sequence[str], result: Result) -> None:
        """Record ``result`` (a read just made, e.g. at the end of a batch) as the fact ``argv``."""
        if result.exit_code != 0:
            return
        key = (tuple(argv), True)
        fut = asyncio.get_running_loop().create_future()
        fut.set_result(result)
        self._facts[key] = fut
        self._fact_time[key] = time.monotonic()

    def invalidate(self) -> None:
        self._generation += 1
        self._facts.clear()

    async def fact(self, argv: Sequence[str], *, check: bool = True) -> Result:
        key = (tuple(argv), check)
        fut = self._facts.get(key)
        if fut is not None and fut.done() and time.monotonic() - self._fact_time.get(key, 0) > FACT_TTL:
            fut = None
        if fut is None:
            loop = asyncio.get_running_loop()
            fut = loop.create_future()
            self._facts[key] = fut
            gen = self._generation
            try:
                res = await self.run(argv, check=check, mutates=False)
            except BaseException as e:  # noqa: BLE001
                if self._facts.get(key) is fut:
                    del self._facts[key]
                fut.set_exception(e)
                fut.exception()  # mark retrieved
                raise
            fut.set_result(res)
            self._fact_time[key] = time.monotonic()
            if gen != self._generation and self._facts.get(key) is fut:
                # a write happened while we were reading: do not keep a possibly stale answer
                del self._facts[key]
            return res
        return await asyncio.shield(fut)

    async def log(self, message: str, severity: str = "info") -> None:
        if self._log is not None:
            r = self._log(severity, message)
            if asyncio.iscoroutine(r):
                await r


__all__ = ["Host", "CommandError", "Result"]
