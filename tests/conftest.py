"""Shared fixtures: one testbed host for the whole session (started once, purged at the end)."""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# In-process gRPC servers (provider tests) and fork() in fast testbed tests share this process:
# keep gRPC from installing fork handlers and from logging about them on stderr.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from hypothesis import settings

from tbhelper import Testbed

# Property tests run the same examples on every run (and in CI): an edge case hypothesis finds
# must be found here first, not at random in CI. HYPOTHESIS_PROFILE=explore for fresh randomness.
settings.register_profile("repo", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repo"))


def pytest_configure(config):
    config.addinivalue_line("markers", "testbed: needs a running testbed host (real sshd)")
    config.addinivalue_line("markers", "e2e: runs the real pulumi CLI against a testbed")


@pytest.fixture(scope="session")
def testbed():
    state = tempfile.mkdtemp(prefix="tb-suite-", dir=os.environ.get("TMPDIR", "/tmp"))
    tb = Testbed("suite", os.path.join(state, "suite"))
    tb.up()
    yield tb
    tb.down()
    shutil.rmtree(state, ignore_errors=True)
