"""Line-in-file editing, validators, and the JailCommand runner rendering (pure functions)."""
from __future__ import annotations

import shlex
import subprocess

import pytest

from freebsd_provider import wire
from freebsd_provider.host import command, files
from freebsd_provider.resources.jail_command import JailCommand
from freebsd_provider.resources.jail_file import JailFile, parse_id

PG_CONF = ("# - Connection Settings -\n\n"
           "#listen_addresses = 'localhost'\t\t# what IP address(es) to listen on;\n"
           "#port = 5432\t\t\t\t# (change requires restart)\n")
PG_HBA = ("# TYPE  DATABASE        USER            ADDRESS                 METHOD\n"
          "local   all             all                                     trust\n"
          "host    all             all             127.0.0.1/32            trust\n")


def test_listen_addresses_replaces_commented_line():
    e = files.ensure_lines(PG_CONF, [("listen_addresses = '*'", r"^#?listen_addresses")])
    assert e.replaced == {"listen_addresses = '*'": "#listen_addresses = 'localhost'\t\t# what IP address(es) to listen on;"}
    assert e.added == []
    assert "listen_addresses = '*'\n#port = 5432" in e.content
    again = files.ensure_lines(e.content, [("listen_addresses = '*'", r"^#?listen_addresses")])
    assert not again.changed and again.content == e.content
    back, changed = files.remove_lines(e.content, e.added, e.replaced)
    assert changed and back == PG_CONF


def test_hba_line_appended_and_removed():
    line = "host all all 192.168.1.0/24 md5"
    e = files.ensure_lines(PG_HBA, [(line, None)])
    assert e.added == [line] and e.content == PG_HBA + line + "\n"
    assert files.present_lines(e.content, [line, "nope"]) == [line]
    back, changed = files.remove_lines(e.content, e.added, e.replaced)
    assert changed and back == PG_HBA


def test_missing_final_newline_and_empty_file():
    e = files.ensure_lines("a", [("b", None)])
    assert e.content == "a\nb\n"
    assert files.ensure_lines("", [("x", None)]).content == "x\n"


@pytest.mark.parametrize("mode,ok", [("0644", True), ("600", True), ("4755", True), ("0999", False),
                                     ("rw-r--r--", False), ("", False), ("06440", False)])
def test_mode(mode, ok):
    assert (files.mode_error(mode) is None) is ok


@pytest.mark.parametrize("owner,ok", [("root:wheel", True), ("postgres", True), ("www:www", True),
                                      ("root:wheel;reboot", False), ("-r", False), ("a:b:c", False), ("", False)])
def test_owner(owner, ok):
    assert (files.owner_error(owner) is None) is ok


def test_owner_matches():
    assert files.owner_matches("postgres", "postgres:postgres")
    assert not files.owner_matches("postgres:wheel", "postgres:postgres")


def test_jail_file_validate():
    r = JailFile()
    ok, f = r.normalize_inputs({"jail": "database", "path": "/var/db/postgres/data17/pg_hba.conf",
                                "lines": [{"line": "host all all 192.168.1.0/24 md5"}]})
    assert f == [] and r.op_validate(ok) == []
    # the per-field rules and the rules across fields, all at once
    props = {x.property for x in r.op_validate({"path": "etc/x", "content": "a", "lines": [{"line": "a\nb"}],
                                                "mode": "999", "owner": "a b"})}
    assert props == {"path", "mode", "owner", "lines", "lines[0].line"}
    props = {x.property for x in r.op_validate({"path": "/etc/x", "content": "a", "lines": [{"line": "a\nb"}]})}
    assert props == {"lines", "lines[0].line"}
    assert [x.property for x in r.op_validate({"path": "/a/../b", "content": "x"})] == ["path"]
    assert [x.property for x in r.op_validate({"path": "/a/", "content": "x"})] == ["path"]
    assert [x.property for x in r.op_validate({"path": "/a"})] == ["content"]
    assert [x.property for x in r.op_validate({"path": "/a", "lines": [{"line": "x", "match": "(["}]})] == ["lines[0].match"]
    assert [x.property for x in r.op_validate({"path": "/a", "lines": []})] == ["lines"]
    fails = r.op_validate({"path": "/a", "lines": [{"line": "x"}, {"line": "x", "match": "^x"}]})
    assert [(x.property, x.reason) for x in fails] == [("lines[1].line", "line 'x' is declared twice")]
    # unknown values (preview) are skipped
    assert r.op_validate({"path": wire.UNKNOWN, "lines": [wire.UNKNOWN, {"line": wire.UNKNOWN}]}) == []


