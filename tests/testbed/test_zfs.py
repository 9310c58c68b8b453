"""Tests of the simulated zfs(8) against OpenZFS 2.4 / tutorial output samples."""
from __future__ import annotations

import json
import pathlib
import re
import threading

import pytest
from hypothesis import given, settings, strategies as hs, HealthCheck

from freebsd_testbed.tools import zfs
from freebsd_testbed.tools.zfs import nicenum, validate_name

FIX = pathlib.Path(__file__).parent / "fixtures" / "zfs"


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def run(root, capsys):
    def _run(*args):
        capsys.readouterr()
        rc = zfs.main(["zfs", *args])
        o = capsys.readouterr()
        return rc, o.out, o.err
    return _run


def tutorial(run, root, size=3_000_000):
    assert run("create", "-p", "zroot/jails/templates")[0] == 0
    assert run("create", "zroot/jails/containers")[0] == 0
    assert run("set", "mountpoint=/jails", "zroot/jails")[0] == 0
    assert run("create", "zroot/jails/templates/base")[0] == 0
    base = root / "jails/templates/base"
    (base / "etc").mkdir(parents=True)
    (base / "bin").mkdir()
    (base / "bin/sh").write_bytes(b"x" * size)
    (base / "etc/rc.conf").write_text("hostname=base\n")
    assert run("snapshot", "zroot/jails/templates/base@15.0-RELEASE")[0] == 0
    for j in ("webserver", "database"):
        assert run("clone", "zroot/jails/templates/base@15.0-RELEASE",
                   "zroot/jails/containers/" + j)[0] == 0


def shape(text):
    """Replace size values by a placeholder, keep alignment-relevant structure."""
    return [re.sub(r" +", " ", re.sub(r"\d+(\.\d+)?[BKMG]", "N", ln)) for ln in text.splitlines()]


# ----------------------------------------------------------------- formatting

@pytest.mark.parametrize("n,s", [(0, "0B"), (512, "512B"), (98304, "96K"), (106496, "104K"),
                                 (2 * 1024**3, "2G"), (int(30.5 * 1024**3), "30.5G"),
                                 (int(1.23 * 1024**2), "1.23M"), (457 * 1024**3 + 1, "457G"),
                                 (480272384, "458M"), (19220938752, "17.9G")])
def test_nicenum(n, s):
    assert nicenum(n) == s


def test_fresh_install_list(run):
    rc, out, err = run("list")
    assert rc == 0 and err == ""
    names = [ln.split()[0] for ln in out.splitlines()[1:]]
    assert names == ["zroot", "zroot/ROOT", "zroot/ROOT/default", "zroot/home", "zroot/tmp",
                     "zroot/usr", "zroot/usr/ports", "zroot/usr/src", "zroot/var",
                     "zroot/var/audit", "zroot/var/crash", "zroot/var/log", "zroot/var/mail",
                     "zroot/var/tmp"]
    assert out.splitlines()[0].split() == ["NAME", "USED", "AVAIL", "REFER", "MOUNTPOINT"]
    assert " 33.9G " in out.splitlines()[1]
    rc, out, _ = run("get", "-H", "-o", "value", "mountpoint", "zroot/ROOT", "zroot/usr/ports")
    assert out == "none\n/usr/ports\n"
    rc, out, _ = run("get", "-H", "-o", "value,source", "canmount,compression", "zroot/var/log")
    assert out == "on\tdefault\nlz4\tinherited from zroot\n"


# ----------------------------------------------------------------- tutorial

