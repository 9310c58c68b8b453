"""Fidelity of the testbed's zfs(8) write subcommands against OpenZFS 2.4.0 source.

Every expectation cites the line of the zfs-2.4.0 tag it comes from (cmd/zfs/zfs_main.c,
lib/libzfs/libzfs_dataset.c, libzfs_iter.c, libzfs_util.c, libzfs_mount.c).
"""
from __future__ import annotations

import re

import pytest


@pytest.fixture
def zfs(tool):
    def run(*args):
        return tool("zfs", *args)
    return run


def ok(r):
    rc, out, err = r
    assert rc == 0 and err == "", r
    return out


def usage_of(err, cmd_line):
    """usage(B_FALSE): "usage:\\n" + the command's lines, exit 2 (zfs_main.c:usage())."""
    return ("usage:\n" + cmd_line) in err


# --------------------------------------------------------------------------- create

def test_create_pool_root_is_missing_dataset_name(zfs):
    # libzfs_dataset.c:3497 check_parents(): parent_name() fails on a pool -> "missing
    # dataset name"; it runs before the exists check (zfs_create(), :3729 then :3739)
    assert zfs("create", "zroot") == (1, "", "cannot create 'zroot': missing dataset name\n")


def test_create_parent_and_pool_errors(zfs):
    # check_parents(): "no such pool '%s'" (:3510), "parent does not exist" (:3527)
    assert zfs("create", "nopool/a") == (1, "", "cannot create 'nopool/a': no such pool "
                                                "'nopool'\n")
    assert zfs("create", "zroot/x/y") == (1, "", "cannot create 'zroot/x/y': parent does not "
                                                 "exist\n")
    ok(zfs("create", "zroot/x"))
    # zfs_create() :3739 "dataset already exists"
    assert zfs("create", "zroot/x") == (1, "", "cannot create 'zroot/x': dataset already "
                                               "exists\n")


def test_create_p_verbose_and_parsable(zfs):
    # zfs_main.c:1277-1285: -p prints "create ancestors of <name>" (argv[0], not the parent)
    # then :1294 "create <name>" and each -o as "\t%s=%s"; -P: "create_ancestors\t%s",
    # "create\t%s", "property\t%s\t%s"
    out = ok(zfs("create", "-p", "-v", "-o", "compression=lz4", "zroot/a/b/c"))
    assert out == "create ancestors of zroot/a/b/c\ncreate zroot/a/b/c\n\tcompression=lz4\n"
    out = ok(zfs("create", "-p", "-P", "-o", "atime=off", "zroot/a/d/e"))
    assert out == ("create_ancestors\tzroot/a/d/e\ncreate\tzroot/a/d/e\n"
                   "property\tatime\toff\n")
    # :1275: with -p an existing target is success, silently
    assert zfs("create", "-p", "-v", "zroot/a/b/c") == (0, "", "")
    names = ok(zfs("list", "-H", "-o", "name", "-r", "zroot/a")).split()
    assert names == ["zroot/a", "zroot/a/b", "zroot/a/b/c", "zroot/a/d", "zroot/a/d/e"]


def test_create_dry_run_does_not_check_parent(zfs):
    # zfs_main.c:1185-1204: -n opens the pool and validates -o ("cannot verify '%s'"), then
    # prints and returns at :1323 without zfs_create()'s parent check
    assert zfs("create", "-n", "-v", "zroot/no/such") == (0, "would create zroot/no/such\n", "")
    assert zfs("create", "-n", "-p", "-v", "zroot/no/such") == (
        0, "would create ancestors of zroot/no/such\nwould create zroot/no/such\n", "")
    # zpool_open() failure: "cannot open '<pool>': no such pool" (libzfs_pool.c:1332)
    assert zfs("create", "-n", "nopool/x") == (1, "", "cannot open 'nopool': no such pool\n")
    rc, out, err = zfs("create", "-n", "-o", "atime=maybe", "zroot/x")
    assert (rc, out, err) == (1, "", "cannot verify 'zroot/x': 'atime' must be one of "
                                     "'on | off'\n")
    assert zfs("list", "zroot/no")[0] == 1


def test_create_option_misuse(zfs):
    # zfs_main.c:1162: '-s' and '-b' only with -V; usage -> exit 2
    rc, out, err = zfs("create", "-s", "zroot/x")
    assert rc == 2 and err.startswith("'-s' and '-b' can only be used when creating a volume\n")
    assert usage_of(err, "\tcreate [-Pnpuv] [-o property=value] ... <filesystem>\n")
    # :1167: '-u' only for filesystems
    rc, out, err = zfs("create", "-u", "-V", "1G", "zroot/v")
    assert rc == 2 and err.startswith("'-u' can only be used when creating a filesystem\n")
    # :1105: bad -V size exits 1 (goto error), text from zfs_nicestrtonum()
    assert zfs("create", "-V", "lots", "zroot/v") == (
        1, "", "bad volume size 'lots': bad numeric value 'lots'\n")
    # :651 parseprop(): missing '=' and repeats, exit 1 (goto error)
    assert zfs("create", "-o", "atime", "zroot/x") == (
        1, "", "missing '=' for property=value argument\n")
    assert zfs("create", "-o", "atime=on", "-o", "atime=off", "zroot/x") == (
        1, "", "property 'atime' specified multiple times\n")
    # :1175/:1180 operand count
    rc, _, err = zfs("create")
    assert rc == 2 and err.startswith("missing filesystem argument\n")
    rc, _, err = zfs("create", "zroot/a", "zroot/b")
    assert rc == 2 and err.startswith("too many arguments\n")


