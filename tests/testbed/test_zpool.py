"""zpool(8) of the testbed against OpenZFS 2.4.0 cmd/zpool/zpool_main.c (fast, in-process)."""
from __future__ import annotations

import os
import random

import pytest

from freebsd_testbed import hoststate


@pytest.fixture
def disks(tool):
    def make(*names, size=1 << 30):
        for n in names:
            p = hoststate.hostpath("/tmp/" + n)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.truncate(size)
    return make


def test_list_default_has_zroot(tool):
    rc, out, err = tool("zpool", "list")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("NAME    SIZE  ALLOC   FREE  CKPOINT  EXPANDSZ   FRAG    CAP  DEDUP"
                        "    HEALTH  ALTROOT")
    assert lines[1].startswith("zroot ") and lines[1].endswith("  ONLINE  -")


def test_create_file_vdev_list_status(tool, disks):
    disks("disk0")
    assert tool("zpool", "create", "tank", "/tmp/disk0") == (0, "", "")
    rc, out, _ = tool("zpool", "list", "-H", "-o", "name,size,free,health", "tank")
    assert rc == 0 and out == "tank\t960M\t960M\tONLINE\n"
    rc, out, _ = tool("zpool", "status", "tank")
    assert out == ("  pool: tank\n state: ONLINE\nconfig:\n\n"
                   "\tNAME          STATE     READ WRITE CKSUM\n"
                   "\ttank          ONLINE       0     0     0\n"
                   "\t  /tmp/disk0  ONLINE       0     0     0\n"
                   "\nerrors: No known data errors\n")
    # its datasets work with zfs(8)
    assert tool("zfs", "create", "tank/data")[0] == 0
    rc, out, _ = tool("zfs", "list", "-H", "-o", "name,avail,mountpoint", "-r", "tank")
    assert out == "tank\t832M\t/tank\ntank/data\t832M\t/tank/data\n"
    assert os.path.isdir(hoststate.hostpath("/tank/data"))


def test_mirror_dry_run_and_status(tool, disks):
    disks("a", "b")
    rc, out, _ = tool("zpool", "create", "-n", "m", "mirror", "/tmp/a", "/tmp/b")
    assert rc == 0
    assert out == ("would create 'm' with the following layout:\n\n"
                   "\tm\n\t  mirror\n\t    /tmp/a\n\t    /tmp/b\n")
    assert tool("zpool", "list", "m")[0] == 1
    assert tool("zpool", "create", "m", "mirror", "/tmp/a", "/tmp/b")[0] == 0
    rc, out, _ = tool("zpool", "status", "m")
    assert "\t  mirror-0  ONLINE       0     0     0\n" in out
    assert "\t    /tmp/a  ONLINE       0     0     0\n" in out
    rc, out, _ = tool("zpool", "list", "-v", "m")
    assert out.splitlines()[2].split() == ["mirror-0", "960M", "204K", "960M", "-", "-", "0%",
                                           "0.02%", "-", "ONLINE"]


def test_raidz_size(tool, disks):
    disks("r0", "r1", "r2")
    assert tool("zpool", "create", "rz", "raidz", "/tmp/r0", "/tmp/r1", "/tmp/r2")[0] == 0
    rc, out, _ = tool("zpool", "list", "-Ho", "size", "rz")
    assert out == "2.75G\n"


def test_get_set_sources(tool, disks):
    disks("d")
    assert tool("zpool", "create", "-o", "comment=hi", "-O", "compression=lz4", "p",
                "/tmp/d")[0] == 0
    rc, out, _ = tool("zpool", "get", "comment,failmode,size", "p")
    assert out == ("NAME  PROPERTY  VALUE     SOURCE\n"
                   "p     comment   hi        local\n"
                   "p     failmode  wait      default\n"
                   "p     size      960M      -\n")
    assert tool("zfs", "get", "-H", "-o", "value,source", "compression", "p")[1] == "lz4\tlocal\n"
    assert tool("zpool", "set", "autotrim=on", "p")[0] == 0
    assert tool("zpool", "get", "-H", "-o", "value,source", "autotrim", "p")[1] == "on\tlocal\n"
    rc, _, err = tool("zpool", "set", "size=1", "p")
    assert (rc, err) == (1, "cannot set property for 'p': 'size' is readonly\n")
    rc, _, err = tool("zpool", "set", "autotrim=maybe", "p")
    assert err == "cannot set property for 'p': 'autotrim' must be one of 'on | off'\n"
    rc, out, _ = tool("zpool", "get", "all", "p")
    assert "p     feature@async_destroy          enabled                        local\n" in out


