"""End to end with the real pulumi CLI: up, no-op preview, drift, refresh, repair, import, destroy."""
from __future__ import annotations

import json

import pytest

from project import Project

pytestmark = [pytest.mark.e2e, pytest.mark.testbed]

PROGRAM = """
import pulumi
import pulumi_freebsd as freebsd

cfg = pulumi.Config()
root = cfg.require("root")
top = freebsd.ZfsDataset("top", name=root,
                         properties={"mountpoint": cfg.require("mountpoint"), "compression": "lz4"})
child = freebsd.ZfsDataset("child", name=top.name.apply(lambda n: n + "/child"),
                           properties={"atime": cfg.get("atime") or "off"})
if cfg.get_bool("adopt"):
    freebsd.ZfsDataset("adopted", name=f"{root}/adopted", properties={"com.example:role": "web"},
                       opts=pulumi.ResourceOptions(depends_on=[top]))
pulumi.export("mountpoint", top.mountpoint)
pulumi.export("childMountpoint", child.mountpoint)
"""

MUTATING = ("zfs create", "zfs set", "zfs inherit", "zfs destroy", "zfs clone", "zfs snapshot")


def mutations(log):
    return [e["command"] for e in log if any(m in e["command"] for m in MUTATING)]


def test_zfs_tree_end_to_end(tmp_path, testbed, backend):
    p = Project.create(tmp_path, "zfs-e2e", PROGRAM, "e2e-zfs", backend)
    p.init(testbed)
    p.config("root", "zroot/e2e")
    p.config("mountpoint", "/e2e")

    # up creates the tree
    r = p.up()
    assert "+ 3 created" in r.stdout, r.stdout  # the stack and two datasets
    out = json.loads(p.pulumi("stack", "output", "--json").stdout)
    assert out == {"mountpoint": "/e2e", "childMountpoint": "/e2e/child"}
    assert testbed.exec("zfs", "get", "-H", "-o", "value", "atime", "zroot/e2e/child").stdout.strip() == "off"

    # a second preview/up changes nothing and runs no mutating command on the host
    before = len(testbed.log())
    p.pulumi("preview", "--expect-no-changes")
    r = p.up("--expect-no-changes")
    assert mutations(testbed.log()[before:]) == []

    # a program change shows a property-level diff: update in place
    p.config("atime", "on")
    r = p.pulumi("preview", "--diff")
    assert "~ freebsd:index:ZfsDataset: (update)" in r.stdout and 'atime' in r.stdout, r.stdout
    p.up()
    assert testbed.exec("zfs", "get", "-H", "-o", "value", "atime", "zroot/e2e/child").stdout.strip() == "on"

    # a hand-made change on the host: preview --refresh shows it, up repairs it
    testbed.exec("zfs", "set", "compression=off", "zroot/e2e")
    r = p.pulumi("preview", "--refresh", "--diff")
    assert "compression" in r.stdout and "update" in r.stdout, r.stdout
    p.pulumi("preview", "--refresh", "--expect-no-changes", check=False).returncode != 0
    p.up("--refresh")
    assert testbed.exec("zfs", "get", "-H", "-o", "value", "compression", "zroot/e2e").stdout.strip() == "lz4"
    p.pulumi("preview", "--refresh", "--expect-no-changes")

    # a dataset made by hand is imported, then the program declares it: no changes
    testbed.exec("zfs", "create", "-o", "com.example:role=web", "zroot/e2e/adopted")
    p.pulumi("import", "freebsd:index:ZfsDataset", "adopted", "zroot/e2e/adopted", "--yes",
             "--generate-code=false")
    assert "adopted" in p.resources()
    p.config("adopt", "true")
    p.pulumi("preview", "--expect-no-changes")
    p.up()  # records the program's options (dependency on top; `pulumi import` had protected it)
    assert p.resources()["adopted"].get("protect") in (None, False)

    # secrets: the private key never appears in the state in clear
    state = p.pulumi("stack", "export").stdout
    key = open(testbed.info["private_key_path"]).read()
    assert "PRIVATE KEY" not in state and key.splitlines()[1] not in state

    # destroy leaves no dataset behind
    p.pulumi("destroy", "--yes", "--skip-preview")
    assert testbed.exec("zfs", "list", "zroot/e2e", check=False).returncode == 1
    p.pulumi("stack", "rm", "--yes", "--stack", "e2e-zfs")
