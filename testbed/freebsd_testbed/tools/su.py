"""su(1): run a shell command as another user, in the same (jail) context.

``su [-] [-flm] [-c class] [login [args]]``.  The testbed does not change the real uid (the
simulated tools need the host's state files); it sets ``TESTBED_USER`` (plus USER/LOGNAME/HOME
unless ``-m``), which the simulated programs (psql, initdb, pg_ctl, ...) take as the effective
user.  Unknown login: ``su: unknown login: NAME``, exit 1.
"""
from __future__ import annotations

import os
import subprocess
import sys

from .. import pkgdb


def main(argv: list[str]) -> int:
    args = argv[1:]
    keep_env = login = False
    while args and args[0].startswith("-"):
        a = args.pop(0)
        if a == "-":
            login = True
            continue
        if a == "--":
            break
        k = 1
        while k < len(a):
            c = a[k]
            if c == "m":
                keep_env = True
            elif c == "l":
                login = True
            elif c == "f":
                pass
            elif c == "c":
                if k + 1 == len(a):
                    if args:
                        args.pop(0)
                break
            else:
                sys.stderr.write(f"su: illegal option -- {c}\n"
                                 "usage: su [-] [-flms] [-c class] [login [args]]\n")
                return 1
            k += 1
    user = args.pop(0) if args else "root"
    root = pkgdb.current()
    ent = pkgdb.user_entry(root, user)
    if ent is None:
        sys.stderr.write(f"su: unknown login: {user}\n")
        return 1
    env = dict(os.environ)
    env["TESTBED_USER"] = user
    if not keep_env:
        env.update(USER=user, LOGNAME=user, HOME=ent[5], SHELL=ent[6])
    shell = ent[6] if not keep_env else (os.environ.get("SHELL") or "/bin/sh")
    if shell.endswith("nologin"):
        sys.stdout.write("This account is currently not available.\n")
        return 1
    if not os.path.exists(shell):
        shell = "/bin/sh"
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        r = subprocess.run([shell, *args], env=env)
    except OSError as e:
        sys.stderr.write(f"su: {shell}: {e.strerror}\n")
        return 1
    return r.returncode if r.returncode >= 0 else 128 - r.returncode