def test_errors_and_usage(tool, disks):
    disks("e0")
    rc, _, err = tool("zpool", "list", "nosuch")
    assert (rc, err) == (1, "cannot open 'nosuch': no such pool\n")
    rc, _, err = tool("zpool", "status", "nosuch")
    assert (rc, err) == (1, "cannot open 'nosuch': no such pool\n")
    rc, _, err = tool("zpool", "create")
    assert rc == 2 and err.startswith("missing pool name argument\nusage:\n\tcreate [-fnd]")
    rc, _, err = tool("zpool", "create", "t")
    assert rc == 2 and err.startswith("missing vdev specification\n")
    rc, _, err = tool("zpool", "create", "t/x", "/tmp/e0")
    assert err == ("cannot create 't/x': invalid character '/' in pool name\n"
                   "use 'zfs create' to create a dataset\n")
    rc, _, err = tool("zpool", "create", "t", "/tmp/missing")
    assert (rc, err) == (1, "cannot resolve path '/tmp/missing'\n")
    disks("tiny", size=10 << 20)
    rc, _, err = tool("zpool", "create", "t", "/tmp/tiny")
    assert err == "cannot create 't': one or more devices is less than the minimum size (64M)\n"
    assert tool("zpool", "create", "t", "/tmp/e0")[0] == 0
    rc, _, err = tool("zpool", "create", "t", "/tmp/e0")
    assert err.startswith("invalid vdev specification\nuse '-f' to override the following "
                          "errors:\n/tmp/e0 is part of active pool 't'\n")
    rc, _, err = tool("zpool", "destroy")
    assert rc == 2 and err.startswith("missing pool argument\nusage:\n\tdestroy [-f] <pool>\n")
    rc, _, err = tool("zpool", "frob")
    assert rc == 2 and err.startswith("unrecognized command 'frob'\nusage: zpool command")
    rc, _, err = tool("zpool", "list", "-Z")
    assert rc == 2 and err.startswith("invalid option 'Z'\nusage:\n\tlist ")
    assert "the following properties are supported:" in err
    rc, out, _ = tool("zpool", "-?")
    assert rc == 0 and out.startswith("usage: zpool command args ...\n")
    rc, _, err = tool("zfs", "destroy", "t")
    assert "use 'zpool destroy t' to destroy the pool itself" in err


def test_destroy_export_import(tool, disks):
    disks("x0")
    assert tool("zpool", "create", "ex", "/tmp/x0")[0] == 0
    assert tool("zfs", "create", "ex/fs")[0] == 0
    assert tool("zpool", "export", "ex")[0] == 0
    assert tool("zfs", "list", "ex")[2] == "cannot open 'ex': dataset does not exist\n"
    assert tool("zpool", "import")[2] == "no pools available to import\n"
    rc, out, _ = tool("zpool", "import", "-d", "/tmp")
    # show_import() (zpool_main.c:3422, zfs-2.4.0, commit 5137c132a5): "%s  pool: %s" with
    # indent "" when the pool has no comment
    assert rc == 0 and out.startswith("  pool: ex\n    id: ")
    assert tool("zpool", "import", "-d", "/tmp", "ex")[0] == 0
    assert tool("zfs", "list", "-H", "-o", "name", "-r", "ex")[1] == "ex\nex/fs\n"
    assert tool("zpool", "destroy", "ex")[0] == 0
    assert tool("zpool", "list", "ex")[0] == 1
    assert not os.path.exists(hoststate.hostpath("/ex/fs"))
    assert tool("zpool", "create", "again", "/tmp/x0")[0] == 0


def test_altroot(tool, disks):
    disks("alt0")
    assert tool("zpool", "create", "-R", "/mnt", "alt", "/tmp/alt0")[0] == 0
    assert tool("zfs", "get", "-H", "-o", "value", "mountpoint", "alt")[1] == "/mnt/alt\n"
    assert tool("zpool", "get", "-H", "-o", "value,source", "altroot", "alt")[1] == "/mnt\tlocal\n"


FUZZ_WORDS = ["-", "--", "-H", "-p", "-o", "-v", "-r", "-d", "-t", "-s", "-S", "-f", "-n",
              "-R", "-m", "-O", "-x", "-j", "--json", "--json-int", "all", "name", "size",
              "tank", "zroot", "zroot/usr", "zroot@s", "x=y", "comment=é", "bad prop", "\x01",
              "mirror", "raidz", "/tmp/f0", "/", "1", "-1", "%", "@", "#", ""]
SUBS = {"zpool": ["create", "list", "status", "get", "set", "destroy", "export", "import",
                  "version", "help", "x=1", "add"],
        "zfs": ["create", "list", "get", "set", "destroy", "snapshot", "rename", "clone",
                "promote", "rollback", "inherit", "mount", "unmount", "bogus"]}


@pytest.mark.parametrize("prog", ["zpool", "zfs"])
def test_fuzz_no_traceback(tool, disks, prog):
    disks("f0")
    rnd = random.Random(1234)
    for _ in range(250):
        argv = [prog, rnd.choice(SUBS[prog])] + [rnd.choice(FUZZ_WORDS)
                                                 for _ in range(rnd.randint(0, 5))]
        rc, out, err = tool(*argv)
        assert "Traceback" not in err and "internal error" not in err, (argv, err)
        assert rc in (0, 1, 2, 22, 255), (argv, rc, err)
