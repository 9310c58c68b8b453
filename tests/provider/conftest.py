import sys, pathlib

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))


@pytest.fixture()
def execs(monkeypatch):
    """Every remote exec the provider makes (one SSH round trip each), as argv lists."""
    from freebsd_provider import ssh
    calls = []
    orig = ssh.Connection.run

    def run(self, argv, **kw):
        calls.append(list(argv))
        return orig(self, argv, **kw)
    monkeypatch.setattr(ssh.Connection, "run", run)
    return calls


@pytest.fixture()
def client(testbed):
    """A provider (gRPC, in-process) configured for the module's testbed."""
    from jailhelp import client_for
    c = client_for(testbed)
    yield c
    c.close()
