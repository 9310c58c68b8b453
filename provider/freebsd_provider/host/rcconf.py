"""Several rc.conf edits in ONE locked remote command (a constant script; each edit one argument).

Edits (each a single argv word, never parsed by a shell):

* ``set:NAME=VALUE``  -- ``sysrc NAME=VALUE``
* ``add:NAME=WORD``   -- ``sysrc NAME+=WORD`` (word-level, no duplicates)
* ``del:NAME=WORD``   -- ``sysrc NAME-=WORD``, then drop NAME when it became empty
* ``unset:NAME``      -- ``sysrc -x NAME`` when NAME is set in the file

Names and values must have been validated (sysrc writes ``NAME="VALUE"``).
"""
from __future__ import annotations

from typing import Sequence

from .common import locked

SH = "/bin/sh"
RC_CONF = "/etc/rc.conf"

_SCRIPT = r'''
f=$1; shift; rc=0
S="/usr/sbin/sysrc -f $f"
for op in "$@"; do
  x=${op#*:}
  case $op in
    set:*) $S "$x" >/dev/null || rc=1 ;;
    add:*) $S "${x%%=*}+=${x#*=}" >/dev/null || rc=1 ;;
    del:*) n=${x%%=*}
           if $S -n "$n" >/dev/null 2>&1; then
             $S "$n-=${x#*=}" >/dev/null || rc=1
             [ -n "$($S -n "$n" 2>/dev/null)" ] || $S -x "$n" || rc=1
           fi ;;
    unset:*) if $S -n "$x" >/dev/null 2>&1; then $S -x "$x" || rc=1; fi ;;
    *) echo "unknown rc.conf edit: $op" >&2; rc=1 ;;
  esac
done
exit $rc
'''


def edit(ops: Sequence[str], file: str = RC_CONF) -> list[str]:
    for op in ops:
        kind, _, rest = op.partition(":")
        if kind not in ("set", "add", "del", "unset") or not rest:
            raise ValueError(f"bad rc.conf edit {op!r}")
    return locked([SH, "-c", _SCRIPT, "sh", file, *ops])
