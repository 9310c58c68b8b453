"""The tutorial's package/service/PostgreSQL steps in VNET jails, on a fast host root.

Plain programs (sh -c 'echo >> file') do not see a jail's files in fast mode (no mount
namespaces), so the tutorial's config edits are written straight into the jail's dataset.
Package programs (psql, createuser, ...) run in-process inside the jail's context
(jailctx.enter), as their launchers would after jexec.
"""
from __future__ import annotations

import importlib
import os
import sys

import pytest

from freebsd_testbed import boot, hoststate, jailctx, pkgdb, rcd_jail

from jail_helpers import TUTORIAL_CONF, make_base, write

DB = "/jails/containers/database"
WEB = "/jails/containers/webserver"


@pytest.fixture
def host(host, monkeypatch):
    monkeypatch.setenv("ASSUME_ALWAYS_YES", "yes")
    return host


@pytest.fixture
def run(run_cmd):
    return run_cmd


@pytest.fixture
def jprog(host, capfd):
    """Run a package program (psql, createuser, ...) inside a jail, in-process."""
    def _run(jail: str, *argv: str, user: str | None = None, env: dict | None = None):
        with hoststate.locked(write=False) as st:
            j = dict(jailctx.jail_info(st, jail))
        saved, cwd = dict(os.environ), os.getcwd()
        e = dict(os.environ)
        e.update(env or {})
        if user:
            e["TESTBED_USER"] = user
        capfd.readouterr()
        jailctx.enter(j, e)
        try:
            mod = importlib.import_module(
                f"freebsd_testbed.tools.{pkgdb.PACKAGE_PROGRAMS[os.path.basename(argv[0])]}")
            rc = mod.main(list(argv))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.environ.clear()
            os.environ.update(saved)
            os.chdir(cwd)
        out, err = capfd.readouterr()
        return rc, out, err
    return _run


@pytest.fixture
def tutorial(host, run):
    for p in (WEB, DB):
        make_base(host, p)
        write(host, f"{p}/etc/resolv.conf", "nameserver 192.168.1.1\n")
    write(host, "/etc/jail.conf", TUTORIAL_CONF)
    assert run("kldload", "if_epair")[0] == 0
    assert run("ifconfig", "bridge0", "create")[0] == 0
    # the host's address moves to the bridge (15.0: no IP on bridge members)
    assert run("ifconfig", "vtnet0", "inet", "192.168.1.10", "-alias")[0] == 0
    assert run("ifconfig", "bridge0", "inet", "192.168.1.10/24", "addm", "vtnet0", "up")[0] == 0
    assert run("sysrc", "jail_enable=YES")[0] == 0
    assert rcd_jail.service_jail(["start"]) == 0
    return host


def test_nginx_in_jail(tutorial, run):
    rc, out, err = run("jexec", "webserver", "pkg", "bootstrap")
    assert rc == 0, err
    assert out.splitlines()[-2:] == ["Installing pkg-2.5.1...", "Extracting pkg-2.5.1: .......... done"]
    rc, out, err = run("jexec", "webserver", "pkg", "install", "-y", "nginx")
    assert rc == 0, err
    assert out.startswith("Updating FreeBSD-ports repository catalogue...\n")
    assert "===> Creating users\nUsing existing user 'www'\n" in out
    assert run("sysrc", "-j", "webserver", "nginx_enable=YES")[1] == "nginx_enable:  -> YES\n"
    assert run("jexec", "webserver", "sysrc", "nginx_enable=YES")[1] == "nginx_enable: YES -> YES\n"
    rc, out, err = run("jexec", "webserver", "service", "nginx", "start")
    assert (rc, out) == (0, "Performing sanity check on nginx configuration:\nStarting nginx.\n")
    rc, out, err = run("jexec", "webserver", "fetch", "-qo", "-", "http://localhost/")
    assert rc == 0, err
    assert out.splitlines()[:5] == ["<!DOCTYPE html>", "<html>", "<head>",
                                    "<title>Welcome to nginx!</title>", "<style>"]
    # from the host over the bridge
    rc, out, err = run("fetch", "-qo", "-", "http://192.168.1.201/")
    assert rc == 0 and "Welcome to nginx!" in out, err
    rc, out, _ = run("jexec", "webserver", "ps", "aux")
    assert "nginx: master process /usr/local/sbin/nginx" in out
    assert "nginx: worker process (nginx)" in out
    # the host sees the jail's package db with -j (after bootstrapping its own pkg)
    rc, out, _ = run("pkg", "-j", "webserver", "info", "-e", "nginx")
    assert rc == 0
    rc, out, _ = run("pkg", "-j", "webserver", "query", "%n %v", "nginx")
    assert out == "nginx 1.28.2,3\n"
    assert run("pkg", "info", "-e", "nginx")[0] == 1
    rc, out, err = run("pkg", "-j", "nosuch", "info")
    assert (rc, err) == (1, 'pkg: jail "nosuch" not found\n')
    rc, out, _ = run("service", "-j", "webserver", "nginx", "status")
    assert rc == 0 and out.startswith("nginx is running as pid ")
    # jail restart: nginx comes back through the jail's /etc/rc
    assert rcd_jail.service_jail(["restart", "webserver"]) == 0
    rc, out, _ = run("service", "-j", "webserver", "nginx", "status")
    assert rc == 0 and out.startswith("nginx is running as pid "), out


