"""sysrc(8): argv builders and output parsers for rc.conf-style files."""
from __future__ import annotations

import re
from typing import Optional

from .common import abs_path_error, locked, lines

SYSRC = "/usr/sbin/sysrc"
RC_CONF = "/etc/rc.conf"
LOADER_CONF = "/boot/loader.conf"

# at least one letter: "_", "__" are shell specials / not variables anyone means
_NAME_RE = re.compile(r"^(?=[0-9_]*[A-Za-z])[A-Za-z_][A-Za-z0-9_]{0,127}\Z")


def name_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        return (f"invalid rc.conf variable name {name!r}: use letters, digits and '_' (at least "
                f"one letter), not starting with a digit")
    return None


def value_error(value: str) -> Optional[str]:
    if not isinstance(value, str):
        return "the value must be a string"
    if any(c in value for c in '\x00\n\r"\\`$'):
        return ('the value must not contain NUL, newlines, double quotes, backslashes, backquotes '
                'or "$" (rc.conf is sourced by /bin/sh)')
    if len(value) > 4096:
        return "the value is too long (max 4096 characters)"
    return None


def file_error(file: str) -> Optional[str]:
    """An rc.conf-style file: an absolute path without ':' (the resource id separator)."""
    err = abs_path_error(file, "file")
    if err is None and ":" in file:
        err = "file must not contain ':'"
    return err


def word_error(word: str) -> Optional[str]:
    err = value_error(word)
    if err:
        return err
    if not word or any(c.isspace() for c in word):
        return f"a list word must be non-empty and contain no whitespace (got {word!r})"
    return None


def _base(file: Optional[str], jail: Optional[str]) -> list[str]:
    argv = [SYSRC]
    if jail:
        argv += ["-j", jail]
    if file and file != RC_CONF:
        argv += ["-f", file]
    return argv


def set_value(name: str, value: str, *, file: Optional[str] = None, jail: Optional[str] = None) -> list[str]:
    return locked(_base(file, jail) + [f"{name}={value}"])


def append_word(name: str, word: str, *, file: Optional[str] = None, jail: Optional[str] = None) -> list[str]:
    """``sysrc name+=word`` (sysrc adds it only when absent)."""
    return locked(_base(file, jail) + [f"{name}+={word}"])


def remove_word(name: str, word: str, *, file: Optional[str] = None, jail: Optional[str] = None) -> list[str]:
    return locked(_base(file, jail) + [f"{name}-={word}"])


def delete(name: str, *, file: Optional[str] = None, jail: Optional[str] = None) -> list[str]:
    return locked(_base(file, jail) + ["-x", name])


def get(name: str, *, file: Optional[str] = None, jail: Optional[str] = None) -> list[str]:
    """``sysrc -n name`` (exit 1 with "unknown variable" when unset)."""
    return _base(file, jail) + ["-n", name]


def dump(*, file: Optional[str] = None, jail: Optional[str] = None) -> list[str]:
    """Every variable set in the file(s): ``sysrc -a`` prints ``name: value`` lines."""
    return _base(file, jail) + ["-a"]


def dump_file(file: str) -> list[str]:
    """Only the given file's own assignments (``-f`` without /etc/defaults merged in)."""
    return [SYSRC, "-f", file, "-a"]


def parse_dump(text: str) -> dict[str, str]:
    """Parse ``sysrc -a`` output (``name: value`` lines)."""
    out: dict[str, str] = {}
    for line in lines(text):
        if not line.strip():
            continue
        name, sep, value = line.partition(": ")
        if not sep:
            if line.endswith(":"):
                name, value = line[:-1], ""
            else:
                raise ValueError(f"unexpected sysrc -a line: {line!r}")
        out[name] = value
    return out


def words(value: Optional[str]) -> list[str]:
    return (value or "").split()
