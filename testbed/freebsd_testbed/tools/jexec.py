"""jexec(8) [SRC usr.sbin/jexec/jexec.c]: run a command inside a running jail.

``jexec [-l] [-d working-directory] [-u username | -U username] jail [command ...]``

The jail context (mount namespace with the jail's /etc, /var, /usr/local, ... over the host's,
UTS hostname, env ``TESTBED_JAIL``) is set up by :func:`freebsd_testbed.jailctx.enter`; then the
command is exec'd, so its exit status is jexec's.  In fast tests (TESTBED_ROOT != /) a
simulated tool named by the command runs in a forked child instead.

Inside a jail only its descendants can be entered, by names relative to it (a nested jail
``parent.child`` is ``child`` from ``parent``); an unexpected exception in the forked child is
reported and recorded like the dispatcher does (tools/_common.py internal_error).
"""
from __future__ import annotations

import os
import sys

from .. import hoststate, jailctx
from ._common import UsageError, getopt

USAGE = "usage: jexec [-l] [-d working-directory] [-u username | -U username] jail [command ...]\n"
LOGIN_PATH = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:/root/bin"


def _pw_entry(user: str) -> tuple[str, str] | None:
    """(home, shell) of ``user`` in the jail's /etc/passwd (already the current view)."""
    try:
        with open(hoststate.hostpath("/etc/passwd"), encoding="utf-8", errors="replace") as f:
            for line in f:
                p = line.rstrip("\n").split(":")
                if len(p) >= 7 and (p[0] == user or p[2] == user):
                    return p[5], p[6]
    except OSError:
        # a root without /etc/passwd (fast test hosts): only root exists
        return ("/root", "/bin/sh") if user in ("root", "0") else None
    return None


def main(argv: list[str]) -> int:
    try:
        opts, args = getopt("jexec", argv[1:], "d:lnu:U:")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    if not args:
        sys.stderr.write(USAGE)
        return 1
    clean = any(o == "l" for o, _ in opts)
    user = next((a for o, a in reversed(opts) if o in ("u", "U")), None)
    uflag = any(o == "u" for o, _ in opts)
    Uflag = any(o == "U" for o, _ in opts)
    workdir = next((a for o, a in opts if o == "d"), None)
    if uflag and Uflag:
        sys.stderr.write(USAGE)
        return 1
    target, cmd = args[0], args[1:]
    # jexec.c main: with -u (or -l without -U) the user comes from the host's passwd, looked
    # up before jail_attach; errx(1, "%s: no such user") [SRC usr.sbin/jexec/jexec.c
    # get_user_info]
    host_pw = None
    if uflag or (clean and not Uflag):
        host_pw = _pw_entry(user or "root")
        if host_pw is None:
            sys.stderr.write(f"jexec: {user}: no such user\n" if user
                             else "jexec: unknown uid: 0\n")
            return 1
    inside = jailctx.current_jail()
    with hoststate.locked(write=False) as st:
        # inside a jail only its descendants are visible, by names relative to it
        key = f"{inside}.{target}" if inside and not target.isdigit() else target
        j = jailctx.jail_info(st, key)
        j = dict(j) if j is not None else None
    if j is not None and inside and not j["name"].startswith(inside + "."):
        j = None
    if j is None:
        sys.stderr.write(f"jexec: {jailctx.not_found_msg(target)}\n")
        return 1
    fast = hoststate.root() != "/"
    sys.stdout.flush()
    sys.stderr.flush()
    if fast:
        pid = os.fork()
        if pid:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status) & 0xFF if not os.WIFSIGNALED(status) \
                else 128 + os.WTERMSIG(status)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
    try:
        rc = _run(j, cmd, clean, user, workdir, fast, host_pw, Uflag)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except BaseException as e:  # noqa: BLE001 - no traceback, but recorded (tools/_common.py)
        from ._common import internal_error
        rc = internal_error("jexec", argv, e)
    if fast:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc & 0xFF)
    return rc


def _run(j, cmd, clean, user, workdir, fast, host_pw=None, Uflag=False) -> int:
    env = dict(os.environ)
    if clean:
        keep = {k: v for k, v in os.environ.items() if k.startswith("TESTBED_")}
        env = {"TERM": os.environ.get("TERM", "dumb")} if "TERM" in os.environ else {}
        env.update(keep)
    try:
        jailctx.enter(j, env)
    except OSError as e:
        sys.stderr.write(f"jexec: jail_attach({j['jid']}): {e.strerror}\n")
        return 1
    # -U: the jail's passwd, after jail_attach (jexec.c get_user_info: "%s: no such user")
    pw = host_pw if host_pw is not None else _pw_entry(user or "root")
    if Uflag and pw is None:
        sys.stderr.write(f"jexec: {user}: no such user\n")
        return 1
    home, shell = pw if pw else ("/root", "/bin/sh")
    if clean:
        os.environ.update({"PATH": LOGIN_PATH, "USER": user or "root", "HOME": home or "/",
                           "SHELL": shell or "/bin/sh"})
        try:
            os.chdir(hoststate.hostpath(home or "/"))
        except OSError:
            pass
    elif user:
        os.environ.update({"USER": user, "HOME": home or "/", "SHELL": shell or "/bin/sh"})
    if not clean:
        try:
            os.chdir(hoststate.hostpath("/"))       # jexec.c: chdir("/") after jail_attach
        except OSError:
            pass
    if workdir:
        try:
            os.chdir(hoststate.hostpath(workdir) if workdir.startswith("/") else workdir)
        except OSError as e:
            sys.stderr.write(f"jexec: chdir: {workdir}: {e.strerror}\n")
            return 1
    if not cmd:
        # jexec.c: execlp($SHELL or _PATH_BSHELL, shell, "-i"); SHELL is the user's with
        # -l/-u/-U, else the caller's
        sh = (shell if (clean or user) else os.environ.get("SHELL")) or "/bin/sh"
        if not os.path.exists(sh):
            sh = "/bin/sh"
        cmd = [sh, "-i"]
        prog = sh
    else:
        prog = cmd[0]
    if fast:
        from ..jails import _fast_tool
        tool = _fast_tool(prog)
        if tool:
            from . import dispatch
            return dispatch.main([tool] + cmd[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvp(prog, cmd)
    except OSError as e:
        from ._common import strerror
        sys.stderr.write(f"jexec: execvp: {prog}: {strerror(e.errno or 0)}\n")
        return 1
    return 1
