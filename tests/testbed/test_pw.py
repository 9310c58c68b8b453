"""pw(8) [SRC usr.sbin/pw]: users and groups in master.passwd / passwd / group, on the host,
with -V / -R, and inside a jail through jexec."""
from __future__ import annotations

import contextlib
import os
import stat
from typing import Iterator

import pytest

from jail_helpers import make_base


def _read(root: str, path: str) -> str:
    with open(os.path.join(root, path.lstrip("/")), encoding="utf-8") as f:
        return f.read()


def _last(root: str, path: str) -> str:
    return _read(root, path).splitlines()[-1]


def _mode(root: str, path: str) -> int:
    return stat.S_IMODE(os.stat(os.path.join(root, path.lstrip("/"))).st_mode)


@contextlib.contextmanager
def _fd_with(data: bytes) -> Iterator[str]:
    """A pipe's read end holding ``data`` (then EOF), as the -h / -H argument."""
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    try:
        yield str(r)
    finally:
        os.close(r)


# ------------------------------------------------------------------------------ add / show

def test_useradd_defaults_and_file_formats(host, run_cmd):
    assert run_cmd("pw", "useradd", "alice") == (0, "", "")
    line = "alice:*:1001:1001::0:0:User &:/home/alice:/bin/sh\n"
    assert run_cmd("pw", "usershow", "alice") == (0, line, "")
    mp = _last(host, "/etc/master.passwd").split(":")
    assert len(mp) == 10 and mp[0] == "alice"
    pw = _last(host, "/etc/passwd").split(":")
    assert pw == ["alice", "*", "1001", "1001", "User &", "/home/alice", "/bin/sh"]
    assert _last(host, "/etc/group") == "alice:*:1001:"
    # the stock entries are there, and every passwd line has 7 fields, master.passwd 10
    assert "root:*:0:0:Charlie &:/root:/bin/sh" in _read(host, "/etc/passwd")
    for path, n in (("/etc/master.passwd", 10), ("/etc/passwd", 7), ("/etc/group", 4)):
        for ln in _read(host, path).splitlines():
            if ln and not ln.startswith("#"):
                assert len(ln.split(":")) == n, (path, ln)
    assert _mode(host, "/etc/master.passwd") == 0o600
    assert _mode(host, "/etc/passwd") == 0o644 and _mode(host, "/etc/group") == 0o644
    # show by uid, v7 format, two-word form, pretty form
    assert run_cmd("pw", "usershow", "1001")[1] == line
    assert run_cmd("pw", "user", "show", "alice", "-7") == \
        (0, "alice:*:1001:1001:User &:/home/alice:/bin/sh\n", "")
    assert run_cmd("pw", "usershow", "-P", "alice") == (65, "", "pw: username or id required\n")
    rc, out, _ = run_cmd("pw", "usershow", "alice", "-P")
    assert rc == 0 and out.startswith("Login Name: alice             #1001         Group: alice")
    assert " Full Name: User Alice\n" in out


def test_uid_and_gid_allocation(host, run_cmd):
    assert run_cmd("pw", "user", "add", "alice")[0] == 0
    assert run_cmd("pw", "useradd", "bob", "-c", "Bob B")[0] == 0
    assert run_cmd("pw", "usershow", "bob")[1] == \
        "bob:*:1002:1002::0:0:Bob B:/home/bob:/bin/sh\n"
    assert run_cmd("pw", "groupadd", "staff2", "-g", "1003") == (0, "", "")
    # uid 1003, but gid 1003 is taken: the next free gid
    assert run_cmd("pw", "useradd", "carol")[0] == 0
    assert run_cmd("pw", "usershow", "carol")[1].startswith("carol:*:1003:1004:")
    assert run_cmd("pw", "useradd", "dave", "-u", "2000", "-g", "wheel", "-d", "/var/dave",
                   "-s", "/bin/csh")[0] == 0
    assert run_cmd("pw", "usershow", "dave")[1] == \
        "dave:*:2000:0::0:0:User &:/var/dave:/bin/csh\n"
    assert run_cmd("pw", "usernext") == (0, "2001:1005\n", "")
    assert run_cmd("pw", "groupnext") == (0, "1005\n", "")


