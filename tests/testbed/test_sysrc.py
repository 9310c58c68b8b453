"""sysrc against a temp host root; cases follow usr.sbin/sysrc/tests/sysrc_test.sh."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


PKG_PARENT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "testbed")


def rcconf(root):
    with open(f"{root}/etc/rc.conf") as f:
        return f.read()


def test_get(tool):
    assert tool("sysrc", "hostname") == (0, "hostname: testbed\n", "")
    assert tool("sysrc", "-n", "jail_enable") == (0, "NO\n", "")
    assert tool("sysrc", "-e", "jail_enable") == (0, 'jail_enable="NO"\n', "")
    assert tool("sysrc", "jail_list") == (0, "jail_list: \n", "")


def test_unknown(tool):
    assert tool("sysrc", "noexist") == (1, "", "sysrc: unknown variable 'noexist'\n")
    assert tool("sysrc", "-n", "noexist") == (1, "", "sysrc: unknown variable 'noexist'\n")
    assert tool("sysrc", "hostname", "noexist") == (1, "hostname: testbed\n", "sysrc: unknown variable 'noexist'\n")
    assert tool("sysrc", "-q", "noexist") == (1, "", "")
    assert tool("sysrc", "-i", "noexist") == (1, "", "")
    assert tool("sysrc", "-x", "noexist") == (1, "", "sysrc: unknown variable 'noexist'\n")
    assert tool("sysrc", "-c", "noexist") == (1, "", "sysrc: unknown variable 'noexist'\n")


def test_set(tool, host_root):
    assert tool("sysrc", "test_enable=YES") == (0, "test_enable:  -> YES\n", "")
    assert tool("sysrc", "test_enable=YES") == (0, "test_enable: YES -> YES\n", "")
    assert tool("sysrc", "test_enable=NO") == (0, "test_enable: YES -> NO\n", "")
    assert tool("sysrc", "test2_enable=") == (0, "test2_enable:  -> \n", "")
    assert tool("sysrc", "jail_enable=YES") == (0, "jail_enable: NO -> YES\n", "")
    text = rcconf(host_root)
    assert 'test_enable="NO"\n' in text and 'jail_enable="YES"\n' in text
    assert text.count("test_enable=") == 1
    assert tool("sysrc", "-v", "pf_enable=YES") == (0, "/etc/rc.conf: pf_enable: NO -> YES\n", "")
    assert tool("sysrc", "-e", "pf_enable=NO") == (0, 'pf_enable="YES" # -> "NO"\n', "")


def test_append_remove(tool):
    assert tool("sysrc", "test_list+=item1") == (0, "test_list:  -> item1\n", "")
    assert tool("sysrc", "test_list+=item1") == (0, "test_list: item1 -> item1\n", "")
    assert tool("sysrc", "test_list+=item2") == (0, "test_list: item1 -> item1 item2\n", "")
    assert tool("sysrc", "test_list-=item2") == (0, "test_list: item1 item2 -> item1\n", "")
    assert tool("sysrc", "other_list-=item3") == (0, "other_list:  -> \n", "")
    assert tool("sysrc", "csv+=,a") == (0, "csv:  -> a\n", "")
    assert tool("sysrc", "csv+=,b") == (0, "csv: a -> a,b\n", "")
    assert tool("sysrc", "cloned_interfaces+=bridge0") == (0, "cloned_interfaces:  -> bridge0\n", "")


def test_check(tool):
    tool("sysrc", "test_enable=NO", "test_list=item1")
    assert tool("sysrc", "-c", "test_enable") == (0, "", "")
    assert tool("sysrc", "-c", "test_enable=NO") == (0, "", "")
    assert tool("sysrc", "-c", "test_enable=YES") == (1, "", "")
    assert tool("sysrc", "-c", "noexist=YES") == (1, "", "")
    assert tool("sysrc", "-c", "test_list+=item1") == (0, "", "")
    assert tool("sysrc", "-c", "test_list+=item3") == (1, "", "")
    assert tool("sysrc", "-c", "test_list-=item3") == (0, "", "")
    assert tool("sysrc", "-c", "test_list-=item1") == (1, "", "")


def test_delete(tool, host_root):
    tool("sysrc", "test1_enable=YES")
    assert tool("sysrc", "-x", "test1_enable") == (0, "", "")
    assert "test1_enable" not in rcconf(host_root)
    assert tool("sysrc", "test1_enable")[0] == 1


def test_file_option(tool, host_root):
    assert tool("sysrc", "-f", "/boot/loader.conf", "if_epair_load=YES") == (0, "if_epair_load:  -> YES\n", "")
    assert tool("sysrc", "-f", "/boot/loader.conf", "if_epair_load=YES") == (0, "if_epair_load: YES -> YES\n", "")
    assert 'if_epair_load="YES"' in open(f"{host_root}/boot/loader.conf").read()
    assert tool("sysrc", "-f", "/etc/new.conf", "a=1") == (0, "a:  -> 1\n", "")
    assert open(f"{host_root}/etc/new.conf").read() == 'a="1"\n'
    assert tool("sysrc", "-F", "hostname") == (0, "hostname: /etc/rc.conf\n", "")


def test_in_place_edit_keeps_quote_style(tool, host_root):
    with open(f"{host_root}/etc/rc.conf", "a") as f:
        f.write("foo='a b' # comment\nbar=baz\n")
    assert tool("sysrc", "foo=c") == (0, "foo: a b -> c\n", "")
    assert tool("sysrc", "bar=qux") == (0, "bar: baz -> qux\n", "")
    text = rcconf(host_root)
    assert "foo='c' # comment\n" in text and 'bar="qux"\n' in text


def test_bad_usage(tool):
    rc, out, err = tool("sysrc")
    assert rc == 1 and err.startswith("Usage: sysrc [OPTIONS] name[[+|-]=value] ...\n")
    assert tool("sysrc", "bad-name=1") == (1, "", "sysrc: bad-name: name contains characters not allowed in shell\n")
    assert tool("sysrc", "-j", "webserver", "x=1") == (1, "", 'jexec: jail "webserver" not found\n')


def test_all(tool):
    rc, out, _ = tool("sysrc", "-a")
    assert rc == 0 and "hostname: testbed\n" in out and "jail_enable" not in out
    rc, out, _ = tool("sysrc", "-A")
    assert rc == 0 and "jail_enable: NO\n" in out


def test_concurrent_appends_lose_nothing(host_root):
    code = ("import sys; sys.path.insert(0, %r); from freebsd_testbed.tools import dispatch; "
            "sys.exit(dispatch.main(sys.argv[1:]))" % PKG_PARENT)

    def one(i):
        return subprocess.run([sys.executable, "-SE", "-c", code, "sysrc", f"x_list+=item{i}"],
                              env={"TESTBED_ROOT": host_root}, capture_output=True).returncode

    with ThreadPoolExecutor(20) as ex:
        assert list(ex.map(one, range(20))) == [0] * 20
    env = {"TESTBED_ROOT": host_root}
    out = subprocess.run([sys.executable, "-SE", "-c", code, "sysrc", "-n", "x_list"], env=env,
                         capture_output=True, text=True).stdout.split()
    assert sorted(out) == sorted(f"item{i}" for i in range(20))


def test_A_lists_source_rc_confs_defined_sorted_like_sh_set(tool):
    """sysrc -A prints `set`'s variables after sourcing /etc/defaults/rc.conf, whose last
    block sets source_rc_confs_defined=yes; sh's showvars sorts "name=value" strings (strcoll,
    C locale) so "foo0" sorts before "foo" [SRC usr.sbin/sysrc/sysrc; bin/sh/var.c]."""
    tool("sysrc", "foo=1", "foo0=2")
    rc, out, err = tool("sysrc", "-A")
    lines = out.splitlines()
    assert rc == 0 and err == "" and "source_rc_confs_defined: yes" in lines
    assert lines.index("foo0: 2") < lines.index("foo: 1")
    assert lines == sorted(lines, key=lambda ln: ln.split(": ", 1)[0] + "=")
    rc, out, _ = tool("sysrc", "-a")
    assert "source_rc_confs_defined" not in out


def test_A_with_a_defaults_file_without_source_rc_confs(tool, host_root, monkeypatch, tmp_path):
    """[TEST usr.sbin/sysrc/tests/sysrc_test.sh A_flag]"""
    conf = "/tmp/sysrc_test.conf"
    os.makedirs(os.path.join(host_root, "tmp"), exist_ok=True)
    with open(os.path.join(host_root, "tmp/rc_defaults.conf"), "w") as f:
        f.write(f'rc_conf_files="{conf}"\ntest_enable="NO"\n')
    with open(os.path.join(host_root, conf.lstrip("/")), "w") as f:
        f.write('test_enable="YES"\n')
    monkeypatch.setenv("RC_DEFAULTS", "/tmp/rc_defaults.conf")
    assert tool("sysrc", "-A") == (0, f"rc_conf_files: {conf}\ntest_enable: NO\n",
                                   "/usr/sbin/sysrc: source_rc_confs: not found\n")


def test_R_with_missing_dir_is_chroots_error(tool):
    assert tool("sysrc", "-R", "/nonexistent", "x=1") == \
        (1, "", "chroot: /nonexistent: No such file or directory\n")
    assert tool("sysrc", "-R", "=", "a=") == (1, "", "chroot: =: No such file or directory\n")
