"""A FreeBSD admin's workstation, for tests/e2e/test_consumer_e2e.py: the stock Pulumi CLI run
directly (not scripts/pulumi), projects in a temp dir that use only copies of the dist/ artifacts,
and an environment that holds no path into this repo.

The repo is only used to find the CLI (scripts/build-pulumi) and the dist/ artifacts, which are
copied out first, and to start the testbed host (the test's "FreeBSD server").
"""
from __future__ import annotations

import fnmatch
import os
import pathlib
import re
import shutil
import subprocess
import textwrap
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
PASSPHRASE = "consumer-workstation-passphrase"


def cli_bin() -> pathlib.Path:
    """The directory of the real CLI v3.274.1 and its official language hosts (cached build)."""
    r = subprocess.run([str(REPO / "scripts" / "build-pulumi")], capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stderr[-4000:]
    return pathlib.Path(r.stdout.strip().splitlines()[-1])


def version() -> str:
    return subprocess.run(["make", "-s", "-C", str(REPO), "version"], capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


def _outside_repo(path: str) -> bool:
    return not (path == str(REPO) or path.startswith(str(REPO) + os.sep))


def base_env(cli: pathlib.Path) -> dict[str, str]:
    """The workstation's environment: this one without PULUMI_* (then set anew), VIRTUAL_ENV,
    PYTHONPATH/PYTHONHOME and anything naming the repo; PATH = the CLI, python3, node/npm and the
    system directories only."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PULUMI_", "VIRTUAL_ENV")) and k not in ("PYTHONPATH", "PYTHONHOME")
           and str(REPO) not in v}
    outer = [p for p in os.environ.get("PATH", "").split(":") if p and _outside_repo(p)]
    path = [str(cli)]
    for tool in ("python3", "node", "npm"):
        found = shutil.which(tool, path=":".join(outer))
        assert found, f"{tool} not on PATH"
        d = os.path.dirname(found)
        if d not in path:
            path.append(d)
    for d in ("/usr/local/bin", "/usr/bin", "/bin"):
        if d not in path:
            path.append(d)
    env["PATH"] = ":".join(path)
    env["PULUMI_CONFIG_PASSPHRASE"] = PASSPHRASE
    env["PULUMI_SKIP_UPDATE_CHECK"] = "1"
    return env


class Workstation:
    """One PULUMI_HOME + file backend in a temp dir; runs `pulumi` (the CLI binary) there."""

    def __init__(self, root: pathlib.Path, cli: pathlib.Path, home: str = "pulumi-home"):
        self.root = root
        self.cli = cli
        self.home = root / home
        self.backend = root / "backend"
        self.home.mkdir(parents=True, exist_ok=True)
        self.backend.mkdir(parents=True, exist_ok=True)
        self.env = base_env(cli)
        self.env["PULUMI_HOME"] = str(self.home)
        self.env["PULUMI_BACKEND_URL"] = f"file://{self.backend}"

    def with_home(self, home: str) -> "Workstation":
        return Workstation(self.root, self.cli, home)

    def run(self, *args: str, cwd: pathlib.Path | None = None, check: bool = True, stdin: str | None = None,
            timeout: int = 600, env: dict | None = None) -> subprocess.CompletedProcess:
        r = subprocess.run([str(self.cli / "pulumi"), *args], cwd=str(cwd or self.root),
                           env={**self.env, **(env or {})}, capture_output=True, text=True, input=stdin,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} (in {cwd}) failed ({r.returncode}):\n"
                                 f"{r.stdout[-6000:]}\n{r.stderr[-6000:]}")
        return r

    def tool(self, argv: list[str], cwd: pathlib.Path, timeout: int = 600) -> subprocess.CompletedProcess:
        r = subprocess.run(argv, cwd=str(cwd), env=self.env, capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f"{argv} failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
        return r

    def plugin_dir(self, name: str, ver: str) -> pathlib.Path:
        return self.home / "plugins" / f"resource-{name}-v{ver}"


def python_project(root: pathlib.Path, name: str, requirements: list[str], program: str | None = None) -> pathlib.Path:
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(textwrap.dedent(f"""\
        name: {name}
        runtime:
          name: python
          options:
            toolchain: pip
            virtualenv: venv
        """))
    (root / "requirements.txt").write_text("".join(r + "\n" for r in requirements))
    if program is not None:
        (root / "__main__.py").write_text(program)
    return root


def python_program(module: str, dataset: str, variable: str) -> str:
    return textwrap.dedent(f"""\
        import pulumi
        import {module} as freebsd

        data = freebsd.ZfsDataset("data", name="{dataset}",
                                  properties={{"compression": "lz4", "com.example:owner": "consumer"}})
        flag = freebsd.Sysrc("flag", name="{variable}", value="YES")
        pulumi.export("dataset", data.name)
        pulumi.export("mountpoint", data.mountpoint)
        pulumi.export("rcValue", flag.value)
        """)


def ts_program(dataset: str, variable: str) -> str:
    return textwrap.dedent(f"""\
        import * as pulumi from "@pulumi/pulumi";
        import * as freebsd from "@pulumi-freebsd/freebsd";

        const data = new freebsd.ZfsDataset("data", {{
            name: "{dataset}",
            properties: {{ compression: "lz4", "com.example:owner": "consumer" }},
        }});
        const flag = new freebsd.Sysrc("flag", {{ name: "{variable}", value: "YES" }});
        export const dataset = data.name;
        export const mountpoint = data.mountpoint;
        export const rcValue = flag.value;
        """)


def configure_stack(ws: Workstation, project: pathlib.Path, stack: str, testbed) -> None:
    """What scripts/testbed_stack.py does, with the plain CLI: every value through stdin (the key
    never on a command line), the private key as a secret."""
    ws.run("stack", "init", stack, cwd=project)
    info = testbed.info
    key = pathlib.Path(info["private_key_path"]).read_text()
    for k, v, secret in (("freebsd:host", info["host"], False), ("freebsd:port", str(info["port"]), False),
                         ("freebsd:user", info["user"], False), ("freebsd:hostKey", info["host_key"], False),
                         ("freebsd:privateKey", key, True)):
        ws.run("config", "set", k, "--stack", stack, "--secret" if secret else "--plaintext", cwd=project, stdin=v)
    text = (project / f"Pulumi.{stack}.yaml").read_text()
    assert "BEGIN OPENSSH PRIVATE KEY" not in text and "secure:" in text, text


def about_plugins(text: str) -> list[tuple[str, str, str]]:
    """The rows (kind, name, version) of the Plugins table of `pulumi about`."""
    rows, inside = [], False
    for line in text.splitlines():
        if line.strip() == "Plugins":
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            cols = line.split()
            if cols[:1] != ["KIND"] and len(cols) >= 3:
                rows.append((cols[0], cols[1], cols[2]))
    return rows


def launches(engine_log: str) -> list[str]:
    """Where the engine started the freebsd provider from (`-v=9 --logtostderr`)."""
    return re.findall(r"Launching plugin 'freebsd \(resource\)' from '([^']+)'", engine_log)


class ProviderWatch:
    """Sees the provider processes that one CLI run starts (by its PULUMI_HOME in their
    environment): their argv and environment, read from /proc while they run."""

    def __init__(self, home: pathlib.Path, needle: str = "freebsd_provider"):
        self.marker = f"PULUMI_HOME={home}".encode()
        self.needle = needle.encode()  # an argv element of the provider process
        self.found: dict[int, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "ProviderWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or int(pid) in self.found:
                    continue
                try:
                    argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    if self.needle not in argv:
                        continue
                    environ = pathlib.Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                except OSError:  # gone, or not yet readable
                    continue
                if self.marker in environ:
                    self.found[int(pid)] = {
                        "argv": [a.decode(errors="replace") for a in argv if a],
                        "environ": dict(e.decode(errors="replace").split("=", 1) for e in environ if b"=" in e),
                    }
            time.sleep(0.02)


def files_naming(root: pathlib.Path, needle: str) -> list[str]:
    """Small text files under root (a plugin dir with its venv) that set paths up and mention
    needle: path files, venv config, install records, launchers and console scripts."""
    patterns = ("*.pth", "pyvenv.cfg", "direct_url.json", "*.egg-link", "PulumiPlugin.yaml",
                "requirements.txt", "pulumi-resource-*", "activate*")
    hits = []
    for dirpath, _dirs, files in os.walk(root):
        in_bin = os.path.basename(dirpath) == "bin"
        for f in files:
            p = pathlib.Path(dirpath, f)
            if not (in_bin or any(fnmatch.fnmatch(f, pat) for pat in patterns)):
                continue
            if p.is_symlink() or not p.is_file() or p.stat().st_size > 1_000_000:
                continue
            if needle.encode() in p.read_bytes():
                hits.append(str(p))
    return hits
