"""Whole files and line-in-file edits: validators, the pure line editor, hashes, the file fact.

Reading and writing go through :mod:`common` (``read_file``: ``MODE OWNER:GROUP`` + content;
``write_file``: atomic, content on stdin, never on a command line), wrapped in ``in_jail`` for
a file inside a jail so that owners such as ``postgres`` resolve in the jail's passwd.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from . import common
from .factbase import Fact, fact, parsing

MAX_BACKUP = 64 * 1024  # previous content kept in state (restored on delete) up to this size

_MODE_RE = re.compile(r"^[0-7]{3,4}\Z")
_ID_RE = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}"
_OWNER_RE = re.compile(rf"^{_ID_RE}(:{_ID_RE})?\Z")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def path_error(path: str) -> Optional[str]:
    """A file's path: absolute, no '.'/'..' components, not a directory (trailing '/')."""
    err = common.abs_path_error(path, "path")
    if err:
        return err
    if path.endswith("/"):
        return "path must name a file, not a directory"
    return None


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
# Reading a file


@dataclass
class FileInfo:
    mode: str     # 4 octal digits
    owner: str    # OWNER:GROUP
    content: str


def _parse_read(text: str) -> Optional[FileInfo]:
    got = common.parse_read_file(text)
    return FileInfo(*got) if got is not None else None


def contents(jail: Optional[str], path: str) -> Fact[Optional[FileInfo]]:
    """A file's mode, owner and content (read inside ``jail`` when given); None when it does
    not exist. A jail that is not running raises :class:`JailNotRunning`."""
    return fact(common.in_jail(jail, common.read_file(path)), parsing(_parse_read),
                f"file {jail or ''}:{path}")


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


# --------------------------------------------------------------------------------------------
# Whole-file put: read, compare and write in ONE exec (the content-form JailFile)

SH = "/bin/sh"

# Positional parameters: $1 path, $2 mode (for chmod), $3 owner (for chown), $4 the mode as 4
# octal digits (compared with the file's), $5 refuse a file larger than this many bytes (empty:
# never), $6 print the old content when it is at most this many bytes (empty: never), $7 only
# write over an existing file (non-empty: yes). The content comes on stdin and lands, as in
# common.write_file, in a temp file beside the target (umask 077, chmod, chown) renamed over it,
# unless the file already has that content, mode and owner (matched as owner_matches does).
# First output line: `new` | `missing` (nothing written) | `refuse SIZE MODE OWNER:GROUP` (nothing
# written) | `same|write SIZE MODE OWNER:GROUP`, then the old content when asked for. Paths where
# nothing is written still read stdin to its end, so the sender never writes into a closed pipe.
_PUT_SCRIPT = (
    'p="$1"; t="$p.pulumi-tmp.$$"; '
    'if [ ! -e "$p" ]; then '
    'if [ -n "$7" ]; then cat >/dev/null; echo missing; exit 0; fi; '
    'set -e; umask 077; cat > "$t"; chmod "$2" "$t"; chown "$3" "$t"; mv -f "$t" "$p"; echo new; exit 0; '
    'fi; '
    'if [ -d "$p" ]; then cat >/dev/null; echo "$p: is a directory" >&2; exit 1; fi; '
    'set -e; info=$(stat -f "%Lp %Su:%Sg" "$p"); size=$(stat -f %z "$p"); '
    'if [ -n "$5" ] && [ "$size" -gt "$5" ]; then cat >/dev/null; echo "refuse $size $info"; exit 0; fi; '
    'umask 077; cat > "$t"; chmod "$2" "$t"; chown "$3" "$t"; '
    'lp=${info%% *}; while [ ${#lp} -lt 4 ]; do lp="0$lp"; done; '
    'own=${info#* }; case "$3" in *:*) ;; *) own=${own%%:*} ;; esac; '
    'if [ "$lp" = "$4" ] && [ "$own" = "$3" ] && cmp -s "$t" "$p"; then rm -f "$t"; st=same; else st=write; fi; '
    'echo "$st $size $info"; '
    'if [ -n "$6" ] && [ "$size" -le "$6" ]; then cat "$p"; fi; '
    'if [ "$st" = write ]; then mv -f "$t" "$p"; fi'
)


def put_file(path: str, mode: str, owner: str, *, refuse_over: Optional[int] = None,
             backup_upto: Optional[int] = None, only_existing: bool = False) -> list[str]:
    """argv writing stdin to ``path`` (atomically, with ``mode`` and ``owner``) unless the file
    is already so, and reporting what was there before; see :func:`parse_put`."""
    if mode_error(mode):
        raise ValueError(mode_error(mode))
    if not owner or owner.startswith("-"):  # (an owner read back from the host is not re-validated)
        raise ValueError(f"invalid owner {owner!r}")
    return [SH, "-c", _PUT_SCRIPT, "sh", path, mode, owner, norm_mode(mode),
            "" if refuse_over is None else str(int(refuse_over)),
            "" if backup_upto is None else str(int(backup_upto)),
            "1" if only_existing else ""]


@dataclass
class PutResult:
    state: str                     # new | missing | refuse | same | write
    size: Optional[int] = None     # the old file's size in bytes (when it existed)
    mode: Optional[str] = None     # its mode, 4 octal digits
    owner: Optional[str] = None    # its OWNER:GROUP
    content: Optional[str] = None  # its content, when asked for and not too large

    @property
    def existed(self) -> bool:
        return self.state in ("refuse", "same", "write")

    @property
    def written(self) -> bool:
        return self.state in ("new", "write")


def parse_put(text: str, backup_upto: Optional[int] = None) -> PutResult:
    """The outcome of :func:`put_file` run with the same ``backup_upto``."""
    head, nl, rest = text.partition("\n")
    words = head.split(" ", 3)
    state = words[0]
    if state in ("new", "missing") and len(words) == 1 and nl and not rest:
        return PutResult(state)
    if state in ("refuse", "same", "write") and len(words) == 4 and words[1].isdigit() and nl:
        size = int(words[1])
        shown = state != "refuse" and backup_upto is not None and size <= backup_upto
        if not shown and rest:
            raise ValueError("unexpected output after the file's status")
        return PutResult(state, size, norm_mode(words[2]), words[3], rest if shown else None)
    raise ValueError(f"unexpected output writing a file: {head[:80]!r}")
