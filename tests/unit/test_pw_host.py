"""host/pw.py: argv builders, the usershow/groupshow parsers on FreeBSD's formats, validators,
and the classification of pw's failures."""
from __future__ import annotations

import pytest

from freebsd_provider.errors import (GroupMissing, JailNotRunning, UserExists, UserMissing,
                                     classify)
from freebsd_provider.host import pw
from freebsd_provider.ssh import Result

# `pw usershow -a -7` of a stock FreeBSD 15 jail plus odd users: a gecos with commas (the
# finger subfields), '&', non-ASCII and Unicode line breaks; a login ending in '$' (samba); an
# all-digit login; a comment line
USERS = (
    "root:*:0:0:Charlie &:/root:/bin/sh\n"
    "toor:*:0:0:Bourne-again Superuser:/root:\n"
    "daemon:*:1:1:Owner of many system processes:/root:/usr/sbin/nologin\n"
    "www:*:80:80:World Wide Web Owner:/nonexistent:/usr/sbin/nologin\n"
    "nobody:*:65534:65534:Unprivileged user:/nonexistent:/usr/sbin/nologin\n"
    "alice:*:1001:1001:Alice Liddell,Room 1,555-1234,555-9876,x:/home/alice:/bin/csh\n"
    "bob:*:1002:1001:Bj\u00f6rn \u2028 line\u2029sep\x85nel\x0bvt\rcr:/usr/home/bob:/bin/sh\n"
    "ws01$:*:1003:1003::/nonexistent:/usr/sbin/nologin\n"
    "1234:*:1004:1004:User &:/home/1234:/bin/sh\n"
    "# a comment\n"
)

# `pw groupshow -a`
GROUPS = (
    "wheel:*:0:root,alice\n"
    "daemon:*:1:\n"
    "operator:*:5:root\n"
    "www:*:80:\n"
    "alice:*:1001:\n"
    "staff:*:20:bob,alice\n"
    "ws01$:*:1003:\n"
    "nogroup:*:65533:\n"
)


def test_parse_users_odd_values():
    us = pw.parse_users(USERS)
    assert list(us) == ["root", "toor", "daemon", "www", "nobody", "alice", "bob", "ws01$", "1234"]
    assert us["root"] == pw.User("root", 0, 0, "Charlie &", "/root", "/bin/sh")
    assert us["toor"].shell == ""
    assert us["alice"].gecos == "Alice Liddell,Room 1,555-1234,555-9876,x"
    # every Unicode line break in a value survives (split on \n only)
    assert us["bob"].gecos == "Bj\u00f6rn \u2028 line\u2029sep\x85nel\x0bvt\rcr"
    assert us["bob"].home == "/usr/home/bob"
    assert us["1234"].uid == 1004 and us["ws01$"].gid == 1003


def test_parse_groups_and_accounts():
    gs = pw.parse_groups(GROUPS)
    assert gs["wheel"] == pw.Group("wheel", 0, ["root", "alice"])
    assert gs["daemon"].members == []
    acc = pw.Accounts(pw.parse_users(USERS), gs)
    assert acc.member_of("alice") == ["wheel", "staff"]
    assert acc.member_of("nobody") == []
    assert acc.group_name(1001) == "alice" and acc.group_name(4242) is None


def test_parsers_skip_what_is_not_an_entry():
    assert pw.parse_users("") == {}
    assert pw.parse_users("x:*:notanumber:0:::\nshort:*:1\n") == {}
    assert pw.parse_groups("g:*:x:\nno-fields\n") == {}


