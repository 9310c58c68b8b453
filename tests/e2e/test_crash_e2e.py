"""Crash safety with the real CLI: the main stack's cold `up` killed (SIGKILL, CLI, language host,
program and provider together) at several points, or the host rebooted under it; then only
`pulumi cancel` (the killed CLI's stack lock) and one `pulumi up --refresh` — which must converge
—, a no-change preview, and a destroy that leaves the host as it was.

The points: early (three resources created), mid (a jail starting; packages installing), late
(the PF rules loaded under the rollback timer, not yet confirmed: the timer must put the previous
rules back and the next `up` load them again). A kill mid-command is made exact with the
testbed's `--stall-next`: the matching command runs to its end on the host, then its session
holds the exit status back; the kill lands in that window (the host did it, the provider never
heard: the hardest case).
"""
from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time

import pytest

from freebsd_provider.host import journal
from project import Project, snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.testbed]

STALL_MS = "60000"


@pytest.fixture(scope="module")
def host():
    from tbhelper import own
    yield from own("crash")


class Run:
    """A `pulumi up` in its own session, its output read line by line in a thread."""

    def __init__(self, p: Project):
        self.proc = subprocess.Popen(p.command("up", "--yes", "--skip-preview"), env=p.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pred, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("the up ended before the kill point:\n" + "".join(self.seen))
            self.seen.append(line)
            if pred(self.seen):
                return
        raise AssertionError("kill point not reached:\n" + "".join(self.seen))

    def kill(self) -> None:
        """SIGKILL to the CLI and everything under it (language host, program, provider)."""
        pids = [self.proc.pid] + descendants(self.proc.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        deadline = time.monotonic() + 10  # SIGKILL is delivered, not instant
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in pids if alive(p)], "processes survived the kill"


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def created(n: int):
    return lambda seen: sum(1 for ln in seen if re.search(r"\bcreated\b", ln)) >= n


def up_stalled_at(p: Project, host, pattern: str, timeout: float = 300) -> Run:
    """Start the up with the next command matching ``pattern`` stalled after it ran (--stall-next),
    and return once that command took the rule: the host did it, the provider waits to hear."""
    host.fault("--stall-next", pattern, "--ms", STALL_MS)
    run = Run(p)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not host.faults().get("fail_next"):
            return run
        time.sleep(0.2)
    raise AssertionError("the stalled command never ran:\n" + "".join(run.seen))


def converge_and_destroy(p: Project, host, before) -> None:
    """What a user does after a crash: `pulumi cancel`, then one `up --refresh`."""
    host.fault("--clear")
    p.pulumi("cancel", "--yes", check=False)
    r = p.pulumi("up", "--refresh", "--yes", "--skip-preview", check=False)
    assert r.returncode == 0, (f"up --refresh after the crash failed:\n{r.stdout}\n{r.stderr}\njournal:\n"
                               + host.exec("sh", "-c", f"cat {journal.DIR}/*.json; true").stdout)
    p.pulumi("preview", "--expect-no-changes")
    # the tutorial really runs
    assert host.probe("192.168.1.202", 5432, src="webserver") == "open"
    assert host.probe("192.168.1.202", 5432) == "filtered"
    assert "port = postgresql" in host.exec("pfctl", "-s", "rules").stdout
    p.pulumi("destroy", "--yes", "--skip-preview")
    assert snapshot(host) == before
    assert host.exec("test", "-e", journal.DIR, check=False).returncode != 0  # no record left


def project(tmp_path, backend, host, stack):
    # A file backend that a SIGKILL cannot corrupt: gocloud's fileblob writes each blob's
    # metadata sidecar (<stack>.json.attrs) in place, and a kill in that window leaves it empty
    # ("failed to load checkpoint: EOF"); with metadata=skip only the atomic temp-file-and-rename
    # write of the checkpoint remains (README, "After a crash").
    return Project.main_stack(tmp_path, stack, backend, host, backend_query="?metadata=skip")


def test_kill_early(tmp_path, host, backend):
    before = snapshot(host)
    p = project(tmp_path, backend, host, "e2e-crash-early")
    run = Run(p)
    run.wait_for(created(3))
    run.kill()
    # the CLI's lock is left behind: without `pulumi cancel` the next up refuses to start
    r = p.pulumi("up", "--yes", "--skip-preview", check=False)
    assert r.returncode != 0 and "locked" in (r.stdout + r.stderr).lower()
    converge_and_destroy(p, host, before)


@pytest.mark.parametrize("what,pattern", [
    ("a jail starting", r"service jail onestart database"),
    ("packages installing", r"pkg install -y nginx"),
])
def test_kill_mid(tmp_path, host, backend, what, pattern):
    before = snapshot(host)
    p = project(tmp_path, backend, host, "e2e-crash-mid")
    up_stalled_at(p, host, pattern).kill()
    converge_and_destroy(p, host, before)


def test_kill_between_arming_the_pf_timer_and_confirming(tmp_path, host, backend):
    before = snapshot(host)
    p = project(tmp_path, backend, host, "e2e-crash-pf")
    run = up_stalled_at(p, host, r"/sbin/pfctl -f /etc/pf\.conf")
    # the new rules are loaded, pf is enabled, the timer armed; nothing confirms them
    assert "port = postgresql" in host.exec("pfctl", "-s", "rules").stdout
    run.kill()
    # the host stays reachable: the timer puts the previous rules (none) back
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "port = postgresql" in host.exec("pfctl", "-s", "rules",
                                                                             check=False).stdout:
        time.sleep(1)
    assert "port = postgresql" not in host.exec("pfctl", "-s", "rules", check=False).stdout
    assert host.exec("pfctl", "-s", "rules", check=False).stdout == before["pf"]
    host_ip = host.exec("sh", "-c", "ifconfig vtnet0 | awk '$1 == \"inet\" {print $2}'").stdout.strip()
    assert host.probe(host_ip, 22) == "open"
    # the next up loads them again (checked in converge_and_destroy)
    converge_and_destroy(p, host, before)


def test_host_reboot_mid_up(tmp_path, host, backend):
    before = snapshot(host)
    p = project(tmp_path, backend, host, "e2e-crash-reboot")
    run = up_stalled_at(p, host, r"pkg install -y postgresql17-server")
    host.fault("--clear")
    host.reboot()
    # the CLI, alive, sees the host go away: its up fails (and records what it knows)
    try:
        assert run.proc.wait(timeout=600) != 0
    finally:
        if run.proc.poll() is None:
            run.kill()
    converge_and_destroy(p, host, before)
