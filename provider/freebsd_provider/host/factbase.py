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


def fact(argv: list[str], parse: Callable[[Any], T], name: str = "") -> Fact[T]:
    return Fact(tuple(argv), parse, name or " ".join(argv[:3]))


def parsing(parse: Callable[[str], T], *, absent: tuple[type, ...] = (),
            when_absent: Callable[[], Any] = lambda: None) -> Callable[[Any], T]:
    """A fact parser from a parser of stdout. A non-zero exit raises the classified error,
    except one of the ``absent`` types, whose answer is ``when_absent()`` (e.g. a file that does
    not exist: no variables)."""
    def parse_result(res):
        if res.exit_code != 0:
            err = classify(res)
            if isinstance(err, absent):
                return when_absent()
            raise err
        return parse(res.stdout)
    return parse_result
