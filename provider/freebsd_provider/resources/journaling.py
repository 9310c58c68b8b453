"""Crash safety for every resource: how a create killed at any point is recognised and adopted
by the next one (the engine retries a pending create with the same URN).

Each resource says how (``Resource.crash_safety``):

* ``"marker"``: the object carries its URN (a ZFS user property, a comment line in the conf file
  it writes, the base system's marker file). A create that meets an existing object asks
  ``owner()``: its own URN means its own interrupted create, which it adopts (read, then update
  to the inputs); anything else is refused with the import hint, as before.
* ``"journal"``: what it changes cannot carry a marker (rc.conf values, sysctls, loaded modules,
  packages, services, files it edits, a bridge, a user), and most of it remembers what was there
  before (restored on delete). Its first read of the host (``Resource.before``) also reads the
  host-side journal (``host/journal.py``); every exec that then changes the host starts with the
  journal write of the record ``partial`` would give if that exec were lost. A record of this URN
  found at the start means an interrupted create: the object it names is read with the recorded
  state (so delete restores what was there before the first attempt) and updated to the inputs;
  when it is gone, the create runs again, knowing what the first attempt found
  (``prior``). Delete removes the record in its first exec that changes the host.
* ``"none"``: JailCommand. A command's effect is not an object; a create killed while it ran is
  run again by the next `up` (``unless``/``creates`` keep it idempotent).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import wire
from ..errors import ProviderError
from ..host import journal
from ..host.steps import Step, StepResults

if TYPE_CHECKING:  # pragma: no cover
    from .base import Resource

JOURNAL_NOTE = '(the host-side journal, /var/db/pulumi-freebsd: one root-only JSON line per resource, sent on stdin, holding no input of the program, written in the same exec as the change and removed with the resource)'

# ``Resource.owner`` answers: the object is absent
ABSENT = object()


class Found(Exception):
    """Raised by ``Resource.before``: this URN's record is on the host (an interrupted create)."""

    def __init__(self, record: journal.Record):
        super().__init__(f"journal record of {record.urn}")
        self.record = record


class Conflict(Exception):
    """Raised by a ``"marker"`` resource's create when its object already exists: the framework
    adopts it when it carries this URN, else refuses it with ``message``."""

    def __init__(self, message: str, resource_id: str):
        super().__init__(message)
        self.resource_id = resource_id


@dataclass
class JournalOp:
    """One create or delete of one resource (kept on the ``Ctx``)."""
    urn: str
    kind: str                       # "create" | "delete"
    rid: str = ""                   # delete: the id whose record goes
    prior: bool = False             # create: a record of this URN was there before it started
    prior_state: Optional[dict] = None  # create: that record's state
    wrote: set = field(default_factory=set)  # create: the ids it wrote records for
    changed: bool = False           # the host changed during this op
    forgot: bool = False            # delete: the record went
    checked: bool = False           # create: the journal was read (``Resource.before``)

    def step(self, r: "Resource", steps: list[Step],
             partial: Optional[Callable[[StepResults], Optional[tuple]]], done: StepResults) -> Optional[Step]:
        """The journal step to run first in this apply (None: nothing to write)."""
        if not any(s.mutates for s in steps):
            return None
        if self.kind == "delete":
            if self.forgot:
                return None
            self.forgot = True
            return forget_step(self.urn, self.rid)
        if partial is None:
            return None
        if not self.checked:
            raise AssertionError(f"{r.token}: a create changing the host before reading the journal "
                                 f"(call self.before(ctx, ...) for its first read)")
        # the record as if this exec were lost: every step of it may have run
        got = partial(StepResults(list(done.items), list(steps)))
        if got is None:
            return None
        rid, outputs = got[0], got[1]
        self.wrote.add(rid)
        return Step(journal.write(self.urn, rid), "journal", mutates=False, sensitive=True, stdin_line=True,
                    stdin=journal.record_line(self.urn, rid, recorded_state(r, outputs), time.time()))

    async def after_failure(self, ctx, done: StepResults) -> None:
        """A create failed: when it changed nothing and the record is its own, remove it (best
        effort; a leftover record only names an object that does not exist)."""
        self.changed = self.changed or done.changed()
        if not self.changed:
            await self.discard(ctx)

    async def discard(self, ctx) -> None:
        """The create refuses after an exec that changed nothing (though it exited 0): the
        record it wrote goes."""
        if self.kind != "create" or self.prior or not self.wrote:
            return
        try:
            await ctx.host.run_steps([forget_step(self.urn, rid) for rid in sorted(self.wrote)])
        except ProviderError:
            pass