def test_tutorial_list_shape(run, root):
    tutorial(run, root)
    rc, out, err = run("list", "-r", "zroot/jails")
    assert rc == 0 and err == ""
    assert shape(out) == shape((FIX / "tutorial_list_r_jails.txt").read_text())
    # columns aligned: every MOUNTPOINT starts at the same offset as its header
    col = out.splitlines()[0].index("MOUNTPOINT")
    assert all(ln[col] == "/" and ln[col - 2:col] == "  " for ln in out.splitlines()[1:])
    rows = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines()[1:]}
    assert rows["zroot/jails/containers/webserver"][0] == "0B"
    assert rows["zroot/jails/containers/database"][0] == "0B"
    assert rows["zroot/jails/containers"][0] == "96K"
    assert rows["zroot/jails"][2] == "104K"
    assert rows["zroot/jails/templates"][2] == "96K"
    assert rows["zroot/jails/templates/base"][2] == rows["zroot/jails/containers/webserver"][2]
    # clones got the snapshot's files
    assert (root / "jails/containers/webserver/etc/rc.conf").read_text() == "hostname=base\n"
    assert not (root / "zroot/jails").exists()


def test_tutorial_parsable_and_snapshots(run, root):
    tutorial(run, root)
    rc, out, _ = run("list", "-H", "-p", "-o", "name,used,avail,refer,mountpoint",
                     "-t", "filesystem,snapshot", "-r", "zroot/jails/templates")
    lines = [ln.split("\t") for ln in out.splitlines()]
    assert [ln[0] for ln in lines] == ["zroot/jails/templates", "zroot/jails/templates/base",
                                       "zroot/jails/templates/base@15.0-RELEASE"]
    assert lines[0][3] == "98304" and lines[2][2] == "-" and lines[2][4] == "-"
    assert lines[2][1] == "0" and lines[2][3] == lines[1][3]
    rc, out, _ = run("list", "-t", "snapshot", "zroot/jails/templates/base")
    assert out.splitlines()[1].split()[1:] == ["0B", "-", out.splitlines()[1].split()[3], "-"]
    rc, out, _ = run("get", "-H", "-o", "value", "origin", "zroot/jails/containers/webserver")
    assert out == "zroot/jails/templates/base@15.0-RELEASE\n"
    rc, out, _ = run("get", "-H", "-o", "value", "clones", "zroot/jails/templates/base@15.0-RELEASE")
    assert out == "zroot/jails/containers/database,zroot/jails/containers/webserver\n"
    rc, out, _ = run("get", "-H", "-p", "-o", "name,property,value,source", "mountpoint,used",
                     "zroot/jails/templates")
    assert out.splitlines()[0] == "zroot/jails/templates\tmountpoint\t/jails/templates\tinherited from zroot/jails"


def test_clone_writes_show_used(run, root):
    tutorial(run, root)
    (root / "jails/containers/webserver/big").write_bytes(b"y" * 2_000_000)
    rc, out, _ = run("list", "-H", "-p", "-o", "used", "zroot/jails/containers/webserver")
    assert int(out) >= 2_000_000


def test_snapshot_exists_and_missing(run, root):
    tutorial(run, root)
    rc, out, err = run("snapshot", "zroot/jails/templates/base@15.0-RELEASE")
    assert rc == 1
    assert err == "cannot create snapshot 'zroot/jails/templates/base@15.0-RELEASE': dataset already exists\n"
    rc, out, err = run("snapshot", "zroot/nope@x")
    assert rc == 2 and err.startswith("cannot open 'zroot/nope': dataset does not exist\nusage:\n")


# ----------------------------------------------------------------- create

