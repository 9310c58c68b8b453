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


def main() -> None:
    cmd = os.environ.pop("SSH_ORIGINAL_COMMAND", None)
    if cmd is None:
        os.execv("/bin/sh", ["-sh"])
    start = time.time()
    t0 = time.monotonic()
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
    import json
    line = json.dumps({"command": cmd, "exit": code, "start": round(start, 6),
                       "duration": round(duration, 6)}) + "\n"
    try:
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, line.encode("utf-8", "surrogateescape"))
        os.close(fd)
    except OSError:
        pass
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
