"""stat(1) and chflags(1) as on FreeBSD."""
import os


def test_stat_format(tool, host_root):
    p = os.path.join(host_root, "etc", "x.conf")
    with open(p, "w") as f:
        f.write("abc")
    os.chmod(p, 0o640)
    rc, out, err = tool("stat", "-f", "%Lp %Su:%Sg %z", p)
    assert rc == 0 and out == "640 root:wheel 3\n", (out, err)
    rc, out, _ = tool("stat", "-f", "%HT", os.path.dirname(p))
    assert out == "Directory\n"


def test_stat_missing_file(tool, host_root):
    rc, out, err = tool("stat", "/nonexistent/file")
    assert rc == 1 and err == "stat: /nonexistent/file: No such file or directory\n"
    rc, out, err = tool("stat", "-q", "/nonexistent/file")
    assert rc == 1 and err == ""


def test_chflags(tool, host_root):
    p = os.path.join(host_root, "etc", "y")
    open(p, "w").close()
    assert tool("chflags", "-R", "noschg", p)[0] == 0
    rc, _, err = tool("chflags", "bogus", p)
    assert rc == 1 and "invalid flag" in err