def test_initdb_fails_without_sysvshm(tutorial, run):
    run("jexec", "webserver", "pkg", "bootstrap")
    assert run("jexec", "webserver", "pkg", "install", "-qy", "postgresql17-server")[0] == 0
    rc, out, err = run("jexec", "webserver", "service", "postgresql", "oneinitdb")
    assert rc == 1
    assert out.endswith("creating configuration files ... ok\nrunning bootstrap script ... ")
    lines = err.splitlines()
    assert lines[0].endswith("FATAL:  could not create shared memory segment: Function not implemented")
    assert lines[1].endswith("DETAIL:  Failed system call was shmget(key=59615, size=56, 03600).")
    assert lines[2:] == ["child process exited with exit code 1",
                         'initdb: removing data directory "/var/db/postgres/data17"']
    assert not os.path.exists(os.path.join(tutorial, WEB.lstrip("/"), "var/db/postgres/data17"))


def test_postgresql_cross_jail(tutorial, run, jprog):
    run("jexec", "database", "pkg", "bootstrap")
    rc, out, err = run("jexec", "database", "pkg", "install", "-y", "postgresql17-server")
    assert rc == 0, err
    assert "Creating group 'postgres' with gid '770'\n" in out
    assert "Creating user 'postgres' with uid '770'\n===> Creating homedir(s)\n" in out
    run("jexec", "database", "sysrc", "postgresql_enable=YES")
    rc, out, err = run("jexec", "database", "service", "postgresql", "initdb")
    assert rc == 0, err
    assert "running bootstrap script ... ok\n" in out
    data = os.path.join(tutorial, DB.lstrip("/"), "var/db/postgres/data17")
    for f in ("PG_VERSION", "postgresql.conf", "pg_hba.conf"):
        assert os.path.exists(os.path.join(data, f))
    rc, out, err = run("jexec", "database", "service", "postgresql", "start")
    assert (rc, out) == (0, ""), err
    assert 'HINT:  Future log output will go to log destination "syslog".' in err
    # listening on localhost only: the webserver jail is refused
    run("jexec", "webserver", "pkg", "bootstrap")
    assert run("jexec", "webserver", "pkg", "install", "-qy", "postgresql17-client")[0] == 0
    cmd = ("/usr/local/bin/psql", "-h", "192.168.1.202", "-U", "testuser", "-d", "testdb", "-c",
           "SELECT version();")
    rc, out, err = jprog("webserver", *cmd, env={"PGPASSWORD": "testpass"})
    assert rc == 2
    assert err == ('psql: error: connection to server at "192.168.1.202", port 5432 failed: '
                   "Connection refused\n\tIs the server running on that host and accepting "
                   "TCP/IP connections?\n")
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write("listen_addresses = '*'\n")
    with open(os.path.join(data, "pg_hba.conf"), "a") as f:
        f.write("host all all 192.168.1.0/24 md5\n")
    rc, out, err = run("jexec", "database", "service", "postgresql", "restart")
    assert rc == 0, err
    assert jprog("database", "createuser", "-s", "testuser", user="postgres")[0] == 0
    rc, out, err = jprog("database", "psql", "-c", "ALTER USER testuser PASSWORD 'testpass';",
                         user="postgres")
    assert (rc, out) == (0, "ALTER ROLE\n"), err
    assert jprog("database", "createdb", "-O", "testuser", "testdb", user="postgres")[0] == 0
    rc, out, err = jprog("database", "psql", "-l", user="postgres")
    assert rc == 0, err
    assert out.endswith("\n(4 rows)\n\n")
    assert out.splitlines()[-3:-1] == [
        " testdb    | testuser | UTF8     | libc            | C       | C.UTF-8 |        |           | ",
        "(4 rows)"]
    rc, out, err = jprog("webserver", *cmd, env={"PGPASSWORD": "testpass"})
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        "                                        version                                         ",
        "----------------------------------------------------------------------------------------",
        " PostgreSQL 17.9 on amd64-portbld-freebsd15.0, compiled by clang version 19.1.7, 64-bit",
        "(1 row)", ""]
    rc, out, err = jprog("webserver", *cmd, env={"PGPASSWORD": "wrong"})
    assert (rc, err) == (2, 'psql: error: connection to server at "192.168.1.202", port 5432 '
                            'failed: FATAL:  password authentication failed for user "testuser"\n')
    rc, out, _ = run("jexec", "database", "service", "postgresql", "status")
    assert rc == 0 and out.startswith("pg_ctl: server is running (PID: ")
    rc, out, err = run("jexec", "database", "service", "postgresql", "stop")
    assert (rc, out, err) == (0, "", "")
    rc, out, _ = run("jexec", "database", "service", "postgresql", "status")
    assert (rc, out) == (3, "pg_ctl: no server running\n")


