"""pkg / service / postgresql / fetch in a fast host root (TESTBED_ROOT)."""
from __future__ import annotations

import os

import pytest



@pytest.fixture
def prog(host_root, capsys):
    """Run a package-installed program (psql, createuser, ...) in-process."""
    import importlib
    from freebsd_testbed import pkgdb

    def run(*argv: str):
        capsys.readouterr()
        mod = importlib.import_module(f"freebsd_testbed.tools.{pkgdb.PACKAGE_PROGRAMS[argv[0]]}")
        rc = mod.main(list(argv))
        out, err = capsys.readouterr()
        return rc, out, err
    return run


@pytest.fixture
def yes(monkeypatch):
    monkeypatch.setenv("ASSUME_ALWAYS_YES", "yes")


def test_bootstrap_non_interactive_refuses(tool, monkeypatch):
    monkeypatch.delenv("ASSUME_ALWAYS_YES", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    rc, out, err = tool("/usr/sbin/pkg", "install", "-y", "nginx")
    assert rc == 1
    assert err == ("The package management tool is not yet installed on your system.\n"
                   "Please set ASSUME_ALWAYS_YES=yes environment variable to be able to "
                   "bootstrap in non-interactive (stdin not being a tty)\n")


def test_bootstrap_and_install_nginx(tool, yes, host_root):
    rc, out, err = tool("/usr/sbin/pkg", "bootstrap")
    assert rc == 0, err
    assert out.startswith("Bootstrapping pkg from pkg+https://pkg.FreeBSD.org/FreeBSD:15:amd64/"
                          "quarterly, please wait...\n")
    rc, out, _ = tool("/usr/sbin/pkg", "bootstrap")
    assert out == "pkg already bootstrapped at /usr/local/sbin/pkg\n"
    rc, out, err = tool("pkg", "install", "-y", "nginx")
    assert rc == 0, err
    assert "New packages to be INSTALLED:\n\tnginx: 1.28.2,3 [FreeBSD-ports]\n" in out
    assert "Number of packages to be installed: 2\n" in out
    assert "[2/2] Installing nginx-1.28.2,3...\n" in out
    assert "Message from nginx-1.28.2,3:" in out
    assert os.path.exists(os.path.join(host_root, "usr/local/etc/rc.d/nginx"))
    rc, out, _ = tool("pkg", "install", "-y", "nginx")
    assert rc == 0 and "The most recent versions of packages are already installed\n" in out
    assert tool("pkg", "info", "-e", "nginx")[0] == 0
    assert tool("pkg", "info", "-e", "vim")[0] == 1
    assert tool("pkg", "query", "%n %v", "nginx")[1] == "nginx 1.28.2,3\n"
    assert tool("pkg", "which", "/usr/local/sbin/nginx")[1] == \
        "/usr/local/sbin/nginx was installed by package nginx-1.28.2,3\n"
    rc, out, err = tool("pkg", "install", "-y", "nosuch")
    assert rc == 1
    assert err == ("pkg: No packages available to install matching 'nosuch' have been found "
                   "in the repositories\n")
    # service
    rc, out, err = tool("service", "nginx", "start")
    assert (rc, out) == (0, "Cannot 'start' nginx. Set nginx_enable to YES in /etc/rc.conf or "
                            "use 'onestart' instead of 'start'.\n")
    tool("sysrc", "nginx_enable=YES")
    rc, out, err = tool("service", "nginx", "start")
    assert rc == 0
    assert out == "Performing sanity check on nginx configuration:\nStarting nginx.\n"
    assert err == ("nginx: the configuration file /usr/local/etc/nginx/nginx.conf syntax is ok\n"
                   "nginx: configuration file /usr/local/etc/nginx/nginx.conf test is successful\n")
    rc, out, _ = tool("service", "nginx", "status")
    assert rc == 0 and out.startswith("nginx is running as pid ")
    rc, out, _ = tool("fetch", "-qo", "-", "http://localhost/")
    assert rc == 0 and out.startswith("<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n")
    rc, out, _ = tool("service", "nginx", "stop")
    assert rc == 0 and out.startswith("Stopping nginx.\nWaiting for PIDS: ")
    rc, out, _ = tool("service", "nginx", "status")
    assert (rc, out) == (1, "nginx is not running.\n")
    rc, out, err = tool("fetch", "-qo", "-", "http://localhost/")
    assert (rc, err) == (1, "fetch: http://localhost/: Connection refused\n")
    rc, out, err = tool("pkg", "delete", "-y", "nginx")
    assert rc == 0 and "[1/1] Deinstalling nginx-1.28.2,3...\n" in out
    rc, out, err = tool("pkg", "delete", "-y", "nginx")
    assert rc == 1 and out == ("No packages matched for pattern 'nginx'\n\n"
                               "1 packages requested for removal: 0 locked, 1 missing\n")


def test_postgresql(tool, prog, yes, host_root, monkeypatch):
    tool("/usr/sbin/pkg", "bootstrap")
    rc, out, err = tool("pkg", "install", "-y", "postgresql17-server")
    assert rc == 0, err
    assert "Creating user 'postgres' with uid '770'" in out
    tool("sysrc", "postgresql_enable=YES")
    rc, out, err = tool("service", "postgresql", "initdb")
    assert rc == 0, err
    assert out.endswith("Success. You can now start the database server using:\n\n"
                        "    /usr/local/bin/pg_ctl -D /var/db/postgres/data17 -l logfile start\n\n")
    rc, out, err = tool("service", "postgresql", "start")
    assert rc == 0, err
    monkeypatch.setenv("TESTBED_USER", "postgres")
    assert prog("createuser", "-s", "testuser")[0] == 0
    rc, out, err = prog("psql", "-c", "ALTER USER testuser PASSWORD 'testpass';")
    assert (rc, out) == (0, "ALTER ROLE\n"), err
    assert prog("createdb", "-O", "testuser", "testdb")[0] == 0
    rc, out, err = prog("psql", "-l")
    assert rc == 0, err
    lines = out.split("\n")
    assert lines[1].startswith("   Name    |  Owner   | Encoding | Locale Provider | Collate |  Ctype  |")
    assert lines[2] == "-----------+----------+----------+-----------------+---------+---------+--------+-----------+-----------------------"
    assert lines[3] == " postgres  | postgres | UTF8     | libc            | C       | C.UTF-8 |        |           | "
    assert lines[4] == " template0 | postgres | UTF8     | libc            | C       | C.UTF-8 |        |           | =c/postgres          +"
    assert lines[5] == "           |          |          |                 |         |         |        |           | postgres=CTc/postgres"
    assert lines[-3:] == ["(4 rows)", "", ""]
    monkeypatch.setenv("PGPASSWORD", "testpass")
    rc, out, err = prog("psql", "-h", "127.0.0.1", "-U", "testuser", "-d", "testdb", "-c", "SELECT version();")
    assert rc == 0, err
    assert out.split("\n")[2] == " PostgreSQL 17.9 on amd64-portbld-freebsd15.0, compiled by clang version 19.1.7, 64-bit"
    assert out.split("\n")[3] == "(1 row)"


def test_long_global_options():
    from freebsd_testbed.tools.pkg import _long_options
    assert _long_options(["--jail", "web", "install", "-y", "--", "nginx"]) == ["-j", "web", "install", "-y", "--", "nginx"]
    assert _long_options(["--jail=web", "info"]) == ["-j", "web", "info"]
    assert _long_options(["--version"]) == ["--version"]