def test_useradd_G_adds_memberships(host, run_cmd):
    assert run_cmd("pw", "useradd", "alice", "-G", "wheel,operator")[0] == 0
    grp = _read(host, "/etc/group")
    assert "wheel:*:0:root,alice\n" in grp and "operator:*:5:root,alice\n" in grp
    rc, out, _ = run_cmd("pw", "usershow", "alice", "-P")
    assert out.endswith("    Groups: wheel,operator\n")


def test_useradd_errors(host, run_cmd, monkeypatch):
    assert run_cmd("pw", "useradd", "alice")[0] == 0
    assert run_cmd("pw", "useradd", "alice") == (65, "", "pw: login name `alice' already exists\n")
    assert run_cmd("pw", "useradd", "bob", "-g", "nosuch") == \
        (67, "", "pw: group `nosuch' does not exist\n")
    assert run_cmd("pw", "useradd", "bob", "-G", "wheel,nosuch") == \
        (67, "", "pw: group `nosuch' does not exist\n")
    assert run_cmd("pw", "useradd", "bo:b") == \
        (65, "", "pw: invalid character `:' at position 2 in userid/group name\n")
    assert run_cmd("pw", "useradd", "-bob")[0] != 0
    assert run_cmd("pw", "useradd", "-n", "-bob") == \
        (65, "", "pw: invalid character `-' at position 0 in userid/group name\n")
    assert run_cmd("pw", "useradd", "x" * 33) == \
        (64, "", f"pw: name too long `{'x' * 33}' (max is 32)\n")
    assert run_cmd("pw", "useradd", "x" * 32)[0] == 0
    assert run_cmd("pw", "useradd", "bob", "-u", "1001") == \
        (65, "", "pw: uid `1001' has already been allocated\n")
    assert run_cmd("pw", "useradd", "bob", "-u", "abc") == (64, "", "pw: Bad id 'abc': invalid\n")
    assert run_cmd("pw", "useradd", "bob", "-c", "a:b") == \
        (65, "", "pw: invalid character `:' at position 1 in gecos field\n")
    assert run_cmd("pw", "useradd", "bob", "-w", "maybe") == \
        (1, "", "pw: Invalid value for default password\n")
    assert run_cmd("pw", "useradd") == (65, "", "pw: user name or id required\n")
    assert run_cmd("pw", "useradd", "-u", "5000") == (65, "", "pw: login name required\n")
    # -o: a duplicate uid is fine; -q: no message, same status
    assert run_cmd("pw", "useradd", "toor2", "-u", "0", "-o") == \
        (0, "", "pw: WARNING: new account `toor2' has a uid of 0 (superuser access!)\n")
    assert run_cmd("pw", "useradd", "alice", "-q") == (65, "", "")
    # -q takes effect after the switches are parsed (freopen after the getopt loop)
    assert run_cmd("pw", "useradd", "-q", "-n", "bo:b") == \
        (65, "", "pw: invalid character `:' at position 2 in userid/group name\n")
    # getopt's own diagnostic; pw's switch ignores the '?'
    assert run_cmd("pw", "useradd", "carol", "-Z") == (0, "", "pw: illegal option -- Z\n")
    monkeypatch.setenv("TESTBED_USER", "alice")
    assert run_cmd("pw", "useradd", "eve") == (77, "", "pw: you must be root\n")
    assert run_cmd("pw", "usershow", "alice")[0] == 0      # showing needs no root


