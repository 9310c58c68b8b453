"""Source-derived fidelity checks for kldload/kldstat/kldunload, sysctl, service/rc.subr,
cpuset and rctl (each assertion names the FreeBSD source it comes from)."""
from __future__ import annotations

import os
import re

import pytest

from freebsd_testbed import boot


# ------------------------------------------------------------------ kld (sbin/kld*, kern_linker.c)

def test_kldunload_usage_exits_ex_usage(tool):
    # sbin/kldunload/kldunload.c usage(): exit(EX_USAGE)
    assert tool("kldunload") == (64, "", "usage: kldunload [-fv] -i id ...\n"
                                         "       kldunload [-fv] [-n] name ...\n")
    rc, _, err = tool("kldunload", "-z", "x")
    assert rc == 64 and err.startswith("kldunload: illegal option -- z\nusage:")


def test_kldunload_errors_and_ids(tool):
    # errx(EXIT_FAILURE, "can't find file %s"): no errno text
    assert tool("kldunload", "nosuch") == (1, "", "kldunload: can't find file nosuch\n")
    # -i: atoi(); id 0 reaches kldunloadf() -> ENOENT
    rc, _, err = tool("kldunload", "-i", "abc")
    assert (rc, err) == (1, "kldunload: can't unload file: No such file or directory\n")
    # a negative id: errx(..., "Invalid ID %s", optarg) with optarg NULL
    assert tool("kldunload", "-i", "--", "-5") == (1, "", "kldunload: Invalid ID (null)\n")
    assert tool("kldload", "if_epair")[0] == 0
    fid = re.search(r"^ *(\d+) .* if_epair\.ko$", tool("kldstat")[1], re.M).group(1)
    assert tool("kldunload", "-v", "-i", fid) == (0, f"Unloading if_epair.ko, id={fid}\n", "")


def test_kld_file_ids_are_not_reused(tool):
    # LINKER_GET_NEXT_FILE_ID(): next_file_id only moves forward, past ids still in use
    rc, out, _ = tool("kldload", "-v", "if_epair")
    first = int(out.split("id=")[1])
    assert tool("kldload", "-v", "nullfs")[1] == f"Loaded nullfs, id={first + 1}\n"
    assert tool("kldunload", "if_epair")[0] == 0
    assert tool("kldload", "-v", "if_epair")[1] == f"Loaded if_epair, id={first + 2}\n"


def test_kld_dependency_refs_and_order(tool):
    # linker_load_file(): the file gets its id before linker_load_dependencies() loads bridgestp
    tool("kldload", "if_bridge")
    out = tool("kldstat")[1]
    ids = {ln.split()[-1]: int(ln.split()[0]) for ln in out.splitlines()[1:]}
    assert ids["bridgestp.ko"] == ids["if_bridge.ko"] + 1
    # a dependency loaded for another file starts with refs 1 (no refs++ on that path)
    assert re.search(r"^ *\d+ +1 0x[0-9a-f]+ +[0-9a-f]+ bridgestp\.ko$", out, re.M)
    # ... and without a user reference: kern_kldunload() -> EBUSY
    assert tool("kldunload", "bridgestp") == (1, "", "kldunload: can't unload file: Device busy\n")


def test_kld_user_loaded_dependency_only_drops_a_reference(tool):
    # kern_kldunload(): userrefs--, then linker_file_unload()'s "easy case": refs > 1 -> refs--
    tool("kldload", "bridgestp")
    tool("kldload", "if_bridge")
    assert re.search(r" 2 0x[0-9a-f]+ +[0-9a-f]+ bridgestp\.ko", tool("kldstat")[1])
    assert tool("kldunload", "bridgestp") == (0, "", "")
    assert "bridgestp.ko" in tool("kldstat")[1]          # still referenced by if_bridge
    assert tool("kldunload", "if_bridge")[0] == 0
    assert "bridgestp.ko" not in tool("kldstat")[1]      # its last reference went with it


def test_kldload_n_and_verbose(tool):
    # sbin/kldload/kldload.c: -n makes EEXIST a success; -v then prints "%s is already loaded"
    assert tool("kldload", "-n", "if_vlan") == (0, "", "")
    assert tool("kldload", "-nv", "if_vlan") == (0, "if_vlan is already loaded\n", "")
    assert tool("kldload", "-q", "if_vlan") == (1, "", "")