def test_create_u_does_not_mount(zfs):
    # zfs_main.c:1336: -u skips zfs_mount_and_share()
    ok(zfs("create", "-u", "zroot/quiet"))
    assert ok(zfs("get", "-H", "-o", "value", "mounted", "zroot/quiet")) == "no\n"
    ok(zfs("create", "zroot/loud"))
    assert ok(zfs("get", "-H", "-o", "value", "mounted", "zroot/loud")) == "yes\n"


# --------------------------------------------------------------------------- destroy

@pytest.fixture
def tree(zfs):
    ok(zfs("create", "-p", "zroot/t/a"))
    ok(zfs("create", "zroot/t/b"))
    ok(zfs("snapshot", "-r", "zroot/t@s1"))
    ok(zfs("snapshot", "zroot/t@s2"))
    ok(zfs("clone", "zroot/t@s1", "zroot/c"))
    return zfs


def test_destroy_children_listed_in_dependents_order(tree):
    # zfs_main.c:1391 destroy_check_dependent(): "<type> has children" and every dependent;
    # libzfs_iter.c:528 iter_dependents_cb(): child filesystems (post-order) first, then the
    # snapshots by createtxg
    assert tree("destroy", "zroot/t") == (1, "", (
        "cannot destroy 'zroot/t': filesystem has children\n"
        "use '-r' to destroy the following datasets:\n"
        "zroot/t/a@s1\nzroot/t/a\nzroot/t/b@s1\nzroot/t/b\nzroot/t@s1\nzroot/t@s2\n"))


def test_destroy_r_with_outside_clone(tree):
    # destroy_check_dependent(): with -r a clone outside the tree is "has dependent clones"
    assert tree("destroy", "-r", "zroot/t") == (1, "", (
        "cannot destroy 'zroot/t': filesystem has dependent clones\n"
        "use '-R' to destroy the following datasets:\nzroot/c\n"))


def test_destroy_Rnv_lists_everything(tree):
    # destroy_callback() (:1454) prints "would destroy %s" for each dependent (clones of a
    # snapshot come just before it, libzfs_iter.c:535) and then the target
    assert tree("destroy", "-R", "-n", "-v", "zroot/t") == (0, (
        "would destroy zroot/t/a@s1\nwould destroy zroot/t/a\nwould destroy zroot/t/b@s1\n"
        "would destroy zroot/t/b\nwould destroy zroot/c\nwould destroy zroot/t@s1\n"
        "would destroy zroot/t@s2\nwould destroy zroot/t\n"), "")
    # -p (parsable): "destroy\t%s"
    rc, out, _ = tree("destroy", "-R", "-n", "-p", "zroot/t")
    assert rc == 0 and out.splitlines()[-1] == "destroy\tzroot/t"
    assert ok(tree("list", "-H", "-o", "name", "zroot/t")) == "zroot/t\n"


def test_destroy_pool_root(zfs):
    # zfs_main.c:1843: without -r a pool's root is refused with three lines
    assert zfs("destroy", "zroot") == (1, "", (
        "cannot destroy 'zroot': operation does not apply to pools\n"
        "use 'zfs destroy -r zroot' to destroy all datasets in the pool\n"
        "use 'zpool destroy zroot' to destroy the pool itself\n"))
    # destroy_callback() :1476: the root is reported but never destroyed
    ok(zfs("create", "zroot/only"))
    rc, out, err = zfs("destroy", "-r", "-v", "zroot")
    assert rc == 0 and out.endswith("will destroy zroot\n")
    assert ok(zfs("list", "-H", "-o", "name")) == "zroot\n"


def test_destroy_snapshot_with_clone(tree):
    # snapshot_to_nvl_cb() + destroy_check_dependent(): "snapshot has dependent clones"
    assert tree("destroy", "zroot/t@s1") == (1, "", (
        "cannot destroy 'zroot/t@s1': snapshot has dependent clones\n"
        "use '-R' to destroy the following datasets:\nzroot/c\n"))


def test_destroy_snapshot_range_verbose(zfs):
    ok(zfs("create", "zroot/r"))
    for s in ("a", "b", "c", "d"):
        ok(zfs("snapshot", "zroot/r@" + s))
    # zfs_iter_snapspec_v2() (libzfs_iter.c:419): 'b%c' is the inclusive range; -nv prints
    # "would destroy" per snapshot then "would reclaim <nicebytes>" (zfs_main.c:1773)
    rc, out, err = zfs("destroy", "-nv", "zroot/r@b%c")
    assert rc == 0 and err == ""
    assert out.splitlines()[:2] == ["would destroy zroot/r@b", "would destroy zroot/r@c"]
    assert re.fullmatch(r"would reclaim \d+(\.\d+)?[BKMGTPE]", out.splitlines()[2])
    # -p: "reclaim\t%llu"
    rc, out, err = zfs("destroy", "-np", "zroot/r@%b")
    assert out.splitlines()[:2] == ["destroy\tzroot/r@a", "destroy\tzroot/r@b"]
    assert re.fullmatch(r"reclaim\t\d+", out.splitlines()[2])
    # ranges with an empty end and comma lists
    ok(zfs("destroy", "zroot/r@c%,a"))
    assert ok(zfs("list", "-H", "-o", "name", "-t", "snapshot", "-r", "zroot/r")) == \
        "zroot/r@b\n"


def test_destroy_snapshot_not_found_and_bad_fs(zfs):
    ok(zfs("create", "zroot/n"))
    # zfs_main.c:1764: nothing gathered
    assert zfs("destroy", "zroot/n@nope") == (
        1, "", "could not find any snapshots to destroy; check snapshot names.\n")
    # :1749 zfs_open() of the filesystem part
    assert zfs("destroy", "zroot/none@x") == (
        1, "", "cannot open 'zroot/none': dataset does not exist\n")


