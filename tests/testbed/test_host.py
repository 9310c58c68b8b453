"""End-to-end tests of a real testbed host (sshd in a mount namespace)."""
import json
import os
import shutil

import paramiko
import pytest

pytestmark = pytest.mark.testbed


def test_up_is_idempotent(testbed):
    r = testbed.cli("up", "--json")
    assert r.returncode == 0
    info = json.loads(r.stdout)
    assert info == testbed.info
    assert set(info) == {"name", "host", "port", "user", "private_key_path", "host_key", "state_dir"}
    assert info["host_key"].startswith("ssh-ed25519 ")
    st = json.loads(testbed.cli("status").stdout)
    assert st["running"] is True


def test_exec_passthrough(testbed):
    r = testbed.sh("echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, b"out\n", b"err\n")
    r = testbed.cli("exec", "--", "printf", "%s\n", "a b", "c")
    assert r.stdout == b"a b\nc\n"
    r = testbed.sh("echo $PATH; readlink /proc/$$/exe")
    assert r.stdout.decode().splitlines() == ["/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin",
                                              "/usr/bin/dash"]


def test_tools_over_ssh(testbed):
    r = testbed.sh("sysctl kern.features.vimage; uname -r; sysrc -n hostname")
    assert r.stdout == b"kern.features.vimage: 1\n15.0-RELEASE\ntestbed\n"
    r = testbed.sh("kldstat -q -m nosuch")
    assert r.returncode == 1


def test_isolation(testbed):
    marker = "/etc/pytest-tb-isolation-marker"
    r = testbed.sh(f"echo x > {marker} && cat {marker}")
    assert r.returncode == 0 and r.stdout == b"x\n"
    assert not os.path.exists(marker)
    assert os.path.exists(os.path.join(testbed.state_dir, "upper", marker.lstrip("/")))


def test_command_log(testbed):
    testbed.sh("echo logged-command; exit 4")
    lines = [json.loads(x) for x in testbed.cli("log").stdout.decode().splitlines()]
    last = lines[-1]
    assert last["command"] == "echo logged-command; exit 4" and last["exit"] == 4
    assert last["duration"] >= 0 and last["start"] > 1e9


def test_command_log_keeps_every_byte_and_signal_exits(testbed):
    # the C session wrapper (the Python one when no cc): the same JSON as json.dumps would give
    cmd = "printf '%s' \"q\\\"x\" 'tab\there' 'é ✓'; echo\necho second\\ line; kill -TERM $$"
    r = testbed.sh(cmd)
    assert r.returncode == 128 + 15
    last = [json.loads(x) for x in testbed.cli("log").stdout.decode().splitlines()][-1]
    assert last["command"] == cmd and last["exit"] == 143
    with open(os.path.join(testbed.state_dir, "upper", "usr/libexec/testbed-session"), "rb") as f:
        head = f.read(4)
    assert head == b"\x7fELF" or shutil.which("cc") is None


def test_reboot_drops_runtime_and_loads_loader_conf(testbed):
    assert testbed.sh("kldload if_epair; sysrc -f /boot/loader.conf pf_load=YES").returncode == 0
    assert testbed.cli("reboot").returncode == 0
    assert testbed.sh("kldstat -q -m if_epair").returncode == 1
    assert testbed.sh("kldstat -q -m pf").returncode == 0
    testbed.sh("sysrc -f /boot/loader.conf -x pf_load")


def test_paramiko_kept_connection(testbed):
    c = paramiko.SSHClient()
    c.load_host_keys(os.path.join(testbed.state_dir, "known_hosts"))
    c.connect("127.0.0.1", port=testbed.info["port"], username="root",
              key_filename=testbed.info["private_key_path"], look_for_keys=False, allow_agent=False)
    try:
        for _ in range(3):
            _, out, _ = c.exec_command("sysrc -n hostname")
            assert out.read() == b"testbed\n" and out.channel.recv_exit_status() == 0
    finally:
        c.close()


def test_bad_input(testbed, tmp_path):
    CLI = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".venv", "bin", "freebsd-testbed")
    import subprocess
    r = subprocess.run([CLI, "status", "no-such-tb", "--state-dir", str(tmp_path / "nope")], capture_output=True)
    assert r.returncode == 2 and b"no testbed named" in r.stderr
    assert not (tmp_path / "nope").exists()
    r = subprocess.run([CLI, "up", "bad/name"], capture_output=True)
    assert r.returncode == 2
    r = subprocess.run([CLI, "frobnicate"], capture_output=True)
    assert r.returncode == 2
