"""Every way talking to a host can fail, as types, and the ONE classifier that reads error text.

Two families:

* :class:`SSHError`: the transport. ``may_have_run`` says whether the command may have run on
  the host (the connection was lost or timed out while it ran) or certainly did not (the host
  could not be reached, its key was refused, authentication failed).
* :class:`CommandFailed`: the command ran and exited non-zero. :func:`classify` picks the most
  specific subclass from the command and what it printed (``JailNotRunning``,
  ``DatasetMissing``, ``ModuleNotLoaded``...).

Resources and steps decide on types (``except JailNotRunning``, ``Step(..., tolerate=(NotEnabled,))``);
no other module matches message text. The patterns are FreeBSD's own messages, each cited with
the program that prints it, and fixture-tested in tests/unit/test_errors.py.
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .ssh import Result


class ProviderError(Exception):
    """Base of every error the host layer raises."""


# --------------------------------------------------------------------------------------------
# transport


class SSHError(ProviderError):
    """A connection-level failure. ``may_have_run``: whether the command it was sending may have
    run (some of) its work on the host."""

    may_have_run = False


class HostUnreachable(SSHError):
    """No connection could be made (refused, timed out, no route): nothing ran."""


class HostKeyError(HostUnreachable):
    """The host's key is unknown or does not match the pinned one: nothing ran."""


class AuthFailed(HostUnreachable):
    """SSH authentication failed: nothing ran."""


class ConnectionLost(SSHError):
    """The connection died while a command ran: it may have run."""

    may_have_run = True


class CommandTimeout(ConnectionLost):
    """The command did not finish within its time budget (it may still be running)."""


class Cancelled(ConnectionLost):
    """The engine cancelled the operation while the command ran."""


def may_have_run(e: BaseException) -> bool:
    """Whether an operation that raised ``e`` may have changed the host: a command that ran and
    failed, or a connection lost while one ran (as opposed to a host never reached)."""
    return isinstance(e, CommandFailed) or bool(getattr(e, "may_have_run", False))


def interrupted(e: BaseException) -> str:
    """What cut a batch short, in a few words (without the batch's long command line)."""
    if isinstance(e, CommandFailed):
        # its last words (e.g. the signal or the reason it was killed), never the batch's text
        last = e.result.stderr.strip().split("\n")[-1][:200] if e.result.stderr.strip() else ""
        return f"the remote shell exited {e.result.exit_code}" + (f": {last}" if last else "")
    return str(e).split(":", 1)[0]


# --------------------------------------------------------------------------------------------
# commands


class CommandFailed(ProviderError):
    """A command exited non-zero; carries the command line, exit code and output.

    ``CommandFailed(result)`` itself returns the most specific subclass (:func:`classify`), so
    every failed command is typed wherever it is raised."""

    def __new__(cls, result: "Result", shell_died: bool = False):
        if cls is CommandFailed and not shell_died:
            cls = _kind_of(result)
        return super().__new__(cls)

    def __init__(self, result: "Result", shell_died: bool = False):
        self.result = result
        self.shell_died = shell_died  # the batch's shell itself died: what ran is unknown
        err = result.stderr.strip() or result.stdout.strip()
        super().__init__(f"command failed (exit {result.exit_code}): {result.command}\n{err}".rstrip())

    @property
    def argv(self) -> list[str]:
        return self.result.argv

    @property
    def code(self) -> int:
        return self.result.exit_code

    @property
    def stderr(self) -> str:
        return self.result.stderr


class JailNotRunning(CommandFailed):
    """A command aimed into a jail (jexec, ``sysrc -j``, ``pkg -j``, ``service -j``) that is not
    running."""


class NotFound(CommandFailed):
    """The object the command names does not exist (file, dataset, interface, variable...)."""


class NoSuchFile(NotFound):
    """``No such file or directory`` (ENOENT) from any tool."""


class DatasetMissing(NotFound):
    """zfs(8): ``cannot open 'X': dataset does not exist``."""