def test_destroy_R_snapshot_reports_clones_after_reclaim(tree):
    # zfs_main.c:1713: -R sets cb_recurse too, so gather_snapshots() (:1587) descends into
    # the children; the reclaim line (:1773) comes next, and the clones are destroyed (and
    # printed) afterwards by destroy_clones() (:1639) through destroy_callback()
    rc, out, err = tree("destroy", "-R", "-v", "zroot/t@s1")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[:3] == ["will destroy zroot/t@s1", "will destroy zroot/t/a@s1",
                         "will destroy zroot/t/b@s1"]
    assert lines[3].startswith("will reclaim ")
    assert lines[4:] == ["will destroy zroot/c"]
    assert ok(tree("list", "-H", "-o", "name", "-t", "snapshot", "-r", "zroot/t")) == \
        "zroot/t@s2\n"


def test_destroy_bookmark_flags(zfs):
    ok(zfs("create", "zroot/bm"))
    # zfs_main.c:1805-1822: flags refused with bookmarks, return -1 (exit 255)
    assert zfs("destroy", "-n", "zroot/bm#x") == (255, "", "dryrun is not supported with "
                                                           "bookmark\n")
    assert zfs("destroy", "-r", "zroot/bm#x") == (255, "", "recursive is not supported with "
                                                           "bookmark\n")
    assert zfs("destroy", "zroot/bm#x") == (1, "", "bookmark 'zroot/bm#x' does not exist.\n")


def test_destroy_d_needs_snapshot(zfs):
    ok(zfs("create", "zroot/dd"))
    # -d sets type = ZFS_TYPE_SNAPSHOT (zfs_main.c:1718); zfs_validate_name() then wants '@'
    assert zfs("destroy", "-d", "zroot/dd") == (
        1, "", "cannot open 'zroot/dd': missing '@' delimiter in snapshot name\n")


# --------------------------------------------------------------------------- snapshot

def test_snapshot_errors(zfs):
    ok(zfs("create", "-p", "zroot/s/k"))
    ok(zfs("snapshot", "-r", "zroot/s@one"))
    # lzc_snapshot() errors per snapshot (libzfs_dataset.c:4256) then zfs_main.c:4704
    assert zfs("snapshot", "-r", "zroot/s@one") == (1, "", (
        "cannot create snapshot 'zroot/s@one': dataset already exists\n"
        "cannot create snapshot 'zroot/s/k@one': dataset already exists\n"
        "no snapshots were created\n"))
    assert zfs("snapshot", "zroot/s@one") == (
        1, "", "cannot create snapshot 'zroot/s@one': dataset already exists\n")
    # zfs_main.c:4693: zfs_open() failure goes to usage (exit 2)
    rc, out, err = zfs("snapshot", "zroot/nope@x")
    assert rc == 2 and err.startswith("cannot open 'zroot/nope': dataset does not exist\n"
                                      "usage:\n\tsnapshot [-r]")
    # zfs_valid_proplist() :1089 with errbuf "cannot create snapshots " (:4214)
    assert zfs("snapshot", "-o", "atime=off", "zroot/s@two") == (
        1, "", "cannot create snapshots : this property can not be modified for snapshots\n")
    # user properties are fine
    ok(zfs("snapshot", "-o", "my:tag=v", "zroot/s@two"))
    assert ok(zfs("get", "-H", "-o", "value,source", "my:tag", "zroot/s@two")) == "v\tlocal\n"
    # zfs_snapshot_nvl() :4222 name check
    assert zfs("snapshot", "zroot/s@bad!") == (
        1, "", "cannot create snapshot 'zroot/s@bad!': invalid character '!' in name\n")


# --------------------------------------------------------------------------- rollback

def test_rollback_messages(zfs):
    ok(zfs("create", "zroot/rb"))
    for s in ("a", "b", "c"):
        ok(zfs("snapshot", "zroot/rb@" + s))
    ok(zfs("clone", "zroot/rb@b", "zroot/rbc"))
    # zfs_main.c:4362 rollback_check()
    assert zfs("rollback", "zroot/rb@a") == (1, "", (
        "cannot rollback to 'zroot/rb@a': more recent snapshots or bookmarks exist\n"
        "use '-r' to force deletion of the following snapshots and bookmarks:\n"
        "zroot/rb@b\nzroot/rb@c\n"))
    # :4322 rollback_check_dependent()
    assert zfs("rollback", "-r", "zroot/rb@a") == (1, "", (
        "cannot rollback to 'zroot/rb@a': clones of previous snapshots exist\n"
        "use '-R' to force deletion of the following clones and dependents:\nzroot/rbc\n"))
    ok(zfs("rollback", "-R", "zroot/rb@a"))
    assert ok(zfs("list", "-H", "-o", "name", "-t", "all", "-r", "zroot/rb")) == \
        "zroot/rb\nzroot/rb@a\n"
    assert zfs("list", "zroot/rbc")[0] == 1
    # zfs_open(ZFS_TYPE_SNAPSHOT) of a filesystem name (libzfs_dataset.c:719)
    assert zfs("rollback", "zroot/rb") == (
        1, "", "cannot open 'zroot/rb': missing '@' delimiter in snapshot name\n")


# --------------------------------------------------------------------------- rename/promote

