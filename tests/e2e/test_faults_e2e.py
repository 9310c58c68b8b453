"""Faults with the real CLI: a failing command, a dropped connection mid-apply; the next up converges."""
from __future__ import annotations

import subprocess
import time

import pytest

from project import Project

pytestmark = [pytest.mark.e2e, pytest.mark.testbed]

PROGRAM = """
import pulumi
import pulumi_freebsd as freebsd

root = pulumi.Config().require("root")
top = freebsd.ZfsDataset("top", name=root)
for i in range(6):
    freebsd.ZfsDataset(f"d{i}", name=top.name.apply(lambda n, i=i: f"{n}/d{i}"),
                       properties={"com.example:idx": str(i)})
"""


def fault(testbed, *args):
    testbed.fault(*args)


def wait_for_output(proc, needle: str, timeout: float = 120) -> str:
    """Read the CLI's output until ``needle`` shows up (the run is then mid-apply: the provider is
    fast enough that a fixed sleep could outlast the whole run)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            break
    return "".join(seen)


def datasets(testbed, root):
    r = testbed.exec("zfs", "list", "-H", "-o", "name", "-r", root, check=False)
    return set(r.stdout.split()) if r.returncode == 0 else set()


def test_failing_command_then_converge(tmp_path, testbed, backend):
    p = Project.create(tmp_path, "faults", PROGRAM, "e2e-faults", backend)
    p.init(testbed)
    p.config("root", "zroot/faults")
    try:
        fault(testbed, "--fail-next", r"zfs create .*zroot/faults/d3", "--times", "1")
        r = p.pulumi("up", "--yes", "--skip-preview", check=False)
        assert r.returncode != 0
        assert "injected failure" in r.stdout + r.stderr
        got = datasets(testbed, "zroot/faults")
        assert "zroot/faults/d3" not in got and "zroot/faults" in got
        # what was done is recorded: the second up creates only what is missing
        before = len(testbed.log())
        r = p.up()
        creates = [e["command"] for e in testbed.log()[before:] if "zfs create" in e["command"]]
        assert len(creates) == 1 and "zroot/faults/d3" in creates[0], creates
        p.pulumi("preview", "--expect-no-changes")
    finally:
        fault(testbed, "--clear")
        p.pulumi("destroy", "--yes", "--skip-preview", check=False)


def test_dropped_connection_mid_apply_then_converge(tmp_path, testbed, backend):
    p = Project.create(tmp_path, "drops", PROGRAM, "e2e-drops", backend)
    p.init(testbed)
    p.config("root", "zroot/drops")
    try:
        fault(testbed, "--latency-ms", "400")
        proc = subprocess.Popen([*p.command("up", "--yes", "--skip-preview", "--parallel", "2")],
                                env=p.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        head = wait_for_output(proc, "top created")  # then six more datasets, two at a time
        fault(testbed, "--drop-connections")
        out, _ = proc.communicate(timeout=300)
        print(head + out)
        fault(testbed, "--clear")
        # whether or not that run failed, the next one converges and the one after is a no-op
        p.up()
        assert datasets(testbed, "zroot/drops") == {"zroot/drops"} | {f"zroot/drops/d{i}" for i in range(6)}
        p.pulumi("preview", "--expect-no-changes")
    finally:
        fault(testbed, "--clear")
        p.pulumi("destroy", "--yes", "--skip-preview", check=False)


def test_ctrl_c_stops_cleanly_then_converge(tmp_path, testbed, backend):
    """SIGINT to `pulumi up` mid-apply: the engine cancels (the provider gets Cancel), the CLI
    exits on its own, and the next up converges."""
    import signal
    p = Project.create(tmp_path, "cancel", PROGRAM, "e2e-cancel", backend)
    p.init(testbed)
    p.config("root", "zroot/cancel")
    try:
        fault(testbed, "--latency-ms", "300")
        proc = subprocess.Popen(p.command("up", "--yes", "--skip-preview", "--parallel", "2"), env=p.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        head = wait_for_output(proc, "top created")  # then six more datasets, two at a time
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=180)
        out = head + out
        assert proc.returncode != 0
        assert "cancel" in out.lower() or "interrupt" in out.lower(), out
        fault(testbed, "--clear")
        p.up()
        assert datasets(testbed, "zroot/cancel") == {"zroot/cancel"} | {f"zroot/cancel/d{i}" for i in range(6)}
        p.pulumi("preview", "--expect-no-changes")
    finally:
        fault(testbed, "--clear")
        p.pulumi("cancel", "--yes", check=False)
        p.pulumi("destroy", "--yes", "--skip-preview", check=False)