def test_kldstat_options(tool):
    # sbin/kldstat/kldstat.c: -i strtoul() with a full match, else usage
    rc, _, err = tool("kldstat", "-i", "1x")
    assert rc == 1 and err.startswith("usage: kldstat [-dhqv] [-i id] [-n filename]\n")
    rc, out, err = tool("kldstat", "-i", "999")
    assert rc == 1 and out == "Id Refs Address                Size Name\n"
    assert err == "kldstat: can't stat file id 999: No such file or directory\n"
    assert tool("kldstat", "-q", "-n", "kernel") == (0, "", "")
    # -h: humanize_number(buf, 5, ...) -> header "%5s"
    out = tool("kldstat", "-h", "-i", "1")[1]
    assert out.splitlines()[0] == "Id Refs Address             Size Name"
    assert re.fullmatch(r" 1 +\d+ 0xffffffff80200000 +\d+M kernel", out.splitlines()[1])
    out = tool("kldstat", "-v", "-n", "zfs")[1]
    assert "\tContains modules:\n\t\t Id Name\n" in out and "(/boot/kernel/zfs.ko)" in out
    out = tool("kldstat", "-d", "-m", "zfs")[1]
    assert out.splitlines()[0] == "Id  Refs Name data..(int, uint, ulong)"


def test_humanize_number():
    from freebsd_testbed.tools.kldstat import humanize_number
    assert humanize_number(0x539C, 5) == "21K"
    assert humanize_number(536870912, 6) == "512M"
    assert humanize_number(2147483648, 6) == "2048M"
    assert humanize_number(1536, 6) == "1536"
    assert humanize_number(999, 5) == "999"
    assert humanize_number(5 * 1024 * 1024 * 1024 * 1024, 5) == "5.0T"


# ------------------------------------------------------------------ sysctl (sbin/sysctl/sysctl.c)

def test_sysctl_value_parsing(tool):
    # parse(): '=' or ':' separate name and value; blanks and a pair of quotes are stripped
    assert tool("sysctl", "kern.hostname:web1") == (0, "kern.hostname: testbed -> web1\n", "")
    assert tool("sysctl", "kern.hostname= 'db1'") == (0, "kern.hostname: web1 -> db1\n", "")
    # parse_numeric(): strtol(..., 0): octal and hex
    assert tool("sysctl", "-n", "kern.maxfiles=010") == (0, "129015 -> 8\n", "")
    assert tool("sysctl", "-e", "kern.maxfiles=0x10") == (0, "kern.maxfiles=8 -> 16\n", "")
    assert tool("sysctl", "kern.maxfiles=") == (1, "", "sysctl: empty numeric value\n")
    assert tool("sysctl", "kern.maxfiles=12abc") == (1, "", "sysctl: invalid integer '12abc'\n")


def test_sysctl_nodes_and_errors(tool):
    assert tool("sysctl", "kern.features=1") == (1, "", "sysctl: oid 'kern.features' isn't a leaf node\n")
    rc, out, _ = tool("sysctl", "kern.features.")      # name2oid() ignores one trailing '.'
    assert rc == 0 and out.startswith("kern.features.")
    assert tool("sysctl", "kern.features..")[0] == 1
    rc, out, _ = tool("sysctl", "-d", "kern.features")
    assert out.splitlines()[0] == "kern.features: Kernel Features"
    assert tool("sysctl", "-N", "kern.ostype") == (0, "kern.ostype\n", "")
    assert tool("sysctl", "-Nn", "kern.ostype")[0] == 1   # Nflag with nflag: usage
    rc, _, err = tool("sysctl", "-T", "kern.maxfiles=1")
    assert rc == 1 and err.startswith("sysctl: Can't set variables when using -T or -W\nusage:")
    # the kernel handler's error: the old value is printed first, then warnc(errno, string)
    assert tool("sysctl", "kern.securelevel=-5") == (
        1, "kern.securelevel: -1\n", "sysctl: kern.securelevel=-5: Operation not permitted\n")


def test_sysctl_output_flags(tool):
    assert tool("sysctl", "-x", "hw.ncpu") == (0, "hw.ncpu: 0x00000004\n", "")
    assert tool("sysctl", "-t", "hw.physmem") == (0, "hw.physmem: long integer\n", "")
    assert tool("sysctl", "-l", "kern.ostype") == (0, "kern.ostype: 8: FreeBSD\n", "")
    assert tool("sysctl", "-F", "kern.ostype") == (0, "kern.ostype: A\n", "")
    rc, out, _ = tool("sysctl", "-a")
    assert out.startswith("kern.ostype: FreeBSD\nkern.osrelease: 15.0-RELEASE\n")