def test_jail_file_diff_and_id():
    r = JailFile()
    d = r.op_diff({"path": "/a", "content": "x"}, {"path": "/a", "content": "y"})
    assert not d.replaces and "in place" in d.changes["content"].why
    d = r.op_diff({"path": "/a", "content": "x"}, {"path": "/a", "lines": [{"line": "y"}]})
    assert set(d.replaces) == {"content", "lines"}
    assert parse_id("database:/etc/x") == ("database", "/etc/x")
    assert parse_id(":/etc/x") == (None, "/etc/x")


# -- JailCommand rendering --------------------------------------------------------------------

def test_command_argv_as_root_and_user():
    argv = command.command("database", ["createdb", "-O", "testuser", "testdb"])
    assert argv[:4] == ["/usr/sbin/jexec", "database", "/bin/sh", "-c"]
    assert argv[4] == command.RUNNER and argv[5:] == ["sh", "createdb", "-O", "testuser", "testdb"]
    su = command.command("database", ["psql", "-c", "SELECT 'x'; $(reboot)"], user="postgres")
    assert su[5:10] == ["sh", "/usr/bin/su", "-m", "postgres", "-c"]
    assert shlex.split(su[10]) == ["psql", "-c", "SELECT 'x'; $(reboot)"]
    assert command.command(None, ["true"])[0] == "/bin/sh"


def test_runner_exports_env_from_stdin_and_passes_the_rest(tmp_path):
    """The runner is POSIX sh: run it locally to check the stdin protocol."""
    env = {"PGPASSWORD": "s3cr3t 'quoted' $HOME \\n", "A": ""}
    data = command.stdin_for(env, "line1\nline2\n")
    argv = command.command(None, ["sh", "-c", 'printf "%s|%s|" "$PGPASSWORD" "$A"; cat'])
    r = subprocess.run(argv, input=data.encode(), capture_output=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "s3cr3t 'quoted' $HOME \\n||line1\nline2\n"
    assert "s3cr3t" not in " ".join(argv)


def test_runner_without_env():
    r = subprocess.run(command.command(None, ["cat"]), input=command.stdin_for({}, "x"), capture_output=True, text=True)
    assert r.stdout == "x"


def test_jail_command_validate_never_echoes_secrets():
    r = JailCommand()
    ins, f = r.normalize_inputs({"jail": "database", "user": "postgres", "create": ["psql"],
                                 "stdin": "ALTER USER t PASSWORD 'pw';", "environment": {"PGPASSWORD": "pw"}})
    assert f == [] and isinstance(ins["stdin"], wire.Secret) and isinstance(ins["environment"], wire.Secret)
    assert r.op_validate(wire.reveal(ins)) == []
    fails = r.op_validate({"create": ["x"], "user": "a b", "environment": {"X": "top\nsecret", "1A": "v"},
                           "creates": "rel", "stdin": "top\x00secret", "timeout": 0})
    props = {x.property for x in fails}
    assert props == {"user", "environment.X", 'environment["1A"]', "creates", "stdin", "timeout"}
    assert not any("top" in x.reason for x in fails)
    # the commands as a whole, once every field passes
    fails = r.op_validate({"create": [], "unless": ["-x"], "delete": ["", "a"]})
    assert {x.property for x in fails} == {"create", "unless", "delete"}
    fails = r.op_validate({"create": ["a", "b\x00"]})
    assert [(x.property, x.reason) for x in fails] == [("create[1]", "an argument must not contain NUL characters")]


def test_jail_command_diff():
    r = JailCommand()
    base = {"create": ["createdb", "x"], "jail": "db", "environment": {}, "triggers": [], "timeout": 600}
    assert r.op_diff(base, {**base, "create": ["createdb", "y"]}).replaces == ["create"]
    assert r.op_diff(base, {**base, "triggers": ["2"]}).replaces == ["triggers"]
    d = r.op_diff(base, {**base, "stdin": "x"})
    assert not d.replaces and "update" in d.changes["stdin"].why


# -- the content-form put (read, compare, write in one exec) -----------------------------------

import os  # noqa: E402
import pwd  # noqa: E402
import grp  # noqa: E402

# FreeBSD's stat(1) on a GNU system, for the two formats the put script uses
_STAT_SHIM = """#!/bin/sh
[ "$1" = -f ] || exit 2
case "$2" in
"%Lp %Su:%Sg") exec /usr/bin/stat -c '%a %U:%G' "$3" ;;
"%z") exec /usr/bin/stat -c '%s' "$3" ;;
esac
exit 2
"""


@pytest.fixture()
def put(tmp_path):
    if not os.path.exists("/usr/bin/stat") or os.geteuid() != 0:
        pytest.skip("needs GNU stat and root (chown)")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "stat").write_text(_STAT_SHIM)
    (bindir / "stat").chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}

    def go(path, content, mode="0644", owner=None, **kw):
        owner = owner or me()
        r = subprocess.run(files.put_file(str(path), mode, owner, **kw), input=content.encode(),
                           capture_output=True, env=env)
        return r.returncode, r.stdout.decode(), r.stderr.decode()
    return go


