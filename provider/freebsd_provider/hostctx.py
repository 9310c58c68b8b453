"""Async access to one host for the resources: commands off the event loop, shared facts.

``Host.run`` sends an argv list through the SSH connection in a worker thread
(``asyncio.to_thread``), so the gRPC event loop never blocks and the engine's parallel
operations really run in parallel (each on its own SSH channel).

``Host.fact``/``Host.facts`` run read-only commands once and share their output with every
resource that asks for the same fact in this run (single-flight: concurrent askers await the same
future); several facts missing at once are read in one exec.  Any mutating command on the host
invalidates the cached facts, so a read after a write is fresh; ``Host.batch`` runs "change, then
read back" in one exec and ``Host.prime`` keeps that read as the fresh fact.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any, Awaitable, Callable, Optional, Sequence, TypeVar

from .errors import classify, may_have_run
from .host import batch as batchmod
from .host.factbase import Fact
from .host.steps import Step, StepResults, attach, batches
from .ssh import CommandError, Connection, Result, join_argv

T = TypeVar("T")


FACT_TTL = 10.0
COALESCE = 0.003  # s: reads asked within this window share one exec
MAX_BATCH = 32    # reads per exec at most


def _joined(parts: Sequence[Any]) -> Any:
    """The exec's stdin: its steps' stdin in order (bytes if any part is)."""
    if len(parts) == 1:
        return parts[0]
    if any(isinstance(p, bytes) for p in parts):
        return b"".join(p if isinstance(p, bytes) else p.encode() for p in parts)
    return "".join(parts)


class Host:
    def __init__(self, conn: Connection, log: Optional[Callable[[str, str], Awaitable[None] | None]] = None):
        self.conn = conn
        self._facts: dict[tuple, asyncio.Future] = {}
        self._fact_time: dict[tuple, float] = {}
        self._generation = 0
        self._pending: dict[tuple, asyncio.Future] = {}
        self._flush_timer: Optional[asyncio.TimerHandle] = None
        self._tasks: set[asyncio.Task] = set()
        self._log = log
        # the host-side journal as the run found it (host/journal.py): read with the first
        # create's first read and kept, as only the records of earlier runs matter (each
        # resource looks for its own URN; this run's writes are its own)
        self.journal_seen: Optional[dict] = None

    async def run(self, argv: Sequence[str], *, stdin: bytes | str | None = None, check: bool = True,
                  mutates: bool = True, timeout: Optional[float] = None, sensitive: bool = False) -> Result:
        try:
            return await asyncio.to_thread(self.conn.run, list(argv), stdin=stdin, check=check,
                                           timeout=timeout, sensitive=sensitive, retry_safe=not mutates)
        finally:
            if mutates:
                self.invalidate()

    def steps_timeout(self, steps: Sequence[Step]) -> Optional[float]:
        """The time budget of a batch: what its commands had one by one (their own
        ``Step.timeout``, else commandTimeout each); None (the connection's default) when
        nothing says."""
        per = getattr(getattr(self.conn, "cfg", None), "command_timeout", None)
        own = [st.timeout for st in steps]
        if all(t is None for t in own) and not per:
            return None
        return sum(t if t is not None else (per or 600.0) for t in own)

    async def batch(self, argvs: Sequence[Sequence[str]], *, check: bool = True, mutates: bool = True,
                    timeout: Optional[float] = None, keep_going: bool = False,
                    prime: Sequence[Sequence[str]] = (), stdin: bytes | str | None = None,
                    sensitive: bool = False, stdin_at: Sequence[int] = (0,)) -> list[Result]:
        """Run several argv lists in ONE remote exec (one round trip), in order.

        Stops at the first command that exits non-zero (unless ``keep_going``): the list returned
        holds the commands that ran. With ``check`` that first failure raises CommandError
        carrying that command's own line, exit code and stderr. ``prime``: fact argvs among the
        commands (placed after the commands that change what they read) whose last result becomes
        the cached fact when the whole batch ran and succeeded there, unless another write on the
        host finished meanwhile (the read might then be stale).
        """
        argvs = [list(a) for a in argvs]
        gen = self._generation
        nonce = secrets.token_hex(8)
        res = await self.run(batchmod.script(argvs, nonce, join_argv, keep_going,
                                             stdin_at if stdin is not None else ()),
                             stdin=stdin, check=False, mutates=mutates, timeout=timeout,
                             sensitive=sensitive)
        steps = batchmod.parse(res.stdout, res.stderr, nonce)
        results = [Result(a, join_argv(a), s.exit_code, s.stdout, s.stderr) for a, s in zip(argvs, steps)]
        bad = batchmod.failed(steps, len(argvs))
        if bad is not None and bad >= len(results):
            # the shell itself died before finishing (killed, or a broken host shell)
            raise CommandError(Result(argvs[bad], join_argv(argvs[bad]), res.exit_code or 1,
                                      res.stdout, res.stderr, res.duration), shell_died=True)
        if prime and len(results) == len(argvs) and self._generation == gen + (1 if mutates else 0):
            for fact in prime:
                hits = [r for r in results if r.argv == list(fact)]
                if hits:
                    self.prime(fact, hits[-1])
        if check and bad is not None and bad < len(results):
            raise classify(results[bad])
        return results

    # -- steps ------------------------------------------------------------------------------
    async def run_steps(self, steps: Sequence[Step], done: Optional[StepResults] = None) -> StepResults:
        """Run ``steps`` in order, as if one by one, in as few execs as possible.

        One batch per exec (one step reading all of its stdin at most, after any one-line readers:
        ``batches``); a batch stops at the first
        non-zero exit: when the step tolerates it, the rest goes in the next batch, otherwise
        the classified error (``errors.classify``) is raised. Every error raised carries
        ``e.steps``: the :class:`StepResults` of what ran (``done``, when given, is filled as
        results come), and, when the connection was lost during an exec, its steps as
        ``pending``. Steps that prime a fact cache their result when they succeed."""
        done = StepResults() if done is None else done
        todo = list(steps)
        while todo:
            group = batches(todo)[0]
            mutates = any(st.mutates for st in group)
            fed = [i for i, st in enumerate(group) if st.stdin is not None]
            data = _joined([group[i].stdin for i in fed]) if fed else None
            gen = self._generation
            try:
                results = await self.batch(
                    [st.argv for st in group], check=False, mutates=mutates,
                    timeout=self.steps_timeout(group), stdin=data, stdin_at=fed,
                    sensitive=any(st.sensitive for st in group))
            except BaseException as e:
                if may_have_run(e):  # the exec may have run (some of) these steps
                    done.pending = list(group)
                raise attach(e, done)
            fresh = self._generation == gen + (1 if mutates else 0)
            stop = None
            for st, res in zip(group, results):
                done.add(st, res)
                if res.exit_code != 0:
                    stop = st
                    break
                if st.primes is not None and fresh:
                    self.prime(st.primes.argv, res)
            todo = todo[len(results):]
            if stop is not None:
                if not stop.tolerates(done.items[-1][1]):
                    raise attach(classify(done.items[-1][1]), done)
                continue
            if len(results) < len(group):  # pragma: no cover  (batch() raises for a dead shell)
                break
        return done

    # -- typed facts --------------------------------------------------------------------------
    async def get(self, fact: Fact[T]) -> T:
        """The parsed value of a fact (shared and cached like ``fact``)."""
        return fact.parse((await self.facts([fact.argv]))[0])

    async def get_many(self, *facts: Fact[Any]) -> list[Any]:
        """Several facts, read in one exec when none is cached; parsed in order. A fact whose
        parser raises raises here (after all were read)."""
        results = await self.facts([f.argv for f in facts])
        return [f.parse(r) for f, r in zip(facts, results)]

    async def facts(self, argvs: Sequence[Sequence[str]]) -> list[Result]:
        """Several facts at once (results in order, never raising on a non-zero exit).

        Facts cached in this run are served from the cache. The others join the reads that any
        resource asked for within the last ``COALESCE`` seconds, and all of them go out in ONE
        remote exec (a batch that keeps going past failures): the engine's parallel Reads of a
        refresh arrive within milliseconds, so N resources cost one exec per ``MAX_BATCH`` reads
        instead of N. Results are cached and shared: concurrent askers of the same fact await
        the same read (single-flight).
        """
        now = time.monotonic()
        loop = asyncio.get_running_loop()
        futs = []
        for key in (tuple(a) for a in argvs):
            fut = self._facts.get(key)
            if fut is not None and fut.done() and now - self._fact_time.get(key, 0) > FACT_TTL:
                fut = None
            if fut is None:
                fut = self._facts[key] = self._pending[key] = loop.create_future()
            futs.append(fut)
        if self._pending and self._flush_timer is None:
            self._flush_timer = loop.call_later(COALESCE, self._flush)
        return [await asyncio.shield(f) for f in futs]

    def _flush(self) -> None:
        """Send the pending reads (in batches of at most MAX_BATCH)."""
        self._flush_timer = None
        items, self._pending = list(self._pending.items()), {}
        for i in range(0, len(items), MAX_BATCH):
            task = asyncio.ensure_future(self._read(items[i:i + MAX_BATCH]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _read(self, items: list[tuple[tuple, asyncio.Future]]) -> None:
        gen = self._generation
        try:
            if len(items) == 1:
                results = [await self.run(list(items[0][0]), check=False, mutates=False)]
            else:
                results = await self.batch([list(k) for k, _ in items], check=False, mutates=False,
                                           keep_going=True)
        except BaseException as e:  # noqa: BLE001  (handed to every asker)
            for key, fut in items:
                if self._facts.get(key) is fut:
                    del self._facts[key]
                if not fut.done():
                    fut.set_exception(e)
                    fut.exception()  # mark retrieved
            return
        for (key, fut), res in zip(items, results):
            fut.set_result(res)
            self._fact_time[key] = time.monotonic()
            if gen != self._generation and self._facts.get(key) is fut:
                # a write happened while we were reading: do not keep a possibly stale answer
                del self._facts[key]

    async def fact(self, argv: Sequence[str], *, check: bool = True) -> Result:
        """One shared fact's raw result (see ``facts``); with ``check`` a non-zero exit raises
        the classified error."""
        res = (await self.facts([argv]))[0]
        if check and res.exit_code != 0:
            raise classify(res)
        return res

    def prime(self, argv: Sequence[str], result: Result) -> None:
        """Record ``result`` (a read just made, e.g. at the end of a batch) as the fact ``argv``."""
        if result.exit_code != 0:
            return
        key = tuple(argv)
        fut = asyncio.get_running_loop().create_future()
        fut.set_result(result)
        self._facts[key] = fut
        self._fact_time[key] = time.monotonic()

    def new_run(self) -> None:
        """Forget everything read (tests: as a new provider process would)."""
        self.journal_seen = None
        self.invalidate()

    def invalidate(self) -> None:
        self._generation += 1
        self._facts.clear()

    async def log(self, message: str, severity: str = "info") -> None:
        if self._log is not None:
            r = self._log(severity, message)
            if asyncio.iscoroutine(r):
                await r


__all__ = ["Host", "CommandError", "Result"]
