"""jail(8), jls(8), rc.d/jail (rcd_jail.service_jail) on a fast host root (TESTBED_ROOT)."""
from __future__ import annotations

import json
import os

import pytest

from freebsd_testbed import boot, hoststate, jailctx, jails, rcd_jail
from freebsd_testbed.tools import jail as jail_tool

from jail_helpers import TUTORIAL_CONF, make_base, write


@pytest.fixture
def run(run_cmd):
    return run_cmd


@pytest.fixture
def svc(host, capfd):
    def _svc(*args: str):
        capfd.readouterr()
        rc = rcd_jail.service_jail(list(args))
        out, err = capfd.readouterr()
        return rc, out, err
    return _svc


@pytest.fixture
def tutorial(host, run):
    make_base(host, "/jails/containers/webserver")
    make_base(host, "/jails/containers/database")
    write(host, "/etc/jail.conf", TUTORIAL_CONF)
    assert run("kldload", "if_epair")[0] == 0
    assert run("ifconfig", "bridge0", "create")[0] == 0
    return host


def _names():
    with hoststate.locked(write=False) as st:
        return [j["name"] for j in jailctx.running_jails(st)]


def test_service_jail_needs_jail_enable(tutorial, svc):
    rc, out, err = svc("start")
    assert rc == 0
    assert out == ("Cannot 'start' jail. Set jail_enable to YES in /etc/rc.conf or use "
                   "'onestart' instead of 'start'.\n")
    assert _names() == []


def test_tutorial_start_jls_stop(tutorial, run, svc):
    assert run("sysrc", "jail_enable=YES")[0] == 0
    assert run("sysrc", "jail_parallel_start=YES")[0] == 0
    rc, out, err = svc("start")
    assert (rc, out) == (0, "Starting jails: webserver database.\n"), err
    rc, out, _ = run("jls")
    assert out.splitlines() == [
        "   JID  IP Address      Hostname                      Path",
        "     1                  webserver                     /jails/containers/webserver",
        "     2                  database                      /jails/containers/database"]
    rc, out, _ = run("jls", "-h", "jid", "name", "host.hostname", "path", "vnet")
    assert out == ("jid name host.hostname path vnet\n"
                   "1 webserver webserver /jails/containers/webserver new\n"
                   "2 database database /jails/containers/database new\n")
    rc, out, _ = run("jls", "--libxo", "json")
    doc = json.loads(out)
    assert doc["__version"] == "2"
    assert doc["jail-information"]["jail"][0] == {
        "jid": 1, "ipv4": "", "hostname": "webserver", "path": "/jails/containers/webserver"}
    rc, out, _ = run("jls", "-j", "database", "sysvshm", "allow.raw_sockets", "devfs_ruleset")
    assert out == "new true 4\n"
    # exec.start ran inside the jail: consolelog on the host, the jail's own interface
    log = open(os.path.join(tutorial, "var/log/jail_webserver_console.log")).read()
    assert "add net default: gateway 192.168.1.1" in log or "route" in log or log
    from freebsd_testbed import net
    with hoststate.locked(write=False) as st:
        assert "epair1b" in net.vnets(st)["webserver"]["ifaces"]
        assert "epair1b" not in net.vnets(st)["host"]["ifaces"]
        procs = jailctx.procs_list(st, "webserver")
        assert [p["command"] for p in procs] == ["/usr/sbin/syslogd -s", "/usr/sbin/cron -s"]
    # stop one
    rc, out, err = svc("stop", "webserver")
    assert (rc, out) == (0, "Stopping jails: webserver.\n"), err
    assert _names() == ["database"]
    with hoststate.locked(write=False) as st:
        assert "epair1a" not in net.vnets(st)["host"]["ifaces"]   # poststop destroyed it
        assert "webserver" not in net.vnets(st)
        assert jailctx.procs_list(st, "webserver") == []
    rc, out, err = svc("stop")
    assert (rc, out) == (0, "Stopping jails: database.\n")
    rc, out, _ = run("jls")
    assert out == "   JID  IP Address      Hostname                      Path\n"