def test_rename_messages(zfs):
    ok(zfs("create", "zroot/rn"))
    ok(zfs("snapshot", "zroot/rn@s1"))
    ok(zfs("snapshot", "zroot/rn@s2"))
    # zfs_main.c:4101: operand count is checked before the -p/-r exclusion
    rc, _, err = zfs("rename", "-p", "-r", "zroot/rn")
    assert rc == 2 and err.startswith("missing target dataset argument\n")
    # libzfs_dataset.c:4557 check_parents() -> "cannot create '<target>'"
    assert zfs("rename", "zroot/rn", "zroot/no/rn") == (
        1, "", "cannot create 'zroot/no/rn': parent does not exist\n")
    # :4570 is_descendant()
    assert zfs("rename", "zroot/rn", "zroot/rn/sub") == (1, "", (
        "cannot rename to 'zroot/rn/sub': New dataset name cannot be a descendant of "
        "current dataset name\n"))
    # the ioctl's EEXIST: zfs_standard_error() with errbuf "cannot rename '<source>'" (:4648)
    assert zfs("rename", "zroot/rn", "zroot/tmp") == (
        1, "", "cannot rename 'zroot/rn': dataset already exists\n")
    assert zfs("rename", "zroot/rn@s1", "s2") == (
        1, "", "cannot rename 'zroot/rn@s1': dataset already exists\n")
    # :4536 snapshots must stay in their dataset
    assert zfs("rename", "zroot/rn@s1", "zroot/tmp@s1") == (
        1, "", "cannot rename to 'zroot/tmp@s1': snapshots must be part of same dataset\n")
    # abbreviated targets: "@new" and "new" (:4514-4528)
    ok(zfs("rename", "zroot/rn@s1", "@t1"))
    ok(zfs("rename", "zroot/rn@t1", "t2"))
    assert ok(zfs("list", "-H", "-o", "name", "-t", "snapshot", "-r", "zroot/rn")) == \
        "zroot/rn@t2\nzroot/rn@s2\n"
    # -p creates the target's ancestors (zfs_main.c:4152)
    ok(zfs("rename", "-p", "zroot/rn", "zroot/deep/er/rn"))
    assert ok(zfs("get", "-H", "-o", "value", "mountpoint", "zroot/deep/er/rn")) == \
        "/zroot/deep/er/rn\n"


def test_promote_messages(zfs):
    ok(zfs("create", "zroot/o"))
    ok(zfs("snapshot", "zroot/o@s"))
    ok(zfs("clone", "zroot/o@s", "zroot/k"))
    ok(zfs("snapshot", "zroot/k@s"))
    # libzfs_dataset.c:4162 "conflicting snapshot '%s' from parent '%s'" with the origin
    assert zfs("promote", "zroot/k") == (
        1, "", "cannot promote 'zroot/k': conflicting snapshot 's' from parent 'zroot/o@s'\n")
    # :4139
    assert zfs("promote", "zroot/o") == (1, "", "cannot promote 'zroot/o': not a cloned "
                                                "filesystem\n")
    # zfs_main.c:4176: any leading '-' is an invalid option
    rc, _, err = zfs("promote", "-f", "zroot/k")
    assert rc == 2 and err.startswith("invalid option 'f'\nusage:\n\tpromote <clone-filesystem>")


# --------------------------------------------------------------------------- set / inherit

def test_set_operands_and_exit_codes(zfs):
    ok(zfs("create", "zroot/p"))
    # zfs_main.c:4562-4568
    rc, _, err = zfs("set", "atime=off")
    assert rc == 2 and err.startswith("missing dataset name(s)\n")
    rc, _, err = zfs("set", "zroot/p")
    assert rc == 2 and err.startswith("missing property=value argument(s)\n")
    rc, _, err = zfs("set", "atime=off", "zroot/p", "exec=off")
    assert rc == 2 and err.startswith("invalid argument order\n")
    # parseprop() repeat: ret = -1 -> exit 255
    assert zfs("set", "atime=off", "atime=on", "zroot/p") == (
        255, "", "property 'atime' specified multiple times\n")
    # zfs_for_each(): every operand opened first (ret = 1), set_callback() then fails -1
    assert zfs("set", "atime=maybe", "zroot/nope", "zroot/p") == (255, "", (
        "cannot open 'zroot/nope': dataset does not exist\n"
        "cannot set property for 'zroot/p': 'atime' must be one of 'on | off'\n"))
    assert zfs("set", "used=1", "zroot/p") == (
        255, "", "cannot set property for 'zroot/p': 'used' is readonly\n")
    assert zfs("set", "atime=off", "zroot/nope") == (
        1, "", "cannot open 'zroot/nope': dataset does not exist\n")
    ok(zfs("set", "atime=off", "exec=off", "my:note=hello world", "zroot/p"))
    assert ok(zfs("get", "-H", "-o", "property,value,source", "atime,exec,my:note",
                  "zroot/p")) == ("atime\toff\tlocal\nexec\toff\tlocal\n"
                                  "my:note\thello world\tlocal\n")


def test_inherit_messages(zfs):
    ok(zfs("create", "-p", "zroot/i/j"))
    ok(zfs("snapshot", "zroot/i@s"))
    # zfs_main.c:2517-2540
    assert zfs("inherit", "used", "zroot/i") == (1, "", "used property is read-only\n")
    assert zfs("inherit", "quota", "zroot/i") == (1, "", (
        "'quota' property cannot be inherited\nuse 'zfs set quota=none' to clear\n"
        "use 'zfs inherit -S quota' to revert to received value\n"))
    assert zfs("inherit", "-S", "volsize", "zroot/i") == (
        1, "", "'volsize' property cannot be reverted to a received value\n")
    rc, _, err = zfs("inherit", "nosuch", "zroot/i")
    assert rc == 2 and err.startswith("invalid property 'nosuch'\n")
    # libzfs_dataset.c:1998 zfs_prop_inherit(): EZFS_PROPTYPE's description
    assert zfs("inherit", "compression", "zroot/i@s") == (1, "", (
        "cannot inherit compression for 'zroot/i@s': property doesn't apply to datasets of "
        "this type\n"))
    # -r skips datasets the property does not apply to (inherit_recurse_cb(), :2451)
    ok(zfs("set", "compression=gzip", "zroot/i/j"))
    ok(zfs("inherit", "-r", "compression", "zroot/i"))
    assert ok(zfs("get", "-H", "-o", "value,source", "compression", "zroot/i/j")) == \
        "lz4\tinherited from zroot\n"


