"""cpuset(1) [SRC usr.bin/cpuset/cpuset.c (14.x copy, sobomax/freebsd14_vendor) and
sys/kern/kern_cpuset.c].

A jail's mask is ``runtime["jails"][name]["cpuset"]``; CPUs are 0 .. hw.ncpu-1.

From the source:
- options are handled in getopt order ("Ccd:gij:l:n:p:rs:t:x:"); ``-j`` resolves names and
  jids with jail_getid() and fails with ``errx(1, "%s", jail_errmsg)``; ``-l`` is parsed at
  once (parselist(): ``Malformed list %s``, ``List entry %d exceeds maximum of %d``; ``all``
  is the root set);
- ``-g``: operands, -C, -l or -n, or two identities -> usage; printaffinity() prints
  ``<which> <id><level> mask: 0, 1`` then (not for -d/-x)
  ``<which> <id><level> domain policy: first-touch mask: 0``; ``-i`` prints
  ``<which> <id> cpuset id: N`` (printsetid(): level "cpuset" unless -r or -s);
  which names tid pid cpuset irq jail domain; level names " root", " cpuset", "";
- not -g: -d, -i or -r -> usage; with a command: -C/-p/-t/-x/-j -> usage, then exec
  (``err(errno == ENOENT ? 127 : 126, "%s", cmd)``);
- kernel: a jail's mask must be a subset of its parent's root set, else EINVAL
  (cpuset_modify()); a process/thread mask with no CPU in common with its set is EDEADLK
  (cpuset_init()); a missing pid/tid/set is ESRCH.
"""
from __future__ import annotations

import errno
import os
import sys

from .. import hoststate, jailctx
from ._common import UsageError, getopt, strerror

USAGE = """usage: cpuset [-l cpu-list] [-n policy:domain-list] [-s setid] cmd ...
       cpuset [-l cpu-list] [-n policy:domain-list] [-s setid] -p pid
       cpuset [-c] [-l cpu-list] [-n policy:domain-list] -C -p pid
       cpuset [-c] [-l cpu-list] [-n policy:domain-list]
              [-j jailid | -p pid | -t tid | -s setid | -x irq]
       cpuset -g [-cir]
              [-d domain | -j jailid | -p pid | -t tid | -s setid | -x irq]
"""
CPU_SETSIZE = 1024
DOMAINSET_SETSIZE = 8
POLICIES = ["round-robin", "rr", "first-touch", "ft", "prefer", "interleave", "il"]


class _Fail(Exception):
    def __init__(self, msg: str, code: int = 1):
        super().__init__(msg)
        self.msg = msg
        self.code = code


class _Usage(Exception):
    pass


def _ncpu(rt) -> int:
    try:
        from . import sysctl
        return int(sysctl.value(rt, "hw.ncpu"))
    except Exception:  # noqa: BLE001
        return 4


def _atoi(s: str) -> int:
    from .kldunload import _atoi as a
    return a(s)


def parselist(text: str, size: int) -> list[int]:
    """parselist(): numbers, ranges and commas; errx on anything else."""
    NONE, NUM, DASH = 0, 1, 2
    state = NONE
    cur = last = 0
    out: set[int] = set()
    i = 0
    while i < len(text):
        c = text[i]
        if c.isdigit() and c in "0123456789":
            j = i
            while j < len(text) and text[j] in "0123456789":
                j += 1
            cur = int(text[i:j]) if j - i < 12 else 1 << 40
            if cur >= size:
                raise _Fail(f"List entry {_atoi(text[i:])} exceeds maximum of {size - 1}")
            i = j
            if state == NONE:
                last, state = cur, NUM
            elif state == DASH:
                out.update(range(last, cur + 1))
                state = NONE
            else:
                raise _Fail(f"Malformed list {text}")
            continue
        if c == ",":
            if state == NUM:
                out.add(cur)
                state = NONE
            elif state == DASH:
                raise _Fail(f"Malformed list {text}")
        elif c == "-":
            if state != NUM:
                raise _Fail(f"Malformed list {text}")
            state = DASH
        else:
            raise _Fail(f"Malformed list {text}")
        i += 1
    if state == NUM:
        out.add(cur)
    elif state == DASH:
        raise _Fail(f"Malformed list {text}")
    return sorted(out)


def parse_list(s: str, ncpu: int) -> list[int] | None:
    """Kept for callers: the CPUs of ``s`` (``all`` = 0..ncpu-1), None when malformed."""
    if s.lower() == "all":
        return list(range(ncpu))
    try:
        return parselist(s, CPU_SETSIZE)
    except _Fail:
        return None


def fmt_set(cpus: list[int]) -> str:
    return ", ".join(str(c) for c in cpus)