def test_start_failure_exits_zero(tutorial, run, svc):
    run("sysrc", "jail_enable=YES")
    assert run("ifconfig", "epair1", "create")[0] == 0   # stale epair1
    rc, out, err = svc("start", "webserver", "database")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0] == 'Starting jails: cannot start jail  "webserver": '
    assert lines[1].startswith("ifconfig: ")      # the net model's error text
    assert lines[2:] == ["jail: webserver: /sbin/ifconfig epair1 create up: failed",
                         " database."]
    assert _names() == ["database"]
    assert run("jls", "-j", "webserver", "jid")[0] == 1


def test_jail_c_r_messages(tutorial, run):
    rc, out, err = run("jail", "-c", "webserver")
    assert (rc, out, err) == (0, "epair1a\nwebserver: created\n", "")
    rc, out, err = run("jail", "-c", "webserver")
    assert (rc, err) == (1, 'jail: "webserver" already exists\n')
    rc, out, err = run("jail", "-r", "webserver")
    assert (rc, out, err) == (0, "webserver: removed\n", ""), err
    rc, out, err = run("jail", "-r", "webserver")
    assert (rc, err) == (1, 'jail: "webserver" not found\n')
    rc, out, err = run("jail", "-c", "nosuch")
    assert (rc, err) == (1, 'jail: "nosuch" not found\n')
    # jids increase monotonically
    run("jail", "-c", "database")
    assert run("jls", "-j", "database", "jid")[1] == "2\n"


def test_missing_path(host, run):
    write(host, "/etc/jail.conf", 'x { path = "/jails/x"; persist; }\n')
    rc, out, err = run("jail", "-c", "x")
    assert (rc, err) == (1, "jail: x: path /jails/x: No such file or directory\n")


def test_jail_conf_d_lookup_and_verbose(host, run, svc):
    make_base(host, "/jails/w")
    write(host, "/etc/jail.conf.d/w.conf",
          'w { path = "/jails/w"; host.hostname = "w.example"; persist; ip4.addr = 10.0.0.5;'
          ' exec.poststart = "/usr/bin/true"; }\n')
    run("sysrc", "jail_enable=YES", "jail_list=w")
    rc, out, err = svc("start")
    assert (rc, out) == (0, "Starting jails: w.\n"), err
    rc, out, _ = run("jls")
    assert out.splitlines()[1] == \
        "     1  10.0.0.5        w.example                     /jails/w"
    assert open(os.path.join(host, "var/run/jail_w.id")).read() == "1\n"
    rc, out, _ = run("jls", "-v")
    assert out.splitlines()[4:] == ["     1  w.example                     /jails/w",
                                    "        w                             ACTIVE",
                                    "        2", "        10.0.0.5"]
    rc, out, _ = run("jls", "-N")
    assert out.splitlines()[1].startswith(" w               10.0.0.5")
    rc, out, _ = run("jls", "-n", "-j", "w")
    assert "host.hostname=w.example" in out.split() and "persist" in out.split()
    rc, out, _ = svc("status")
    assert rc == 0 and "w.example" in out


def test_prestart_runs_commands_verbose(host, run, capfd):
    make_base(host, "/jails/v")
    write(host, "/etc/jail.conf",
          'v { path = "/jails/v"; host.hostname = "v.lan"; exec.prestart = "echo pre $name"; '
          'exec.start = "/bin/sh /etc/rc"; exec.consolelog = "/var/log/v.log"; '
          'exec.poststop = "echo post >&2"; }\n')
    rc, out, err = run("jail", "-v", "-c", "v")
    assert rc == 0
    assert out.splitlines() == [
        "v: run command: echo pre v", "pre v",
        "v: jail_set(JAIL_CREATE) persist name=v path=/jails/v host.hostname=v.lan",
        "v: created", "v: run command in jail: /bin/sh /etc/rc",
        "v: jail_set(JAIL_UPDATE) jid=1 nopersist"]
    log = open(os.path.join(host, "var/log/v.log")).read()
    assert "Starting syslogd.\nStarting cron.\n" in log
    rc, out, err = run("jail", "-r", "v")
    assert (rc, out, err) == (0, "v: removed\n", "post\n")
    # two operands: "a single jail on the command line" (jail.c main), each an unknown
    # parameter for import_params (config.c), reported one by one, without a jail name
    assert run("jail", "-c", "a", "b") == (1, "", "jail: unknown parameter: a\n"
                                                  "jail: unknown parameter: b\n")


