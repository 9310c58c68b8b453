"""The Testbed handle used by the tests (start, exec, log, fault, down), importable by name."""
from __future__ import annotations

import json
import pathlib
import subprocess

REPO = pathlib.Path(__file__).resolve().parent.parent
TESTBED = str(REPO / ".venv" / "bin" / "freebsd-testbed")


class Testbed:
    __test__ = False  # not a test class

    def __init__(self, name: str, state_dir: str):
        self.name = name
        self.state_dir = state_dir
        self.info: dict = {}

    def up(self) -> dict:
        r = subprocess.run([TESTBED, "up", self.name, "--state-dir", self.state_dir, "--json"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        self.info = json.loads(r.stdout)
        return self.info

    def exec(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run([TESTBED, "exec", self.name, "--state-dir", self.state_dir, "--", *cmd],
                           capture_output=True, text=True, timeout=120)
        if check:
            assert r.returncode == 0, f"{cmd}: {r.stderr}"
        return r

    def log(self) -> list[dict]:
        r = subprocess.run([TESTBED, "log", self.name, "--state-dir", self.state_dir],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return [json.loads(line) for line in r.stdout.split("\n") if line.strip()]

    def fault(self, *args: str) -> None:
        r = subprocess.run([TESTBED, "fault", self.name, "--state-dir", self.state_dir, *args],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr

    def faults(self) -> dict:
        """The faults in force (``freebsd-testbed fault NAME``): an injected rule is gone once a
        command consumed it."""
        import json
        r = subprocess.run([TESTBED, "fault", self.name, "--state-dir", self.state_dir],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def probe(self, addr: str, port: int | None = None, src: str = "lan", proto: str = "tcp") -> str:
        """``freebsd-testbed probe``: open, closed, filtered or unreachable (the verdict word)."""
        argv = [TESTBED, "probe", self.name, "--state-dir", self.state_dir, "--from", src,
                "--proto", proto, addr] + ([str(port)] if port is not None else [])
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert r.returncode in (0, 1), r.stderr
        return r.stdout.split(": ", 1)[1].split()[0]

    def down(self) -> None:
        subprocess.run([TESTBED, "down", self.name, "--state-dir", self.state_dir, "--purge"],
                       capture_output=True, text=True, timeout=120)

    def provider_config(self) -> dict:
        return {
            "host": self.info["host"], "port": self.info["port"], "user": self.info["user"],
            "hostKey": self.info["host_key"],
            "privateKey": pathlib.Path(self.info["private_key_path"]).read_text(),
        }

    def reboot(self) -> None:
        r = subprocess.run([TESTBED, "reboot", self.name, "--state-dir", self.state_dir],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr


def own(name: str):
    """A testbed of its own for a test module (a generator for a module-scoped fixture): up in a
    fresh state dir, down and removed after."""
    import os
    import shutil
    import tempfile
    state = tempfile.mkdtemp(prefix=f"tb-{name}-")
    tb = Testbed(name, os.path.join(state, name))
    tb.up()
    try:
        yield tb
    finally:
        tb.down()
        shutil.rmtree(state, ignore_errors=True)