def test_usershow_errors(host, run_cmd):
    assert run_cmd("pw", "usershow", "nosuch") == (67, "", "pw: no such user `nosuch'\n")
    assert run_cmd("pw", "usershow", "4242") == (67, "", "pw: no such uid `4242'\n")
    assert run_cmd("pw", "usershow") == (65, "", "pw: username or id required\n")
    assert run_cmd("pw", "usershow", "nosuch", "-F") == \
        (0, "nouser:*:4294967295:4294967295::0:0:User &:/nonexistent:/bin/sh\n", "")
    rc, out, _ = run_cmd("pw", "usershow", "-a")
    assert rc == 0 and out.splitlines()[0] == "root:*:0:0::0:0:Charlie &:/root:/bin/sh"


def test_usage_and_keywords(host, run_cmd):
    rc, out, err = run_cmd("pw")
    assert (rc, out) == (1, "") and err == ("usage:\n  pw [user|group|lock|unlock] "
                                            "[add|del|mod|show|next] [help|switches/values]\n")
    assert run_cmd("pw", "user")[2].startswith("usage:\n  pw user [add|del|mod|show|next]")
    assert run_cmd("pw", "frob") == (64, "", "pw: unknown keyword `frob'\n")
    rc, out, err = run_cmd("pw", "usermod", "help")
    assert rc == 1 and err.startswith("usage: pw usermod [uid|name] [switches]\n")


# ------------------------------------------------------------------------------ mod / del

def test_usermod(host, run_cmd):
    assert run_cmd("pw", "useradd", "alice", "-G", "wheel")[0] == 0
    assert run_cmd("pw", "usermod", "alice", "-c", "Alice A", "-s", "/bin/csh", "-d",
                   "/home/alice2", "-L", "staff") == \
        (0, "", "pw: WARNING: home `/home/alice2' does not exist\n")
    assert run_cmd("pw", "usershow", "alice")[1] == \
        "alice:*:1001:1001:staff:0:0:Alice A:/home/alice2:/bin/csh\n"
    assert _last(host, "/etc/passwd") == "alice:*:1001:1001:Alice A:/home/alice2:/bin/csh"
    # -G replaces the supplementary groups; -l renames (memberships follow)
    assert run_cmd("pw", "usermod", "alice", "-G", "operator")[0] == 0
    grp = _read(host, "/etc/group")
    assert "wheel:*:0:root\n" in grp and "operator:*:5:root,alice\n" in grp
    assert run_cmd("pw", "usermod", "alice", "-l", "alicia", "-g", "wheel")[0] == 0
    assert run_cmd("pw", "usershow", "alicia")[1].startswith("alicia:*:1001:0:")
    assert "operator:*:5:root,alicia\n" in _read(host, "/etc/group")
    assert run_cmd("pw", "usershow", "alice")[0] == 67
    assert run_cmd("pw", "usermod", "nosuch", "-c", "x") == (67, "", "pw: no such user `nosuch'\n")
    assert run_cmd("pw", "usermod", "root", "-l", "boss") == \
        (65, "", "pw: can't rename `root' account\n")
    assert run_cmd("pw", "usermod", "alicia", "-w", "none")[0] == 0
    assert run_cmd("pw", "usershow", "alicia")[1].startswith("alicia::1001:")
    assert run_cmd("pw", "usermod", "alicia", "-h", "-")[0] == 0
    assert run_cmd("pw", "usershow", "alicia")[1].startswith("alicia:*:1001:")


def test_userdel(host, run_cmd):
    assert run_cmd("pw", "useradd", "alice", "-m", "-G", "wheel")[0] == 0
    assert os.path.isdir(os.path.join(host, "home/alice"))
    assert run_cmd("pw", "userdel", "alice", "-r") == (0, "", "")
    assert "alice" not in _read(host, "/etc/master.passwd")
    assert "alice" not in _read(host, "/etc/passwd")
    assert "alice" not in _read(host, "/etc/group")           # own group and memberships
    assert not os.path.exists(os.path.join(host, "home/alice"))
    assert run_cmd("pw", "userdel", "alice") == (67, "", "pw: no such user `alice'\n")
    assert run_cmd("pw", "user", "del", "root") == (65, "", "pw: cannot remove user 'root'\n")
    assert run_cmd("pw", "userdel") == (65, "", "pw: username or id required\n")