def test_create_errors(run):
    assert run("create", "zroot/a/b") == (1, "", "cannot create 'zroot/a/b': parent does not exist\n")
    assert run("create", "zroot/a") == (0, "", "")
    assert run("create", "zroot/a") == (1, "", "cannot create 'zroot/a': dataset already exists\n")
    assert run("create", "-p", "zroot/a") == (0, "", "")
    assert run("create", "nopool/x")[2] == "cannot create 'nopool/x': no such pool 'nopool'\n"
    assert run("create", "zroot/a@b")[2] == "cannot create 'zroot/a@b': snapshot delimiter '@' is not expected here\n"
    assert run("create", "zroot/a!b")[2] == "cannot create 'zroot/a!b': invalid character '!' in name\n"
    assert run("create", "-o", "foo=bar", "zroot/x")[2] == "cannot create 'zroot/x': invalid property 'foo'\n"
    assert run("create", "-o", "used=1", "zroot/x")[2] == "cannot create 'zroot/x': 'used' is readonly\n"
    assert run("create", "-o", "mountpoint=rel", "zroot/x")[2] == \
        "cannot create 'zroot/x': 'mountpoint' must be an absolute path, 'none', or 'legacy'\n"
    rc, out, err = run("create")
    assert rc == 2 and err == "missing filesystem argument\n" + (FIX / "create_usage.txt").read_text()
    rc, out, err = run("create", "-q", "zroot/x")
    assert rc == 2 and err.startswith("invalid option 'q'\nusage:\n")


def test_create_props_and_mountpoint(run, root):
    assert run("create", "-o", "compression=zstd", "-o", "pulumi:managed=yes", "zroot/data")[0] == 0
    assert (root / "zroot/data").is_dir()
    rc, out, _ = run("get", "-H", "-o", "property,value,source", "compression,pulumi:managed,mounted", "zroot/data")
    assert out == "compression\tzstd\tlocal\npulumi:managed\tyes\tlocal\nmounted\tyes\t-\n"
    assert run("create", "-u", "zroot/data/u")[0] == 0
    assert run("get", "-H", "-o", "value", "mounted", "zroot/data/u")[1] == "no\n"


# ----------------------------------------------------------------- set / inherit / get

def test_set_errors(run):
    run("create", "zroot/jails")
    assert run("set", "foo=bar", "zroot/jails") == (255, "", "cannot set property for 'zroot/jails': invalid property 'foo'\n")
    assert run("set", "atime=maybe", "zroot/jails")[2] == "cannot set property for 'zroot/jails': 'atime' must be one of 'on | off'\n"
    assert run("set", "used=1", "zroot/jails")[2] == "cannot set property for 'zroot/jails': 'used' is readonly\n"
    assert run("set", "quota=abc", "zroot/jails")[2] == "cannot set property for 'zroot/jails': bad numeric value 'abc'\n"
    assert run("set", "atime=on", "zroot/nope") == (1, "", "cannot open 'zroot/nope': dataset does not exist\n")
    rc, _, err = run("set", "atime=on")
    assert rc == 2 and err.startswith("missing dataset name(s)\nusage:\n")
    rc, _, err = run("set", "zroot/jails")
    assert rc == 2 and err.startswith("missing property=value argument(s)\n")


def test_set_inherit_user_and_mountpoint(run, root):
    run("create", "-p", "zroot/p/c")
    (root / "zroot/p/c/file").write_text("data")
    assert run("set", "pulumi:managed=yes", "quota=1G", "zroot/p")[0] == 0
    rc, out, _ = run("get", "-H", "pulumi:managed,quota", "zroot/p/c")
    assert out == "zroot/p/c\tpulumi:managed\tyes\tinherited from zroot/p\nzroot/p/c\tquota\tnone\tdefault\n"
    assert run("set", "mountpoint=/srv/p", "zroot/p")[0] == 0
    assert (root / "srv/p/c/file").read_text() == "data"
    assert not (root / "zroot/p").exists()
    assert run("get", "-H", "-o", "value", "mountpoint", "zroot/p/c")[1] == "/srv/p/c\n"
    assert run("set", "mountpoint=none", "zroot/p")[0] == 0
    assert not (root / "srv/p").exists()
    assert run("inherit", "mountpoint", "zroot/p")[0] == 0
    assert (root / "zroot/p/c/file").read_text() == "data"
    assert run("inherit", "-r", "pulumi:managed", "zroot/p")[0] == 0
    assert run("get", "-H", "-o", "value", "pulumi:managed", "zroot/p/c")[1] == "-\n"
    assert run("inherit", "used", "zroot/p") == (1, "", "used property is read-only\n")
    rc, _, err = run("inherit", "quota", "zroot/p")
    assert rc == 1 and err == ("'quota' property cannot be inherited\nuse 'zfs set quota=none' to clear\n"
                               "use 'zfs inherit -S quota' to revert to received value\n")