def main(argv: list[str]) -> int:
    try:
        opts, args = getopt("cpuset", argv[1:], "Ccd:gij:l:n:p:rs:t:x:")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    try:
        return _main(opts, args)
    except _Usage:
        sys.stdout.flush()
        sys.stderr.write(USAGE)
        return 1
    except _Fail as e:
        sys.stdout.flush()
        sys.stderr.write(f"cpuset: {e.msg}\n")
        return e.code


def _main(opts: list[tuple[str, str]], args: list[str]) -> int:
    fl: dict[str, bool] = {c: False for c in "Ccdgijlnprstx"}
    level = ""          # CPU_LEVEL_WHICH
    which, ident = "pid", -1
    mask: list[int] | None = None
    jrec = None
    with hoststate.locked() as st:
        rt = st.runtime
        ncpu = _ncpu(rt)
        inside = jailctx.current_jail()
        for o, a in opts:
            fl[o] = True
            if o == "c":
                level = " cpuset"
            elif o == "r":
                level = " root"
            elif o == "d":
                which, ident = "domain", _atoi(a)
            elif o == "j":
                jr = jailctx.jail_info(st, a)
                if jr is None or (inside and inside != jr["name"]):
                    raise _Fail(jailctx.not_found_msg(a))
                which, ident, jrec = "jail", int(jr["jid"]), jr
            elif o == "l":
                if a.lower() == "all":
                    mask = _root_mask(st, inside, ncpu)
                else:
                    mask = parselist(a, CPU_SETSIZE)
            elif o == "n":
                _parse_domains(a)
            elif o == "p":
                which, ident = "pid", _atoi(a)
            elif o == "s":
                which, ident = "cpuset", _atoi(a)
            elif o == "t":
                which, ident = "tid", _atoi(a)
            elif o == "x":
                which, ident = "irq", _atoi(a)
        if fl["g"]:
            if args or fl["C"] or fl["l"] or fl["n"]:
                raise _Usage
            if sum(fl[k] for k in "djxspt") > 1:
                raise _Usage
            if fl["i"]:
                return _printsetid(st, which, ident, level, fl["s"], jrec, inside)
            cur = _getaffinity(st, which, ident, jrec, inside, ncpu)
            out = f"{which} {ident}{level} mask: {fmt_set(cur)}\n"
            if not (fl["d"] or fl["x"]):
                out += f"{which} {ident}{level} domain policy: first-touch mask: 0\n"
            sys.stdout.write(out)
            return 0
        if fl["d"] or fl["i"] or fl["r"]:
            raise _Usage
        if args:
            if fl["C"] or fl["p"] or fl["t"] or fl["x"] or fl["j"]:
                raise _Usage
            if mask is not None:
                avail = _root_mask(st, inside, ncpu)
                if not set(mask) & set(avail):
                    raise _Fail(f"setaffinity: {strerror(errno.EDEADLK)}")
        else:
            if fl["C"] and (fl["j"] or not fl["p"] or fl["s"] or fl["t"] or fl["x"]):
                raise _Usage
            if not fl["l"] and not fl["n"] and fl["c"]:
                raise _Usage
            if not fl["l"] and not fl["n"] and not (fl["C"] or fl["s"]):
                raise _Usage
            if fl["t"] and (fl["s"] or fl["p"] or fl["x"] or fl["j"]):
                raise _Usage
            if fl["x"] and (fl["j"] or fl["p"] or fl["s"] or fl["t"]):
                raise _Usage
            if mask is not None:
                _setaffinity(st, which, ident, jrec, inside, ncpu, mask)
            return 0
    return _exec(args)


def _root_mask(st, inside: str | None, ncpu: int) -> list[int]:
    jr = jailctx.jail_info(st, inside) if inside else None
    return list(jr.get("cpuset", range(ncpu))) if jr else list(range(ncpu))


def _pid_exists(st, pid: int, inside: str | None) -> bool:
    if pid == -1:
        return True
    try:
        procs = jailctx.procs_list(st, inside, all_jails=not inside)
    except Exception:  # noqa: BLE001
        return True
    return any(p["pid"] == pid for p in procs) or pid == os.getpid()


def _getaffinity(st, which: str, ident: int, jrec, inside: str | None, ncpu: int) -> list[int]:
    if which == "jail" and jrec is not None:
        return list(jrec.setdefault("cpuset", list(range(ncpu))))
    if which in ("pid", "tid"):
        if not _pid_exists(st, ident, inside):
            raise _Fail(f"getaffinity: {strerror(errno.ESRCH)}")
        if ident != -1 and not inside:
            for p in jailctx.procs_list(st, None, all_jails=True):
                if p["pid"] == ident and p.get("jail"):
                    jr = jailctx.jail_info(st, p["jail"])
                    if jr:
                        return list(jr.get("cpuset", range(ncpu)))
        return _root_mask(st, inside, ncpu)
    if which == "cpuset":
        if ident in (0, 1):
            return list(range(ncpu)) if not inside else _root_mask(st, inside, ncpu)
        for j in jailctx.running_jails(st):
            if int(j.get("params", {}).get("cpuset.id", -1)) == ident:
                return list(j.get("cpuset", range(ncpu)))
        raise _Fail(f"getaffinity: {strerror(errno.ESRCH)}")
    if which == "domain":
        if ident != 0:
            raise _Fail(f"getaffinity: {strerror(errno.ESRCH)}")
        return list(range(ncpu))
    return _root_mask(st, inside, ncpu)