def test_argv_builders():
    assert pw.useradd("web", "app", uid=None, group=None, groups=[], comment="App user",
                      home="/home/app", shell="/bin/sh", create_home=True) == [
        "/usr/sbin/jexec", "web", "/usr/sbin/pw", "useradd", "-n", "app", "-c", "App user",
        "-d", "/home/app", "-s", "/bin/sh", "-G", "", "-m"]
    assert pw.useradd("web", "1234", uid=2000, group="staff", groups=["wheel", "www"],
                      comment="", home="/srv/x", shell="/bin/sh", create_home=False)[3:] == [
        "useradd", "-n", "1234", "-c", "", "-d", "/srv/x", "-s", "/bin/sh", "-G", "wheel,www",
        "-u", "2000", "-g", "staff"]
    assert pw.usermod("web", "app")[3:] == ["usermod", "-n", "app"]
    assert pw.usermod("web", "app", groups=[])[3:] == ["usermod", "-n", "app", "-G", ""]
    assert pw.usermod("web", "app", uid=5, group="1001", home="/h", create_home=True,
                      shell="/bin/csh", comment="c")[3:] == [
        "usermod", "-n", "app", "-u", "5", "-g", "1001", "-c", "c", "-d", "/h", "-m",
        "-s", "/bin/csh"]
    assert pw.userdel("web", "app")[3:] == ["userdel", "-n", "app"]
    assert pw.userdel("web", "app", remove_home=True)[3:] == ["userdel", "-n", "app", "-r"]
    assert pw.users("web").argv == ("/usr/sbin/jexec", "web", "/usr/sbin/pw", "usershow", "-a", "-7")
    assert pw.groups("web").argv[3:] == ("groupshow", "-a")


@pytest.mark.parametrize("name", ["app", "a", "x" * 32, "ws01$", "1234", "a-b_c.d", "A;b", "n'x"])
def test_valid_names(name):
    assert pw.name_error(name) is None


@pytest.mark.parametrize("name,why", [
    ("", "must not be empty"),
    ("x" * 33, "33 bytes long"),
    ("\u00e9" * 17, "34 bytes long"),
    ("-app", "starts with '-'"),
    ("a b", "' ' at position 1"),
    ("a:b", "':' at position 1"),
    ("a,b", "',' at position 1"),
    ("a\\b", "'\\\\' at position 1"),
    ("a\nb", "'\\n' at position 1"),
    ("a\x7fb", "'\\x7f' at position 1"),
    ("b\u00e9", "'\u00e9' at position 1"),
    ("a$b", "'$' at position 1"),
    ("a/b", "'/' at position 1"),
])
def test_invalid_names(name, why):
    e = pw.name_error(name)
    assert e is not None and why in e and "as pw(8) requires" in e, e


def test_field_validators():
    assert pw.comment_error("Alice Liddell, Room 1 & \u00e9\u2028") is None
    assert "':'" in pw.comment_error("a:b")
    assert "control" in pw.comment_error("a\nb")
    assert pw.shell_error("/usr/sbin/nologin") is None
    assert "absolute" in pw.shell_error("sh")
    assert "control" in pw.home_error("/home/a\tb")
    assert pw.home_error("/home/a:b") is not None
    assert pw.uid_error(0) is None and pw.uid_error(4294967294) is None
    assert "out of range" in pw.uid_error(-1) and pw.uid_error(4294967295) is not None


def _res(argv, code, err):
    return Result(argv, " ".join(argv), code, "", err)


def test_pw_failures_classified():
    """pw's own messages (usr.sbin/pw) and exit codes, inside a jail."""
    j = ["/usr/sbin/jexec", "web", "/usr/sbin/pw"]
    assert isinstance(classify(_res(j + ["usermod", "-n", "x"], 67, "pw: no such user `x'\n")),
                      UserMissing)
    assert isinstance(classify(_res(j + ["userdel", "-n", "x"], 67, "pw: no such user `x'\n")),
                      UserMissing)
    assert isinstance(classify(_res(j + ["useradd", "-n", "x"], 65,
                                    "pw: login name `x' already exists\n")), UserExists)
    assert isinstance(classify(_res(j + ["usermod", "-n", "x", "-G", "nosuch"], 67,
                                    "pw: group `nosuch' does not exist\n")), GroupMissing)
    assert isinstance(classify(_res(j + ["usershow", "-a", "-7"], 1,
                                    'jexec: jail "web" not found\n')), JailNotRunning)
    # the rules are pw's: the same words from another program are not these types
    other = classify(_res(["/bin/sh", "-c", "x"], 1, "no such user `x'\n"))
    assert not isinstance(other, UserMissing)
    # a name with a quote in it still classifies
    assert isinstance(classify(_res(j + ["useradd", "-n", "n'x"], 65,
                                    "pw: login name `n'x' already exists\n")), UserExists)