def test_lock_unlock(host, run_cmd):
    assert run_cmd("pw", "useradd", "alice")[0] == 0
    assert run_cmd("pw", "lock", "alice") == (0, "", "")
    assert run_cmd("pw", "usershow", "alice")[1].startswith("alice:*LOCKED**:1001:")
    assert run_cmd("pw", "lock", "alice") == (65, "", "pw: user 'alice' is already locked\n")
    assert run_cmd("pw", "unlock", "alice") == (0, "", "")
    assert run_cmd("pw", "unlock", "alice") == (65, "", "pw: user 'alice' is not locked\n")
    assert run_cmd("pw", "lock", "4242") == (67, "", "pw: no such user `4242'\n")
    # pw_userlock's message for an unknown name prints the "no id" value (uid_t)-1
    assert run_cmd("pw", "lock", "nosuch") == (67, "", "pw: no such name or uid `4294967295'\n")


# ------------------------------------------------------------------------------ homes

def test_m_creates_home_from_skel(host, run_cmd):
    skel = os.path.join(host, "usr/share/skel")
    os.makedirs(skel)
    with open(os.path.join(skel, "dot.profile"), "w") as f:
        f.write("PATH=/bin\n")
    os.chmod(os.path.join(skel, "dot.profile"), 0o644)
    old = os.umask(0o022)
    try:
        assert run_cmd("pw", "useradd", "alice", "-m") == (0, "", "")
        assert run_cmd("pw", "useradd", "bob", "-m", "-M", "700") == (0, "", "")
    finally:
        os.umask(old)
    home = os.path.join(host, "home/alice")
    assert os.path.islink(os.path.join(host, "home"))           # /home -> usr/home
    assert os.readlink(os.path.join(host, "home")) == "usr/home"
    st = os.stat(home)
    assert stat.S_IMODE(st.st_mode) == 0o755 and (st.st_uid, st.st_gid) == (1001, 1001)
    prof = os.stat(os.path.join(home, ".profile"))
    assert (prof.st_uid, stat.S_IMODE(prof.st_mode)) == (1001, 0o644)
    assert _mode(host, "/home/bob") == 0o700
    assert run_cmd("pw", "useradd", "carol", "-m", "-k", "/nonexistent") == \
        (72, "", "pw: skeleton `/nonexistent' does not exists\n")
    assert run_cmd("pw", "useradd", "carol", "-k", "") == (72, "", "pw: skeleton `' does not exists\n")
    assert run_cmd("pw", "useradd", "carol", "-M", "rwx") == \
        (65, "", "pw: invalid directory creation mode 'rwx'\n")


# ------------------------------------------------------------------------------ groups

def test_groups(host, run_cmd):
    assert run_cmd("pw", "groupadd", "devs") == (0, "", "")
    assert run_cmd("pw", "groupshow", "devs") == (0, "devs:*:1001:\n", "")
    assert run_cmd("pw", "groupadd", "devs") == (65, "", "pw: group name `devs' already exists\n")
    assert run_cmd("pw", "groupadd") == (65, "", "pw: group name required\n")
    assert run_cmd("pw", "groupadd", "ops", "-g", "5") == \
        (65, "", "pw: gid `5' has already been allocated\n")
    assert run_cmd("pw", "groupadd", "ops", "-M", "nosuch") == \
        (67, "", "pw: user `nosuch' does not exist\n")
    assert run_cmd("pw", "useradd", "alice")[0] == 0
    assert run_cmd("pw", "groupmod", "devs", "-m", "alice,root") == (0, "", "")
    assert run_cmd("pw", "groupshow", "1001") == (0, "devs:*:1001:alice,root\n", "")
    assert run_cmd("pw", "groupmod", "devs", "-d", "root", "-l", "dev") == (0, "", "")
    assert run_cmd("pw", "group", "show", "dev", "-P") == \
        (0, "Group Name: dev               #1001\n   Members: alice\n\n", "")
    assert run_cmd("pw", "groupshow", "devs") == (65, "", "pw: unknown group `devs'\n")
    assert run_cmd("pw", "groupshow", "4242") == (65, "", "pw: unknown gid `4242'\n")
    assert run_cmd("pw", "groupshow", "devs", "-F") == (0, "nogroup:*:4294967295:\n", "")
    assert run_cmd("pw", "groupdel", "dev") == (0, "", "")
    assert "dev:" not in _read(host, "/etc/group")
    assert run_cmd("pw", "groupdel", "dev") == (65, "", "pw: unknown group `dev'\n")


