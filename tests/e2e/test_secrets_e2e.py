"""Secrets stay secret: the private key and secret inputs never appear in clear in the exported
state, the CLI output, the engine's debug logs (provider messages included) or diffs."""
from __future__ import annotations

import pytest

from project import Project

pytestmark = [pytest.mark.e2e, pytest.mark.testbed]

SECRET = "s3cr3t-Value-4242"

PROGRAM = """
import pulumi
import pulumi_freebsd as freebsd

cfg = pulumi.Config()
ds = freebsd.ZfsDataset("sec", name="zroot/sec",
                        properties={"com.example:token": cfg.require_secret("token"),
                                    "com.example:round": cfg.get("round") or "1"})
pulumi.export("props", ds.properties)
"""


def test_secrets_never_in_clear(tmp_path, testbed, backend):
    p = Project.create(tmp_path, "secrets", PROGRAM, "e2e-secrets", backend)
    p.init(testbed)
    p.config("token", SECRET, secret=True)
    key_lines = [ln for ln in open(testbed.info["private_key_path"]).read().splitlines() if len(ln) > 20]
    outputs = []
    try:
        r = p.pulumi("up", "--yes", "--skip-preview", "--logtostderr", "-v=9")
        outputs.append(r.stdout + r.stderr)
        # the value really is on the host, literally
        got = testbed.exec("zfs", "get", "-H", "-o", "value", "com.example:token", "zroot/sec").stdout.strip()
        assert got == SECRET
        p.config("round", "2")
        r = p.pulumi("preview", "--diff", "--logtostderr", "-v=9")
        outputs.append(r.stdout + r.stderr)
        r = p.pulumi("up", "--yes", "--skip-preview", "--diff")
        outputs.append(r.stdout + r.stderr)
        r = p.pulumi("stack", "output", "--json")
        outputs.append(r.stdout)
        state = p.pulumi("stack", "export").stdout
        outputs.append(state)
        assert '"secure"' in state or "ciphertext" in state
        # an error message that would carry the value: set it on a dataset that does not exist
        testbed.exec("zfs", "destroy", "zroot/sec")
        testbed.exec("zfs", "create", "zroot/sec")  # made by hand: create must refuse, not leak
        r = p.pulumi("up", "--yes", "--skip-preview", "--refresh", check=False)
        outputs.append(r.stdout + r.stderr)
        for text in outputs:
            assert SECRET not in text
            for line in key_lines:
                assert line not in text
    finally:
        testbed.exec("zfs", "destroy", "-r", "zroot/sec", check=False)
        p.pulumi("stack", "rm", "--yes", "--force", "--stack", "e2e-secrets", check=False)
