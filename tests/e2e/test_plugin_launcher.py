"""The plugin archive's launcher on a workstation that has only python3: no venv yet (the archive
unpacked by hand, or a CLI that skipped the install step), it makes its own once, from the pinned
requirements, with the oldest Python we support when it is here; later starts only exec."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import tarfile
import time

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc

REPO = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def _version() -> str:
    return subprocess.run(["make", "-s", "-C", str(REPO), "version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def _oldest_python() -> str:
    for cand in ("/root/.pyenv/versions/3.10.13/bin/python3.10", shutil.which("python3.10") or "",
                 shutil.which("python3") or ""):
        if cand and os.access(cand, os.X_OK):
            return cand
    pytest.fail("no python3 on this machine")


def _start(plugin: pathlib.Path, env: dict) -> tuple[subprocess.Popen, int, float]:
    t0 = time.monotonic()
    proc = subprocess.Popen([str(plugin / "pulumi-resource-freebsd"), "127.0.0.1:1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    took = time.monotonic() - t0
    if not line.strip().isdigit():
        proc.kill()
        raise AssertionError(f"no port on stdout: {line!r}\n{proc.stderr.read()}")
    return proc, int(line), took


def _plugin_version(port: int) -> str:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        return provider_pb2_grpc.ResourceProviderStub(ch).GetPluginInfo(empty_pb2.Empty(), timeout=30).version


def test_launcher_makes_its_own_runtime_once(tmp_path):
    version = _version()
    archive = REPO / "dist" / f"pulumi-resource-freebsd-v{version}-linux-amd64.tar.gz"
    assert archive.is_file(), "run `make dist`"
    plugin = tmp_path / "plugin"
    with tarfile.open(archive) as tar:
        tar.extractall(plugin, filter="data")
    assert not (plugin / "venv").exists() and not (plugin / "pyproject.toml").exists()
    py = _oldest_python()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_FREEBSD_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if not p.startswith(str(REPO)))
    env["PULUMI_FREEBSD_BOOTSTRAP_PYTHON"] = py

    proc, port, first = _start(plugin, env)
    try:
        assert _plugin_version(port) == version
    finally:
        proc.kill()
        err = proc.communicate()[1]
    assert "first start, making the plugin's runtime" in err
    venv_py = plugin / "venv" / "bin" / "python"
    got = subprocess.run([str(venv_py), "-c", "import sys, paramiko, grpc; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    want = subprocess.run([py, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert got == want
    assert not (plugin / ".venv-setup.lock").exists()

    made = (plugin / "venv").stat().st_mtime_ns
    proc, port, second = _start(plugin, env)
    try:
        assert _plugin_version(port) == version
    finally:
        proc.kill()
        err = proc.communicate()[1]
    assert "first start" not in err
    assert (plugin / "venv").stat().st_mtime_ns == made
    print(f"first start (venv made) {first:.1f} s, second start {second:.2f} s to the port")


def test_launcher_refuses_a_python_too_old(tmp_path):
    version = _version()
    plugin = tmp_path / "plugin"
    with tarfile.open(REPO / "dist" / f"pulumi-resource-freebsd-v{version}-linux-amd64.tar.gz") as tar:
        tar.extractall(plugin, filter="data")
    fake = tmp_path / "python-old"
    fake.write_text("#!/bin/sh\n[ \"$1\" = -V ] && { echo 'Python 3.9.18'; exit 0; }\nexit 1\n")
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_FREEBSD_")}
    env["PULUMI_FREEBSD_BOOTSTRAP_PYTHON"] = str(fake)
    r = subprocess.run([str(plugin / "pulumi-resource-freebsd"), "127.0.0.1:1"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and r.stdout == ""
    assert "needs Python >= 3.10" in r.stderr and "3.9.18" in r.stderr
    assert not (plugin / "venv").exists()
