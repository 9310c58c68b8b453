"""Steps: what a resource asks the host to do, declared as data and run by ``Host.run_steps``.

A :class:`Step` is one command (an argv list, optionally with stdin), a name to find its
result by, how a non-zero exit is tolerated, and optionally the fact its output is (so the
engine keeps that read as the fresh fact). The engine runs a list of steps in as few remote
execs as it can (one batch; a tolerated failure ends a batch, the rest goes in the next), and
:class:`StepResults` gives the results by name, in order, as they came: on a failure it is
what already ran, from which the resource says what it has changed (partial failure).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence, Union

from ..errors import CommandFailed, classify

if TYPE_CHECKING:  # pragma: no cover
    from ..ssh import Result
    from .factbase import Fact

# tolerate=ANSWER: any exit status is an answer (a status query, a `test -e`), never a failure
ANSWER = True

Tolerance = Union[bool, tuple[type[CommandFailed], ...]]


@dataclass
class Step:
    """One command of a sequence.

    ``tolerate``: which non-zero exits let the sequence go on: ``ANSWER`` (any: the exit status
    is the answer), or a tuple of :mod:`..errors` classes (e.g. ``(UnknownVariable,)``); the
    default ``()`` means every failure stops the sequence and raises. ``primes``: the fact this
    command reads (it runs after the commands that change what it reads), cached as fresh when
    the step succeeds. ``stdin``: data for the command, read from the exec's own stdin; with
    ``stdin_line`` the command reads exactly one line of it (``read -r``), so more steps with
    stdin may follow it in the same exec.
    ``mutates``: False for a read-only step (a sequence of only those leaves the fact cache
    alone). ``timeout``: the step's own time budget in seconds (default: the connection's
    ``commandTimeout``); an exec's budget is the sum of its steps'."""
    argv: list[str]
    name: str = ""
    tolerate: Tolerance = ()
    primes: Optional["Fact"] = None
    stdin: Optional[Union[str, bytes]] = None
    mutates: bool = True
    sensitive: bool = False
    timeout: Optional[float] = None
    stdin_line: bool = False

    def tolerates(self, res: "Result") -> bool:
        if res.exit_code == 0 or self.tolerate is True:
            return True
        if not self.tolerate:
            return False
        return isinstance(classify(res), self.tolerate)  # type: ignore[arg-type]


def read(argv: Sequence[str], name: str = "", *, primes: Optional["Fact"] = None) -> Step:
    """A read-only step whose exit status is an answer (never a failure)."""
    return Step(list(argv), name, ANSWER, primes=primes, mutates=False)


@dataclass
class StepResults:
    """The results of a sequence, in the order they ran; ``[name]`` is the last result of that
    name. After a failure: what ran (the failed step's result last), and ``pending``: the steps
    of the exec the connection lost (they may or may not have run)."""
    items: list[tuple[Step, "Result"]] = field(default_factory=list)
    pending: list[Step] = field(default_factory=list)

    def add(self, step: Step, res: "Result") -> None:
        self.items.append((step, res))

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator["Result"]:
        return (r for _, r in self.items)

    def __contains__(self, name: str) -> bool:
        return any(s.name == name for s, _ in self.items)

    def __getitem__(self, name: str) -> "Result":
        for s, r in reversed(self.items):
            if s.name == name:
                return r
        raise KeyError(name)

    def get(self, name: str) -> Optional["Result"]:
        try:
            return self[name]
        except KeyError:
            return None

    def all(self, name: str) -> list["Result"]:
        return [r for s, r in self.items if s.name == name]

    def ok(self, name: str) -> bool:
        """The step ``name`` ran and exited 0."""
        r = self.get(name)
        return r is not None and r.exit_code == 0

    def changed(self) -> bool:
        """Whether the host may have changed: a step that changes it succeeded, or such a step
        was in the exec the connection lost."""
        return (any(s.mutates and r.exit_code == 0 for s, r in self.items)
                or any(s.mutates for s in self.pending))

    def names(self) -> list[str]:
        return [s.name for s, _ in self.items]


def batches(steps: Sequence[Step]) -> list[list[Step]]:
    """The execs a sequence needs when nothing fails: one exec, except that a step with stdin
    (it reads the exec's own stdin) starts a new one when the exec already has a step reading
    all of it (one-line readers, ``stdin_line``, may come before it)."""
    out: list[list[Step]] = []
    for st in steps:
        if not out or (st.stdin is not None
                       and any(s.stdin is not None and not s.stdin_line for s in out[-1])):
            out.append([st])
        else:
            out[-1].append(st)
    return out


def attach(e: BaseException, done: StepResults) -> BaseException:
    """Record on an error what had run when it was raised (``e.steps``)."""
    try:
        e.steps = done  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover  (exceptions always take attributes)
        pass
    return e


def steps_of(e: BaseException) -> StepResults:
    """What had run when ``e`` was raised by ``Host.run_steps`` (empty if not from there)."""
    got: Any = getattr(e, "steps", None)
    return got if isinstance(got, StepResults) else StepResults()
