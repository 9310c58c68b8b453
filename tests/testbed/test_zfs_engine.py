"""zfs list / zfs get through the one property engine (zfs_engine.py), against OpenZFS 2.4.0:
the EXAMPLES of man/man8/zfs-list.8 and zfs-set.8 (zfs get), the column rules of
zfs_main.c print_header()/collect_dataset() and libzfs_util.c zprop_print_headers()."""
from __future__ import annotations

import json
import os
import random

import pytest

from freebsd_testbed import hoststate
from freebsd_testbed.tools import zfs_engine


@pytest.fixture
def pool(tool):
    p = hoststate.hostpath("/tmp/d0")
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.truncate(1 << 30)
    assert tool("zpool", "create", "pool", "/tmp/d0")[0] == 0
    # zfs-set.8 Example 1-3
    for argv in (("create", "pool/home"), ("set", "mountpoint=/export/home", "pool/home"),
                 ("create", "pool/home/bob"), ("create", "pool/home/anne"),
                 ("set", "compression=off", "pool/home"),
                 ("set", "compression=on", "pool/home/anne"),
                 ("set", "quota=50G", "pool/home/bob")):
        assert tool("zfs", *argv) == (0, "", "")
    return tool


def test_list_example_1(pool):
    """zfs-list.8 Example 1: NAME USED AVAIL REFER MOUNTPOINT, numbers right-aligned in 5."""
    rc, out, err = pool("zfs", "list", "-r", "pool")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "NAME             USED  AVAIL  REFER  MOUNTPOINT"
    assert [ln.split()[0] for ln in lines[1:]] == ["pool", "pool/home", "pool/home/anne",
                                                   "pool/home/bob"]
    assert lines[4].split()[4] == "/export/home/bob"
    assert all(ln[15:36].count("  ") >= 2 and len(ln.split()) == 5 for ln in lines[1:])


def test_list_example_2_json(pool):
    """zfs-list.8 Example 2: statistics have source NONE, a snapshot '-' for avail/mountpoint."""
    pool("zfs", "snapshot", "pool/home/bob@v1")
    rc, out, _ = pool("zfs", "list", "-j", "-t", "filesystem,snapshot", "-r", "pool")
    ds = json.loads(out)["datasets"]
    assert ds["pool"]["properties"]["mountpoint"] == {"value": "/pool",
                                                      "source": {"type": "DEFAULT", "data": "-"}}
    assert ds["pool/home"]["properties"]["mountpoint"]["source"] == {"type": "LOCAL", "data": "-"}
    assert ds["pool/home/bob"]["properties"]["mountpoint"] == {
        "value": "/export/home/bob", "source": {"type": "INHERITED", "data": "pool/home"}}
    snap = ds["pool/home/bob@v1"]
    assert [k for k in snap] == ["name", "type", "pool", "createtxg", "dataset", "snapshot_name",
                                 "properties"]
    assert snap["properties"]["used"] == {"value": "0B", "source": {"type": "NONE", "data": "-"}}
    assert snap["properties"]["available"]["value"] == "-"
    assert snap["properties"]["mountpoint"]["value"] == "-"


def test_get_examples(pool):
    """zfs-set.8 Example 4 (zfs get)."""
    assert pool("zfs", "get", "-H", "-o", "value", "compression", "pool/home/bob")[1] == "off\n"
    assert pool("zfs", "get", "-H", "-o", "value", "compression", "pool/home/anne")[1] == "on\n"
    rc, out, _ = pool("zfs", "get", "-r", "-s", "local", "-o", "name,property,value", "all",
                      "pool/home/bob")
    lines = out.splitlines()
    assert lines[1:] == ["pool/home/bob  quota                   50G"]
    # PROPERTY: longest visible name (defaultprojectobjquota); VALUE: widest zprop_width()
    assert lines[0] == "NAME           PROPERTY                VALUE"
    rc, out, _ = pool("zfs", "get", "-j", "-r", "mountpoint", "pool/home")
    ds = json.loads(out)["datasets"]
    assert list(ds) == ["pool/home", "pool/home/anne", "pool/home/bob"]
    assert ds["pool/home/bob"]["properties"]["mountpoint"]["source"] == {
        "type": "INHERITED", "data": "pool/home"}


