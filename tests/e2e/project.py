"""Run the real `pulumi` CLI (through scripts/pulumi) on a throw-away copy of a project."""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import textwrap

REPO = pathlib.Path(__file__).resolve().parents[2]
PULUMI = str(REPO / "scripts" / "pulumi")


def snapshot(tb):
    """What the tutorial may change on the host (compared before/after destroy): jails,
    interfaces, datasets, conf files, rc/loader words, the address, modules, PF rules."""
    return {
        "jls": tb.exec("jls", "-N").stdout,
        "ifaces": tb.exec("ifconfig", "-l").stdout.split(),
        "datasets": tb.exec("zfs", "list", "-H", "-o", "name").stdout.split(),
        "confs": tb.exec("sh", "-c", "ls /etc/jail.conf.d 2>/dev/null; ls /etc/pf.conf 2>/dev/null; true").stdout.split(),
        "rc": tb.exec("sysrc", "-a").stdout.splitlines(),
        "loader": tb.exec("sysrc", "-f", "/boot/loader.conf", "-a").stdout.splitlines(),
        "addr": tb.exec("ifconfig", "vtnet0").stdout.count("inet 192.168.1.10 "),
        "kld": sorted(re.findall(r"\S+\.ko", tb.exec("kldstat").stdout)),
        "pf": tb.exec("pfctl", "-s", "rules", check=False).stdout,
    }


class Project:
    def __init__(self, root: pathlib.Path, stack: str, backend: pathlib.Path):
        self.root = root
        self.stack = stack
        self.env = {**os.environ, "PULUMI_BACKEND_URL": f"file://{backend}"}

    @classmethod
    def create(cls, tmp: pathlib.Path, name: str, program: str, stack: str, backend: pathlib.Path) -> "Project":
        root = tmp / name
        root.mkdir(parents=True)
        (root / "Pulumi.yaml").write_text(textwrap.dedent(f"""\
            name: {name}
            runtime:
              name: python
              options:
                virtualenv: {REPO / '.venv'}
            plugins:
              providers:
                - name: freebsd
                  path: {REPO / 'provider'}
            """))
        (root / "__main__.py").write_text(textwrap.dedent(program))
        backend.mkdir(parents=True, exist_ok=True)
        return cls(root, stack, backend)

    @classmethod
    def copy_of_main(cls, tmp: pathlib.Path, stack: str, backend: pathlib.Path) -> "Project":
        """A copy of the repo's main project (Pulumi.yaml + examples/) with absolute paths."""
        root = tmp / "main"
        root.mkdir(parents=True)
        shutil.copytree(REPO / "examples", root / "examples")
        text = (REPO / "Pulumi.yaml").read_text()
        text = text.replace("virtualenv: .venv", f"virtualenv: {REPO / '.venv'}")
        text = text.replace("path: ./provider", f"path: {REPO / 'provider'}")
        (root / "Pulumi.yaml").write_text(text)
        backend.mkdir(parents=True, exist_ok=True)
        return cls(root, stack, backend)

    @classmethod
    def main_stack(cls, tmp: pathlib.Path, stack: str, backend: pathlib.Path, testbed,
                   password: str = "e2e-pass-31337", backend_query: str = "") -> "Project":
        """The main project on ``testbed`` with Pulumi.demo.yaml's config (its secret set anew);
        ``backend_query`` is added to the file backend's URL (e.g. ``?metadata=skip``)."""
        import yaml
        p = cls.copy_of_main(tmp, stack, backend)
        p.env["PULUMI_BACKEND_URL"] += backend_query
        conf = yaml.safe_load((REPO / "Pulumi.demo.yaml").read_text())["config"]
        conf = {k: v for k, v in conf.items() if not (isinstance(v, dict) and "secure" in v)
                and not k.startswith("freebsd:")}
        (p.root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": conf}))
        p.init(testbed)
        p.config("freebsd-jails:dbPassword", password, secret=True)
        return p

    def command(self, *args: str) -> list[str]:
        cmd = [PULUMI, "--cwd", str(self.root), *args]
        if "-s" not in args and "--stack" not in args and args and args[0] not in ("stack", "login"):
            cmd += ["--stack", self.stack]
        return cmd

    def pulumi(self, *args: str, check: bool = True, stdin: str | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
        r = subprocess.run(self.command(*args), env=self.env, capture_output=True, text=True, input=stdin, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def init(self, testbed) -> None:
        """Create the stack and point it at the testbed (scripts/testbed-stack)."""
        r = subprocess.run([str(REPO / "scripts" / "testbed-stack"), testbed.name, self.stack,
                            "--cwd", str(self.root), "--state-dir", testbed.state_dir],
                           env=self.env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr

    def config(self, key: str, value: str, secret: bool = False) -> None:
        self.pulumi("config", "set", key, "--stack", self.stack, *(["--secret"] if secret else []), stdin=value)

    def up(self, *extra: str) -> subprocess.CompletedProcess:
        return self.pulumi("up", "--yes", "--skip-preview", *extra)

    def export(self) -> dict:
        return json.loads(self.pulumi("stack", "export", "--stack", self.stack).stdout)

    def resources(self, type_: str = "freebsd:index:ZfsDataset") -> dict[str, dict]:
        out = {}
        for r in self.export()["deployment"].get("resources", []):
            if r["type"] == type_:
                out[r["urn"].split("::")[-1]] = r
        return out
