"""Fixtures for the testbed's tests.

* ``host_root``: a fresh simulated host root in a temp dir (TESTBED_ROOT), provisioned and
  booted, for fast tests that call tool mains directly.
* ``tool``: run a tool's main in-process -> (exit code, stdout, stderr).
* ``testbed`` (session scope, marked ``testbed``): one real host ``pytest-tb`` with sshd, in a
  temp state dir, torn down (and purged) at the end.
"""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from freebsd_testbed import boot, provision
from freebsd_testbed.tools import dispatch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(REPO, ".venv", "bin", "freebsd-testbed")


def pytest_configure(config):
    config.addinivalue_line("markers", "testbed: needs a real testbed host (sshd, namespaces)")


@pytest.fixture
def host_root(tmp_path, monkeypatch):
    root = str(tmp_path / "host")
    os.makedirs(root)
    monkeypatch.setenv("TESTBED_ROOT", root)
    provision.populate(root)
    boot.boot()
    return root


@pytest.fixture
def tool(host_root, capsys):
    def run(*argv: str):
        capsys.readouterr()
        rc = dispatch.main(list(argv))
        out, err = capsys.readouterr()
        return rc, out, err
    return run


class Host:
    def __init__(self, info: dict, state_dir: str):
        self.info = info
        self.state_dir = state_dir
        self.name = info["name"]

    def cli(self, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([CLI, *args[:1], self.name, "--state-dir", self.state_dir, *args[1:]],
                              capture_output=True, input=input, timeout=60)

    def sh(self, command: str) -> subprocess.CompletedProcess:
        return self.cli("exec", "--", command)


@pytest.fixture(scope="session")
def testbed(tmp_path_factory):
    assert os.geteuid() == 0, "the testbed needs root (mount namespaces, overlayfs)"
    state = str(tmp_path_factory.mktemp("tb") / "pytest-tb")
    r = subprocess.run([CLI, "up", "pytest-tb", "--state-dir", state, "--json"],
                       capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr.decode()
    host = Host(json.loads(r.stdout), state)
    yield host
    subprocess.run([CLI, "down", "pytest-tb", "--state-dir", state, "--purge"], timeout=60)
