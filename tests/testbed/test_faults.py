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