class InterfaceMissing(NotFound):
    """ifconfig(8): ``ifconfig: interface X does not exist``."""


class UnknownVariable(NotFound):
    """sysrc(8): ``sysrc: unknown variable 'X'`` (``-x`` of a variable that is not set)."""


class NoRcScript(NotFound):
    """service(8): ``X does not exist in /etc/rc.d or the local startup directories (...)``."""


class ModuleNotLoaded(NotFound):
    """The kernel module is not loaded: kldunload's ``can't find file X``, or pfctl's
    ``/dev/pf: No such file or directory`` (pf.ko not loaded)."""


class AlreadyExists(CommandFailed):
    """zfs create/clone/snapshot: ``dataset already exists``; ifconfig create: ``File exists``."""


class ModuleBusy(CommandFailed):
    """kldunload: ``Device busy`` (another module depends on it, or it refused)."""


class PfAlreadyEnabled(CommandFailed):
    """``pfctl -e``: ``pfctl: pf already enabled``."""


class PfNotEnabled(CommandFailed):
    """``pfctl -d``: ``pfctl: pf not enabled``."""


class ServiceAlreadyRunning(CommandFailed):
    """rc.subr start: ``X already running? (pid=N).``"""


class ServiceNotRunning(CommandFailed):
    """rc.subr stop/status: ``X not running? (check /var/run/X.pid).``"""


class RctlDisabled(CommandFailed):
    """rctl(8) with ``kern.racct.enable=0``: ``rctl: failed to ...: RACCT/RCTL present, but disabled; ...``."""


class UserMissing(NotFound):
    """pw(8): ``pw: no such user `X'`` (EX_NOUSER, 67)."""


class GroupMissing(NotFound):
    """pw(8): ``pw: group `X' does not exist`` (EX_NOUSER, 67) for a ``-g``/``-G`` group."""


class UserExists(AlreadyExists):
    """pw useradd: ``pw: login name `X' already exists`` (EX_DATAERR, 65)."""


class LockTimeout(CommandFailed):
    """lockf(1) exits 75 (EX_TEMPFAIL) when the host-side lock is not free within its timeout."""


# (class, programs it applies to or None for any, pattern over stderr + stdout). First match
# wins, so the specific messages come before the generic ones.
_INTO_JAIL = frozenset({"<a command run in a jail>"})
_RULES: list[tuple[type[CommandFailed], Optional[frozenset[str]], re.Pattern]] = [
    # usr.sbin/jexec/jexec.c: errx(1, "%s", jail_errmsg) after libjail's jail_getid: 'jail "NAME"
    # not found' (a JID: 'jail N not found'); sysrc -j and service -j run jexec; pkg -j warnx's
    # the same text. Only for a command aimed into a jail (see _into_jail).
    (JailNotRunning, _INTO_JAIL, re.compile(r'(?m)^(?:jexec|pkg): jail (?:"[^"\n]*"|\d+) not found$')),
    # sbin/pfctl/pfctl.c: open("/dev/pf") fails with ENOENT when pf.ko is not loaded
    (ModuleNotLoaded, frozenset({"pfctl"}), re.compile(r"/dev/pf: No such file or directory")),
    (PfAlreadyEnabled, frozenset({"pfctl"}), re.compile(r"pf already enabled")),
    (PfNotEnabled, frozenset({"pfctl"}), re.compile(r"pf not enabled")),
    # sbin/kldunload/kldunload.c: "can't find file %s"
    (ModuleNotLoaded, frozenset({"kldunload"}), re.compile(r"can't find file")),
    (ModuleBusy, frozenset({"kldunload"}), re.compile(r"Device busy|Resource busy")),
    # cddl/.../libzfs: "dataset does not exist" / "dataset already exists"
    (DatasetMissing, frozenset({"zfs"}), re.compile(r"dataset does not exist")),
    (AlreadyExists, frozenset({"zfs"}), re.compile(r"dataset already exists")),
    # sbin/ifconfig: "interface %s does not exist"; SIOCIFCREATE2: File exists
    (InterfaceMissing, frozenset({"ifconfig"}), re.compile(r"interface \S+ does not exist")),
    (AlreadyExists, frozenset({"ifconfig"}), re.compile(r"File exists")),
    # usr.sbin/sysrc/sysrc: "unknown variable '%s'"
    (UnknownVariable, frozenset({"sysrc"}), re.compile(r"unknown variable")),
    # usr.sbin/service/service.sh and libexec/rc/rc.subr
    (NoRcScript, frozenset({"service"}), re.compile(r"does not exist in /etc/rc\.d")),
    (ServiceAlreadyRunning, frozenset({"service"}), re.compile(r"already running")),
    (ServiceNotRunning, frozenset({"service"}), re.compile(r"not running")),
    # usr.bin/rctl/rctl.c: the kernel was built with RACCT but it is disabled
    (RctlDisabled, frozenset({"rctl"}), re.compile(r"RACCT/RCTL|racct", re.IGNORECASE)),
    # usr.sbin/pw/pw_user.c: errx(EX_NOUSER, "no such user `%s'"), errx(EX_DATAERR,
    # "login name `%s' already exists"); pw_group.c/pw_user.c: "group `%s' does not exist"
    (UserMissing, frozenset({"pw"}), re.compile(r"no such user `")),
    (UserExists, frozenset({"pw"}), re.compile(r"login name `.*' already exists")),
    (GroupMissing, frozenset({"pw"}), re.compile(r"group `.*' does not exist")),
    (NoSuchFile, None, re.compile(r"No such file or directory")),
]