def test_sysctl_f_file(tool, host_root):
    # parsefile(): comments, blank lines, " at line N"; a missing file is err(EX_NOINPUT)
    with open(f"{host_root}/etc/t.conf", "w") as fh:
        fh.write("# comment\nkern.maxfiles=100 # trailing\nfoo.bar=1\n\nkern.ostype=x\n")
    assert tool("sysctl", "-f", "/etc/t.conf") == (
        2, "kern.maxfiles: 129015 -> 100\n",
        "sysctl: unknown oid 'foo.bar' at line 3\nsysctl: oid 'kern.ostype' is read only at line 5\n")
    assert tool("sysctl", "-f", "/nonexistent") == (
        66, "", "sysctl: /nonexistent: No such file or directory\n")


# ------------------------------------------------------------------ service / rc.subr

def test_service_options(tool):
    # bin/sh getopts: "Illegal option -x" on stderr; service.sh prints usage on stdout, exit 1
    rc, out, err = tool("service", "-z")
    assert (rc, err) == (1, "Illegal option -z\n") and out.startswith("\nUsage:\n")
    rc, out, err = tool("service", "-j")
    assert (rc, err) == (1, "No arg for -j option\n")
    rc, out, _ = tool("service", "-h")
    assert rc == 0 and out.startswith("\nUsage:\n")
    rc, out, _ = tool("service", "-lv")
    assert rc == 0 and out.startswith("From /etc/rc.d:\n")
    assert "From /usr/local/etc/rc.d:\n" in out
    rc, out, _ = tool("service", "sshd")        # [ $# -gt 1 ] fails: usage
    assert rc == 1 and out.startswith("\nUsage:\n")
    rc, out, _ = tool("service", "nosuch", "start")
    assert (rc, out) == (1, "nosuch does not exist in /etc/rc.d or the local startup\n"
                            "directories (/usr/local/etc/rc.d), or is not executable\n")


def test_rc_subr_directives(tool):
    # run_rc_command(): the prefix is stripped before "unknown directive"; rc_usage on stderr
    rc, out, err = tool("service", "sshd", "onefoo")
    assert rc == 1 and err.startswith("/etc/rc.d/sshd: unknown directive 'foo'.\n"
                                      "Usage: /etc/rc.d/sshd [fast|force|one|quiet](start|stop|")
    rc, out, err = tool("service", "sshd", "one")     # empty rc_arg: rc_usage only
    assert rc == 1 and err.startswith("Usage: /etc/rc.d/sshd [fast|force|one|quiet](")


def test_rc_subr_rcvar_gate(tool, host_root):
    with open(f"{host_root}/etc/rc.conf", "a") as fh:
        fh.write('sshd_enable="NO"\n')
    # status is exempt from the rcvar check; disable and extracommands are not
    assert tool("service", "sshd", "status")[0] in (0, 1)
    assert tool("service", "sshd", "disable") == (
        0, "Cannot 'disable' sshd. Set sshd_enable to YES in /etc/rc.conf or use "
           "'onedisable' instead of 'disable'.\n", "")
    tool("service", "sshd", "onestop")
    # quiet (and fast) return 0 silently
    assert tool("service", "sshd", "quietstart") == (0, "", "")
    assert tool("service", "sshd", "onestart") == (0, "Starting sshd.\n", "")
    rc, out, err = tool("service", "sshd", "onestart")
    assert rc == 1 and re.fullmatch(r"sshd already running\?  \(pid=\d+\)\.\n", err)
    assert tool("service", "sshd", "fastonestart")[0] in (0, 1)
    # stop with a pid is exempt from the gate; "Stopping" is a plain echo
    rc, out, _ = tool("service", "sshd", "quietstop")
    assert rc == 0 and out.startswith("Stopping sshd.\n")
    assert tool("service", "sshd", "faststop") == (0, "", "")   # fast: not running -> 0


# ------------------------------------------------------------------ cpuset / rctl with a jail

@pytest.fixture
def jrun(tool, host_root):
    from jail_helpers import make_base
    make_base(host_root, "/jails/w")
    assert tool("jail", "-c", "name=webserver", "path=/jails/w", "persist")[0] == 0
    return tool


