"""Fault injection (freebsd-testbed fault) and PF gating of new SSH connections, over real sshd."""
from __future__ import annotations

import json
import time

import paramiko
import pytest

pytestmark = pytest.mark.testbed


def connect(testbed, timeout=10):
    c = paramiko.SSHClient()
    key = paramiko.Ed25519Key.from_private_key_file(testbed.info["private_key_path"])
    host_key = paramiko.PKey.from_type_string(*_split(testbed.info["host_key"]))
    c.get_host_keys().add(f"[127.0.0.1]:{testbed.info['port']}", host_key.get_name(), host_key)
    c.connect("127.0.0.1", port=testbed.info["port"], username="root", pkey=key, allow_agent=False,
              look_for_keys=False, timeout=timeout, banner_timeout=timeout, auth_timeout=timeout)
    return c


def _split(line):
    import base64
    t, b = line.split()[:2]
    return t, base64.b64decode(b)


def run(client, cmd):
    _, out, err = client.exec_command(cmd, timeout=20)
    code = out.channel.recv_exit_status()
    return code, out.read().decode(), err.read().decode()


def fault(testbed, *args):
    r = testbed.cli("fault", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_latency_is_added_to_round_trips(testbed):
    c = connect(testbed)
    try:
        def timed():
            t = time.monotonic()
            assert run(c, "true")[0] == 0
            return time.monotonic() - t
        base = min(timed() for _ in range(3))
        fault(testbed, "--latency-ms", "100")
        slow = min(timed() for _ in range(3))
        assert slow - base >= 0.09, (base, slow)
    finally:
        fault(testbed, "--clear")
        c.close()


def test_fail_next_fails_matching_commands_n_times(testbed):
    c = connect(testbed)
    try:
        assert fault(testbed, "--fail-next", r"^zfs create .*zroot/flaky", "--times", "2")["fail_next"]
        assert run(c, "true")[0] == 0  # not matching
        for _ in range(2):
            code, _, err = run(c, "zfs create zroot/flaky")
            assert code == 1 and "injected failure" in err
        assert run(c, "zfs list zroot/flaky")[0] == 1  # it never ran
        assert run(c, "zfs create zroot/flaky")[0] == 0
        assert "fail_next" not in fault(testbed)
        log = [json.loads(line) for line in testbed.cli("log").stdout.decode().splitlines()]
        assert [e["exit"] for e in log if e["command"] == "zfs create zroot/flaky"][-3:] == [1, 1, 0]
    finally:
        run(c, "zfs destroy zroot/flaky")
        fault(testbed, "--clear")
        c.close()


def test_drop_connections(testbed):
    c = connect(testbed)
    try:
        assert run(c, "true")[0] == 0
        fault(testbed, "--drop-connections")
        deadline = time.monotonic() + 5
        while c.get_transport().is_active() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not c.get_transport().is_active()
        c2 = connect(testbed)
        assert run(c2, "true")[0] == 0
        c2.close()
    finally:
        c.close()


def test_pf_rules_blocking_ssh_lock_out_new_connections(testbed):
    c = connect(testbed)
    try:
        code, _, err = run(c, "kldload -n pf && printf 'block in all\\n' > /tmp/lock.conf && pfctl -f /tmp/lock.conf && pfctl -e")
        assert code == 0, err
        with pytest.raises(Exception):
            connect(testbed, timeout=3)
        # the established session lives on (PF state), and can undo it
        assert run(c, "pfctl -d")[0] == 0
        c2 = connect(testbed)
        assert run(c2, "true")[0] == 0
        c2.close()
        # a ruleset that passes ssh keeps the door open
        code, _, err = run(c, "printf 'block in all\\npass in on vtnet0 proto tcp to any port 22\\n' > /tmp/ok.conf && pfctl -f /tmp/ok.conf && pfctl -e")
        assert code == 0, err
        c3 = connect(testbed)
        c3.close()
    finally:
        run(c, "pfctl -d; pfctl -F all; kldunload pf")
        c.close()


def test_fault_bad_input(testbed):
    r = testbed.cli("fault", "--latency-ms", "-5")
    assert r.returncode == 2 and b"latency" in r.stderr
    r = testbed.cli("fault", "--fail-next", "(")
    assert r.returncode == 2 and b"pattern" in r.stderr


def _log_entries(testbed, command):
    return [e for e in (json.loads(line) for line in testbed.cli("log").stdout.decode().splitlines())
            if e["command"] == command]


def test_stall_next_runs_the_command_then_delays_its_exit_status(testbed):
    c = connect(testbed)
    cmd = "touch /tmp/stalled-1 && echo did-it"
    try:
        run(c, "rm -f /tmp/stalled-1")
        rules = fault(testbed, "--stall-next", r"touch /tmp/stalled-1", "--ms", "1500")["fail_next"]
        assert rules == [{"pattern": "touch /tmp/stalled-1", "times": 1, "stall_ms": 1500}]
        t0 = time.monotonic()
        _, out, err = c.exec_command(cmd, timeout=20)
        # the output arrives before the exit status (the channel ends with the session)
        got = b""
        while not got.endswith(b"\n"):
            chunk = out.channel.recv(100)
            assert chunk, "channel ended before the output arrived"
            got += chunk
        assert got == b"did-it\n"
        assert time.monotonic() - t0 < 1.2
        # the host did the work while the client is still waiting
        assert run(c, "test -e /tmp/stalled-1")[0] == 0
        assert not out.channel.exit_status_ready()
        assert out.channel.recv_exit_status() == 0
        assert time.monotonic() - t0 >= 1.5
        assert err.read() == b""
        assert "fail_next" not in fault(testbed)  # consumed
        [e] = _log_entries(testbed, cmd)
        assert e["exit"] == 0 and e["stall_ms"] == 1500 and e["duration"] < 1.0
    finally:
        run(c, "rm -f /tmp/stalled-1")
        fault(testbed, "--clear")
        c.close()


def test_stall_next_survives_the_client_going_away(testbed):
    c = connect(testbed)
    cmd = "touch /tmp/stalled-gone"
    try:
        fault(testbed, "--stall-next", r"stalled-gone", "--ms", "1000")
        c.exec_command(cmd, timeout=20)
        deadline = time.monotonic() + 5
        while testbed.sh("test -e /tmp/stalled-gone").returncode != 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        c.close()  # the client gives up while the exit status is held back
        deadline = time.monotonic() + 10
        while not _log_entries(testbed, cmd):
            assert time.monotonic() < deadline, "a stalled command whose client left was never logged"
            time.sleep(0.1)
        [e] = _log_entries(testbed, cmd)
        assert e["exit"] == 0 and e["stall_ms"] == 1000
    finally:
        testbed.sh("rm -f /tmp/stalled-gone")
        fault(testbed, "--clear")
        c.close()


def test_stall_next_stalls_only_k_matching_commands_and_keeps_their_status(testbed):
    c = connect(testbed)
    try:
        fault(testbed, "--stall-next", r"^echo stall2", "--ms", "800", "--times", "2")
        # a fail rule coexists with it; rules keep their order
        rules = fault(testbed, "--fail-next", r"^echo fail2")["fail_next"]
        assert [("stall_ms" in r) for r in rules] == [True, False]

        def timed(cmd):
            t = time.monotonic()
            code, out, _ = run(c, cmd)
            return code, out, time.monotonic() - t
        code, _, dt = timed("true")  # not matching
        assert code == 0 and dt < 0.7
        for i in range(2):
            code, out, dt = timed(f"echo stall2 {i}; exit 3")
            assert (code, out) == (3, f"stall2 {i}\n") and dt >= 0.8, (i, dt)
        code, _, err = run(c, "echo fail2")
        assert code == 1 and "injected failure" in err
        code, out, dt = timed("echo stall2 again")
        assert (code, out) == (0, "stall2 again\n") and dt < 0.7, dt
        assert "fail_next" not in fault(testbed)
    finally:
        fault(testbed, "--clear")
        c.close()


def test_clear_removes_stall_rules(testbed):
    c = connect(testbed)
    try:
        assert fault(testbed, "--stall-next", r"echo cleared", "--ms", "2000", "--times", "5")["fail_next"]
        assert "fail_next" not in fault(testbed, "--clear")
        t = time.monotonic()
        assert run(c, "echo cleared") == (0, "cleared\n", "")
        assert time.monotonic() - t < 1.5
    finally:
        fault(testbed, "--clear")
        c.close()


def test_stall_next_bad_input(testbed):
    try:
        before = fault(testbed, "--stall-next", r"never-matches-xyz", "--ms", "10")
        for args, word in [(["--stall-next", "echo x"], b"--ms"),
                           (["--stall-next", "echo x", "--ms", "-1"], b"--ms"),
                           (["--stall-next", "(", "--ms", "10"], b"pattern"),
                           (["--ms", "10"], b"--stall-next"),
                           (["--stall-next", "echo x", "--ms", "ten"], b"--ms")]:
            r = testbed.cli("fault", *args)
            assert r.returncode == 2 and word in r.stderr, (args, r.stderr)
            assert fault(testbed) == before, args
    finally:
        fault(testbed, "--clear")