# --------------------------------------------------------------------------- hold / release

def test_hold_release_holds(zfs):
    ok(zfs("create", "-p", "zroot/h/c"))
    ok(zfs("snapshot", "-r", "zroot/h@s"))
    # zfs_main.c:6765 tag may not start with '.'
    rc, _, err = zfs("hold", ".x", "zroot/h@s")
    assert rc == 2 and err.startswith("tag may not start with '.'\nusage:\n\thold [-r]")
    # :6777 operand without '@'
    assert zfs("hold", "keep", "zroot/h") == (1, "", "'zroot/h' is not a snapshot\n")
    # libzfs_dataset.c:5018 nothing to hold -> zfs_standard_error(ENOENT)
    assert zfs("hold", "keep", "zroot/h@nope") == (
        1, "", "cannot hold snapshot 'zroot/h@nope': dataset does not exist\n")
    ok(zfs("hold", "-r", "keep", "zroot/h@s"))
    # :5087 EEXIST -> EZFS_REFTAG_HOLD "tag already exists on this dataset"
    assert zfs("hold", "keep", "zroot/h@s") == (
        1, "", "cannot hold snapshot 'zroot/h@s': tag already exists on this dataset\n")
    # print_holds(): widths are the longest name and tag seen (zfs_main.c:6856), -H tabs
    out = ok(zfs("holds", "-r", "zroot/h@s"))
    lines = out.splitlines()
    assert lines[0] == "NAME         TAG   TIMESTAMP"
    # zfs_for_each() order (zfs_iter.c zfs_sort()/zfs_compare(): by filesystem name)
    assert re.fullmatch(r"zroot/h@s    keep  \w{3} \w{3} [ \d]\d \d\d:\d\d \d{4}", lines[1])
    assert lines[2].startswith("zroot/h/c@s  keep  ")
    assert re.fullmatch(r"zroot/h@s\tkeep\t\d+\n", ok(zfs("holds", "-H", "-p", "zroot/h@s")))
    assert ok(zfs("get", "-H", "-o", "value", "userrefs", "zroot/h@s")) == "1\n"
    # libzfs_dataset.c:4011 destroying a held snapshot
    assert zfs("destroy", "zroot/h@s") == (1, "", (
        "cannot destroy snapshot zroot/h@s: it's being held. Run 'zfs holds -r zroot/h@s' "
        "to see holders.\n"))
    # -d defers it (defer_destroy=on) until the last release
    ok(zfs("destroy", "-d", "zroot/h@s"))
    assert ok(zfs("get", "-H", "-o", "value", "defer_destroy", "zroot/h@s")) == "on\n"
    ok(zfs("release", "keep", "zroot/h@s"))
    assert zfs("list", "-t", "snapshot", "zroot/h@s")[0] == 1
    # :5156 ESRCH -> EZFS_REFTAG_RELE "no such tag on this dataset"
    assert zfs("release", "keep", "zroot/h@s") == (
        1, "", "cannot release hold from snapshot 'zroot/h@s': dataset does not exist\n")
    assert zfs("release", "other", "zroot/h/c@s") == (
        1, "", "cannot release hold from snapshot 'zroot/h/c@s': no such tag on this "
               "dataset\n")
    # zfs_do_holds(): nothing listed -> header only and "no datasets available"
    assert zfs("holds", "zroot/h") == (1, "NAME  TAG  TIMESTAMP\n",
                                       "'zroot/h' is not a snapshot\nno datasets available\n")


# --------------------------------------------------------------------------- mount / unmount

def test_mount_unmount_messages(zfs):
    ok(zfs("create", "zroot/m"))
    # share_mount_one() (zfs_main.c:7365): already mounted
    assert zfs("mount", "zroot/m") == (1, "", "cannot mount 'zroot/m': filesystem already "
                                              "mounted\n")
    ok(zfs("unmount", "zroot/m"))
    # unshare_unmount() (:8133): not currently mounted
    assert zfs("unmount", "zroot/m") == (1, "", "cannot unmount 'zroot/m': not currently "
                                                "mounted\n")
    ok(zfs("mount", "zroot/m"))
    ok(zfs("set", "mountpoint=legacy", "zroot/m"))
    # :7229 legacy mountpoint (checked before 'already mounted')
    assert zfs("mount", "zroot/m") == (1, "", "cannot mount 'zroot/m': legacy mountpoint\n"
                                              "use mount(8) to mount this filesystem\n")
    ok(zfs("set", "mountpoint=none", "zroot/m"))
    assert zfs("mount", "zroot/m") == (1, "", "cannot mount 'zroot/m': no mountpoint set\n")
    ok(zfs("inherit", "mountpoint", "zroot/m"))
    ok(zfs("set", "canmount=off", "zroot/m"))
    assert zfs("mount", "zroot/m") == (
        1, "", "cannot mount 'zroot/m': 'canmount' property is set to 'off'\n")
    # zfs_open(ZFS_TYPE_FILESYSTEM)
    assert zfs("mount", "zroot/m@x") == (
        1, "", "cannot open 'zroot/m@x': snapshot delimiter '@' is not expected here\n")
    # :8089 operand count
    rc, _, err = zfs("unmount")
    assert rc == 2 and err.startswith("missing filesystem argument\n")
    # unmount of a path with a mount below it: unmount_one() EBUSY (libzfs_mount.c:556)
    assert zfs("unmount", "/") == (1, "", "cannot unmount '/': pool or dataset is busy\n")