# ------------------------------------------------------------------------------ -h / -H

def test_password_from_fd(host, run_cmd):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt   # deprecated, still in 3.11
    with _fd_with(b"s3cret\n") as fd:
        assert run_cmd("pw", "useradd", "alice", "-h", fd) == (0, "", "")
    hashed = run_cmd("pw", "usershow", "alice")[1].split(":")[1]
    assert hashed.startswith("$6$") and crypt.crypt("s3cret", hashed) == hashed
    assert _last(host, "/etc/passwd").split(":")[1] == "*"       # never in passwd
    with _fd_with(b"$6$abc$xyz\n") as fd:
        assert run_cmd("pw", "usermod", "alice", "-H", fd) == (0, "", "")
    assert run_cmd("pw", "usershow", "alice")[1].startswith("alice:$6$abc$xyz:1001:")
    assert run_cmd("pw", "useradd", "bob", "-h", "x") == \
        (64, "", "pw: Bad file descriptor 'x': invalid\n")
    assert run_cmd("pw", "useradd", "bob", "-h", "-", "-H", "3") == \
        (64, "", "pw: '-h' and '-H' are mutually exclusive options\n")
    assert run_cmd("pw", "useradd", "bob", "-h", "-")[0] == 0
    assert run_cmd("pw", "usershow", "bob")[1].startswith("bob:*:")


# ------------------------------------------------------------------------------ -V / -R

def test_V_and_R(host, run_cmd):
    etc = os.path.join(host, "alt/etc")
    os.makedirs(etc)
    with open(os.path.join(etc, "master.passwd"), "w") as f:
        f.write("root::0:0::0:0:Charlie &:/root:/bin/sh\n")
    with open(os.path.join(etc, "group"), "w") as f:
        f.write("wheel:*:0:root\n")
    assert run_cmd("pw", "-V", "/alt/etc", "useradd", "alice", "-m") == (0, "", "")
    assert _read(host, "/alt/etc/master.passwd").splitlines()[-1] == \
        "alice:*:1001:1001::0:0:User &:/home/alice:/bin/sh"
    assert _read(host, "/alt/etc/passwd") == \
        "root:*:0:0:Charlie &:/root:/bin/sh\nalice:*:1001:1001:User &:/home/alice:/bin/sh\n"
    assert not os.path.exists(os.path.join(host, "home/alice"))    # -V: no home
    assert not os.path.exists(os.path.join(host, "etc/master.passwd"))
    # -R: the root's /etc, and homes under the root
    assert run_cmd("pw", "-R", "/alt", "useradd", "bob", "-m") == (0, "", "")
    assert _read(host, "/alt/etc/passwd").splitlines()[-1].startswith("bob:*:1002:1002:")
    assert os.path.isdir(os.path.join(host, "alt/home/bob"))
    assert run_cmd("pw", "user", "show", "bob", "-R", "/alt")[1].startswith("bob:*:1002:")
    assert run_cmd("pw", "-R", "/nonexistent", "usershow", "x") == \
        (72, "", "pw: no such directory `/nonexistent'\n")
    assert run_cmd("pw", "-R", "/alt", "-V", "/alt/etc", "usershow", "x") == \
        (1, "", "pw: Both '-R' and '-V' specified, only one accepted\n")
    # an etc dir without the files: the group add (pw_gidpolicy) is the first write to fail
    assert run_cmd("pw", "-V/nonexistent", "useradd", "x") == \
        (74, "", "pw: group update: No such file or directory\n")