def forget_step(urn: str, rid: str) -> Step:
    """The step removing the record of ``urn``/``rid`` (and the journal directory once empty)."""
    return Step(journal.forget(urn, rid), "journal", mutates=False)


def prior(ctx) -> Optional[dict[str, Any]]:
    """The state recorded by this URN's interrupted create, during a create that found one but
    adopted nothing (its object is gone): what the host held before the first attempt, for the
    previous-value fields a resource restores on delete (None: no such record)."""
    op = getattr(ctx, "journal_op", None)
    return op.prior_state if op is not None and op.kind == "create" else None


def recorded_state(r: "Resource", outputs: dict[str, Any]) -> dict[str, Any]:
    """The output-only properties of a partial record (secret ones too: they are the host's own
    data, such as a file's previous content, and the record goes on stdin into a root-only file
    on that host; JailCommand, whose output may echo its secret stdin, keeps no record)."""
    out = {}
    for f in r.output_fields():
        v = outputs.get(f.wire)
        if v is None or wire.contains_unknown(v):
            continue
        out[f.wire] = wire.reveal(v)
    return out


async def adopt(r: "Resource", ctx, a: Any, rec: journal.Record) -> Optional[tuple[str, Any]]:
    """(id, State) of the interrupted create ``rec`` converged to ``a``; None: nothing to adopt
    (its object is gone, or is not the one these inputs describe: create as usual)."""
    op: JournalOp = ctx.journal_op
    op.prior, op.prior_state = True, rec.state
    got = await r.read(ctx, rec.id, a, r.state(rec.state) if r.State is not None else None)
    return await _converge(r, ctx, a, rec.id, got, f"journal {journal.DIR}")


async def adopt_marked(r: "Resource", ctx, a: Any, c: Conflict) -> tuple[str, Any]:
    """The create met an existing object: adopt it when it carries this URN, else refuse."""
    if await r.owner(ctx, c.resource_id, a) == ctx.urn:
        got = await r.read(ctx, c.resource_id, a, r.state({}) if r.State is not None else None)
        if got is not None:
            adopted = await _converge(r, ctx, a, c.resource_id, got, "its URN marker")
            if adopted is not None:
                return adopted
            try:  # replaced: deleted, now made anew
                return await r.create(ctx, a)
            except Conflict as again:
                raise RuntimeError(str(again)) from None
    raise RuntimeError(str(c)) from None


async def _converge(r: "Resource", ctx, a: Any, rid: str, got: Optional[tuple], how: str) -> Optional[tuple[str, Any]]:
    if got is None:
        return None
    live, st = got
    d = r.diff(live, a)
    if d.replaces:
        # It is this URN's (the engine deletes an object it replaces before creating the new one,
        # and that delete removes the record), but the interrupted create left it, or the program
        # changed it since, in a way that needs a replacement: replace it, as the engine would.
        await ctx.host.log(f"{rid}: left on the host by an interrupted `pulumi up` ({how}); replacing "
                           f"it ({', '.join(d.replaces)} differ)", "info")
        await r.delete(ctx, rid, live, st)
        if r.crash_safety == "journal":
            await ctx.host.run_steps([forget_step(ctx.urn, rid)])
        return None
    await ctx.host.log(f"{rid}: left on the host by an interrupted `pulumi up` ({how}); adopting it"
                       + (f" and updating {', '.join(sorted(d.changes))}" if d.changes else ""), "info")
    if d.changes:
        st = await r.update(ctx, rid, live, a, st)
    return rid, st
