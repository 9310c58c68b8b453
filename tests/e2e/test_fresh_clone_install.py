"""`pulumi install` on a fresh clone, with the official Python language host, leaves a venv that
runs the main stack: nothing made by `make setup` is needed for it."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def test_pulumi_install_on_a_fresh_clone_runs_the_main_stack(tmp_path, testbed):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    assert not (clone / ".venv").exists()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PULUMI_CONFIG_PASSPHRASE", "PULUMI_FREEBSD_", "VIRTUAL_ENV"))}
    env.update(PULUMI_HOME=str(tmp_path / "home"), PULUMI_BACKEND_URL=f"file://{tmp_path / 'backend'}",
               PATH=":".join(p for p in env["PATH"].split(":") if not p.startswith(str(REPO))))
    (tmp_path / "backend").mkdir()
    pulumi = str(clone / "scripts" / "pulumi")

    r = subprocess.run([pulumi, "--cwd", str(clone), "install"], env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    py = clone / ".venv" / "bin" / "python"
    r = subprocess.run([str(py), "-c", "import pulumi, pulumi_freebsd, freebsd_provider, freebsd_testbed; "
                        "print(pulumi_freebsd.__file__, freebsd_provider.__file__)"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    # The editable installs point into the clone, not into the repo the clone was made from.
    assert all(p.startswith(str(clone)) for p in r.stdout.split()), r.stdout

    # The main stack on the clone's venv: the provider (provider/pulumi-resource-freebsd picks the
    # clone's .venv) and the program both run; preview only reads the host.
    shutil.copy(clone / "Pulumi.demo.yaml", clone / "Pulumi.test-clone.yaml")
    r = subprocess.run([str(clone / "scripts" / "testbed-stack"), testbed.name, "test-clone", "--cwd", str(clone),
                        "--state-dir", testbed.state_dir], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([pulumi, "--cwd", str(clone), "preview", "--stack", "test-clone", "--non-interactive"],
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "+ 26 to create" in r.stdout, r.stdout