def test_get_value_width_from_index_table(pool):
    """zprop_width(): an index column is as wide as its longest value name (zstd-fast-1000)."""
    rc, out, _ = pool("zfs", "get", "compression,quota", "pool/home/bob")
    assert out == ("NAME           PROPERTY     VALUE           SOURCE\n"
                   "pool/home/bob  compression  off             inherited from pool/home\n"
                   "pool/home/bob  quota        50G             local\n")
    # -p does not widen zfs get's columns (no ZFS_ITER_LITERAL_PROPS): creation sizes VALUE
    rc, out, _ = pool("zfs", "get", "-p", "used", "pool/home/bob")
    assert out.splitlines()[0] == "NAME           PROPERTY  VALUE  SOURCE"
    assert out.splitlines()[1].split() == ["pool/home/bob", "used", "98304", "-"]


def test_get_sources_and_columns(pool):
    pool("zfs", "set", "org.example:role=web", "pool/home")
    rc, out, _ = pool("zfs", "get", "-H", "-o", "name,source", "-s", "inherited",
                      "org.example:role,compression", "pool/home/bob", "pool/home")
    assert out == ("pool/home/bob\tinherited from pool/home\n"
                   "pool/home/bob\tinherited from pool/home\n")
    rc, out, _ = pool("zfs", "get", "-H", "-o", "all", "quota", "pool/home/bob")
    assert out == "pool/home/bob\tquota\t50G\t-\tlocal\n"
    rc, out, _ = pool("zfs", "get", "-H", "-s", "none", "-o", "property", "used,quota,origin",
                      "pool/home/bob")
    assert out == "used\norigin\n"
    rc, _, err = pool("zfs", "get", "-o", "name,all", "used", "pool")
    assert rc == 2 and err.startswith('"all" conflicts with specific fields given to -o option\n')
    rc, _, err = pool("zfs", "get", "-s", "bogus", "used", "pool")
    assert rc == 2 and err.startswith("invalid source 'bogus'\n")
    rc, _, err = pool("zfs", "get", "-o", "value,bogus", "used", "pool")
    assert rc == 2 and err.startswith("invalid column name 'bogus'\n")
    rc, _, err = pool("zfs", "get", "-o")
    assert rc == 2 and err.startswith("missing argument for 'o' option\n")


def test_list_literal_widens_fixed_columns(pool):
    """zfs list -p passes ZFS_ITER_LITERAL_PROPS: the fixed numeric columns widen."""
    rc, out, _ = pool("zfs", "list", "-p", "-o", "name,used", "-r", "pool/home")
    lines = out.splitlines()
    assert lines[0] == "NAME              USED"
    assert all(len(ln) == len(lines[0]) for ln in lines)


def test_list_sort_and_columns(pool):
    rc, out, _ = pool("zfs", "list", "-H", "-o", "name", "-s", "quota", "-r", "pool")
    assert out.splitlines()[-1] == "pool/home/bob"
    rc, out, _ = pool("zfs", "list", "-H", "-o", "name", "-S", "name", "-r", "pool")
    assert out.splitlines() == ["pool/home/bob", "pool/home/anne", "pool/home", "pool"]
    # any table name sorts, hidden ones too (zfs_add_sort_column())
    assert pool("zfs", "list", "-H", "-o", "name", "-s", "createtxg", "pool")[0] == 0
    rc, _, err = pool("zfs", "list", "-s", "bogus")
    assert rc == 2 and err.startswith("invalid property 'bogus'\n")
    # a user property column is headed by its upper-cased name and left-aligned
    pool("zfs", "set", "org.example:role=web", "pool/home")
    rc, out, _ = pool("zfs", "list", "-o", "name,org.example:role", "pool/home", "pool")
    assert out == ("NAME       ORG.EXAMPLE:ROLE\n"
                   "pool       -\n"
                   "pool/home  web\n")
    rc, out, _ = pool("zfs", "list", "-o", "space", "pool")
    assert out.splitlines()[0].split() == ["NAME", "AVAIL", "USED", "USEDSNAP", "USEDDS",
                                           "USEDREFRESERV", "USEDCHILD"]


