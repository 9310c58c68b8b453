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
    assert f == [] and r.validate(ok) == []
    props = {x.property for x in r.validate({"path": "etc/x", "content": "a", "lines": [{"line": "a\nb"}],
                                             "mode": "999", "owner": "a b"})}
    assert props == {"path", "lines", "lines[0].line", "mode", "owner"}
    assert [x.property for x in r.validate({"path": "/a/../b", "content": "x"})] == ["path"]
    assert [x.property for x in r.validate({"path": "/a"})] == ["content"]
    assert [x.property for x in r.validate({"path": "/a", "lines": [{"line": "x", "match": "(["}]})] == ["lines[0].match"]


def test_jail_file_diff_and_id():
    r = JailFile()
    d = r.diff({"path": "/a", "content": "x"}, {"path": "/a", "content": "y"})
    assert not d.replaces and "in place" in d.changes["content"].why
    d = r.diff({"path": "/a", "content": "x"}, {"path": "/a", "lines": [{"line": "y"}]})
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
    assert r.validate(wire.reveal(ins)) == []
    fails = r.validate({"create": [], "user": "a b", "environment": {"X": "top\nsecret", "1A": "v"},
                        "creates": "rel", "unless": ["-x"]})
    props = {x.property for x in fails}
    assert {"create", "user", "environment.X", "environment", "creates", "unless"} <= props
    assert not any("top" in x.reason for x in fails)


def test_jail_command_diff():
    r = JailCommand()
    base = {"create": ["createdb", "x"], "jail": "db", "environment": {}, "triggers": [], "timeout": 600}
    assert r.diff(base, {**base, "create": ["createdb", "y"]}).replaces == ["create"]
    assert r.diff(base, {**base, "triggers": ["2"]}).replaces == ["triggers"]
    d = r.diff(base, {**base, "stdin": "x"})
    assert not d.replaces and "update" in d.changes["stdin"].why