def test_jail_i_and_cmdline(host, run):
    make_base(host, "/jails/c")
    rc, out, err = run("jail", "-i", "-c", "name=c", "path=/jails/c", "persist",
                       "host.hostname=c.local")
    assert (rc, out, err) == (0, "1\n", "")
    assert run("jls", "-j", "c", "host.hostname")[1] == "c.local\n"
    # a command-line jail has no j->name: no "updated"/"removed" note (jail.c main JF_SET,
    # command.c IP__OP with note_remove = 0 for one -R target)
    rc, out, err = run("jail", "-m", "name=c", "host.hostname=c2")
    assert (rc, out) == (0, "")
    assert run("jls", "-j", "1", "host.hostname")[1] == "c2\n"
    rc, out, err = run("jail", "-R", "c")
    assert (rc, out, err) == (0, "", "")
    rc, out, err = run("jls", "-j", "c")
    assert (rc, err) == (1, 'jls: jail "c" not found\n')


def test_bad_param_and_bool(host, run):
    write(host, "/etc/jail.conf", 'a { path = "/"; allow.foo; }\n'
                                  'b { path = "/"; exec.clean = maybe; }\n')
    assert run("jail", "-c", "a")[2] == "jail: a: unknown parameter: allow.foo\n"
    assert run("jail", "-c", "b")[2] == 'jail: b: exec.clean: unknown boolean value "maybe"\n'


def test_restart_and_onestart(tutorial, run, svc):
    rc, out, _ = svc("onestart", "webserver")
    assert out == "Starting jails: webserver.\n"
    rc, out, _ = svc("onerestart", "webserver")
    assert out == "Stopping jails: webserver.\nStarting jails: webserver.\n"
    with hoststate.locked(write=False) as st:
        assert jailctx.jail_info(st, "webserver")["jid"] == 2
    rc, out, _ = svc("onestop", "webserver")
    assert out == "Stopping jails: webserver.\n"
    rc, out, _ = svc("onestop", "webserver")
    assert out == "Stopping jails:.\n"


def test_boot_starts_enabled_jails(tutorial, run):
    run("sysrc", "jail_enable=YES", "jail_list=webserver")
    run("sysrc", "-f", "/boot/loader.conf", "if_epair_load=YES")
    write(tutorial, "/etc/rc.conf.local", 'cloned_interfaces="bridge0"\n')
    boot.boot()
    assert _names() == ["webserver"]
    with hoststate.locked(write=False) as st:
        assert any(p["command"] == "/sbin/init" for p in jailctx.procs_list(st))


def test_nonpersistent_jail_without_processes_dies(host, run):
    make_base(host, "/jails/e")
    rc, out, err = run("jail", "-c", "name=e", "path=/jails/e")
    assert (rc, out, err) == (0, "", "")   # TEST jail_basic_test.sh: "-o empty" on create
    assert run("jls", "-j", "e")[0] == 1


# ----------------------------------------------------------------------------- jail(8) fidelity
# [SRC usr.sbin/jail/{jail.c,command.c,state.c,config.c}; TEST usr.sbin/jail/tests/jail_basic_test.sh]

