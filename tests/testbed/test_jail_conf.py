"""jail.conf(5) parser: variables, +=, .include, comments, quoting, errors; jail -e."""
from __future__ import annotations


import pytest

from freebsd_testbed import jailconf
from freebsd_testbed.jailconf import ConfError


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_ROOT", str(tmp_path))
    return tmp_path


def conf(root, text, name="/etc/jail.conf"):
    p = root / name.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return jailconf.load(name)


def test_globals_vars_and_append(root):
    c = conf(root, '''# comment
exec.start = "/bin/sh /etc/rc";   // C++ comment
/* C
   comment */ exec.clean;
path = "/jails/$name";
$bridge = "bridge0";
web {
  host.hostname = "${name}.example.org";
  exec.start += "/sbin/ifconfig ${bridge} addm epair0a";
  ip4.addr = 10.0.0.1, 10.0.0.2;
  ip4.addr += "10.0.0.3";
  allow.nomount;
  single = 'no $subst here';
}
''')
    p = c.resolve("web")
    assert p["path"] == ["/jails/web"]
    assert p["host.hostname"] == ["web.example.org"]
    assert p["exec.start"] == ["/bin/sh /etc/rc", "/sbin/ifconfig bridge0 addm epair0a"]
    assert p["exec.clean"] == ["true"]
    assert p["allow.mount"] == ["false"]
    assert p["ip4.addr"] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert p["single"] == ["no $subst here"]
    assert p["name"] == ["web"]
    assert c.jails == ["web"]


def test_wildcard_after_forces(root):
    c = conf(root, 'a { persist; securelevel = 1; }\n* { securelevel = 3; }\n'
                   'b { securelevel = 2; }\n')
    assert c.resolve("a")["securelevel"] == ["3"]
    assert c.resolve("b")["securelevel"] == ["2"]


def test_include_glob_relative_and_missing(root):
    (root / "etc/jail.conf.d").mkdir(parents=True)
    (root / "etc/jail.conf.d/a.conf").write_text('a { path = "/a"; }\n')
    (root / "etc/jail.conf.d/b.conf").write_text('b { path = "/b"; }\n')
    c = conf(root, '.include "/etc/jail.conf.d/*.conf";\n.include "jail.conf.d/none*.conf";\n')
    assert c.jails == ["a", "b"]
    with pytest.raises(ConfError) as e:
        conf(root, '.include "/etc/nosuch.conf";\n')
    assert str(e.value) == "/etc/nosuch.conf: No such file or directory"


def test_errors(root):
    with pytest.raises(ConfError) as e:
        conf(root, 'a {\n  path = "/x";\n  = oops;\n}\n')
    assert str(e.value) == "/etc/jail.conf line 3: =: syntax error"
    with pytest.raises(ConfError) as e:
        conf(root, 'a {\n path = "/x"\n')
    assert str(e.value) == "/etc/jail.conf: unexpected EOF"
    c = conf(root, 'a { path = "/jails/$foo"; }\n')
    with pytest.raises(ConfError) as e:
        c.resolve("a")
    assert str(e.value) == 'a: path: variable "foo" not found'
    c = conf(root, 'a { $x = "$y"; $y = "$x"; path = "$x"; }\n')
    with pytest.raises(ConfError) as e:
        c.resolve("a")
    assert "variable loop" in str(e.value)
    with pytest.raises(ConfError):
        jailconf.load("/etc/none.conf")


def test_escapes_and_continuation(root):
    c = conf(root, 'a { exec.start = "echo \\"q\\" \\t\\\n done"; path = /x; }\n')
    assert c.resolve("a")["exec.start"] == ['echo "q" \t done']


def test_jail_e(root, capsys):
    from freebsd_testbed.tools import dispatch
    conf(root, 'exec.clean;\nwebserver { path = "/jails/${name}"; vnet; '
               'exec.start = "/bin/sh /etc/rc"; }\n')
    assert dispatch.main(["jail", "-e", ","]) == 0
    out = capsys.readouterr().out
    assert out == 'name=webserver,exec.clean,path=/jails/webserver,vnet,exec.start="/bin/sh /etc/rc"\n'