def test_getopt_long_permutes(pool):
    """getopt_long(3) of FreeBSD libc permutes: options may follow the dataset."""
    assert pool("zfs", "list", "pool", "-H", "-o", "name") == (0, "pool\n", "")
    assert pool("zfs", "get", "quota", "pool/home/bob", "-H", "-o", "value") == (0, "50G\n", "")
    rc, _, err = pool("zfs", "list", "-o")
    assert rc == 2 and err.startswith("zfs: option requires an argument -- o\ninvalid option 'o'\n")
    rc, _, err = pool("zfs", "destroy", "-q", "pool/home")
    assert rc == 2 and err.startswith("zfs: illegal option -- q\ninvalid option 'q'\nusage:\n")
    rc, _, err = pool("zfs", "clone", "-u", "pool/home@x", "pool/c")
    assert rc == 2 and err.startswith("zfs: illegal option -- u\ninvalid option 'u'\n")


def test_mount_listing_and_version(pool):
    rc, out, _ = pool("zfs", "mount")
    assert "pool/home/bob                   /export/home/bob\n" in out
    rc, out, _ = pool("zfs", "version")
    assert rc == 0 and out.splitlines()[1].startswith("zfs-kmod-")
    rc, out, _ = pool("zfs", "version", "-j")
    doc = json.loads(out)
    assert doc["output_version"]["command"] == "zfs version"
    assert set(doc["zfs_version"]) == {"userland", "kernel"}
    rc, _, err = pool("zfs", "version", "x")
    assert rc == 2 and err.startswith("too many arguments\n")


def test_engine_widths_are_the_c_ones():
    assert zfs_engine.zprop_width("compression") == len("zstd-fast-1000")
    assert zfs_engine.zprop_width("used") == 5
    assert zfs_engine.zprop_width("usedbyrefreservation") == len("USEDREFRESERV")
    assert zfs_engine.name_to_prop("avail") == "available"
    assert zfs_engine.name_to_prop("AVAIL") is None       # propname_match(): lower case only
    assert zfs_engine.is_fixed("used") and not zfs_engine.is_fixed("guid")
    assert not zfs_engine.align_right("creation")


WORDS = ["-", "--", "-H", "-p", "-o", "-r", "-d", "-t", "-s", "-S", "-j", "--json", "--json-int",
         "--bogus", "-u", "-n", "-v", "-R", "-f", "all", "name", "name,value", "space", "used",
         "quota=1G", "compression=zstd", "org.x:y=z", "org.x:y", "userquota@root",
         "written@v1", "pool", "pool/home", "pool/home/bob", "pool/home@v1", "pool/home/bob@v1",
         "@v2", "v2", "pool/new/deep", "/export/home", "./x", "1", "-1", "snapshot", "local",
         "filesystem,snapshot", "bogus", "é", "\x01", "", "%", "#", "pool#b"]


def test_fuzz_zfs_no_traceback(pool):
    """No input makes zfs(8) print a traceback; exit codes stay those zfs_main.c returns."""
    pool("zfs", "snapshot", "pool/home@v1", "pool/home/bob@v1")
    rnd = random.Random(4321)
    subs = ["list", "get", "set", "inherit", "create", "destroy", "snapshot", "rename",
            "clone", "promote", "rollback", "mount", "unmount", "version"]
    for _ in range(400):
        argv = ["zfs", rnd.choice(subs)] + [rnd.choice(WORDS) for _ in range(rnd.randint(0, 6))]
        rc, out, err = pool(*argv)
        assert "Traceback" not in err and "internal error" not in err, (argv, err)
        assert rc in (0, 1, 2, 255), (argv, rc, err)
