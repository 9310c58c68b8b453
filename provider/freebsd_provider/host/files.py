"""Whole files and line-in-file edits (no I/O): validators, the pure line editor, hashes.

Reading and writing go through :mod:`common` (``read_file``: ``MODE OWNER:GROUP`` + content;
``write_file``: atomic, content on stdin, never on a command line), wrapped in ``in_jail`` for
a file inside a jail so that owners such as ``postgres`` resolve in the jail's passwd.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

MAX_BACKUP = 64 * 1024  # previous content kept in state (restored on delete) up to this size

_MODE_RE = re.compile(r"^[0-7]{3,4}\Z")
_ID_RE = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}"
_OWNER_RE = re.compile(rf"^{_ID_RE}(:{_ID_RE})?\Z")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def mode_error(mode: str) -> Optional[str]:
    if not isinstance(mode, str) or not _MODE_RE.match(mode):
        return f"invalid mode {mode!r}: use octal digits such as '0644' or '600'"
    return None


def norm_mode(mode: str) -> str:
    return mode.zfill(4)


def owner_error(owner: str) -> Optional[str]:
    if not isinstance(owner, str) or not _OWNER_RE.match(owner):
        return (f"invalid owner {owner!r}: use 'user' or 'user:group' (letters, digits, '_', '.', "
                f"'-'), e.g. 'root:wheel' or 'postgres:postgres'")
    return None


def owner_matches(declared: str, live: str) -> bool:
    """'postgres' matches live 'postgres:postgres'; 'a:b' must match exactly."""
    if ":" in declared:
        return declared == live
    return live.split(":", 1)[0] == declared


def line_error(line: str) -> Optional[str]:
    if not isinstance(line, str):
        return "a line must be a string"
    if any(c in line for c in "\n\r\x00"):
        return "a line must not contain newline or NUL characters"
    if len(line) > 4096:
        return "a line is too long (max 4096 characters)"
    return None


def regex_error(rx: str) -> Optional[str]:
    try:
        re.compile(rx)
    except re.error as e:
        return f"invalid regular expression {rx!r}: {e}"
    return None


def content_error(content: str) -> Optional[str]:
    if "\x00" in content:
        return "content must not contain NUL characters (text files only)"
    if len(content) > 16 * 1024 * 1024:
        return "content is too large (max 16 MiB)"
    return None


# --------------------------------------------------------------------------------------------
# Line-in-file


@dataclass
class LineEdit:
    content: str                      # the new file content
    added: list[str] = field(default_factory=list)          # lines appended
    replaced: dict[str, str] = field(default_factory=dict)  # new line -> the line it replaced

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced)


def _split(text: str) -> list[str]:
    return text.split("\n")[:-1] if text.endswith("\n") else (text.split("\n") if text else [])


def _join(lines: list[str]) -> str:
    return "".join(ln + "\n" for ln in lines)


def ensure_lines(text: str, specs: Sequence[tuple[str, Optional[str]]]) -> LineEdit:
    """Make every ``line`` present: already there -> nothing; else replace the first line that
    matches ``match`` (a regex, searched from the start of each line, e.g. ``^#?listen_addresses``)
    when given and found; else append it.  A final newline is added when missing."""
    lines = _split(text)
    edit = LineEdit(content=text)
    for line, match in specs:
        if line in lines:
            continue
        idx = None
        if match:
            rx = re.compile(match)
            for i, cur in enumerate(lines):
                if rx.search(cur) and cur not in (s for s, _ in specs):
                    idx = i
                    break
        if idx is not None:
            edit.replaced[line] = lines[idx]
            lines[idx] = line
        else:
            lines.append(line)
            edit.added.append(line)
    if edit.changed:
        edit.content = _join(lines)
    return edit


def remove_lines(text: str, added: Sequence[str], replaced: dict[str, str]) -> tuple[str, bool]:
    """Undo :func:`ensure_lines`: drop the added lines (last occurrence of each) and put the
    replaced originals back.  Returns (content, changed)."""
    lines = _split(text)
    changed = False
    for line in added:
        for i in range(len(lines) - 1, -1, -1):
            if lines[i] == line:
                del lines[i]
                changed = True
                break
    for line, original in replaced.items():
        if line in lines:
            lines[lines.index(line)] = original
            changed = True
    return (_join(lines) if changed else text), changed


def present_lines(text: str, lines: Sequence[str]) -> list[str]:
    have = set(_split(text))
    return [ln for ln in lines if ln in have]
