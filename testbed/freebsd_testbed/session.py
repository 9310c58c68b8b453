"""The sshd ForceCommand of the host (installed as /usr/libexec/testbed-session).

Runs ``/bin/sh -c "$SSH_ORIGINAL_COMMAND"`` (or the login shell when there is no command),
passing stdin/stdout/stderr straight through and exiting with the command's status, then
appends one JSON line to /var/log/testbed/commands.jsonl:
``{"command": ..., "exit": ..., "start": <epoch float>, "duration": <seconds>}``.
Stdlib only, run with ``python -SE``: it is on every command's path.
"""
import os
import sys
import time

LOG = "/var/log/testbed/commands.jsonl"
FAIL_NEXT = "/run/testbed/fail-next.json"  # written by `freebsd-testbed fault --fail-next`


def _injected_failure(cmd: str) -> bool:
    """Consume one matching --fail-next rule, if any (under a lock, so N means N)."""
    if not os.path.exists(FAIL_NEXT):
        return False
    import fcntl
    import json
    import re
    with open(FAIL_NEXT + ".lock", "a") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        try:
            with open(FAIL_NEXT, encoding="utf-8") as f:
                rules = json.load(f)
        except (OSError, ValueError):
            return False
        for r in rules:
            if r.get("times", 0) > 0 and re.search(r["pattern"], cmd):
                r["times"] -= 1
                rules = [x for x in rules if x.get("times", 0) > 0]
                if rules:
                    with open(FAIL_NEXT + ".tmp", "w", encoding="utf-8") as f:
                        json.dump(rules, f)
                    os.replace(FAIL_NEXT + ".tmp", FAIL_NEXT)
                else:
                    os.unlink(FAIL_NEXT)
                return True
    return False


def main() -> None:
    cmd = os.environ.pop("SSH_ORIGINAL_COMMAND", None)
    if cmd is None:
        os.execv("/bin/sh", ["-sh"])
    start = time.time()
    t0 = time.monotonic()
    if _injected_failure(cmd):
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
    _log(cmd, code, start, time.monotonic() - t0)
    sys.stdout.flush()
    os._exit(code)


def _log(cmd: str, code: int, start: float, duration: float) -> None:
    import json
    line = json.dumps({"command": cmd, "exit": code, "start": round(start, 6),
                       "duration": round(duration, 6)}) + "\n"
    try:
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, line.encode("utf-8", "surrogateescape"))
        os.close(fd)
    except OSError:
        pass


if __name__ == "__main__":
    main()
