"""service(8) / rc.subr inside a jail: argv builders, output parsers and facts (no I/O).

Lifecycle commands always use rc.subr's ``one`` prefix (``onestart``, ``onestop``,
``onerestart``, ``oneinitdb``): plain ``start`` prints "Cannot 'start' nginx. Set nginx_enable to
YES ..." and exits 0 when the rcvar is not YES, which would hide a failure.  After every start
the provider checks ``onestatus`` (rc.subr's start can exit 0 without a running daemon).

Status is read with ``onestatus`` (exit 0 = running, 1 = not).  Reads are batched: ONE command
per jail and run (a shared fact) reports the status of every rc script under
``/usr/local/etc/rc.d`` (where packaged daemons such as nginx and postgresql live); a service
from the base system (/etc/rc.d) costs one ``onestatus`` round trip of its own.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

from ..errors import JailNotRunning, classify
from .common import SH, in_jail, lines
from .factbase import Fact, fact

SERVICE = "/usr/sbin/service"
LOCAL_RC_D = "/usr/local/etc/rc.d"
TEST = "/bin/test"

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_WORD_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.,:=/+@%-]{0,255}\Z")
_PREFIXES = ("one", "force", "fast", "quiet")

# Status of every local rc script: "NAME 1" (running) or "NAME 0".  Constant text, no values.
_LOCAL_STATUS_SCRIPT = (
    'for f in ' + LOCAL_RC_D + '/*; do [ -f "$f" ] && [ -x "$f" ] || continue; n=${f##*/}; '
    'if ' + SERVICE + ' "$n" onestatus >/dev/null 2>&1; then echo "$n 1"; else echo "$n 0"; fi; '
    'done; echo __end__'
)


def name_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        return (f"invalid service name {name!r}: the name of an rc script in /etc/rc.d or "
                f"/usr/local/etc/rc.d (letters, digits, '_', '.', '-'; e.g. 'nginx', 'postgresql')")
    return None


def default_rcvar(service: str) -> str:
    """rc.subr's usual rcvar: ``${name}_enable`` with '-' and '.' turned into '_'."""
    return re.sub(r"[^A-Za-z0-9_]", "_", service) + "_enable"


def word_error(word: str) -> Optional[str]:
    if not isinstance(word, str) or not _WORD_RE.match(word):
        return (f"invalid word {word!r}: use letters, digits and '_.,:=/+@%-', not starting "
                f"with '-' (each word is one argument of `service NAME ...`)")
    return None


def one(command: str) -> str:
    """``start`` -> ``onestart`` (already-prefixed commands are kept)."""
    return command if command.startswith(_PREFIXES) else "one" + command


def run(jail: str, service: str, command: str, *args: str) -> list[str]:
    """``service -j J NAME oneCOMMAND args`` (service -j re-executes itself through jexec -l)."""
    return [SERVICE, "-j", jail, service, one(command), *args]


def start(jail: str, service: str) -> list[str]:
    return run(jail, service, "start")


def stop(jail: str, service: str) -> list[str]:
    return run(jail, service, "stop")


def restart(jail: str, service: str) -> list[str]:
    return run(jail, service, "restart")


def status(jail: str, service: str) -> list[str]:
    """Exit 0 when running, 1 when not (``NAME is not running.``)."""
    return run(jail, service, "status")


def init(jail: str, service: str, words: Sequence[str]) -> list[str]:
    """A one-time command such as ``initdb`` -> ``service -j J postgresql oneinitdb``."""
    if not words:
        raise ValueError("empty init command")
    return run(jail, service, words[0], *words[1:])


def local_status(jail: str) -> list[str]:
    """Read-only: ``NAME 1|0`` for every rc script in /usr/local/etc/rc.d, then ``__end__``."""
    return in_jail(jail, [SH, "-c", _LOCAL_STATUS_SCRIPT])


def parse_local_status(text: str) -> dict[str, bool]:
    out: dict[str, bool] = {}
    ended = False
    for line in lines(text):
        line = line.strip()
        if not line:
            continue
        if line == "__end__":
            ended = True
            continue
        name, sep, flag = line.rpartition(" ")
        if not sep or flag not in ("0", "1"):
            raise ValueError(f"unexpected service status line: {line!r}")
        out[name] = flag == "1"
    if not ended:
        raise ValueError("truncated service status output")
    return out


def exists(jail: str, path: str) -> list[str]:
    """``test -e PATH`` inside the jail (exit 0 when it exists)."""
    return in_jail(jail, [TEST, "-e", path])


def is_enabled_value(value: Optional[str]) -> bool:
    """rc.subr's checkyesno: YES/TRUE/ON/1 (any case) is on."""
    return (value or "").strip().lower() in ("yes", "true", "on", "1")


# --------------------------------------------------------------------------------------------
# results and facts (a jail that is not running raises JailNotRunning)


def answer(res) -> bool:
    """A command whose exit status is the answer inside a jail (``onestatus``: running; ``test
    -e``: exists): exit 0 or not. Any failure is "no" (a stopped service, a missing rc script),
    except a jail that is not running, which raises :class:`JailNotRunning`."""
    if res.exit_code == 0:
        return True
    err = classify(res)
    if isinstance(err, JailNotRunning):
        raise err
    return False


def _local_running(res) -> Optional[dict[str, bool]]:
    if res.exit_code == 0:
        return parse_local_status(res.stdout)
    err = classify(res)
    if isinstance(err, JailNotRunning):
        raise err
    return None  # no answer: the caller asks the service itself


def local_running(jail: str) -> Fact[Optional[dict[str, bool]]]:
    """Run state of every rc script in /usr/local/etc/rc.d of ``jail`` (one read per jail and
    run), or None when the status script itself failed."""
    return fact(local_status(jail), _local_running, f"rc.d status {jail}")


def is_running(jail: str, service: str) -> Fact[bool]:
    """``service -j JAIL NAME onestatus``: running or not (no such script: not running)."""
    return fact(status(jail, service), answer, f"status {jail}:{service}")


def path_exists(jail: str, path: str) -> Fact[bool]:
    """``test -e PATH`` inside the jail."""
    return fact(exists(jail, path), answer, f"exists {jail}:{path}")
