"""lockf(1): a real flock around a command."""
from __future__ import annotations

import fcntl
import os
import time

import pytest

from freebsd_testbed.tools import lockf


@pytest.fixture
def run(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("TESTBED_ROOT", str(tmp_path))
    def _run(*argv):
        capfd.readouterr()
        rc = lockf.main(["lockf", *argv])
        out, err = capfd.readouterr()
        return rc, out, err
    return _run


def test_runs_command_and_removes_file(run, tmp_path):
    rc, out, err = run("/lk", "sh", "-c", "echo hi; exit 3")
    assert (rc, out, err) == (3, "hi\n", "")
    assert not os.path.exists(tmp_path / "lk")
    rc, out, err = run("-k", "/lk", "true")
    assert rc == 0 and os.path.exists(tmp_path / "lk")


def test_busy_timeout_and_silent(run, tmp_path):
    p = tmp_path / "lk"
    fd = os.open(p, os.O_RDONLY | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        t0 = time.monotonic()
        assert run("-t", "0", "/lk", "true") == (75, "", "lockf: /lk: already locked\n")
        assert run("-s", "-t", "1", "/lk", "true") == (75, "", "")
        assert time.monotonic() - t0 >= 0.9
    finally:
        os.close(fd)


def test_usage_and_no_create(run):
    assert run("/lk")[0] == 64
    assert run("-t", "x", "/lk", "true") == (64, "", 'lockf: invalid timeout "x"\n')
    assert run("-n", "/nosuch", "true") == (69, "", "lockf: /nosuch: No such file or directory\n")
