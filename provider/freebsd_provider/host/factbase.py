"""A fact: a read-only command (argv, also the cache key) and the parser of its result.

Defined apart from ``facts`` (the shared facts) so every ``host/<tool>.py`` can declare its own
facts without an import cycle. See ``facts`` for how they are read and shared.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

from ..errors import classify

T = TypeVar("T")


@dataclass(frozen=True)
class Fact(Generic[T]):
    """``argv`` (the read-only command; also the cache key) and ``parse(Result) -> T``."""
    argv: tuple[str, ...]
    parse: Callable[[Any], T]
    name: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        return self.argv


def fact(argv: list[str], parse: Callable[[Any], T], name: str = "") -> Fact[T]:
    return Fact(tuple(argv), parse, name or " ".join(argv[:3]))


def ok_stdout(res) -> str:
    """stdout of a command that must succeed (raises the classified error otherwise)."""
    if res.exit_code != 0:
        raise classify(res)
    return res.stdout


def parsing(parse: Callable[[str], T]) -> Callable[[Any], T]:
    """A fact parser from a parser of stdout (any non-zero exit raises)."""
    return lambda res: parse(ok_stdout(res))
