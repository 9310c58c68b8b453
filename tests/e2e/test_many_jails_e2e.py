"""50 jails created with --parallel 50: no rc.conf/jail_list/loader.conf edit is lost (host-side
lock), no two jails get the same epair, and the provider stays within sshd's MaxSessions."""
from __future__ import annotations


import pytest

from project import Project

pytestmark = [pytest.mark.e2e, pytest.mark.testbed]

N = 50

PROGRAM = """
import pulumi
import pulumi_freebsd as freebsd

n = pulumi.Config().require_int("count")
freebsd.KernelModule("if_epair", name="if_epair")
bridge = freebsd.Bridge("bridge", name="bridge0", members=[], up=True)
root = freebsd.ZfsDataset("root", name="zroot/many", properties={"mountpoint": "/many"})
tmpl = freebsd.ZfsDataset("tmpl", name=root.name.apply(lambda r: r + "/tmpl"))
base = freebsd.BaseSystem("base", path=tmpl.mountpoint, release="15.0-RELEASE")
snap = freebsd.ZfsSnapshot("snap", dataset=tmpl.name, snapshot_name="base",
                           opts=pulumi.ResourceOptions(depends_on=[base]))
for i in range(n):
    ds = freebsd.ZfsDataset(f"j{i}-root", name=root.name.apply(lambda r, i=i: f"{r}/j{i}"), origin=snap.name)
    freebsd.VnetJail(f"j{i}", name=f"j{i}", path=ds.mountpoint, bridge=bridge.name,
                     addresses=[f"10.99.{i // 200}.{i % 200 + 10}/16"], start_at_boot=True)
    freebsd.Sysrc(f"v{i}", name=f"many_{i}", value=str(i))
"""


@pytest.fixture(scope="module")
def host():
    from tbhelper import own
    yield from own("many")


def max_concurrency(entries) -> int:
    events = []
    for e in entries:
        events.append((e["start"], 1))
        events.append((e["start"] + e["duration"], -1))
    cur = best = 0
    for _, d in sorted(events, key=lambda x: (x[0], x[1])):
        cur += d
        best = max(best, cur)
    return best


def test_fifty_jails_in_parallel(tmp_path, host, backend):
    p = Project.create(tmp_path, "many", PROGRAM, "e2e-many", backend)
    p.init(host)
    p.config("count", str(N))
    n0 = len(host.log())
    p.pulumi("up", "--yes", "--skip-preview", "--parallel", "50", timeout=1200)
    log = host.log()[n0:]
    names = host.exec("jls", "-N").stdout
    running = {ln.split()[1] for ln in names.splitlines()[1:] if ln.strip()}
    assert running == {f"j{i}" for i in range(N)}
    confs = host.exec("sh", "-c", "cat /etc/jail.conf.d/*.conf").stdout
    epairs = [w for w in confs.split() if w.startswith('"epair') and w.endswith('b";')]
    assert len(epairs) == N and len(set(epairs)) == N, epairs
    jail_list = host.exec("sysrc", "-n", "jail_list").stdout.split()
    assert sorted(jail_list) == sorted(f"j{i}" for i in range(N))
    rc = host.exec("sysrc", "-a").stdout
    assert all(f"many_{i}: {i}" in rc for i in range(N))
    assert "if_epair_load: YES" in host.exec("sysrc", "-f", "/boot/loader.conf", "-a").stdout
    # sshd's MaxSessions is 10: the provider never ran more commands at once than that
    assert max_concurrency(log) <= 10
    p.pulumi("preview", "--expect-no-changes")
    p.pulumi("destroy", "--yes", "--skip-preview", "--parallel", "50", timeout=1200)
    assert host.exec("jls", "-N").stdout.strip().splitlines()[1:] == []
    assert "jail_list" not in host.exec("sysrc", "-a").stdout
