"""The simulated host's /etc/defaults/rc.conf is FreeBSD's libexec/rc/rc.conf, byte for byte
(testbed/freebsd_testbed/data/defaults_rc.conf), and every reader of the defaults copes with it.

Sources: usr.sbin/sysrc/sysrc ("Process `-a' or `-A'": clean_env, `. "$RC_DEFAULTS"`,
source_rc_confs, then `set` -- sh's showvars lists "name=value" sorted -- minus $EXCEPT),
usr.sbin/bsdconfig/share/sysrc.subr (f_sysrc_get, f_sysrc_desc's awk), libexec/rc/rc.conf.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess

import pytest

from freebsd_testbed import boot, provision
from freebsd_testbed.tools import service
from freebsd_testbed.tools.sysrc import parse_assignments

DATA = os.path.join(os.path.dirname(provision.__file__), "data", "defaults_rc.conf")


def _defaults_env() -> dict[str, str]:
    env: dict[str, str] = {}
    parse_assignments(provision.RC_DEFAULTS, env)
    return env


def _key(name: str) -> bytes:
    return (name + "=").encode()


def test_installed_file_is_the_data_file(host_root):
    real = os.path.join(host_root, "etc/defaults/rc.conf")
    with open(real, "rb") as f, open(DATA, "rb") as g:
        assert f.read() == g.read()
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o444     # libexec/rc/Makefile CONFSMODE
    text = provision.RC_DEFAULTS
    assert text.startswith("#!/bin/sh\n\n# This is rc.conf - a file full of useful variables")
    assert "source_rc_confs() {" in text and text.endswith(
        "if [ -r /etc/defaults/vendor.conf ]; then\n\t. /etc/defaults/vendor.conf\nfi\n")


def test_parser_matches_a_real_shell():
    """Sourcing the file with /bin/sh and listing `set` gives the same variables and values
    (the `$(/sbin/sysctl -n user.localbase)` substitution fails off FreeBSD, so _localbase
    falls back to /usr/local in both)."""
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("no /bin/sh")
    out = subprocess.run([sh, "-c", f'. "{DATA}"; set'], capture_output=True, text=True,
                         env={}, timeout=30).stdout
    shell: dict[str, str] = {}
    for m in re.finditer(r"^([A-Za-z_][A-Za-z0-9_]*)=('(?:[^']|'\\'')*'|\S*)$", out, re.M):
        v = m.group(2)
        if v.startswith("'"):
            v = v[1:-1].replace("'\\''", "'")
        shell[m.group(1)] = v
    ours = _defaults_env()
    for k in ("IFS", "OPTIND", "PATH", "PPID", "PS1", "PS2", "PS4", "PWD"):
        shell.pop(k, None)
    assert ours == shell


def test_values_from_the_real_file():
    env = _defaults_env()
    assert env["_localbase"] == "/usr/local"                 # : ${_localbase:=...}
    assert env["local_startup"] == "/usr/local/etc/rc.d"     # "${_localbase}/etc/rc.d"
    assert env["ldconfig_paths"] == "/usr/lib/compat /usr/local/lib /usr/local/lib/compat/pkg"
    assert env["rc_conf_files"] == "/etc/rc.conf /etc/rc.conf.local"
    assert env["source_rc_confs_defined"] == "yes"
    assert env["pf_fallback_rules"] == "block drop log all"   # not the commented multi-rule
    assert env["ntp_leapfile_expiry_days"] == "30"           # an unquoted value
    assert env["sendmail_enable"] == "NONE"
    # commented-out samples are not defaults; ports' rc scripts set their own *_enable
    for name in ("kld_list", "ifconfig_lo0", "rc_debug", "nginx_enable", "postgresql_enable",
                 "i", "sourced_files"):
        assert name not in env


def test_sysrc_A_lists_defaults_and_rc_conf_sorted(tool):
    rc, out, err = tool("sysrc", "-A")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    expect = dict(_defaults_env())
    expect.update({"hostname": "testbed", "ifconfig_vtnet0": "inet 192.168.1.10/24",
                   "defaultrouter": "192.168.1.1", "sshd_enable": "YES", "ntpd_enable": "YES",
                   "ntpd_sync_on_start": "YES", "moused_nondefault_enable": "NO",
                   "dumpdev": "AUTO", "zfs_enable": "YES"})
    names = sorted(expect, key=_key)
    assert lines == [f"{n}: {expect[n]}" for n in names]
    # byte order of "name=value": `_' (0x5f) sorts before the lower-case letters
    assert lines[:4] == ["_localbase: /usr/local", "accept_sourceroute: NO",
                         "accounting_enable: NO", "allscreens_flags: "]
    assert lines[-3:] == ["zfskeys_prompt_enable: NO", "zpool_reguid: ", "zpool_upgrade: "]
    # "ipv6_default_interface" < "ipv6_defaultrouter": '_' < 'r'
    assert names.index("ipv6_default_interface") < names.index("ipv6_defaultrouter")
    assert "source_rc_confs_defined: yes" in lines


def test_sysrc_A_name_and_equals_forms(tool):
    rc, out, _ = tool("sysrc", "-A", "-N")
    assert rc == 0 and out.splitlines()[:2] == ["_localbase", "accept_sourceroute"]
    rc, out, _ = tool("sysrc", "-A", "-e")
    assert rc == 0 and out.splitlines()[:2] == ['_localbase="/usr/local"', 'accept_sourceroute="NO"']
    assert 'hostname="testbed"' in out.splitlines()


def test_sysrc_a_lists_only_rc_conf(tool):
    assert tool("sysrc", "-a") == (0, "defaultrouter: 192.168.1.1\ndumpdev: AUTO\n"
                                      "hostname: testbed\nifconfig_vtnet0: inet 192.168.1.10/24\n"
                                      "moused_nondefault_enable: NO\nntpd_enable: YES\n"
                                      "ntpd_sync_on_start: YES\nsshd_enable: YES\nzfs_enable: YES\n", "")


def test_sysrc_queries(tool):
    assert tool("sysrc", "-n", "hostname") == (0, "testbed\n", "")
    assert tool("sysrc", "sshd_enable") == (0, "sshd_enable: YES\n", "")
    assert tool("sysrc", "-D", "sshd_enable") == (0, "sshd_enable: NO\n", "")
    assert tool("sysrc", "-D", "-n", "hostname") == (0, "\n", "")
    assert tool("sysrc", "-n", "local_startup") == (0, "/usr/local/etc/rc.d\n", "")
    assert tool("sysrc", "-n", "cron_enable", "syslogd_flags") == (0, "YES\n-s\n", "")
    assert tool("sysrc", "nginx_enable") == (1, "", "sysrc: unknown variable 'nginx_enable'\n")
    assert tool("sysrc", "-v", "sshd_enable", "cron_enable") == \
        (0, "/etc/rc.conf: sshd_enable: YES\n/etc/defaults/rc.conf: cron_enable: YES\n", "")


def test_sysrc_d_descriptions(tool):
    """f_sysrc_desc's awk: the comment after the value, joined with the following comment-only
    lines until a blank line, an assignment or a commented-out assignment."""
    rc, out, err = tool("sysrc", "-d", "sshd_enable", "early_late_divider", "dumpdev",
                        "pf_fallback_rules", "ipv6_activate_all_interfaces", "dnctl_enable")
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        "sshd_enable: Enable sshd",
        "early_late_divider: Script that separates early/late stages of the boot process.  "
        "Make sure you know the ramifications if you change this. See rc.conf(5) for more details.",
        "dumpdev: Device to crashdump to (device name, AUTO, or NO); this should be commented "
        "out here for stable branches to respect kenv.",
        "pf_fallback_rules: rules to load on pf ruleset failure",
        "ipv6_activate_all_interfaces: If NO, interfaces which have no corresponding "
        "$ifconfig_IF_ipv6 is marked as IFDISABLED for security reason.",
        "dnctl_enable: ",
    ]
    # a variable the defaults set through `: ${_localbase:=...}' has no `name=' line
    rc, out, _ = tool("sysrc", "-A", "-d")
    assert rc == 0 and out.splitlines()[:2] == [
        "_localbase: ", "accept_sourceroute: accept source routed packets to us"]


def test_sysrc_set_and_delete_with_full_defaults(tool, host_root):
    assert tool("sysrc", "nginx_enable=YES") == (0, "nginx_enable:  -> YES\n", "")
    assert tool("sysrc", "cron_enable=NO") == (0, "cron_enable: YES -> NO\n", "")
    with open(os.path.join(host_root, "etc/rc.conf")) as f:
        text = f.read()
    assert text.endswith('nginx_enable="YES"\ncron_enable="NO"\n')
    # a variable only in the defaults: known, nothing to delete, exit 0; defaults untouched
    assert tool("sysrc", "-x", "syslogd_enable") == (0, "", "")
    with open(os.path.join(host_root, "etc/defaults/rc.conf")) as f:
        assert f.read() == provision.RC_DEFAULTS


def test_other_readers_of_the_defaults(host_root):
    env = boot.rc_conf()
    assert env["hostname"] == "testbed" and env["cron_enable"] == "YES"
    assert env["local_startup"] == "/usr/local/etc/rc.d"
    from freebsd_testbed import pkgdb
    v = service.rc_vars(pkgdb.Root("/"))
    assert v["sshd_enable"] == "YES" and v["syslogd_enable"] == "YES"
    assert "nginx_enable" not in v


def test_populate_replaces_only_the_old_subset(tmp_path, monkeypatch):
    import hashlib
    old = "#!/bin/sh\n# the subset an earlier testbed wrote\nsshd_enable=\"NO\"\n"
    monkeypatch.setattr(provision, "_OLD_RC_DEFAULTS_SHA256",
                        {hashlib.sha256(old.encode()).hexdigest()})
    root = str(tmp_path)
    path = os.path.join(root, "etc/defaults/rc.conf")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as f:
        f.write(old)
    os.chmod(path, 0o444)
    provision.populate(root)
    with open(path) as f:
        assert f.read() == provision.RC_DEFAULTS
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    # any other content (an admin's edit) is left alone
    os.chmod(path, 0o644)
    with open(path, "w") as f:
        f.write(old + "# edited\n")
    provision.populate(root)
    with open(path) as f:
        assert f.read() == old + "# edited\n"