# ------------------------------------------------------------------------------ jails

@pytest.fixture
def jail_root(host, run_cmd):
    make_base(host, "/jails/w")
    assert run_cmd("jail", "-c", "name=webserver", "path=/jails/w", "persist")[0] == 0
    return os.path.join(host, "jails/w")


def test_in_jail_via_jexec(host, run_cmd, jail_root):
    host_master = os.path.exists(os.path.join(host, "etc/master.passwd"))
    assert run_cmd("jexec", "webserver", "pw", "useradd", "www2", "-m", "-c", "Web") == \
        (0, "", "")
    assert run_cmd("jexec", "webserver", "pw", "usershow", "www2") == \
        (0, "www2:*:1001:1001::0:0:Web:/home/www2:/bin/sh\n", "")
    jp = _read(jail_root, "/etc/passwd")
    assert jp.startswith("# $FreeBSD$\n") and "www2:*:1001:1001:Web:/home/www2:/bin/sh\n" in jp
    assert "www2:*:1001:" in _read(jail_root, "/etc/group")
    assert _mode(jail_root, "/etc/master.passwd") == 0o600
    st = os.stat(os.path.join(jail_root, "usr/home/www2"))
    assert (st.st_uid, st.st_gid) == (1001, 1001)
    # the host's files are untouched
    assert os.path.exists(os.path.join(host, "etc/master.passwd")) == host_master
    assert run_cmd("pw", "usershow", "www2") == (67, "", "pw: no such user `www2'\n")
    assert run_cmd("jexec", "webserver", "pw", "usershow", "nosuch") == \
        (67, "", "pw: no such user `nosuch'\n")
    assert run_cmd("jexec", "webserver", "pw", "userdel", "www2", "-r") == (0, "", "")
    assert "www2" not in _read(jail_root, "/etc/master.passwd")
    assert not os.path.exists(os.path.join(jail_root, "usr/home/www2"))


# ------------------------------------------------------------------------------ real sshd

@pytest.mark.testbed
def test_jexec_pw_over_ssh(testbed):
    """Namespaces: the jail's /etc is bind-mounted, its homes are reached by its path."""
    from freebsd_testbed import basesystem
    txz = os.path.join(testbed.state_dir, "root", "tmp", "base.txz")
    basesystem.build_base_txz(txz)
    sh = testbed.sh
    r = sh("mkdir -p /jails/pwj && tar -xf /tmp/base.txz -C /jails/pwj && "
           "jail -c name=pwj path=/jails/pwj persist")
    assert r.returncode == 0, r.stderr
    try:
        r = sh("jexec pwj pw useradd app -m -c 'App user' -s /usr/sbin/nologin && "
               "jexec pwj pw usershow app && grep '^app:' /jails/pwj/etc/passwd && "
               "stat -f '%u:%g %Lp' /jails/pwj/usr/home/app")
        assert r.stdout.decode().splitlines() == [
            "app:*:1001:1001::0:0:App user:/home/app:/usr/sbin/nologin",
            "app:*:1001:1001:App user:/home/app:/usr/sbin/nologin",
            "1001:1001 755"], r.stderr
        r = sh("jexec pwj pw usershow nosuch")
        assert (r.returncode, r.stderr) == (67, b"pw: no such user `nosuch'\n")
        r = sh("grep -c '^app:' /etc/passwd")
        assert r.stdout == b"0\n"
        r = sh("jexec pwj pw userdel app -r && test ! -e /jails/pwj/usr/home/app && echo gone")
        assert r.stdout == b"gone\n", r.stderr
    finally:
        sh("jail -r pwj; rm -rf /jails/pwj")