def me() -> str:
    return f"{pwd.getpwuid(os.geteuid()).pw_name}:{grp.getgrgid(os.getegid()).gr_name}"


def test_put_new_same_write(put, tmp_path):
    f = tmp_path / "a.conf"
    code, out, _ = put(f, "one\n", "0600")
    assert code == 0 and files.parse_put(out, 10).state == "new"
    assert f.read_text() == "one\n" and oct(f.stat().st_mode & 0o7777) == "0o600"
    ino = f.stat().st_ino
    code, out, _ = put(f, "one\n", "600", backup_upto=100)
    r = files.parse_put(out, 100)
    assert (r.state, r.size, r.mode, r.owner, r.content) == ("same", 4, "0600", me(), "one\n")
    assert f.stat().st_ino == ino and not r.written
    # the owner as a user only matches any group
    code, out, _ = put(f, "one\n", "0600", owner=me().split(":")[0])
    assert files.parse_put(out).state == "same" and f.stat().st_ino == ino
    code, out, _ = put(f, "two\n", "0600", backup_upto=100)
    r = files.parse_put(out, 100)
    assert r.state == "write" and r.content == "one\n" and f.read_text() == "two\n"
    code, out, _ = put(f, "two\n", "0644")
    assert files.parse_put(out).state == "write" and oct(f.stat().st_mode & 0o7777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.conf", "bin"]  # no temp left


def test_put_refuse_backup_and_only_existing(put, tmp_path):
    f = tmp_path / "big"
    f.write_text("x" * 20)
    code, out, _ = put(f, "small\n", refuse_over=10, backup_upto=10)
    r = files.parse_put(out, 10)
    assert code == 0 and r.state == "refuse" and r.size == 20 and f.read_text() == "x" * 20
    code, out, _ = put(f, "small\n", backup_upto=10)  # overwrite: too large to back up, written
    r = files.parse_put(out, 10)
    assert r.state == "write" and r.content is None and f.read_text() == "small\n"
    g = tmp_path / "gone"
    code, out, _ = put(g, "back\n", only_existing=True)
    assert files.parse_put(out).state == "missing" and not g.exists()
    # a directory in the way: an error, nothing renamed into it
    d = tmp_path / "dir"
    d.mkdir()
    code, out, err = put(d, "x\n")
    assert code != 0 and "directory" in err and list(d.iterdir()) == []
    # a chown failure leaves the file as it was
    code, out, err = put(f, "other\n", owner="nosuchuser-xyz")
    assert code != 0 and f.read_text() == "small\n"


def test_put_argv_carries_values_as_parameters():
    argv = files.put_file("/etc/$(reboot) x", "0644", "postgres", refuse_over=65536, backup_upto=65536)
    assert argv[:2] == ["/bin/sh", "-c"] and "$(reboot)" not in argv[2] and "postgres" not in argv[2]
    assert argv[3:] == ["sh", "/etc/$(reboot) x", "0644", "postgres", "0644", "65536", "65536", ""]
    assert files.put_file("/a", "600", "root:wheel", only_existing=True)[-4:] == ["0600", "", "", "1"]
    for mode, owner in (("999", "root"), ("0644", "-r"), ("0644", "")):
        with pytest.raises(ValueError):
            files.put_file("/a", mode, owner)


@pytest.mark.parametrize("out,backup,expect", [
    ("new\n", None, ("new", None, None, None, None)),
    ("missing\n", None, ("missing", None, None, None, None)),
    ("refuse 70000 644 root:wheel\n", 65536, ("refuse", 70000, "0644", "root:wheel", None)),
    ("same 4 600 postgres:postgres\nabc\n", 10, ("same", 4, "0600", "postgres:postgres", "abc\n")),
    ("write 0 644 root:wheel\n", 10, ("write", 0, "0644", "root:wheel", "")),
    ("write 20 644 root:wheel\n", 10, ("write", 20, "0644", "root:wheel", None)),
    ("write 3 644 root:wheel\n", None, ("write", 3, "0644", "root:wheel", None)),
])
def test_parse_put(out, backup, expect):
    r = files.parse_put(out, backup)
    assert (r.state, r.size, r.mode, r.owner, r.content) == expect


@pytest.mark.parametrize("out", ["", "new", "weird\n", "same x 644 root:wheel\n", "write 3 644 root:wheel\nabc"])
def test_parse_put_rejects_unexpected_output(out):
    with pytest.raises(ValueError):
        files.parse_put(out)


# -- JailCommand: guards and command in one exec ------------------------------------------------

MARK = command.skip_mark("0123456789abcdef")


def guarded(argv, stdin="", env=None, **kw):
    full = command.guarded(None, argv, None, MARK, **kw)
    return subprocess.run(full, input=command.stdin_for(env, stdin), capture_output=True, text=True)


def test_guarded_runs_when_no_guard_holds(tmp_path):
    r = guarded(["sh", "-c", 'printf "%s|%s|" "$V" "$#"; cat', "x", "a b", "$(id)"], "in\n", {"V": "v"},
                creates=str(tmp_path / "nope"), unless=["sh", "-c", 'echo noise; echo noise >&2; cat; exit 1'])
    assert r.returncode == 0 and r.stdout == "v|2|in\n" and r.stderr == ""
    assert not command.was_skipped(r.stdout, MARK)


def test_guarded_skips_on_creates_or_unless(tmp_path):
    marker = tmp_path / "made"
    marker.write_text("")
    r = guarded(["sh", "-c", "echo ran; exit 9"], creates=str(marker), unless=["false"])
    assert r.returncode == 0 and command.was_skipped(r.stdout, MARK)
    r = guarded(["sh", "-c", "echo ran; exit 9"], env={"W": "1"},
                unless=["sh", "-c", 'echo noise; [ "$W" = 1 ] && [ "$#" -eq 2 ]', "x", "a b", "c"])
    assert r.returncode == 0 and command.was_skipped(r.stdout, MARK)
    # the unless words are its own: with two words the guard above fails and the command runs
    r = guarded(["sh", "-c", "echo ran; exit 9"], env={"W": "1"},
                unless=["sh", "-c", '[ "$W" = 1 ] && [ "$#" -eq 2 ]', "x", "a b"])
    assert r.returncode == 9 and r.stdout == "ran\n"


def test_guarded_argv_as_user_and_in_jail():
    argv = command.guarded("db", ["createdb", "x"], "postgres", MARK, creates="/c",
                           unless=["psql", "-c", "SELECT 1; $(reboot)"])
    assert argv[:4] == ["/usr/sbin/jexec", "db", "/bin/sh", "-c"] and argv[4] == command.GUARDED
    assert argv[5:9] == ["sh", MARK, "/c", "5"]
    assert argv[9:13] == ["/usr/bin/su", "-m", "postgres", "-c"]
    assert shlex.split(argv[13]) == ["psql", "-c", "SELECT 1; $(reboot)"]
    assert argv[14:18] == ["/usr/bin/su", "-m", "postgres", "-c"] and shlex.split(argv[18]) == ["createdb", "x"]
    assert command.guarded(None, ["true"], None, MARK)[3:] == ["sh", MARK, "", "0", "true"]
    with pytest.raises(ValueError):
        command.skip_mark("not hex")