def test_get_table_and_all(run):
    run("create", "zroot/jails")
    run("set", "mountpoint=/jails", "zroot/jails")
    rc, out, _ = run("get", "mountpoint", "zroot/jails")
    assert out == ("NAME         PROPERTY    VALUE       SOURCE\n"
                   "zroot/jails  mountpoint  /jails      local\n")
    rc, out, _ = run("get", "all", "zroot/jails")
    props = [ln.split()[1] for ln in out.splitlines()[1:]]
    assert props[:8] == ["type", "creation", "used", "available", "referenced", "compressratio",
                         "mounted", "quota"]
    assert "origin" not in props and "jailed" in props
    rc, out, err = run("get", "foo", "zroot")
    assert rc == 2 and err.startswith("bad property list: invalid property 'foo'\nusage:\n")
    rc, out, err = run("get", "used", "zroot/x")
    assert rc == 1 and err == "cannot open 'zroot/x': dataset does not exist\n"
    rc, out, _ = run("get", "-H", "-p", "creation", "zroot")
    assert out.split("\t")[2].isdigit()


def test_json(run):
    run("create", "-p", "zroot/jails/templates")
    run("set", "mountpoint=/jails", "zroot/jails")
    rc, out, _ = run("get", "-j", "mountpoint", "zroot/jails/templates")
    doc = json.loads(out)
    assert out.count("\n") == 1 and ": " not in out and ", " not in out
    assert doc["output_version"] == {"command": "zfs get", "vers_major": 0, "vers_minor": 1}
    ds = doc["datasets"]["zroot/jails/templates"]
    assert list(ds) == ["name", "type", "pool", "createtxg", "properties"]
    assert ds["properties"]["mountpoint"] == {"value": "/jails/templates",
                                              "source": {"type": "INHERITED", "data": "zroot/jails"}}
    rc, out, _ = run("list", "-j", "--json-int", "zroot/jails")
    ds = json.loads(out)["datasets"]["zroot/jails"]
    assert isinstance(ds["createtxg"], int) and isinstance(ds["properties"]["used"]["value"], int)
    rc, _, err = run("list", "--json-int", "zroot")
    assert rc == 2 and err.startswith("'--json-int' only works with '-j' option\n")


# ----------------------------------------------------------------- destroy

def test_destroy_rules(run, root):
    tutorial(run, root, size=10000)
    rc, _, err = run("destroy", "zroot/jails/templates")
    assert rc == 1 and err == (FIX / "destroy_children.txt").read_text()
    rc, _, err = run("destroy", "zroot/jails/templates/base@15.0-RELEASE")
    assert rc == 1 and err == (FIX / "destroy_snapshot_clones.txt").read_text()
    rc, _, err = run("destroy", "-r", "zroot/jails/templates")
    assert rc == 1 and err.startswith("cannot destroy 'zroot/jails/templates': filesystem has dependent clones\n"
                                      "use '-R' to destroy the following datasets:\n")
    rc, _, err = run("destroy", "zroot")
    assert rc == 1 and err == (FIX / "destroy_pool.txt").read_text()
    assert run("destroy", "zroot/nope") == (1, "", "cannot open 'zroot/nope': dataset does not exist\n")
    assert run("destroy", "zroot/jails/templates/base@nope")[2] == \
        "could not find any snapshots to destroy; check snapshot names.\n"
    rc, out, _ = run("destroy", "-nv", "-R", "zroot/jails/templates")
    assert rc == 0 and "would destroy zroot/jails/containers/webserver\n" in out
    assert run("destroy", "zroot/jails/containers/webserver") == (0, "", "")
    assert not (root / "jails/containers/webserver").exists()
    assert run("destroy", "-R", "zroot/jails/templates") == (0, "", "")
    rc, out, _ = run("list", "-H", "-o", "name", "-r", "zroot/jails")
    assert out == "zroot/jails\nzroot/jails/containers\n"