def test_reboot_restarts_jail_services(tutorial, run, jprog):
    """After a reboot the jails' /etc/rc starts their enabled services again; the package
    databases and the PostgreSQL cluster live in the jails' datasets and survive."""
    run("jexec", "webserver", "pkg", "bootstrap")
    run("jexec", "webserver", "pkg", "install", "-qy", "nginx")
    run("jexec", "webserver", "sysrc", "nginx_enable=YES")
    run("jexec", "database", "pkg", "bootstrap")
    run("jexec", "database", "pkg", "install", "-qy", "postgresql17-server")
    run("jexec", "database", "sysrc", "postgresql_enable=YES")
    assert run("jexec", "database", "service", "postgresql", "initdb")[0] == 0
    run("sysrc", "jail_list=webserver database")
    run("sysrc", "-f", "/boot/loader.conf", "if_epair_load=YES")
    write(tutorial, "/etc/rc.conf.local",
          'cloned_interfaces="bridge0"\nifconfig_bridge0="inet 192.168.1.10/24 addm vtnet0 up"\n'
          'ifconfig_vtnet0="up"\n')
    boot.boot()
    rc, out, _ = run("jexec", "webserver", "service", "nginx", "status")
    assert rc == 0 and out.startswith("nginx is running as pid "), out
    rc, out, _ = run("jexec", "database", "service", "postgresql", "status")
    assert rc == 0 and out.startswith("pg_ctl: server is running"), out
    assert run("pkg", "-j", "database", "info", "-e", "postgresql17-server")[0] == 0
    rc, out, err = jprog("database", "psql", "-l", user="postgres")
    assert rc == 0 and out.endswith("(3 rows)\n\n"), err


def test_catalog_guard_queries(tool, host_root):
    """`psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='x'"` answers like PostgreSQL (idempotency guards)."""
    from freebsd_testbed.tools import pg
    cat = {"roles": {"postgres": {}, "testuser": {}}, "databases": {"postgres": {}, "testdb": {}}}
    q = lambda sql: pg._stmt(sql, None, None, cat, "postgres", True, True)  # noqa: E731
    assert q("SELECT 1 FROM pg_roles WHERE rolname='testuser'") == "1\n"
    assert q("SELECT 1 FROM pg_roles WHERE rolname='nobody'") == ""
    assert q("SELECT 1 FROM pg_database WHERE datname='testdb'") == "1\n"
    assert q("SELECT datname FROM pg_database") == "postgres\ntestdb\n"