# --------------------------------------------------------------------------- volumes

def test_zvol_reservation_formula():
    from freebsd_testbed.tools.zfs import zvol_reservation
    # libzfs_dataset.c:5604 zvol_volsize_to_reservation(): 1G of 16K blocks = 65536 blocks,
    # indirect levels 64 + 1, (7 + 65) * MIN(3, 1 + 1) blocks of 128K metadata
    assert zvol_reservation(1 << 30, 16384) == (1 << 30) + (7 + 64 + 1) * 2 * (1 << 17)
    assert zvol_reservation(0, 16384) == 7 * 2 * (1 << 17)


def test_create_volume_verbose_and_list(zfs):
    # zfs_main.c:1258-1273: refreservation = zvol_volsize_to_reservation() added after the
    # -V size; -v prints the nvlist, numbers as %llu (:1300)
    assert zfs("create", "-n", "-v", "-V", "1G", "zroot/vol") == (
        0, "would create zroot/vol\n\tvolsize=1073741824\n\trefreservation=1092616192\n", "")
    # :1229: a size that is not a multiple of volblocksize is rounded up and re-added (moves
    # to the end of the nvlist); -s adds no refreservation
    assert zfs("create", "-n", "-P", "-s", "-b", "8k", "-V", "1000000", "zroot/vol") == (
        0, "create\tzroot/vol\nproperty\tvolblocksize\t8192\nproperty\tvolsize\t1007616\n", "")
    ok(zfs("create", "-V", "1G", "zroot/vol"))
    out = ok(zfs("get", "-H", "-o", "property,value,source",
                 "type,volsize,volblocksize,refreservation,mountpoint,used", "zroot/vol"))
    # get_numeric_property() (libzfs_dataset.c:2254): volsize is "local"; volblocksize at
    # its default (16K) has source default; mountpoint does not apply to volumes
    assert out == ("type\tvolume\t-\nvolsize\t1G\tlocal\nvolblocksize\t16K\tdefault\n"
                   "refreservation\t1.02G\tlocal\nmountpoint\t-\t-\nused\t1.02G\t-\n")
    assert ok(zfs("list", "-H", "-o", "name,mountpoint", "zroot/vol")) == "zroot/vol\t-\n"


def test_volume_errors(zfs):
    # zfs_valid_proplist() :1252 "must be power of 2 from 512B to 16M"
    assert zfs("create", "-b", "3000", "-V", "1G", "zroot/v") == (
        1, "", "cannot create 'zroot/v': 'volblocksize' must be power of 2 from 512B to 16M\n")
    # zfs_create() :3799
    assert zfs("create", "-V", "0", "zroot/v") == (
        1, "", "cannot create 'zroot/v': volume size cannot be zero\n")
    ok(zfs("create", "-V", "64M", "zroot/v"))
    # check_parents() :3546
    assert zfs("create", "zroot/v/x") == (
        1, "", "cannot create 'zroot/v/x': parent is not a filesystem\n")
    # :1516 changes to an existing volume
    assert zfs("set", "volsize=1000", "zroot/v") == (255, "", (
        "cannot set property for 'zroot/v': 'volsize' must be a multiple of volume block "
        "size (16K)\n"))
    # zfs_add_synthetic_resv() (:1603): the refreservation follows the new size
    from freebsd_testbed.tools.zfs import zvol_reservation
    ok(zfs("set", "volsize=128M", "zroot/v"))
    assert ok(zfs("get", "-Hp", "-o", "value", "volsize,refreservation", "zroot/v")) == \
        "%d\n%d\n" % (128 << 20, zvol_reservation(128 << 20, 16384))
    # zfs_open(ZFS_TYPE_FILESYSTEM) in share_mount()
    assert zfs("mount", "zroot/v") == (
        1, "", "cannot open 'zroot/v': operation not applicable to datasets of this type\n")
    # a volume's snapshot clones to a volume
    ok(zfs("snapshot", "zroot/v@s"))
    ok(zfs("clone", "zroot/v@s", "zroot/vc"))
    assert ok(zfs("get", "-H", "-o", "value", "type,volsize,origin", "zroot/vc")) == \
        "volume\n128M\nzroot/v@s\n"


# --------------------------------------------------------------------------- zpool import

def test_zpool_import_listing(tool):
    import os
    from freebsd_testbed import hoststate
    p = hoststate.hostpath("/tmp/imp0")
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.truncate(1 << 30)
    assert tool("zpool", "create", "imp", "/tmp/imp0")[0] == 0
    assert tool("zpool", "export", "imp")[0] == 0
    rc, out, err = tool("zpool", "import", "-d", "/tmp")
    lines = out.splitlines()
    # show_import() (cmd/zpool/zpool_main.c:3422-3427, :3573, :3740 of zfs-2.4.0): headings
    # prefixed by indent ("" without a comment); print_import_config() (:3216) prints
    # "\t%*s%-*s" (max_width(): the longest name plus its depth, at least 10; here
    # 2 + len("/tmp/imp0") = 11) and "  %s" with the state unpadded
    assert rc == 0 and err == ""
    assert lines[0] == "  pool: imp"
    assert re.fullmatch(r"    id: \d+", lines[1])
    assert lines[2:] == [" state: ONLINE",
                         "action: The pool can be imported using its name or numeric "
                         "identifier.",
                         "config:", "", "\timp          ONLINE", "\t  /tmp/imp0  ONLINE"]