# ----------------------------------------------------------------- rename / promote / rollback

def test_rename_promote_rollback(run, root):
    tutorial(run, root, size=1000)
    assert run("rename", "zroot/jails/containers/webserver", "zroot/jails/containers/web")[0] == 0
    assert (root / "jails/containers/web/etc/rc.conf").exists()
    assert run("rename", "zroot/jails/templates/base@15.0-RELEASE", "@v1")[0] == 0
    assert run("get", "-H", "-o", "value", "origin", "zroot/jails/containers/web")[1] == \
        "zroot/jails/templates/base@v1\n"
    assert run("rename", "zroot/jails/containers/web", "zroot/nope/x")[2] == \
        "cannot create 'zroot/nope/x': parent does not exist\n"
    assert run("promote", "zroot/jails") == (1, "", "cannot promote 'zroot/jails': not a cloned filesystem\n")
    assert run("promote", "zroot/jails/containers/web")[0] == 0
    assert run("get", "-H", "-o", "value", "origin", "zroot/jails/templates/base")[1] == \
        "zroot/jails/containers/web@v1\n"
    (root / "jails/containers/web/etc/rc.conf").write_text("changed")
    assert run("rollback", "zroot/jails/containers/web@v1")[0] == 0
    assert (root / "jails/containers/web/etc/rc.conf").read_text() == "hostname=base\n"


# ----------------------------------------------------------------- misc

def test_usage_errors(run):
    rc, _, err = run()
    assert rc == 2 and err.startswith("missing command\nusage: zfs command args ...\n")
    rc, _, err = run("frobnicate")
    assert rc == 2 and err.startswith("unrecognized command 'frobnicate'\n")
    rc, _, err = run("list", "-t", "foo")
    assert rc == 2 and err.startswith("invalid type 'foo'\n")
    rc, _, err = run("list", "-o", "name,bogus")
    assert rc == 2 and err.startswith("bad property list: invalid property 'bogus'\n")
    rc, out, err = run("list", "-H", "-t", "snapshot")
    assert (rc, out, err) == (0, "", "")
    rc, out, err = run("list", "-t", "snapshot")
    assert (rc, out, err) == (0, "", "no datasets available\n")


def test_concurrent_creates(run, root):
    run("create", "zroot/c")
    errors = []

    def worker(i):
        rc = zfs.main(["zfs", "create", "zroot/c/d%02d" % i])
        if rc:
            errors.append(i)
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    rc, out, _ = run("list", "-H", "-o", "name", "-d", "1", "zroot/c")
    assert out.splitlines() == ["zroot/c"] + ["zroot/c/d%02d" % i for i in range(20)]


name_chars = hs.sampled_from(list("abcXYZ019-_.: ") + list("!$&*+=?~,\t"))


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hs.lists(hs.text(name_chars, min_size=0, max_size=6), min_size=1, max_size=4))
def test_name_validation_properties(parts):
    name = "zroot/" + "/".join(parts)
    why = validate_name(name, 1)
    if any(p == "" for p in parts):
        assert why is not None
        return
    # zfs_namecheck() checks component after component: first its characters, then . and ..
    for p in parts:
        bad = [c for c in p if not (c.isalnum() or c in "-_.: ")]
        if bad:
            assert why == "invalid character '%s' in name" % bad[0]
            return
        if p == ".":
            assert why == "self reference, '.' is found in name"
            return
        if p == "..":
            assert why == "parent reference, '..' is found in name"
            return
    assert why is None


@given(hs.text(min_size=1, max_size=20))
def test_name_validation_never_crashes(s):
    r = validate_name(s, 1 | 2)
    assert r is None or isinstance(r, str)
