"""The SSH transport against the testbed: timeouts, retries with backoff, one connection with
concurrent channels, errors that carry the command and its stderr."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from freebsd_provider.ssh import CommandError, Connection, ConnectionConfig, SSHError, join_argv

pytestmark = pytest.mark.testbed


def conn(testbed, **kw) -> Connection:
    cfg = testbed.provider_config()
    return Connection(ConnectionConfig(host=cfg["host"], port=cfg["port"], user="root", private_key=cfg["privateKey"],
                                       host_key=cfg["hostKey"], **kw))


def test_command_timeout_then_connection_still_usable(testbed):
    c = conn(testbed)
    try:
        t = time.monotonic()
        with pytest.raises(SSHError) as e:
            c.run(["/bin/sleep", "5"], timeout=1)
        assert "timed out after 1s" in str(e.value) and "/bin/sleep 5" in str(e.value)
        assert time.monotonic() - t < 4
        assert c.run(["/bin/echo", "ok"]).stdout == "ok\n"
        assert c.connects == 1
    finally:
        c.close()


def test_retries_with_backoff_then_a_clear_message():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    c = Connection(ConnectionConfig(host="127.0.0.1", port=port, host_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
                                    connect_retries=2, retry_delay=0.2, connect_timeout=2))
    t = time.monotonic()
    with pytest.raises(SSHError) as e:
        c.run(["/usr/bin/true"])
    took = time.monotonic() - t
    assert "gave up after 3 attempts" in str(e.value) and f"127.0.0.1:{port}" in str(e.value)
    assert took >= 0.2 + 0.4  # backoff: 0.2 s, then 0.4 s


def test_one_connection_many_channels_within_max_sessions(testbed):
    c = conn(testbed, max_sessions=8)
    try:
        results = []

        def work(i):
            results.append(c.run(["/bin/sh", "-c", 'sleep 0.3; echo "$1"', "sh", str(i)]).stdout)
        ts = [threading.Thread(target=work, args=(i,)) for i in range(20)]
        t = time.monotonic()
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        assert sorted(int(r) for r in results) == list(range(20))
        assert c.connects == 1
        assert time.monotonic() - t < 20 * 0.3  # really concurrent
    finally:
        c.close()


def test_errors_carry_command_and_stderr(testbed):
    c = conn(testbed)
    try:
        with pytest.raises(CommandError) as e:
            c.run(["/sbin/zfs", "list", "zroot/does-not-exist"])
        msg = str(e.value)
        assert "exit 1" in msg and "/sbin/zfs list zroot/does-not-exist" in msg
        assert "cannot open 'zroot/does-not-exist': dataset does not exist" in msg
        # argv is quoted at one place: hostile words arrive literally
        word = "a'b; touch /tmp/pwned $(id) `id`"
        assert c.run(["/bin/echo", word]).stdout == word + "\n"
        assert c.run(["/bin/sh", "-c", "test -e /tmp/pwned || echo clean"]).stdout == "clean\n"
        assert join_argv(["/bin/echo", word]).startswith("/bin/echo '")
    finally:
        c.close()


def test_spare_channels_are_opened_ahead_and_stay_within_max_sessions(testbed):
    # After the first command, channels wait pre-opened for the next ones (one round trip per
    # command instead of two and a half); under load, in-use + spare never exceeds max_sessions.
    c = conn(testbed, max_sessions=4)
    try:
        assert c.run(["/bin/echo", "first"]).stdout == "first\n"
        deadline = time.monotonic() + 5
        while c.spare_count() < Connection.SPARES and time.monotonic() < deadline:
            time.sleep(0.01)
        assert c.spare_count() == Connection.SPARES
        log_before = len(testbed.log())
        results = []

        def work(i):
            results.append(c.run(["/bin/sh", "-c", 'sleep 0.2; echo "$1"', "sh", str(i)]).stdout)
        ts = [threading.Thread(target=work, args=(i,)) for i in range(12)]
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        assert sorted(int(r) for r in results) == list(range(12))
        assert c.peak_channels <= 4 and c.connects == 1
        # an unused spare runs nothing: the host saw exactly the 12 commands
        assert len(testbed.log()) - log_before == 12
    finally:
        c.close()


def test_spares_of_a_dead_connection_are_not_used(testbed):
    c = conn(testbed)
    try:
        c.run(["/usr/bin/true"])
        time.sleep(0.3)
        c._client.get_transport().close()  # the connection dies under the spares
        assert c.run(["/bin/echo", "again"]).stdout == "again\n"
        assert c.connects == 2
    finally:
        c.close()
