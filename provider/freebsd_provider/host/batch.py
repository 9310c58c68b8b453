"""Several commands in ONE remote exec: a batch script and the parser that splits its output.

Over a WAN every exec costs a round trip; a resource that must run "mutate, then read back" or
"check, then act" sends them together. The script is constant glue around the commands, each of
which is an argv list joined by ``ssh.join_argv`` (the one quoting point, passed in as
``join``): no value ever lands in the glue. After each command the script prints a marker line
with its exit status to stdout and to stderr; the first non-zero status stops the batch (later
commands do not run), unless ``keep_going``. A random ``nonce`` in the marker keeps command
output from forging one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

SH = "/bin/sh"
_NONCE_RE = re.compile(r"^[0-9a-f]{8,64}\Z")


@dataclass
class Step:
    exit_code: int
    stdout: str
    stderr: str


def script(argvs: Sequence[Sequence[str]], nonce: str, join: Callable[[Sequence[str]], str],
           keep_going: bool = False, stdin_at: Sequence[int] = ()) -> list[str]:
    """argv running every command of ``argvs`` in order within one ``/bin/sh -c``.

    Each command's stdin is /dev/null, except those at the indices ``stdin_at``: they read the
    exec's own stdin in turn (a journal record line, a file's content, a password)."""
    if not argvs:
        raise ValueError("empty batch")
    if not _NONCE_RE.match(nonce):
        raise ValueError("batch nonce must be lowercase hex")
    m = f"__pulumi_freebsd_batch_{nonce}"
    stop = "" if keep_going else ' [ "$r" -eq 0 ] || exit 0;'
    lines = []
    for i, argv in enumerate(argvs):
        lines.append(join(argv) if i in stdin_at else f"{join(argv)} </dev/null")
        lines.append(f"r=$?; printf '\\n{m} %s\\n' \"$r\"; printf '\\n{m} %s\\n' \"$r\" >&2;{stop}")
    return [SH, "-c", "\n".join(lines)]


def parse(stdout: str, stderr: str, nonce: str) -> list[Step]:
    """The steps that ran, in order (fewer than the batch when one failed or the shell died)."""
    marker = re.compile(r"\n__pulumi_freebsd_batch_" + re.escape(nonce) + r" (-?\d+)\n")
    outs = _split(marker, stdout)
    errs = _split(marker, stderr)
    steps = []
    for i, (out, code) in enumerate(outs):
        err = errs[i][0] if i < len(errs) else ""
        steps.append(Step(code, out, err))
    return steps


def _split(marker: re.Pattern, text: str) -> list[tuple[str, int]]:
    res, pos = [], 0
    for mt in marker.finditer(text):
        res.append((text[pos:mt.start()], int(mt.group(1))))
        pos = mt.end()
    return res


def failed(steps: Sequence[Step], wanted: int) -> Optional[int]:
    """Index of the step that stopped the batch (non-zero, or missing when the shell died)."""
    for i, s in enumerate(steps):
        if s.exit_code != 0:
            return i
    return None if len(steps) >= wanted else len(steps)