def test_cpuset_source_behaviour(jrun):
    tool = jrun
    # parselist(): errx(EXIT_FAILURE, "Malformed list %s") / "List entry %d exceeds maximum of %d"
    assert tool("cpuset", "-l", "0-", "-j", "1") == (1, "", "cpuset: Malformed list 0-\n")
    assert tool("cpuset", "-l", "2000", "-j", "1") == (
        1, "", "cpuset: List entry 2000 exceeds maximum of 1023\n")
    # cpuset_modify(): a jail mask must be a subset of the parent's root set -> EINVAL
    assert tool("cpuset", "-l", "5", "-j", "webserver") == (
        1, "", "cpuset: setaffinity: Invalid argument\n")
    assert tool("cpuset", "-l", "1,3", "-j", "webserver") == (0, "", "")
    assert tool("cpuset", "-g", "-j", "webserver") == (
        0, "jail 1 mask: 1, 3\njail 1 domain policy: first-touch mask: 0\n", "")
    # -g -i: printsetid(), level "cpuset"
    rc, out, _ = tool("cpuset", "-g", "-i", "-j", "1")
    assert rc == 0 and re.fullmatch(r"jail 1 cpuset id: \d+\n", out)
    assert tool("cpuset", "-g")[1].splitlines()[0] == "pid -1 mask: 0, 1, 2, 3"
    # usage cases: -g with -l, two identities, -r without -g, a command with -j
    for argv in (("-g", "-l", "0"), ("-g", "-j", "1", "-p", "1"), ("-r", "-l", "0", "-j", "1"),
                 ("-l", "0", "-j", "1", "true")):
        rc, out, err = tool("cpuset", *argv)
        assert rc == 1 and err.startswith("usage: cpuset"), argv
    # execvp failure: err(127, "%s", cmd)
    assert tool("cpuset", "-l", "0", "/nonexistent/cmd") == (
        127, "", "cpuset: /nonexistent/cmd: No such file or directory\n")


def _enable_racct(host_root):
    with open(os.path.join(host_root, "boot/loader.conf"), "a") as fh:
        fh.write('kern.racct.enable="1"\n')
    boot.boot()


def test_rctl_source_behaviour(tool, host_root):
    # disabled: the syscall's ENOSYS -> enosys(); a malformed rule is rejected before that
    assert tool("rctl", "-a", "nosubject") == (
        1, "", "rctl: malformed rule 'nosubject': missing subject\n")
    assert tool("rctl", "-u", "jail:x") == (
        1, "", "rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n")
    _enable_racct(host_root)
    assert tool("rctl", "-a") == (1, "", "usage: rctl [ -h ] [-a rule | -l filter | -r filter "
                                         "| -u filter | filter]\n")
    assert tool("rctl", "-a", "-r", "jail:x") == (
        1, "", "rctl: at most one of -a, -l, -r, or -u may be specified\n")
    # every operand is a rule; the exit status counts the failures
    rc, out, err = tool("rctl", "-a", "jail:web:maxproc:deny=10", "jail:web:bogus:deny=1",
                        "jail:web:openfiles:deny=2k")
    assert (rc, err) == (1, "rctl: failed to add rule 'jail:web:bogus:deny=1': Invalid argument\n")
    assert tool("rctl", "-a", "jail:web:cputime:deny=10") == (
        1, "", "rctl: failed to add rule 'jail:web:cputime:deny=10': Operation not supported\n")
    assert tool("rctl", "-a", "jail:web:memoryuse:deny=1x") == (
        1, "", "rctl: malformed rule 'jail:web:memoryuse:deny=1x': invalid numeric value '1x'\n")
    # newest first (LIST_INSERT_HEAD); a deny rule replaces the one differing only in amount
    assert tool("rctl", "-a", "j:web:maxproc:deny=20")[0] == 0
    assert tool("rctl") == (0, "jail:web:maxproc:deny=20\njail:web:openfiles:deny=2048\n", "")
    assert tool("rctl", "-h", "jail:web:openfiles") == (0, "jail:web:openfiles:deny=2048\n", "")
    # -u: one line per resource; an unknown jail name gets an empty prison_racct
    rc, out, _ = tool("rctl", "-u", "jail:nosuchjail")
    assert rc == 0 and out.splitlines()[0] == "cputime=0" and len(out.splitlines()) == 25
    assert tool("rctl", "-u", "jail:") == (
        1, "", "rctl: failed to show resource consumption for 'jail:': Invalid argument\n")
    assert tool("rctl", "-l", "jail:web") == (
        1, "", "rctl: failed to get limits for 'jail:web': Operation not supported\n")
    assert tool("rctl", "-r", "jail:other") == (
        1, "", "rctl: failed to remove rule 'jail:other': No such process\n")
    assert tool("rctl", "-r", "jail:web") == (0, "", "")
    assert tool("rctl") == (0, "", "")


def test_rctl_user_subject(tool, host_root):
    _enable_racct(host_root)
    # expand_rule(): user names resolve to uids; humanize_ids() prints names unless -n
    assert tool("rctl", "-a", "user:www:maxproc:deny=5")[0] == 0
    assert tool("rctl") == (0, "user:www:maxproc:deny=5\n", "")
    assert tool("rctl", "-n") == (0, "user:80:maxproc:deny=5\n", "")
    assert tool("rctl", "-a", "u:nosuchuser:maxproc:deny=1") == (
        1, "", "rctl: malformed rule 'u:nosuchuser:maxproc:deny=1': unknown user 'nosuchuser'\n")
