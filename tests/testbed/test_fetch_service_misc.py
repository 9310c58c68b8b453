"""fetch(1), base rc.d daemons through service(8), pkg odds and ends (fast host root)."""
from __future__ import annotations

import os
import tarfile

import pytest


@pytest.fixture
def yes(monkeypatch):
    monkeypatch.setenv("ASSUME_ALWAYS_YES", "yes")


def test_fetch_base_txz(tool, host_root):
    os.makedirs(os.path.join(host_root, "tmp"), exist_ok=True)
    url = "https://download.freebsd.org/releases/amd64/15.0-RELEASE/base.txz"
    rc, out, err = tool("fetch", "-o", "/tmp/base.txz", url)
    assert (rc, out) == (0, ""), err
    assert err.startswith("/tmp/base.txz" + " " * 33 + "     ")
    assert err.endswith("s\n") and "Bps" in err
    with tarfile.open(os.path.join(host_root, "tmp/base.txz")) as tf:
        assert any(n.endswith("etc/rc.d/cron") for n in tf.getnames())
    rc, out, err = tool("fetch", "-q", "-o", "/tmp/base2.txz", url)
    assert (rc, out, err) == (0, "", "")


def test_fetch_errors(tool):
    assert tool("fetch", "-qo", "-", "http://localhost/") == \
        (1, "", "fetch: http://localhost/: Connection refused\n")
    assert tool("fetch", "-qo", "-", "http://www.example.org/") == \
        (1, "", "fetch: http://www.example.org/: No address record\n")
    rc, out, err = tool("fetch")
    assert rc == 1 and err.startswith("usage: fetch ")


def test_fetch_stat_line_format():
    from freebsd_testbed.tools.fetch import _stat_line
    assert _stat_line("/tmp/base.txz", 12 * 1024 * 1024 + 5000, 0.6) == \
        "/tmp/base.txz                                        12 MB   20 MBps    00s\n"


def test_base_daemons(tool):
    rc, out, _ = tool("service", "sshd", "status")
    assert rc == 0 and out.startswith("sshd is running as pid ")
    rc, out, _ = tool("service", "cron", "restart")
    lines = out.splitlines()
    assert rc == 0 and lines[0] == "Stopping cron." and lines[1].startswith("Waiting for PIDS: ")
    assert lines[2] == "Starting cron."
    rc, out, err = tool("service", "cron", "start")
    assert rc == 1 and err.startswith("cron already running?  (pid=")
    assert tool("service", "nosuch", "start") == (
        1, "nosuch does not exist in /etc/rc.d or the local startup\n"
           "directories (/usr/local/etc/rc.d), or is not executable\n", "")
    rc, out, err = tool("service", "sshd", "frobnicate")
    assert rc == 1 and err.startswith("/etc/rc.d/sshd: unknown directive 'frobnicate'.\n")
    assert tool("service", "sshd", "enabled")[0] == 0
    assert tool("service", "-e")[1].splitlines()[-1] == "/etc/rc.d/syslogd"


def test_service_enable_disable_and_onestart(tool, yes):
    tool("/usr/sbin/pkg", "install", "-qy", "nginx")
    assert tool("service", "nginx", "enable") == (0, "nginx enabled in /etc/rc.conf\n", "")
    assert tool("sysrc", "-n", "nginx_enable")[1] == "YES\n"
    assert tool("service", "nginx", "disable") == (0, "nginx disabled in /etc/rc.conf\n", "")
    rc, out, _ = tool("service", "nginx", "onestart")
    assert rc == 0 and out.endswith("Starting nginx.\n")
    rc, out, err = tool("service", "nginx", "onestart")
    assert (rc, out) == (1, "")
    assert err.startswith("nginx already running?  (pid=") and err.endswith(").\n")
    # stop is allowed while disabled when the daemon runs
    rc, out, _ = tool("service", "nginx", "stop")
    assert rc == 0 and out.startswith("Stopping nginx.\nWaiting for PIDS: ")
    assert tool("service", "nginx", "stop") == (
        0, "Cannot 'stop' nginx. Set nginx_enable to YES in /etc/rc.conf or use 'onestop' "
           "instead of 'stop'.\n", "")
    rc, out, _ = tool("service", "nginx", "rcvar")
    assert out == '# nginx\n#\nnginx_enable="NO"\n#   (default: "")\n\n'


def test_pkg_misc(tool, yes):
    assert tool("pkg", "-N", "info") == (1, "", "pkg: pkg is not installed\n")
    tool("pkg", "install", "-qy", "curl")
    rc, out, _ = tool("pkg", "info")
    assert "curl-8.17.0                    Command line tool and library for transferring " \
           "data with URLs\n" in out
    assert tool("pkg", "which", "-q", "/usr/local/bin/curl")[1] == "curl-8.17.0\n"
    assert tool("pkg", "which", "/usr/local/bin/nope") == \
        (1, "/usr/local/bin/nope was not found in the database\n", "")
    assert tool("pkg", "info", "nosuch") == (1, "", "pkg: No package(s) matching nosuch\n")
    rc, out, _ = tool("pkg", "query", "%dn", "libpsl")
    assert out == "libidn2\nlibunistring\n"
    assert tool("pkg", "query", "%n", "nosuch") == (1, "", "")
    rc, out, _ = tool("pkg", "upgrade", "-n")
    assert rc == 0 and out.endswith("Your packages are up to date.\n")
    rc, out, _ = tool("pkg", "delete", "-y", "libunistring")
    assert rc == 0 and "\tcurl: 8.17.0\n" in out  # dependants go too
    assert tool("pkg", "info", "-e", "curl")[0] == 1
    assert tool("pkg", "foo") == (1, "", "pkg: unknown command: foo\nFor more information on "
                                         "available commands and options see 'pkg help'.\n")