def program(argv: Sequence[str]) -> str:
    """The program a command line really runs: past sudo/doas, ``lockf [-k] [-t N] FILE`` and
    ``jexec JAIL`` (whose errors are still checked first: see ``_RULES``)."""
    words = list(argv)
    while words:
        name = os.path.basename(words[0])
        if name in ("sudo", "doas"):
            words = [w for w in words[1:] if w != "-n"]
            if words and words[0] == "--":
                words = words[1:]
        elif name == "lockf":
            words = words[1:]
            while words and words[0].startswith("-"):
                words = words[2:] if words[0] == "-t" else words[1:]
            words = words[1:]  # the lock file
        elif name == "jexec":
            words = words[1:]
            while words and words[0].startswith("-"):
                words = words[2:] if words[0] in ("-u", "-U") else words[1:]
            words = words[1:]  # the jail
        else:
            return name
    return ""


def _into_jail(argv: Sequence[str]) -> bool:
    """Whether a command line runs something in a jail: through jexec, or a tool's ``-j``."""
    names = [os.path.basename(w) for w in argv]
    return "jexec" in names or ("-j" in argv and program(argv) in ("sysrc", "pkg", "service"))


def _kind_of(result: "Result") -> type[CommandFailed]:
    prog = program(result.argv)
    text = result.stderr + "\n" + result.stdout
    for cls, progs, rx in _RULES:
        if progs is _INTO_JAIL:
            if not _into_jail(result.argv):
                continue
        elif progs is not None and prog not in progs:
            continue
        if rx.search(text):
            return cls
    if result.exit_code == 75 and "lockf" in (os.path.basename(w) for w in result.argv[:4]):
        return LockTimeout
    return CommandFailed


def classify(result: "Result") -> CommandFailed:
    """The most specific :class:`CommandFailed` for a failed command's result."""
    return CommandFailed(result)


def result_is(result: "Result", *kinds: type[CommandFailed]) -> bool:
    """Whether a (failed) result classifies as one of ``kinds``; False for exit 0."""
    return result.exit_code != 0 and isinstance(classify(result), kinds)


__all__ = [n for n in dir() if n[0].isupper() and not n.startswith("_")] + [
    "classify", "result_is", "may_have_run", "interrupted", "program"]
