"""Fixtures for the testbed's tests.

* ``host_root``: a fresh simulated host root in a temp dir (TESTBED_ROOT), provisioned and
  booted, for fast tests that call tool mains directly.
* ``tool``: run a tool's main in-process -> (exit code, stdout, stderr).
* ``testbed`` (session scope, marked ``testbed``): one real host ``pytest-tb`` with sshd, in a
  temp state dir, torn down (and purged) at the end.
* ``_no_tool_crashes`` (autouse): a simulated tool that hit an unexpected Python exception
  records it in ``/var/log/testbed/crashes.log`` on its host (tools/dispatch.py); any record
  written during a test fails that test (for ``host_root``, ``testbed`` and any fixture value
  with a ``state_dir``, such as tbhelper.Testbed).
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess

import pytest

from freebsd_testbed import boot, provision
from freebsd_testbed.tools import dispatch
from freebsd_testbed.tools._common import CRASH_LOG

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


@pytest.fixture
def host(host_root, monkeypatch):
    """``host_root`` with a clean tool environment: no jail, host variable, user or password
    set, no ifconfig format (a test module may override it and build on it)."""
    for v in ("TESTBED_JAIL", "TESTBED_HOST_VAR", "TESTBED_USER", "PGPASSWORD", "IFCONFIG_FORMAT"):
        monkeypatch.delenv(v, raising=False)
    return host_root


@pytest.fixture
def run_cmd(host, capfd):
    """Run a command line through the dispatcher (file-descriptor capture: child processes
    such as exec.* hooks print there too) -> (exit code, stdout, stderr)."""
    def _run(*argv: str):
        capfd.readouterr()
        rc = dispatch.main(list(argv))
        out, err = capfd.readouterr()
        return rc, out, err
    return _run


@pytest.fixture
def run_tool(host, capsys, monkeypatch):
    """Run one tool's main in-process, on the host or, with ``jail=NAME``, as jexec does
    inside that VNET jail -> (exit code, stdout, stderr)."""
    def _run(*argv: str, jail: str | None = None):
        if jail:
            monkeypatch.setenv("TESTBED_JAIL", jail)
        else:
            monkeypatch.delenv("TESTBED_JAIL", raising=False)
        mod = importlib.import_module(f"freebsd_testbed.tools.{argv[0]}")
        capsys.readouterr()
        rc = mod.main(list(argv))
        out, err = capsys.readouterr()
        return rc, out, err
    return _run


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


# ----------------------------------------------------------------------------- crash records

_crash_seen: dict[str, int] = {}


def crash_logs_of(value) -> list[str]:
    """The crash-log paths (on this machine) of a fixture value: a host root dir, or an object
    with ``state_dir`` (its /var is an overlay whose upper dir is ``state_dir/upper/var``)."""
    if isinstance(value, str) and os.path.isdir(value):
        return [os.path.join(value, CRASH_LOG.lstrip("/"))]
    sd = getattr(value, "state_dir", None)
    if isinstance(sd, str):
        return [os.path.join(sd, "upper", CRASH_LOG.lstrip("/"))]
    return []


def new_crashes(path: str) -> list[dict]:
    """Records appended to ``path`` since the last call for it."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(_crash_seen.get(path, 0))
            data = f.read()
            _crash_seen[path] = f.tell()
    except FileNotFoundError:
        return []
    out = []
    for line in data.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"prog": "?", "argv": [], "traceback": line})
    return out


@pytest.fixture(autouse=True)
def _no_tool_crashes(request):
    logs: list[str] = []

    def collect() -> None:
        for name in request.fixturenames:
            if name in ("host_root", "testbed", "tb") or name.startswith("tb"):
                try:
                    v = request.getfixturevalue(name)
                except Exception:  # noqa: BLE001 - fixture not set up / failed
                    continue
                for p in crash_logs_of(v):
                    if p not in logs:
                        logs.append(p)

    collect()
    for p in logs:
        new_crashes(p)  # skip records from before this test (module/session-scoped hosts)
    yield
    found = []
    for p in logs:
        found.extend(new_crashes(p))
    if found:
        text = "\n".join(f"{r.get('prog')} {r.get('argv')}:\n{r.get('traceback')}" for r in found)
        pytest.fail(f"simulated tool crashed (recorded in {CRASH_LOG}):\n{text}", pytrace=False)
