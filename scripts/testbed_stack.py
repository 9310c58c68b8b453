"""Implementation of scripts/testbed-stack (see there)."""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
PULUMI = str(REPO / "scripts" / "pulumi")
TESTBED = str(REPO / ".venv" / "bin" / "freebsd-testbed")


def pulumi(cwd: str, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PULUMI, "--cwd", cwd, *args], input=stdin, text=True, capture_output=True, check=check)


def main() -> int:
    ap = argparse.ArgumentParser(prog="scripts/testbed-stack")
    ap.add_argument("testbed")
    ap.add_argument("stack")
    ap.add_argument("--cwd", default=str(REPO))
    ap.add_argument("--state-dir", default=None)
    a = ap.parse_args()
    cwd = os.path.abspath(a.cwd)
    up = [TESTBED, "up", a.testbed, "--json"] + (["--state-dir", a.state_dir] if a.state_dir else [])
    r = subprocess.run(up, text=True, capture_output=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return r.returncode
    info = json.loads(r.stdout)
    sel = pulumi(cwd, "stack", "select", "--create", a.stack, check=False)
    if sel.returncode != 0:
        sys.stderr.write(sel.stderr)
        return sel.returncode
    key = pathlib.Path(info["private_key_path"]).read_text()
    wanted = {
        "freebsd:host": (info["host"], False),
        "freebsd:port": (str(info["port"]), False),
        "freebsd:user": (info["user"], False),
        "freebsd:hostKey": (info["host_key"], False),
        "freebsd:privateKey": (key, True),
    }
    changed = []
    for k, (v, secret) in wanted.items():
        cur = pulumi(cwd, "config", "get", k, "-s", a.stack, check=False)
        if cur.returncode == 0 and cur.stdout.rstrip("\n") == v.rstrip("\n"):
            continue
        args = ["config", "set", k, "-s", a.stack] + (["--secret"] if secret else ["--plaintext"])
        # values go through stdin so that keys never appear on a command line
        s = pulumi(cwd, *args, stdin=v, check=False)
        if s.returncode != 0:
            sys.stderr.write(s.stderr)
            return s.returncode
        changed.append(k)
    print(json.dumps({"testbed": a.testbed, "stack": a.stack, "updated": changed, "port": info["port"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
