"""jexec(8) and the jail context: fast (TESTBED_ROOT) and over a real sshd (namespaces)."""
from __future__ import annotations

import os

import pytest

from freebsd_testbed import boot, provision
from freebsd_testbed.tools import dispatch

from jail_helpers import TUTORIAL_CONF, make_base


@pytest.fixture
def run(tmp_path, monkeypatch, capfd):
    root = str(tmp_path / "host")
    os.makedirs(root)
    monkeypatch.setenv("TESTBED_ROOT", root)
    monkeypatch.delenv("TESTBED_JAIL", raising=False)
    provision.populate(root)
    boot.boot()
    make_base(root, "/jails/w")

    def _run(*argv: str):
        capfd.readouterr()
        rc = dispatch.main(list(argv))
        out, err = capfd.readouterr()
        return rc, out, err
    _run.root = root
    assert _run("jail", "-c", "name=webserver", "path=/jails/w", "persist")[0] == 0
    return _run


def test_fast_jexec_sysrc_edits_jail_rc_conf(run):
    rc, out, err = run("jexec", "webserver", "sysrc", "nginx_enable=YES")
    assert (rc, out, err) == (0, "nginx_enable:  -> YES\n", "")
    assert 'nginx_enable="YES"' in open(os.path.join(run.root, "jails/w/etc/rc.conf")).read()
    assert "nginx_enable" not in open(os.path.join(run.root, "etc/rc.conf")).read()


def test_fast_jexec_clean_env(run):
    rc, out, err = run("jexec", "-l", "webserver", "env")
    env = dict(line.split("=", 1) for line in out.splitlines())
    assert env["TESTBED_JAIL"] == "webserver" and env["USER"] == "root"
    assert env["PATH"] == "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:/root/bin"
    assert env["TESTBED_ROOT"].endswith("/jails/w")


def test_jexec_errors(run):
    assert run("jexec", "nosuch", "true") == (1, "", 'jexec: jail "nosuch" not found\n')
    assert run("jexec", "7", "true") == (1, "", "jexec: jail 7 not found\n")
    assert run("jexec")[0] == 1
    rc, out, err = run("jexec", "webserver", "nosuchprog")
    assert (rc, err) == (1, "jexec: execvp: nosuchprog: No such file or directory\n")


# ----------------------------------------------------------------------------- real sshd

@pytest.mark.testbed
def test_tutorial_over_ssh(testbed):
    from freebsd_testbed import basesystem
    txz = os.path.join(testbed.state_dir, "root", "tmp", "base.txz")
    basesystem.build_base_txz(txz)
    sh = testbed.sh
    setup = ("kldload -n if_epair; ifconfig bridge0 create; "
             "mkdir -p /jails/containers/webserver /jails/containers/database && "
             "tar -xf /tmp/base.txz -C /jails/containers/webserver && "
             "tar -xf /tmp/base.txz -C /jails/containers/database")
    r = sh(setup)
    assert r.returncode == 0, r.stderr
    import subprocess
    p = subprocess.run(_ssh_argv(testbed, "cat > /etc/jail.conf"), input=TUTORIAL_CONF.encode(),
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    r = sh("sysrc jail_enable=YES jail_parallel_start=YES >/dev/null; service jail start")
    assert (r.returncode, r.stdout) == (0, b"Starting jails: webserver database.\n"), r.stderr
    r = sh("jls -h jid name host.hostname path vnet")
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "jid name host.hostname path vnet"
    assert lines[1].endswith("webserver webserver /jails/containers/webserver new")
    # inside the jail: its files, hostname, interfaces, processes
    r = sh('jexec webserver sh -c "echo x >> /etc/foo" && cat /jails/containers/webserver/etc/foo'
           ' && test ! -e /etc/foo')
    assert (r.returncode, r.stdout) == (0, b"x\n"), r.stderr
    r = sh("jexec webserver sysrc nginx_enable=YES; grep nginx /jails/containers/webserver/etc/rc.conf;"
           " grep -c nginx /etc/rc.conf")
    assert r.stdout.decode().splitlines() == ["nginx_enable:  -> YES", 'nginx_enable="YES"', "0"]
    assert sh("jexec webserver hostname").stdout == b"webserver\n"
    r = sh("jexec webserver ifconfig -l")
    assert sorted(r.stdout.split()) == [b"epair1b", b"lo0"], (r.stdout, r.stderr)
    r = sh("jexec webserver ps aux")
    out = r.stdout.decode()
    assert "/usr/sbin/syslogd -s" in out and "SCsJ" in out and "/sbin/init" not in out, out
    r = sh("cat /var/log/jail_webserver_console.log")
    assert b"Starting syslogd." in r.stdout
    r = sh("jexec webserver nosuch")
    assert (r.returncode, r.stderr) == (1, b"jexec: execvp: nosuch: No such file or directory\n")
    # removal: poststop ran on the host
    r = sh("service jail stop webserver; ifconfig -l; jls name")
    assert r.stdout.decode().splitlines()[0] == "Stopping jails: webserver."
    assert b"epair1a" not in r.stdout and r.stdout.decode().splitlines()[-1] == "database"
    # reboot: rc.d/jail starts jail_list at boot (step_jails)
    sh("sysrc jail_list=database; sysrc -f /boot/loader.conf if_epair_load=YES; "
       "sysrc cloned_interfaces+=bridge0")
    assert testbed.cli("reboot").returncode == 0
    r = sh("jls name; jexec database hostname; ps -J database -o stat,command")
    assert r.stdout.decode().splitlines() == ["database", "database", "STAT COMMAND",
                                              "SCsJ /usr/sbin/syslogd -s",
                                              "SsJ  /usr/sbin/cron -s"], r.stderr
    r = sh("lockf -t 0 /tmp/lk sh -c 'lockf -t 0 /tmp/lk true'")
    assert (r.returncode, r.stderr) == (75, b"lockf: /tmp/lk: already locked\n")
    sh("jail -f /etc/jail.conf -r '*'; rm -f /etc/jail.conf; sysrc -x jail_enable jail_parallel_start "
       "jail_list cloned_interfaces; sysrc -f /boot/loader.conf -x if_epair_load; ifconfig bridge0 destroy")


def _ssh_argv(testbed, command):
    info = testbed.info
    return ["ssh", "-i", info["private_key_path"], "-p", str(info["port"]),
            "-o", f"UserKnownHostsFile={os.path.join(testbed.state_dir, 'known_hosts')}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            "root@127.0.0.1", "--", command]