# --------------------------------------------------------------------------- clone / rename -r

def test_clone_messages(zfs):
    ok(zfs("create", "zroot/cs"))
    ok(zfs("snapshot", "zroot/cs@s"))
    # zfs_main.c:880 zfs_open(ZFS_TYPE_SNAPSHOT)
    assert zfs("clone", "zroot/cs", "zroot/x") == (
        1, "", "cannot open 'zroot/cs': missing '@' delimiter in snapshot name\n")
    # libzfs_dataset.c:4056 check_parents()
    assert zfs("clone", "zroot/cs@s", "zroot/no/x") == (
        1, "", "cannot create 'zroot/no/x': parent does not exist\n")
    # zfs_main.c:886-903: -p creates ancestors; an existing target is success
    ok(zfs("clone", "-p", "zroot/cs@s", "zroot/no/x"))
    assert zfs("clone", "-p", "zroot/cs@s", "zroot/no/x") == (0, "", "")
    assert zfs("clone", "zroot/cs@s", "zroot/tmp") == (
        1, "", "cannot create 'zroot/tmp': dataset already exists\n")
    # parseprop() failure returns 1 (:848)
    assert zfs("clone", "-o", "atime", "zroot/cs@s", "zroot/y") == (
        1, "", "missing '=' for property=value argument\n")
    assert ok(zfs("get", "-H", "-o", "value", "origin", "zroot/no/x")) == "zroot/cs@s\n"


def test_rename_recursive_snapshot(zfs):
    ok(zfs("create", "-p", "zroot/rr/c"))
    ok(zfs("snapshot", "-r", "zroot/rr@s"))
    ok(zfs("rename", "-r", "zroot/rr@s", "@t"))
    assert ok(zfs("list", "-H", "-o", "name", "-t", "snapshot", "-r", "zroot/rr")) == \
        "zroot/rr@t\nzroot/rr/c@t\n"
    ok(zfs("snapshot", "zroot/rr/c@u"))
    # libzfs_dataset.c:4651: recursive EEXIST
    assert zfs("rename", "-r", "zroot/rr@t", "u") == (1, "", (
        "cannot rename 'zroot/rr@t': a child dataset already has a snapshot with the new "
        "name\n"))
    # zfs_main.c:4130 -r needs a snapshot
    rc, _, err = zfs("rename", "-r", "zroot/rr", "zroot/rs")
    assert rc == 2 and err.startswith("source dataset for recursive rename must be a "
                                      "snapshot\n")


def test_volsize_of_a_filesystem_snapshot(zfs):
    ok(zfs("create", "zroot/fsn"))
    ok(zfs("snapshot", "zroot/fsn@s"))
    # volsize applies to snapshots (zfs_prop.c: ZFS_TYPE_SNAPSHOT | ZFS_TYPE_VOLUME) but a
    # filesystem's snapshot has no zvol stats: getprop_uint64() falls back to the default 0
    # with source "" (libzfs_dataset.c getprop_uint64(), get_source() :2386), zfs_nicenum()
    assert ok(zfs("get", "-H", "volsize", "zroot/fsn@s")) == "zroot/fsn@s\tvolsize\t0\tdefault\n"
    # so 'zfs get -s local all' of a plain tree lists nothing (man zfs.8 Example 7 form)
    assert ok(zfs("get", "-r", "-s", "local", "-o", "name,property,value", "all",
                  "zroot/fsn")) == ""


# --------------------------------------------------------------------------- zfs(8) examples

def test_man_example_10_promote_and_swap(zfs):
    # man/man8/zfs.8 Example 10: Promoting a ZFS Clone
    for args in (("create", "-p", "zroot/project/production"),
                 ("snapshot", "zroot/project/production@today"),
                 ("clone", "zroot/project/production@today", "zroot/project/beta"),
                 ("promote", "zroot/project/beta"),
                 ("rename", "zroot/project/production", "zroot/project/legacy"),
                 ("rename", "zroot/project/beta", "zroot/project/production"),
                 ("destroy", "zroot/project/legacy")):
        assert zfs(*args) == (0, "", ""), args
    assert ok(zfs("list", "-H", "-t", "all", "-r", "-o", "name,origin", "zroot/project")) == (
        "zroot/project\t-\nzroot/project/production\t-\nzroot/project/production@today\t-\n")


def test_man_example_15_rolling_snapshots(zfs):
    # man/man8/zfs.8 Example 15: Performing a Rolling Snapshot
    ok(zfs("create", "-p", "zroot/users/alice"))
    ok(zfs("snapshot", "-r", "zroot/users@yesterday"))
    ok(zfs("snapshot", "-r", "zroot/users@today"))
    assert zfs("destroy", "-r", "zroot/users@2daysago")[0] == 1
    ok(zfs("rename", "-r", "zroot/users@yesterday", "@2daysago"))
    ok(zfs("rename", "-r", "zroot/users@today", "@yesterday"))
    ok(zfs("snapshot", "-r", "zroot/users@today"))
    assert ok(zfs("list", "-H", "-o", "name", "-t", "snapshot", "-r", "zroot/users")) == (
        "zroot/users@2daysago\nzroot/users@yesterday\nzroot/users@today\n"
        "zroot/users/alice@2daysago\nzroot/users/alice@yesterday\nzroot/users/alice@today\n")


# --------------------------------------------------------------------------- diff

