"""Arbitrary commands in a jail (JailCommand): the one runner script and its stdin protocol.

Shape of every run (values never enter a script text)::

    jexec JAIL /bin/sh -c RUNNER sh ARGV...                  # as root
    jexec JAIL /bin/sh -c RUNNER sh /usr/bin/su -m USER -c CMDLINE   # as USER

* ``RUNNER`` is a constant: it reads ``N`` then N ``KEY=VALUE`` lines from stdin, exports
  them, and ``exec``s its arguments, which inherit the rest of stdin (the user's ``stdin``).
  So environment values (passwords, ...) travel on stdin, never on a command line that any
  process on the host could see with ps(1).
* ``su -c`` takes one shell command line: ``CMDLINE`` is built by :func:`ssh.join_argv`, the
  provider's single quoting point (``shlex.quote`` of every word), so each argv item reaches the
  target program as exactly one argument.  ``su -m`` keeps the exported environment.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

from ..ssh import join_argv
from .common import SH, in_jail

SU = "/usr/bin/su"
TEST = "/bin/test"
MAX_OUTPUT = 64 * 1024

RUNNER = (
    'IFS= read -r n || exit 125; i=0; '
    'while [ "$i" -lt "$n" ]; do IFS= read -r kv || exit 125; export "$kv"; i=$((i+1)); done; '
    'exec "$@"'
)

_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
_USER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\Z")


def env_key_error(key: str) -> Optional[str]:
    if not isinstance(key, str) or not _ENV_KEY_RE.match(key):
        return f"invalid environment variable name {key!r}: letters, digits and '_', not starting with a digit"
    return None


def env_value_error(value: str) -> Optional[str]:
    if not isinstance(value, str) or any(c in value for c in "\n\r\x00"):
        return "an environment value must be a string without newline or NUL characters"
    return None


def user_error(user: str) -> Optional[str]:
    if not isinstance(user, str) or not _USER_RE.match(user):
        return f"invalid user name {user!r}: letters, digits, '_', '.', '-' (e.g. 'postgres')"
    return None


def arg_error(arg: str) -> Optional[str]:
    """One argument of a command."""
    if not isinstance(arg, str):
        return "an argument must be a string"
    if "\x00" in arg:
        return "an argument must not contain NUL characters"
    return None


def argv_error(argv: Sequence[str]) -> Optional[str]:
    """A command as a whole (its arguments one by one: :func:`arg_error`)."""
    if not isinstance(argv, list) or not argv:
        return "a command is a non-empty list of arguments, e.g. [\"createdb\", \"-O\", \"testuser\", \"testdb\"]"
    if not isinstance(argv[0], str):
        return None  # reported by arg_error
    if not argv[0]:
        return "the program (first argument) must not be empty"
    if argv[0].startswith("-"):
        return f"the program (first argument) must not start with '-' (got {argv[0]!r})"
    return None


def stdin_error(text: str) -> Optional[str]:
    if "\x00" in text:
        return "stdin must not contain NUL characters"
    return None


def timeout_error(seconds: int) -> Optional[str]:
    if not 1 <= seconds <= 86400:
        return "timeout must be between 1 and 86400 seconds"
    return None


def command(jail: Optional[str], argv: Sequence[str], user: Optional[str] = None) -> list[str]:
    """The argv that runs ``argv`` (as ``user`` when given) in ``jail`` (host when None)."""
    inner = list(argv)
    if user:
        inner = [SU, "-m", user, "-c", join_argv(inner)]
    return in_jail(jail, [SH, "-c", RUNNER, "sh", *inner])


# The guarded form: the guards and the command in ONE exec. After the environment block it
# takes ``MARK CREATES K`` then the K words of the ``unless`` command, then the command:
# * CREATES (empty: none) exists -> print MARK, exit 0 (skipped);
# * K > 0: the unless command runs with the environment, no stdin and its output discarded
#   (as when it ran on its own); exit 0 -> print MARK, exit 0 (skipped);
# * else exec the command, which inherits the rest of stdin (the user's ``stdin``).
GUARDED = (
    'IFS= read -r n || exit 125; i=0; '
    'while [ "$i" -lt "$n" ]; do IFS= read -r kv || exit 125; export "$kv"; i=$((i+1)); done; '
    'm="$1"; c="$2"; k="$3"; shift 3; '
    'if [ -n "$c" ] && [ -e "$c" ]; then printf "%s\\n" "$m"; exit 0; fi; '
    'if [ "$k" -gt 0 ]; then '
    'if ( j=0; for a do [ "$j" -eq 0 ] && set --; [ "$j" -lt "$k" ] && set -- "$@" "$a"; j=$((j+1)); done; '
    'exec "$@" </dev/null >/dev/null 2>&1 ); then printf "%s\\n" "$m"; exit 0; fi; '
    'shift "$k"; fi; '
    'exec "$@"'
)
_MARK_RE = re.compile(r"^__pulumi_freebsd_skipped_[0-9a-f]{16,64}\Z")


def skip_mark(nonce: str) -> str:
    """The line the guarded runner prints (alone) when a guard held and the command did not run."""
    mark = f"__pulumi_freebsd_skipped_{nonce}"
    if not _MARK_RE.match(mark):
        raise ValueError("the skip nonce must be 16-64 lowercase hex digits")
    return mark


def guarded(jail: Optional[str], argv: Sequence[str], user: Optional[str], mark: str,
            creates: Optional[str] = None, unless: Optional[Sequence[str]] = None) -> list[str]:
    """The argv running ``argv`` (as :func:`command` does) unless a guard holds: ``creates``
    exists, or ``unless`` (run the same way: in the jail, as ``user``) exits 0. Then it prints
    ``mark`` (see :func:`skip_mark`) instead. Its stdin is :func:`stdin_for`'s, as for command."""
    if not _MARK_RE.match(mark):
        raise ValueError("invalid skip mark")

    def inner(words: Sequence[str]) -> list[str]:
        return [SU, "-m", user, "-c", join_argv(words)] if user else list(words)
    guard = inner(unless) if unless else []
    return in_jail(jail, [SH, "-c", GUARDED, "sh", mark, creates or "", str(len(guard)), *guard,
                          *inner(argv)])


def was_skipped(stdout: str, mark: str) -> bool:
    return stdout == mark + "\n"


def stdin_for(environment: Optional[dict[str, str]], stdin: Optional[str]) -> str:
    """The runner's stdin: the environment block, then the command's own input."""
    env = environment or {}
    head = f"{len(env)}\n" + "".join(f"{k}={v}\n" for k, v in sorted(env.items()))
    return head + (stdin or "")


def exists(jail: Optional[str], path: str) -> list[str]:
    return in_jail(jail, [TEST, "-e", path])


def clip(text: str, limit: int = MAX_OUTPUT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters not kept]\n"
