"""Fixtures shared by test_pf.py and test_pf_fidelity.py: a host root with /etc and pfctl(8)
run in-process on it (import them into the test module)."""
from __future__ import annotations

import pytest

from freebsd_testbed.tools import kld, pfctl


def load_pf_ko(runtime) -> None:
    """pf.ko loaded as ``kldload pf`` does (a user reference)."""
    kld._load_file(runtime, "pf", "/boot/kernel/pf.ko", False, True)


@pytest.fixture
def root(tmp_path, monkeypatch):
    r = tmp_path / "host"
    (r / "etc").mkdir(parents=True)
    monkeypatch.setenv("TESTBED_ROOT", str(r))
    monkeypatch.delenv("TESTBED_VNET", raising=False)
    return r


@pytest.fixture
def run(root, capsys):
    def _run(*args: str):
        capsys.readouterr()
        rc = pfctl.main(["/sbin/pfctl", *args])
        out, err = capsys.readouterr()
        return rc, out, err
    return _run