def test_nested_jails_children_max(host, run):
    """jail_basic_test.sh "nested": a child needs children.max; the limit; no output on create."""
    assert run("jail", "-c", "name=basejail", "persist", "ip4.addr=192.0.1.1",
               "children.max=1") == (0, "", "")
    assert run("jexec", "basejail", "jail", "-c", "name=nestedjail", "persist") == (0, "", "")
    assert run("jexec", "basejail", "jail", "-c", "name=secondnestedjail", "persist") == \
        (1, "", "jail: prison limit exceeded\n")
    rc, out, _ = run("jexec", "basejail", "jls", "name", "parent")
    assert (rc, out) == (0, "nestedjail 0\n")
    rc, out, _ = run("jls", "name", "parent")
    assert out == "basejail 0\nbasejail.nestedjail 1\n"
    assert run("jls", "-j", "basejail", "children.cur")[1] == "1\n"
    assert run("jail", "-c", "name=basejail_nochild", "persist") == (0, "", "")
    assert run("jexec", "basejail_nochild", "jail", "-c", "name=nestedjail", "persist") == \
        (1, "", "jail: jail_set: Operation not permitted\n")
    # a child may not be given an allow.* its parent lacks
    assert run("jexec", "basejail", "jail", "-r", "nestedjail") == (0, "", "")
    assert run("jexec", "basejail", "jail", "-c", "name=n2", "persist", "allow.mount") == \
        (1, "", "jail: jail_set: Operation not permitted\n")
    # removing the parent removes its children
    run("jexec", "basejail", "jail", "-c", "name=n3", "persist")
    assert run("jail", "-r", "basejail")[0] == 0
    assert run("jls", "name")[1] == "basejail_nochild\n"


def test_remove_notes_follow_note_remove(host, run):
    """command.c IP__OP: "removed" only with note_remove (config file used, several targets
    or a wildcard) or -v; -R with one target never notes; -r by jid names the jail as typed."""
    make_base(host, "/jails/p")
    write(host, "/etc/jail.conf", 'p { path = "/jails/p"; persist; }\n'
                                  'q { path = "/jails/p"; persist; }\n')
    run("jail", "-c", "p")
    assert run("jail", "-R", "p") == (0, "", "")
    run("jail", "-c", "p")
    jid = run("jls", "-j", "p", "jid")[1].strip()
    assert run("jail", "-r", jid) == (0, f"{jid}: removed\n", "")
    run("jail", "-c", "p")
    assert run("jail", "-f", "/nonexistent.conf", "-r", "p") == (0, "", "")
    run("jail", "-c", "p")
    assert run("jail", "-v", "-R", "p") == (0, "p: removed\n", "")
    # wildcard: config jails that are not running are skipped silently
    run("jail", "-c", "p")
    assert run("jail", "-r", "*") == (0, "p: removed\n", "")
    run("jail", "-c", "p")
    run("jail", "-c", "q")
    assert run("jail", "-R", "p", "q") == (0, "p: removed\nq: removed\n", "")


def test_restart_and_create_wildcard(tutorial, run):
    rc, out, err = run("jail", "-rc", "webserver")
    assert (rc, err) == (1, 'jail: "webserver" not found\n') and out == ""
    assert run("jail", "-c", "webserver")[0] == 0
    rc, out, err = run("jail", "-rc", "webserver")      # restart: no "removed" (note_remove 0)
    assert (rc, err) == (0, "") and out.endswith("webserver: created\n")
    assert "removed" not in out
    rc, out, err = run("jail", "-c")        # all of jail.conf: the running one is left alone
    assert (rc, err) == (0, "") and out.endswith("database: created\n")
    assert "webserver" not in out


def test_cmdline_jail_messages_have_no_name(host, run):
    assert run("jail", "-c", "name=x", "path=/nonexistent", "persist") == \
        (1, "", "jail: path /nonexistent: No such file or directory\n")
    assert run("jail", "-c", "name=x", "persist", "allow.nosuch") == \
        (1, "", "jail: unknown parameter: allow.nosuch\n")
    assert run("jail", "-v", "-c", "name=x", "persist", "host.hostname=a b") == \
        (0, 'jail_set(JAIL_CREATE) name=x persist host.hostname="a b"\ncreated\n', "")
    assert run("jail", "-c", "name=x", "persist") == (1, "", 'jail: "x" already exists\n')
    assert run("jail", "-m", "name=y", "persist") == (1, "", 'jail: "y" not found\n')
    assert run("jail", "-r", "name=x") == (1, "", jail_tool.USAGE)