def _printsetid(st, which: str, ident: int, level: str, sflag: bool, jrec,
                inside: str | None) -> int:
    if level == "" and not sflag:
        level = " cpuset"
    if which == "jail" and jrec is not None:
        setid = int(jrec.get("params", {}).get("cpuset.id", 2))
    elif which in ("pid", "tid"):
        if not _pid_exists(st, ident, inside):
            sys.stdout.flush()
            sys.stderr.write(f"cpuset: getid: {strerror(errno.ESRCH)}\n")
            return errno.ESRCH  # err(errno, "getid")
        jr = jailctx.jail_info(st, inside) if inside else None
        setid = int(jr.get("params", {}).get("cpuset.id", 1)) if jr else 1
    else:
        setid = ident if which == "cpuset" else 1
    if level == " root" and which != "jail" and not inside:
        setid = 0  # the system root set; a jail's set is its own root (CPU_SET_ROOT)
    sys.stdout.write(f"{which} {ident}{level} id: {setid}\n")
    return 0


def _setaffinity(st, which: str, ident: int, jrec, inside: str | None, ncpu: int,
                 mask: list[int]) -> None:
    if which == "jail" and jrec is not None:
        if inside and inside == jrec["name"]:
            raise _Fail(f"setaffinity: {strerror(errno.EPERM)}")
        parent = _root_mask(st, inside, ncpu)
        if not set(mask) <= set(parent):
            raise _Fail(f"setaffinity: {strerror(errno.EINVAL)}")
        if not mask:
            raise _Fail(f"setaffinity: {strerror(errno.EDEADLK)}")
        jrec["cpuset"] = sorted(mask)
        return
    if which in ("pid", "tid"):
        if not _pid_exists(st, ident, inside):
            raise _Fail(f"setaffinity: {strerror(errno.ESRCH)}")
        if not set(mask) & set(_root_mask(st, inside, ncpu)):
            raise _Fail(f"setaffinity: {strerror(errno.EDEADLK)}")
        return
    if which == "cpuset":
        if not set(mask) <= set(_root_mask(st, inside, ncpu)):
            raise _Fail(f"setaffinity: {strerror(errno.EINVAL)}")
        return


def _parse_domains(text: str) -> None:
    """parsedomainlist(): [policy[:]]list; a policy must be followed by ':' or the end."""
    low = text.lower()
    rest = text
    for p in POLICIES:
        if low.startswith(p):
            rest = text[len(p):]
            if rest[:1] not in (":", ""):
                raise _Fail(f"Malformed list {text}")
            rest = rest[1:] if rest[:1] == ":" else rest
            break
    if rest.lower() == "all" or rest == "":
        return
    parselist(rest, DOMAINSET_SETSIZE)


def _exec(args: list[str]) -> int:
    """execvp(*argv, argv); err(errno == ENOENT ? 127 : 126, "%s", *argv)."""
    sys.stdout.flush()
    sys.stderr.flush()
    # resolve like execvp(3) first, so the error is reported by this process
    cmd = args[0]
    cands = [cmd] if "/" in cmd else [os.path.join(d or ".", cmd) for d in
                                      os.environ.get("PATH", "/bin:/usr/bin").split(":")]
    found = [c for c in cands if os.path.isfile(c)]
    if not found:
        sys.stderr.write(f"cpuset: {cmd}: {strerror(errno.ENOENT)}\n")
        return 127
    if not any(os.access(c, os.X_OK) for c in found):
        sys.stderr.write(f"cpuset: {cmd}: {strerror(errno.EACCES)}\n")
        return 126
    try:
        pid = os.fork()
    except OSError:
        sys.stderr.write(f"cpuset: {args[0]}: {strerror(errno.EAGAIN)}\n")
        return 126
    if pid == 0:
        try:
            os.execvp(args[0], args)
        except OSError as e:
            code = 127 if e.errno == errno.ENOENT else 126
            os.write(2, f"cpuset: {args[0]}: {strerror(e.errno or 0)}\n".encode(
                errors="surrogateescape"))
            os._exit(code)
        finally:
            os._exit(126)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return 128 + os.WTERMSIG(status)
