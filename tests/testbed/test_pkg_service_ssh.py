"""The tutorial's pkg / service / PostgreSQL steps over the real sshd (namespaced jails)."""
from __future__ import annotations

import os
import subprocess

import pytest

from jail_helpers import TUTORIAL_CONF

PREFIX = "/jails/pkgtest"


def _ssh_argv(testbed, command):
    info = testbed.info
    return ["ssh", "-i", info["private_key_path"], "-p", str(info["port"]),
            "-o", f"UserKnownHostsFile={os.path.join(testbed.state_dir, 'known_hosts')}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            "root@127.0.0.1", "--", command]


@pytest.mark.testbed
def test_tutorial_packages_over_ssh(testbed):
    from freebsd_testbed import basesystem
    txz = os.path.join(testbed.state_dir, "root", "tmp", "base-pkgtest.txz")
    basesystem.build_base_txz(txz)

    def sh(cmd: str):
        r = testbed.sh(cmd)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    conf = TUTORIAL_CONF.replace("/jails/containers/", PREFIX + "/")
    rc, _, err = sh("kldload -n if_epair; ifconfig bridge0 create 2>/dev/null; "
                    "sysctl net.link.bridge.member_ifaddrs=1 >/dev/null; "
                    "ifconfig bridge0 addm vtnet0 up; "
                    f"mkdir -p {PREFIX}/webserver {PREFIX}/database && "
                    f"tar -xf /tmp/base-pkgtest.txz -C {PREFIX}/webserver && "
                    f"tar -xf /tmp/base-pkgtest.txz -C {PREFIX}/database && "
                    f"cp /etc/resolv.conf {PREFIX}/webserver/etc/ && "
                    f"cp /etc/resolv.conf {PREFIX}/database/etc/")
    assert rc == 0, err
    p = subprocess.run(_ssh_argv(testbed, "cat > /etc/jail.conf"), input=conf.encode(),
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    try:
        rc, out, err = sh("sysrc jail_enable=YES >/dev/null; service jail start")
        assert (rc, out) == (0, "Starting jails: webserver database.\n"), err
        rc, out, err = sh("pkg install -y nginx")
        assert rc == 1 and err.startswith("The package management tool is not yet installed")
        rc, out, err = sh("jexec webserver env ASSUME_ALWAYS_YES=yes pkg bootstrap")
        assert rc == 0, err
        assert out.endswith("Installing pkg-2.5.1...\nExtracting pkg-2.5.1: .......... done\n")
        rc, out, err = sh("jexec webserver pkg install -y nginx")
        assert rc == 0, err
        assert "\tnginx: 1.28.2,3 [FreeBSD-ports]\n" in out
        rc, out, err = sh("jexec webserver sysrc nginx_enable=YES; jexec webserver service nginx start")
        assert (rc, out) == (0, "nginx_enable:  -> YES\nPerforming sanity check on nginx "
                                "configuration:\nStarting nginx.\n"), err
        assert err == ("nginx: the configuration file /usr/local/etc/nginx/nginx.conf syntax is ok\n"
                       "nginx: configuration file /usr/local/etc/nginx/nginx.conf test is successful\n")
        rc, out, err = sh("jexec webserver fetch -qo - http://localhost/ | head -5")
        assert out == ("<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n"
                       "<style>\n"), err
        # PostgreSQL in the database jail (sysvshm = new)
        rc, out, err = sh("jexec database env ASSUME_ALWAYS_YES=yes pkg bootstrap >/dev/null && "
                          "jexec database pkg install -y postgresql17-server >/dev/null && "
                          "jexec database sysrc postgresql_enable=YES && "
                          "jexec database service postgresql initdb && "
                          "jexec database service postgresql start")
        assert rc == 0, err
        assert "Success. You can now start the database server using:" in out
        rc, out, err = sh(
            "jexec database sh -c \"echo \\\"listen_addresses = '*'\\\" >> "
            "/var/db/postgres/data17/postgresql.conf\" && "
            "jexec database sh -c \"echo \\\"host all all 192.168.1.0/24 md5\\\" >> "
            "/var/db/postgres/data17/pg_hba.conf\" && "
            "jexec database service postgresql restart && "
            "jexec database su -m postgres -c \"createuser -s testuser\" && "
            "jexec database su -m postgres -c \"psql -c \\\"ALTER USER testuser PASSWORD "
            "'testpass';\\\"\" && "
            "jexec database su -m postgres -c \"createdb -O testuser testdb\" && "
            "jexec database su -m postgres -c \"psql -l\"")
        assert rc == 0, err
        lines = out.splitlines()
        assert lines[0] == "ALTER ROLE"
        assert lines[1].strip() == "List of databases"
        assert lines[-2:] == ["(4 rows)", ""] or lines[-1] == "(4 rows)", out
        assert " testdb    | testuser | UTF8     | libc            | C       | C.UTF-8 |        |" \
               "           | " in lines
        rc, out, err = sh("jexec webserver pkg install -y postgresql17-client >/dev/null && "
                          "PGPASSWORD=testpass jexec webserver /usr/local/bin/psql -h 192.168.1.202 "
                          "-U testuser -d testdb -c 'SELECT version();'")
        assert rc == 0, err
        assert out.splitlines()[2] == (" PostgreSQL 17.9 on amd64-portbld-freebsd15.0, compiled "
                                       "by clang version 19.1.7, 64-bit")
        rc, out, err = sh("jexec database service postgresql status")
        assert rc == 0 and out.startswith("pg_ctl: server is running (PID: "), err
        rc, out, err = sh("pkg -j webserver info -e nginx")
        assert rc == 1 and err.startswith("The package management tool is not yet installed")
        rc, out, err = sh("ASSUME_ALWAYS_YES=yes pkg -j webserver install -y curl >/dev/null && "
                          "pkg -j webserver info -e nginx && pkg -j webserver query '%n %v' curl")
        assert (rc, out) == (0, "curl 8.17.0\n"), err
    finally:
        sh("jail -f /etc/jail.conf -r '*'; rm -f /etc/jail.conf; sysrc -x jail_enable; "
           "ifconfig bridge0 deletem vtnet0; sysctl net.link.bridge.member_ifaddrs=0")
