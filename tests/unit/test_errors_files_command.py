"""JailFile and JailCommand decide on error types: the failures of their commands, classified
(errors.classify) from FreeBSD's own messages, and the file fact's answers."""
from __future__ import annotations

import pytest

from freebsd_provider import errors as E
from freebsd_provider.host import command, common, files
from freebsd_provider.ssh import Result, join_argv

# usr.sbin/jexec/jexec.c: jail_getid() fails -> errx(1, "%s", jail_errmsg) with libjail's
# 'jail "NAME" not found'
NOT_RUNNING = 'jexec: jail "web" not found\n'


def res(argv, err="", code=1, out=""):
    return Result(list(argv), join_argv(argv), code, out, err)


CASES = [
    # JailFile: read, put, write, remove through jexec in a jail that is not running
    (common.in_jail("web", common.read_file("/etc/x.conf")), NOT_RUNNING, E.JailNotRunning),
    (common.in_jail("web", files.put_file("/etc/x.conf", "0644", "root:wheel")), NOT_RUNNING, E.JailNotRunning),
    (common.in_jail("web", common.write_file("/etc/x.conf")), NOT_RUNNING, E.JailNotRunning),
    (common.in_jail("web", common.remove_file("/etc/x.conf")), NOT_RUNNING, E.JailNotRunning),
    # JailCommand: the runner, plain and guarded, as root and as a user
    (command.command("web", ["dropdb", "x"]), NOT_RUNNING, E.JailNotRunning),
    (command.command("web", ["dropdb", "x"], user="postgres"), NOT_RUNNING, E.JailNotRunning),
    (command.guarded("web", ["createdb", "x"], "postgres", command.skip_mark("0" * 16), creates="/c"),
     NOT_RUNNING, E.JailNotRunning),
    # usr.sbin/chown/chown.c a_uid(): errx(1, "%s: illegal user name") -- the put fails, typed
    # as a plain failure (the file is left as it was)
    (common.in_jail("web", files.put_file("/etc/x.conf", "0644", "nosuchuser")),
     "chown: nosuchuser: illegal user name\n", E.CommandFailed),
    # the put script's own message for a directory in the way
    (files.put_file("/etc/adir", "0644", "root:wheel"), "/etc/adir: is a directory\n", E.CommandFailed),
    # a command of the user's that fails inside a running jail is not a missing jail
    (command.command("web", ["psql", "-c", "SELECT 1"]),
     'psql: error: connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file or directory\n',
     E.NoSuchFile),
    (command.command("web", ["sh", "-c", "exit 3"]), "boom\n", E.CommandFailed),
]


@pytest.mark.parametrize("argv,err,kind", CASES, ids=[f"{c[2].__name__}-{i}" for i, c in enumerate(CASES)])
def test_classify(argv, err, kind):
    e = E.classify(res(argv, err))
    assert type(e) is kind


def test_file_fact():
    f = files.contents("web", "/etc/x.conf")
    assert list(f.argv) == common.in_jail("web", common.read_file("/etc/x.conf"))
    got = f.parse(res(f.argv, code=0, out="600 postgres:postgres\nline1\n\u2028line2\r\n"))
    assert (got.mode, got.owner, got.content) == ("0600", "postgres:postgres", "line1\n\u2028line2\r\n")
    assert f.parse(res(f.argv, code=0, out="__pulumi_freebsd_missing__\n")) is None
    with pytest.raises(E.JailNotRunning):
        f.parse(res(f.argv, NOT_RUNNING))
    with pytest.raises(E.CommandFailed):
        f.parse(res(f.argv, "cat: /etc/x.conf: Permission denied\n"))
    assert files.contents(None, "/etc/x.conf").argv[0] == "/bin/sh"


@pytest.mark.parametrize("path,ok", [("/etc/x.conf", True), ("/etc/", False), ("etc/x", False),
                                     ("/a/../b", False), ("/a\nb", False)])
def test_path_error(path, ok):
    assert (files.path_error(path) is None) is ok