def test_quoted_print():
    assert jails.quoted_print("") == '""'
    assert jails.quoted_print("a b") == '"a b"'
    assert jails.quoted_print("it's") == '"it\'s"'
    assert jails.quoted_print('say "x"') == "'say \"x\"'"
    assert jails.quoted_print("a\\b") == "a\\\\b"


def test_vnet_interface_command_names_the_jail(tutorial, run):
    """command.c IP_VNET_INTERFACE: "ifconfig IF vnet JAIL" with the name, not the jid."""
    rc, out, err = run("jail", "-v", "-c", "webserver")
    assert rc == 0, err
    assert "webserver: run command: /sbin/ifconfig epair1b vnet webserver" in out.splitlines()


def test_failing_stop_command_keeps_the_jail(host, run):
    """jail.c main JF_STOP: a failed exec.prestop/exec.stop ends at jail_remove_done without
    removing the jail (exit 1); a failed exec.poststop comes after the removal."""
    make_base(host, "/jails/s")
    write(host, "/etc/jail.conf",
          's { path = "/jails/s"; persist; exec.prestop = "/usr/bin/false"; }\n'
          't { path = "/jails/s"; persist; exec.poststop = "/usr/bin/false"; }\n')
    run("jail", "-c", "s")
    assert run("jail", "-r", "s") == (1, "", "jail: s: /usr/bin/false: failed\n")
    assert run("jls", "-j", "s", "name")[1] == "s\n"
    run("jail", "-c", "t")
    assert run("jail", "-r", "t") == (1, "t: removed\n", "jail: t: /usr/bin/false: failed\n")
    assert run("jls", "-j", "t")[0] == 1
    assert run("jail", "-c", "name=u", "persist", "exec.consolelog=rel.log",
               "command=/usr/bin/true") == \
        (1, "", "jail: exec.consolelog: rel.log: not an absolute pathname\n")


def test_jid_file(host, run):
    """-J: jail.c print_jail, one line per created jail."""
    make_base(host, "/jails/c")
    rc, out, err = run("jail", "-J", "/tmp/jids", "-c", "name=c", "path=/jails/c", "persist",
                       "host.hostname=c host", "ip4.addr=10.0.0.1,10.0.0.2")
    assert (rc, out, err) == (0, "", "")
    assert open(os.path.join(host, "tmp/jids")).read() == \
        'jid=1 name=c path=/jails/c persist host.hostname="c host" ip4.addr=10.0.0.1,10.0.0.2\n'
    assert run("jail", "-J", "/nonexistent/x", "-c", "name=d", "persist") == \
        (1, "", "jail: open /nonexistent/x: No such file or directory\n")


def test_jls_flag_order_skip_and_quoting(host, run):
    """jls.c: flags apply in order; -s skips read-only and non-"new" jailsys children; -q
    quotes with quoted_print."""
    make_base(host, "/jails/c")
    run("jail", "-c", "name=c", "path=/jails/c", "persist", "host.hostname=a b")
    assert run("jls", "-v", "-n", "name")[1] == "name=c\n"       # -n after -v wins
    assert run("jls", "-n", "-v", "name")[1].startswith("   JID  Hostname")
    assert run("jls", "-q", "host.hostname")[1] == '"a b"\n'
    out = run("jls", "-s")[1].split()
    assert "name=c" in out and not any(w.startswith(("dying", "nodying", "parent=",
                                                     "children.cur=", "cpuset.id=",
                                                     "ip4.addr=")) for w in out)
    assert "jid=1" in out
