"""The sshd ForceCommand of the host (installed as /usr/libexec/testbed-session).

Runs ``/bin/sh -c "$SSH_ORIGINAL_COMMAND"`` (or the login shell when there is no command),
passing stdin/stdout/stderr straight through and exiting with the command's status, then
appends one JSON line to /var/log/testbed/commands.jsonl:
``{"command": ..., "exit": ..., "start": <epoch float>, "duration": <seconds>}``.
Fault rules (/run/testbed/fail-next.json, kept in order, first match wins): a --fail-next rule
fails a matching command with exit 1 without running it; a --stall-next rule (``stall_ms``)
lets it run to completion, then holds back the exit status for ``stall_ms`` ms (the log line,
with ``"stall_ms"`` added and ``duration`` the command's own, is written after the stall).
Stdlib only, run with ``python -SE``: it is on every command's path.
"""
import os
import sys
import time

LOG = "/var/log/testbed/commands.jsonl"
FAIL_NEXT = "/run/testbed/fail-next.json"  # written by `freebsd-testbed fault --fail-next/--stall-next`


def _take_rule(cmd: str):
    """Consume one count of the first rule matching ``cmd`` (under a lock, so N means N).

    Rules are ``{"pattern": ..., "times": N}`` (--fail-next) or the same with ``"stall_ms": M``
    (--stall-next); returns the matching rule (before its count was taken) or None.
    """
    if not os.path.exists(FAIL_NEXT):
        return None
    import fcntl
    import json
    import re
    with open(FAIL_NEXT + ".lock", "a") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        try:
            with open(FAIL_NEXT, encoding="utf-8") as f:
                rules = json.load(f)
        except (OSError, ValueError):
            return None
        for r in rules:
            if r.get("times", 0) > 0 and re.search(r["pattern"], cmd):
                taken = dict(r)
                r["times"] -= 1
                rules = [x for x in rules if x.get("times", 0) > 0]
                if rules:
                    with open(FAIL_NEXT + ".tmp", "w", encoding="utf-8") as f:
                        json.dump(rules, f)
                    os.replace(FAIL_NEXT + ".tmp", FAIL_NEXT)
                else:
                    os.unlink(FAIL_NEXT)
                return taken
    return None


def main() -> None:
    cmd = os.environ.pop("SSH_ORIGINAL_COMMAND", None)
    if cmd is None:
        os.execv("/bin/sh", ["-sh"])
    start = time.time()
    t0 = time.monotonic()
    rule = _take_rule(cmd)
    stall_ms = rule.get("stall_ms") if rule is not None else None
    if rule is not None and stall_ms is None:
        os.write(2, b"testbed: injected failure (freebsd-testbed fault --fail-next)\n")
        _log(cmd, 1, start, time.monotonic() - t0)
        os._exit(1)
    pid = os.fork()
    if pid == 0:
        try:
            os.execv("/bin/sh", ["sh", "-c", cmd])
        finally:
            os._exit(127)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        code = 128 - code
    duration = time.monotonic() - t0
    if stall_ms is not None:
        _stall(stall_ms)
    _log(cmd, code, start, duration, stall_ms)
    sys.stdout.flush()
    os._exit(code)


def _stall(ms) -> None:
    """--stall-next: the command has run and its output already went to the client (the child
    wrote straight to the inherited fds, which sshd forwards as they fill); hold back the exit
    status (and the end of the channel) for ``ms`` milliseconds. A client that goes away
    meanwhile does not cut the stall short: the command is still logged afterwards."""
    import signal
    for sig in (signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    try:
        delay = max(0.0, float(ms)) / 1000.0
    except (TypeError, ValueError):
        delay = 0.0
    end = time.monotonic() + delay
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        time.sleep(left)


def _log(cmd: str, code: int, start: float, duration: float, stall_ms=None) -> None:
    import json
    entry = {"command": cmd, "exit": code, "start": round(start, 6), "duration": round(duration, 6)}
    if stall_ms is not None:
        entry["stall_ms"] = stall_ms
    line = json.dumps(entry) + "\n"
    try:
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, line.encode("utf-8", "surrogateescape"))
        os.close(fd)
    except OSError:
        pass


if __name__ == "__main__":
    main()