def test_diff_lines_and_errors(zfs, host_root):
    import os
    import time
    from freebsd_testbed import hoststate
    ok(zfs("create", "zroot/test"))
    mp = hoststate.hostpath("/zroot/test")
    for n in ("modified", "deleted", "oldname"):
        with open(os.path.join(mp, n), "w") as f:
            f.write("a")
    # libzfs_diff.c:568 get_snapshot_names(): a lone operand must be a snapshot
    assert zfs("diff", "zroot/test") == (1, "", "Badly formed snapshot name zroot/test: "
                                                "missing '@' delimiter in snapshot name\n")
    ok(zfs("snapshot", "zroot/test@before"))
    assert zfs("diff", "zroot/test@before") == (0, "", "")
    time.sleep(0.01)
    with open(os.path.join(mp, "modified"), "w") as f:
        f.write("abc")
    os.unlink(os.path.join(mp, "deleted"))
    os.rename(os.path.join(mp, "oldname"), os.path.join(mp, "newname"))
    with open(os.path.join(mp, "new file"), "w") as f:
        f.write("x")
    # print_file() (:238): "<type>\t" [-F: get_what() letter "\t"] mountpoint + path, the
    # root directory as "<mountpoint>/"; stream_bytes() (:123) escapes ' ' as \0040;
    # print_rename() (:196) "R\t<old> -> <new>" (-H: a tab)
    rc, out, err = zfs("diff", "-F", "zroot/test@before", "zroot/test")
    assert rc == 0 and err == ""
    assert sorted(out.splitlines()) == sorted([
        "M\t/\t/zroot/test/", "-\tF\t/zroot/test/deleted", "M\tF\t/zroot/test/modified",
        "R\tF\t/zroot/test/oldname -> /zroot/test/newname",
        "+\tF\t/zroot/test/new\\0040file"])
    assert out.splitlines()[0] == "M\t/\t/zroot/test/"
    out = ok(zfs("diff", "-H", "-h", "zroot/test@before"))
    assert "R\t/zroot/test/oldname\t/zroot/test/newname" in out.splitlines()
    assert "+\t/zroot/test/new file" in out.splitlines()
    ok(zfs("snapshot", "zroot/test@after"))
    # the ioctl's EXDEV (:806): the 'from' snapshot must be the earlier one
    assert zfs("diff", "zroot/test@after", "zroot/test@before") == (
        1, "", "Unable to obtain diffs: \n   Not an earlier snapshot from the same fs\n")
    # zfs_main.c:8228
    rc, _, err = zfs("diff")
    assert rc == 2 and err.startswith("must provide at least one snapshot name\nusage:\n"
                                      "\tdiff [-FHth] <snapshot> [snapshot|filesystem]\n")


# --------------------------------------------------------------------------- jail / unjail

def test_zfs_jail_unjail(zfs, tool):
    ok(zfs("create", "-o", "jailed=on", "zroot/jd"))
    # zfs_main.c:9595: libjail's jail_getid() fails for an unknown name -> usage
    rc, _, err = zfs("jail", "nosuchjail", "zroot/jd")
    assert rc == 2 and err.startswith("invalid jail id or name\nusage:\n"
                                      "\tjail <jailid|jailname> <filesystem>\n")
    # a number is taken as is; the kernel's prison_find() fails -> ENOENT
    assert zfs("jail", "99", "zroot/jd") == (1, "", "cannot jail 'zroot/jd': dataset does "
                                                    "not exist\n")
    rc, _, err = zfs("jail", "99")
    assert rc == 2 and err.startswith("missing argument(s)\n")
    rc, out, err = tool("jail", "-c", "name=zj", "path=/", "persist")
    assert rc == 0, (out, err)
    ok(zfs("jail", "zj", "zroot/jd"))
    # zone_dataset_attach(): the same dataset twice is EEXIST
    assert zfs("jail", "zj", "zroot/jd") == (1, "", "cannot jail 'zroot/jd': dataset already "
                                                    "exists\n")
    ok(zfs("unjail", "zj", "zroot/jd"))
    # zone_dataset_detach(): not attached is ENOENT
    assert zfs("unjail", "zj", "zroot/jd") == (1, "", "cannot unjail 'zroot/jd': dataset "
                                                      "does not exist\n")
    # zfs_open(ZFS_TYPE_FILESYSTEM) comes before zfs_jail()'s own type checks
    ok(zfs("snapshot", "zroot/jd@s"))
    assert zfs("jail", "zj", "zroot/jd@s") == (1, "", "cannot open 'zroot/jd@s': snapshot "
                                                      "delimiter '@' is not expected here\n")


# --------------------------------------------------------------------------- upgrade

def test_upgrade(zfs):
    # zfs_main.c:2790 (no operands): every filesystem is at ZPL_VERSION 5
    assert ok(zfs("upgrade")) == ("This system is currently running ZFS filesystem version "
                                  "5.\n\nAll filesystems are formatted with the current "
                                  "version.\n")
    # :2750 the version table
    out = ok(zfs("upgrade", "-v"))
    assert out.splitlines()[:4] == ["The following filesystem versions are supported:", "",
                                    "VER  DESCRIPTION", "---  " + "-" * 56]
    assert out.endswith("see the ZFS Administration Guide.\n\n")
    # :2771 upgrade_set_callback() counts
    ok(zfs("create", "zroot/up"))
    assert ok(zfs("upgrade", "zroot/up")) == ("0 filesystems upgraded\n"
                                              "1 filesystems already at this version\n")
    assert zfs("upgrade", "-V", "4", "zroot/up") == (
        1, "zroot/up: can not be downgraded; it is already at version 5\n"
           "0 filesystems upgraded\n", "")
    rc, _, err = zfs("upgrade", "-V", "9", "-a")
    assert rc == 2 and err.startswith("invalid version 9\nusage:\n")
